"""The permission matrix: who reads what through rollout.selectors, published or not. No leaks."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from geoportal.errors import PermissionDeniedError
from rollout import selectors
from rollout.models import PlanSubmission
from rollout.services import availability_recompute
from tests.factories import (
    AddressFactory,
    PlanAreaFactory,
    PlanVersionFactory,
    ProviderFactory,
    UserFactory,
    member_of,
    planner,
)

ROLES = ["anonymous", "other_member", "own_member", "planner", "admin"]
SEES_UNPUBLISHED = {"anonymous": False, "other_member": False, "own_member": True, "planner": True, "admin": True}


@pytest.fixture
def world(db):
    """Provider "own" with v1 published and v2 unpublished; provider "other" with nothing published."""
    own, other = ProviderFactory(slug="own"), ProviderFactory(slug="other")
    AddressFactory()
    now = timezone.now()
    v1 = PlanVersionFactory(
        provider=own, number=1, accepted_at=now - timedelta(days=10), published_at=now - timedelta(days=9)
    )
    v2 = PlanVersionFactory(provider=own, number=2, accepted_at=now - timedelta(days=1))
    secret = PlanVersionFactory(provider=other, number=1, accepted_at=now - timedelta(days=1))
    areas = {
        "v1": PlanAreaFactory(version=v1, key="a"),
        "v2": PlanAreaFactory(version=v2, key="a", stage="homes_passed"),
        "secret": PlanAreaFactory(version=secret, key="s"),
    }
    PlanSubmission.objects.create(provider=own, original_name="x.geojson", received_at=now)
    availability_recompute()
    users = {
        "anonymous": AnonymousUser(),
        "other_member": member_of(other),
        "own_member": member_of(own),
        "planner": planner(),
        "admin": UserFactory(is_superuser=True),
    }
    return {"own": own, "other": other, "v1": v1, "v2": v2, "secret": secret, "areas": areas, "users": users}


@pytest.mark.parametrize("role", ROLES)
def test_plan_versions_visible(world, role):
    # when the role lists plan versions
    visible = set(selectors.plan_versions_visible(user=world["users"][role]))
    # then published ones always, unpublished ones of "own" only for its members and the city
    assert world["v1"] in visible
    assert (world["v2"] in visible) is SEES_UNPUBLISHED[role]
    assert (world["secret"] in visible) is (role in {"other_member", "planner", "admin"})


@pytest.mark.parametrize("role", ROLES)
def test_plan_areas_visible_current(world, role):
    areas = set(selectors.plan_areas_visible(user=world["users"][role]))
    own_current = world["areas"]["v2"] if SEES_UNPUBLISHED[role] else world["areas"]["v1"]
    assert own_current in areas
    assert world["areas"]["v1" if SEES_UNPUBLISHED[role] else "v2"] not in areas
    assert (world["areas"]["secret"] in areas) is (role in {"other_member", "planner", "admin"})


@pytest.mark.parametrize("role", ROLES)
def test_plan_areas_visible_history(world, role):
    areas = set(selectors.plan_areas_visible(user=world["users"][role], current_only=False))
    assert world["areas"]["v1"] in areas
    assert (world["areas"]["v2"] in areas) is SEES_UNPUBLISHED[role]


@pytest.mark.parametrize("role", ROLES)
def test_submissions_visible(world, role):
    visible = selectors.submissions_visible(user=world["users"][role])
    assert visible.filter(provider=world["own"]).exists() is SEES_UNPUBLISHED[role]


@pytest.mark.parametrize("role", ROLES)
def test_availability_visible_holds_published_data_only(world, role):
    rows = list(selectors.availability_visible(user=world["users"][role]))
    assert {(r.provider.slug, r.stage) for r in rows} == {("own", "under_construction")}


@pytest.mark.parametrize("role", ROLES)
def test_plan_as_of(world, role):
    user = world["users"][role]
    now = timezone.now()
    assert selectors.plan_as_of(provider=world["own"], when=now - timedelta(days=20), user=user) is None
    assert selectors.plan_as_of(provider=world["own"], when=now - timedelta(days=5), user=user) == world["v1"]
    expected_now = world["v2"] if SEES_UNPUBLISHED[role] else world["v1"]
    assert selectors.plan_as_of(provider=world["own"], when=now, user=user) == expected_now


@pytest.mark.parametrize("role", ROLES)
def test_availability_preview(world, role):
    user = world["users"][role]
    if SEES_UNPUBLISHED[role]:
        rows = selectors.availability_preview(user=user, provider=world["own"])
        assert [r["stage"] for r in rows] == ["homes_passed"]
    else:
        with pytest.raises(PermissionDeniedError):
            selectors.availability_preview(user=user, provider=world["own"])


def test_inactive_member_sees_nothing_unpublished(world):
    user = world["users"]["own_member"]
    user.is_active = False
    user.save()
    assert world["v2"] not in set(selectors.plan_versions_visible(user=user))
