"""Shared fixtures. Tests run against a real PostGIS (DATABASE_URL, set by `make test`)."""

from pathlib import Path

import pytest

import tests

REPO = Path(__file__).resolve().parent.parent

# pygeoapi's wheel installs a top-level `tests` package; make sure we are ours.
assert Path(tests.__file__).resolve().parent == REPO / "tests", (  # noqa: S101
    f"`tests` resolves to {tests.__file__}: run pytest from the repository root"
)

DATA = REPO / "tests" / "data"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A private copy of tests/data, so a test may modify its files."""
    import shutil

    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target
