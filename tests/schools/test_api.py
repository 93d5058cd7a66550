"""The measurement API through Django's client on real PostGIS: JSON and CSV, errors by row and field,
tokens, duplicates and retries, limits."""

from __future__ import annotations

import json

import pytest

from schools.models import MeasuredSummary, Measurement, MeasurementAggregate, MeasurementBatch, SchoolToken
from schools.tokens import school_token_revoke
from tests.schools.conftest import at

URL = "/api/schulen/messungen"


def post(client, body, *, token: str | None, content_type: str = "application/json"):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    data = json.dumps(body) if not isinstance(body, str | bytes) else body
    return client.post(URL, data=data, content_type=content_type, **headers)


def row(hours_ago: float, down: float = 480.5, up: float = 95.0, **extra) -> dict:
    return {"measured_at": at(hours_ago), "down_mbits": down, "up_mbits": up, "latency_ms": 8.5, **extra}


def test_a_json_array_is_stored_with_its_daily_and_weekly_figures(client, school, token):
    response = post(client, [row(3, down=400), row(2, down=500), row(1, down=600, jitter_ms=1.2)], token=token)

    assert response.status_code == 201
    assert response.json()["stored"] == 3
    assert response.json()["duplicates"] == 0
    assert Measurement.objects.filter(school=school).count() == 3
    days = MeasurementAggregate.objects.filter(school=school, period="day")
    assert sum(d.measurements for d in days) == 3
    weeks = MeasurementAggregate.objects.filter(school=school, period="week")
    assert sum(w.measurements for w in weeks) == 3
    if days.count() == 1:  # all three on one local day (not just after midnight): the median is the middle one
        assert days.get().down_median_mbits == 500
    assert MeasuredSummary.objects.get(school=school).down_median_mbits == 500
    assert MeasurementBatch.objects.get(school=school).token.name == "Messbox"


def test_one_object_and_a_wrapped_list_are_accepted(client, school, token):
    assert post(client, row(5), token=token).status_code == 201
    assert post(client, {"measurements": [row(4)]}, token=token).status_code == 201
    assert Measurement.objects.filter(school=school).count() == 2


def test_csv_with_a_header_row_is_stored(client, school, token):
    body = "measured_at,down_mbits,up_mbits,latency_ms,jitter_ms,packet_loss_percent\n"
    body += f"{at(2)},250.5,50,12.1,,0\n{at(1)},260,55,11.9,0.8,\n"
    response = post(client, body, token=token, content_type="text/csv")

    assert response.status_code == 201, response.json()
    stored = list(Measurement.objects.filter(school=school).order_by("measured_at"))
    assert [m.down_mbits for m in stored] == [250.5, 260.0]
    assert stored[0].jitter_ms is None
    assert stored[1].packet_loss_percent is None


def test_every_problem_is_named_by_row_and_field_and_nothing_is_stored(client, school, token):
    body = [
        row(5),
        {"measured_at": "gestern", "down_mbits": 10, "up_mbits": 1},
        {"measured_at": at(3), "down_mbits": "schnell", "up_mbits": 1},
        {"measured_at": at(2), "down_mbits": 10},
        {"measured_at": at(1), "down_mbits": 10, "up_mbits": 1, "packet_loss_percent": 120},
        {"measured_at": at(0.5), "down_mbits": -1, "up_mbits": 1, "download": 5},
        "not an object",
    ]
    response = post(client, body, token=token)

    assert response.status_code == 400
    problems = {(p.get("row"), p.get("field")): p["message"] for p in response.json()["problems"]}
    assert "RFC 3339" in problems[(2, "measured_at")]
    assert problems[(3, "down_mbits")] == "must be a number"
    assert problems[(4, "up_mbits")] == "required"
    assert problems[(5, "packet_loss_percent")].startswith("out of range")
    assert problems[(6, "down_mbits")].startswith("out of range")
    assert problems[(6, "download")].startswith("unknown field")
    assert (1, "measured_at") not in problems
    assert problems[(7, None)] == "a measurement must be an object"
    assert response.json()["problem_count"] == 7
    assert Measurement.objects.count() == 0


def test_future_naive_and_ancient_timestamps_are_refused(client, school, token):
    body = [
        {"measured_at": at(-2), "down_mbits": 1, "up_mbits": 1},
        {"measured_at": "2026-01-01T08:00:00", "down_mbits": 1, "up_mbits": 1},
        {"measured_at": "1999-12-31T23:00:00Z", "down_mbits": 1, "up_mbits": 1},
        {"measured_at": "2026-02-30T08:00:00Z", "down_mbits": 1, "up_mbits": 1},
    ]
    problems = [(p["row"], p["message"]) for p in post(client, body, token=token).json()["problems"]]
    assert problems == [
        (1, "lies in the future"),
        (2, "needs a time zone offset (Z or +01:00)"),
        (3, "lies before 2000"),
        (4, "not an RFC 3339 timestamp such as 2026-12-01T08:00:00+01:00"),
    ]


