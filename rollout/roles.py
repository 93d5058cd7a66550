"""Who is who in the rollout domain: administrators, city planners, provider members, everybody else.

Roles come from Django auth: superusers are administrators, the group "planner"
holds city planners (all providers), ProviderMembership ties a user to providers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from rollout.models import Provider, ProviderMembership

PLANNER_GROUP = "planner"

type AnyUser = AbstractBaseUser | AnonymousUser | None


def account(user: AnyUser) -> AbstractBaseUser | None:
    """The user to record as having done something: None for anonymous callers and management commands."""
    return user if user is not None and user.is_authenticated else None


def is_admin(user: AnyUser) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_superuser)


# Within one request (RolesPerRequestMiddleware) each user's roles are read from the database once: a
# page asks the selectors several times (navigation, lists, maps), each asking who the user is.
# Outside a request (shell, commands, tests calling services directly) every call reads afresh.
_per_request: ContextVar[dict | None] = ContextVar("rollout_roles", default=None)


@contextmanager
def roles_read_once() -> Iterator[None]:
    token = _per_request.set({})
    try:
        yield
    finally:
        _per_request.reset(token)


def _once[T](kind: str, user: AbstractBaseUser, read: Callable[[], T]) -> T:
    known = _per_request.get()
    if known is None:
        return read()
    key = (kind, user.pk)
    if key not in known:
        known[key] = read()
    return known[key]


def is_planner(user: AnyUser) -> bool:
    """City planners and administrators: they read every provider's plans, published or not."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return is_admin(user) or _once("planner", user, lambda: user.groups.filter(name=PLANNER_GROUP).exists())


def member_provider_ids(user: AnyUser) -> set[int]:
    """The providers the user acts for (empty for anonymous and inactive users)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return set()

    def read() -> frozenset[int]:
        return frozenset(ProviderMembership.objects.filter(user=user).values_list("provider_id", flat=True))

    return set(_once("member", user, read))


class RolesPerRequestMiddleware:
    """Reads each user's roles once per request (see _per_request); after AuthenticationMiddleware."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        with roles_read_once():
            return self.get_response(request)


def can_read_unpublished(user: AnyUser, provider: Provider) -> bool:
    return is_planner(user) or provider.pk in member_provider_ids(user)


def can_submit(user: AnyUser, provider: Provider) -> bool:
    """Members hand in their provider's files; planners may do so on a provider's behalf."""
    return can_read_unpublished(user, provider)


def can_accept(user: AnyUser, provider: Provider) -> bool:
    """Accepting makes a confidential version; members may accept their own valid files."""
    return can_read_unpublished(user, provider)


def can_publish(user: AnyUser, provider: Provider) -> bool:
    """The city publishes; a provider only where the city allows it (``may_self_publish``)."""
    if is_planner(user):
        return True
    return provider.may_self_publish and provider.pk in member_provider_ids(user)
