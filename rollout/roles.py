"""Who is who in the rollout domain: administrators, city planners, provider members, everybody else.

Roles come from Django auth: superusers are administrators, the group "planner"
holds city planners (all providers), ProviderMembership ties a user to providers.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from rollout.models import Provider, ProviderMembership

PLANNER_GROUP = "planner"

type AnyUser = AbstractBaseUser | AnonymousUser | None


def account(user: AnyUser) -> AbstractBaseUser | None:
    """The user to record as having done something: None for anonymous callers and management commands."""
    return user if user is not None and user.is_authenticated else None


def is_admin(user: AnyUser) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_superuser)


def is_planner(user: AnyUser) -> bool:
    """City planners and administrators: they read every provider's plans, published or not."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return is_admin(user) or user.groups.filter(name=PLANNER_GROUP).exists()


def member_provider_ids(user: AnyUser) -> set[int]:
    """The providers the user acts for (empty for anonymous and inactive users)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return set()
    return set(ProviderMembership.objects.filter(user=user).values_list("provider_id", flat=True))


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