def test_malformed_json_and_csv_say_where(client, school, token):
    response = post(client, '[{"measured_at": ', token=token)
    assert response.status_code == 400
    assert "line 1, column" in response.json()["problems"][0]["message"]

    response = post(client, "zeit,down_mbits\n1,2\n", token=token, content_type="text/csv")
    assert response.status_code == 400
    fields = {(p.get("field"), p["message"]) for p in response.json()["problems"]}
    assert ("zeit", "unknown column (known: measured_at, down_mbits, up_mbits, latency_ms, jitter_ms, "
            "packet_loss_percent)") in fields  # fmt: skip
    assert ("measured_at", "required column is missing") in fields

    response = post(client, f"measured_at,down_mbits,up_mbits\n{at(1)},2\n", token=token, content_type="text/csv")
    assert response.json()["problems"] == [{"row": 1, "message": "2 values in a row with 3 columns"}]
    response = post(client, b"\xff\xfe", token=token)
    assert response.json()["problems"][0]["message"] == "byte 0 is not UTF-8"


def test_a_retried_delivery_stores_nothing_twice_and_says_so(client, school, token):
    body = [row(3), row(2), row(1)]
    assert post(client, body, token=token).status_code == 201

    again = post(client, body + [row(0.5)], token=token)

    assert again.status_code == 201
    assert again.json() | {"first": None, "last": None} == {
        "school": school.school_number, "received": 4, "stored": 1, "duplicates": 3, "first": None, "last": None,
    }  # fmt: skip
    assert post(client, body, token=token).status_code == 200  # all known: nothing new, still fine
    assert Measurement.objects.filter(school=school).count() == 4


def test_a_stored_time_with_other_values_is_a_conflict(client, school, token):
    first = row(2, down=300)
    post(client, [first], token=token)

    response = post(client, [row(3), {**first, "down_mbits": 301}], token=token)

    assert response.status_code == 409
    assert response.json()["problems"] == [
        {"row": 2, "field": "measured_at", "value": response.json()["problems"][0]["value"],
         "message": "a measurement with other values is stored for this time"},
    ]  # fmt: skip
    assert Measurement.objects.filter(school=school).count() == 1


def test_the_same_time_twice_in_one_delivery(client, school, token):
    same = row(2)
    response = post(client, [same, same], token=token)
    assert response.status_code == 201
    assert response.json()["stored"] == 1
    assert response.json()["duplicates"] == 1

    response = post(client, [row(1, down=5), row(1, down=6)], token=token)
    assert response.status_code == 400
    assert response.json()["problems"][0]["message"] == "row 1 has the same time with other values"


@pytest.mark.parametrize(
    ("header", "why"),
    [
        (None, "send 'Authorization: Bearer <token>'"),
        ("Basic dXNlcjpwYXNz", "send 'Authorization: Bearer <token>'"),
        ("Bearer gfs_not-a-real-token", "unknown or revoked"),
        ("Bearer gfp_provider-token-is-not-a-school-token", "unknown or revoked"),
    ],
)
def test_without_a_valid_token_nothing_is_taken(client, school, token, header, why):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.post(URL, data=json.dumps([row(1)]), content_type="application/json", **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert why in response.json()["description"]
    assert Measurement.objects.count() == 0


def test_a_revoked_token_stops_working(client, school, token, city_planner):
    assert post(client, [row(2)], token=token).status_code == 201
    school_token_revoke(token=SchoolToken.objects.get(school=school), by=city_planner)

    response = post(client, [row(1)], token=token)

    assert response.status_code == 401
    assert Measurement.objects.count() == 1


def test_limits_of_a_delivery(client, school, token, settings):
    settings.SCHOOL_MEASUREMENTS_MAX_ROWS = 50
    response = post(client, [row(i / 10 + 1) for i in range(51)], token=token)
    assert response.status_code == 413
    assert "at most 50 measurements per delivery, not 51" in response.json()["description"]

    settings.SCHOOL_MEASUREMENTS_MAX_BYTES = 1000
    response = post(client, [row(1)] * 20, token=token)
    assert response.status_code == 413
    assert "at most 1000 bytes" in response.json()["description"]
    assert Measurement.objects.count() == 0


def test_a_large_delivery_is_stored_whole(client, school, token):
    """10,000 measurements at once, every 3 minutes of three weeks: one request, one COPY, one INSERT."""
    body = [row(hours_ago=i / 20 + 0.1, down=200 + i % 100) for i in range(10_000)]
    response = post(client, body, token=token)
    assert response.status_code == 201
    assert response.json()["stored"] == 10_000
    assert sum(a.measurements for a in MeasurementAggregate.objects.filter(school=school, period="day")) == 10_000


def test_other_methods_and_media_types(client, school, token):
    assert client.get(URL).status_code == 405
    response = post(client, "<xml/>", token=token, content_type="application/xml")
    assert response.status_code == 415


def test_too_many_deliveries_from_one_client(client, school, token, settings):
    settings.RATELIMIT_MEASUREMENTS = "2/m"
    statuses = [post(client, [row(i + 1)], token=token).status_code for i in range(3)]
    assert statuses == [201, 201, 429]
