"""The rollout links of the site header, by role (no queries for anonymous visitors)."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from rollout.roles import is_planner, member_provider_ids


def _links(user) -> dict[str, bool]:
    if user is None or not user.is_authenticated:
        return {"plans": False, "review": False, "coordination": False}
    planner = is_planner(user)
    # (A planner's memberships are not asked for: one query less on every planner's page.)
    plans = planner or bool(member_provider_ids(user))
    # Coordination (coordination/): planners; a provider's members see their own matches there.
    return {"plans": plans, "review": planner, "coordination": plans}


def navigation(request: HttpRequest) -> dict:
    # Lazy: pages that do not draw the header (the 500 page) make no query.
    return {"rollout_nav": SimpleLazyObject(lambda: _links(getattr(request, "user", None)))}
