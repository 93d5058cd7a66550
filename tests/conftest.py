"""Shared fixtures. Tests run against a real PostGIS (DATABASE_URL, set by `make test`)."""

import shutil
import subprocess
from pathlib import Path

import pytest

import tests

REPO = Path(__file__).resolve().parent.parent

# pygeoapi's wheel installs a top-level `tests` package; make sure we are ours.
assert Path(tests.__file__).resolve().parent == REPO / "tests", (  # noqa: S101
    f"`tests` resolves to {tests.__file__}: run pytest from the repository root"
)

DATA = REPO / "tests" / "data"


def _compile_messages() -> None:
    """Compile .po to .mo where missing or stale: .mo files are build output, not in git."""
    for po in (REPO / "locale").glob("*/LC_MESSAGES/*.po"):  # django.po, and messages.po (ogc/translations.py)
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            msgfmt = shutil.which("msgfmt")
            if msgfmt is None:
                pytest.exit("msgfmt is missing: install Debian's gettext package (apt-get install gettext)", 1)
            subprocess.run([msgfmt, "--check", "-o", str(mo), str(po)], check=True)  # noqa: S603


def pytest_configure(config: pytest.Config) -> None:
    # Before Django loads any translation catalogue.
    _compile_messages()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A private copy of tests/data, so a test may modify its files."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


@pytest.fixture(scope="session", autouse=True)
def _data_version_watcher(django_db_setup):
    """Close the watcher's connection (geoportal/data_version.py) before the test database is dropped."""
    yield
    from geoportal.data_version import watcher_stop

    watcher_stop()
