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
    try:
        written = catalogues_compile()
    except FileNotFoundError as error:
        pytest.exit(str(error), 1)
    if written:
        _translations_forget()


def _translations_forget() -> None:
    """Forget the catalogues Django has read: pytest-django set Django up before this hook, and setting up
    reads the default language's catalogue (auth's many-to-many tables get translated verbose names), so
    without this a run that (re)compiled a .mo kept the stale or missing one: English where German was due."""
    import gettext

    from django.conf import settings
    from django.test.signals import setting_changed

    gettext._translations.clear()  # the standard library's cache of .mo files, by path
    # What Django's tests do when LOCALE_PATHS changes: its own receiver drops the catalogues it has read.
    setting_changed.send(sender=type(settings), setting="LOCALE_PATHS", value=settings.LOCALE_PATHS, enter=False)


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


# The real task queue's worker and the SMTP server it sends to (tests/queue.py).
from tests.queue import outbox, smtp_server, task_worker  # noqa: E402, F401
