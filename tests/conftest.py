"""Shared fixtures. Tests run against a real PostGIS (DATABASE_URL, set by `make test`)."""

import shutil
from pathlib import Path

import pytest

import tests
from geoportal.catalogues import catalogues_compile

REPO = Path(__file__).resolve().parent.parent

# pygeoapi's wheel installs a top-level `tests` package; make sure we are ours.
assert Path(tests.__file__).resolve().parent == REPO / "tests", (  # noqa: S101
    f"`tests` resolves to {tests.__file__}: run pytest from the repository root"
)

DATA = REPO / "tests" / "data"


def pytest_configure(config: pytest.Config) -> None:
    # Before Django loads any translation catalogue.
    try:
        catalogues_compile()
    except FileNotFoundError as error:
        pytest.exit(str(error), 1)


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
