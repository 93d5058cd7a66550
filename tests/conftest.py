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


@pytest.fixture(autouse=True)
def _queue_emptied_after_committed_tests(request):
    """procrastinate's tables are not Django's (unmanaged), so the flush after a committed test keeps its jobs:
    delete them too, so that no later test, and not the session's worker, meets another test's jobs."""
    yield
    if "transactional_db" not in request.fixturenames and "live_server" not in request.fixturenames:
        return
    from django.db import connection

    with request.getfixturevalue("django_db_blocker").unblock(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs")


@pytest.fixture(autouse=True)
def _no_jobs_of_others(request):
    """A test in a transaction starts with an empty queue (deleted inside its transaction, so rolled back): jobs
    that committed tests of earlier runs left behind (--reuse-db keeps the database) are not this test's."""
    if "db" not in request.fixturenames or "transactional_db" in request.fixturenames:
        return
    from django.db import connection

    request.getfixturevalue("db")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs")
