"""Settings come from the environment and refuse unsafe defaults."""

import os
import subprocess
import sys

from tests.conftest import REPO


def _django_setup(**env):
    base = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    base.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=REPO,
        env={**base, "DJANGO_SETTINGS_MODULE": "geoportal.settings"},
        capture_output=True,
        text=True,
        check=False,
    )


def test_without_secret_key_and_without_debug_the_site_refuses_to_start():
    result = _django_setup()

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_debug_is_off_unless_asked_for():
    result = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.DEBUG)"],
        cwd=REPO,
        env={**os.environ, "SECRET_KEY": "x" * 50, "DJANGO_SETTINGS_MODULE": "geoportal.settings", "DEBUG": ""},
        capture_output=True,
        text=True,
        check=True,
    )

    assert result.stdout.strip() == "False"


def test_a_non_boolean_debug_value_is_an_error_not_a_guess():
    result = _django_setup(DEBUG="maybe", SECRET_KEY="x" * 50)

    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_a_database_url_that_is_not_postgis_is_refused():
    result = _django_setup(SECRET_KEY="x" * 50, DATABASE_URL="sqlite:///tmp/x.db")

    assert result.returncode != 0
    assert "PostGIS" in result.stderr
