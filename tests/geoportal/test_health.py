"""The health endpoint answers with the database and PostGIS versions."""

import pytest


@pytest.mark.django_db
def test_healthz_reports_postgis_version(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["postgis"][0].isdigit()
    assert "POSTGIS=" in body["database"]["postgis_full"]
    assert response.headers["Cache-Control"].startswith("max-age=0")
