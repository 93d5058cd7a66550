"""The import_plan command: thin over the services, CommandError on bad input."""

import pytest
from django.core.management import CommandError, call_command

from rollout.models import Availability, PlanVersion
from tests.factories import AddressFactory, ProviderFactory
from tests.rollout.conftest import PLANS


@pytest.fixture
def provider(city):
    return ProviderFactory(slug="alpha")


def test_import_accept_publish(provider, capsys):
    AddressFactory()
    call_command("import_plan", str(PLANS / "valid" / "areas.geojson"), provider="alpha", publish=True, verbosity=0)
    out = capsys.readouterr().out
    assert "3 areas; 3 added" in out
    version = PlanVersion.objects.get(provider=provider)
    assert version.published_at is not None
    assert Availability.objects.count() == 1


def test_invalid_file_is_a_command_error(provider, capsys):
    with pytest.raises(CommandError, match="is invalid"):
        call_command("import_plan", str(PLANS / "invalid" / "unknown_stage.csv"), provider="alpha", accept=True)
    assert PlanVersion.objects.count() == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"provider": "nobody"}, "no provider"),
        ({"provider": "alpha", "mapping": "{not json"}, "not JSON"),
        ({"provider": "alpha", "user": "ghost"}, "no user"),
    ],
)
def test_bad_arguments(provider, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("import_plan", str(PLANS / "valid" / "areas.geojson"), **args)


def test_missing_file(provider):
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_plan", "/nonexistent.geojson", provider="alpha")
