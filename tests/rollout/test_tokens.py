"""Provider members' API tokens: made once, stored as a digest, only as good as the membership."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from geoportal.errors import InvalidInputError, PermissionDeniedError
from rollout.models import ProviderMembership, ProviderToken
from rollout.tokens import provider_token_authenticate, provider_token_create, provider_token_revoke
from tests.factories import ProviderFactory, UserFactory, member_of, planner


@pytest.fixture
def provider(db):
    return ProviderFactory(slug="alpha")


def test_a_member_makes_a_token_that_authenticates_as_them_for_their_provider(provider):
    member = member_of(provider)
    token, plaintext = provider_token_create(provider=provider, user=member, name="GIS-Export", by=member)
    assert plaintext.startswith("gfp_")
    assert len(plaintext) > 40
    # only the digest is stored
    assert plaintext not in {token.digest, token.prefix}
    assert ProviderToken.objects.filter(digest__contains=plaintext[4:20]).count() == 0
    found = provider_token_authenticate(plaintext=plaintext)
    assert (found.user, found.provider) == (member, provider)
    assert ProviderToken.objects.get().last_used_at is not None


@pytest.mark.parametrize("secret", ["", "gfp_", "gfp_wrong", "Bearer x", "x" * 500])
def test_unknown_secrets_authenticate_nobody(provider, secret):
    member = member_of(provider)
    provider_token_create(provider=provider, user=member, name="job", by=None)
    assert provider_token_authenticate(plaintext=secret) is None


def test_revoked_tokens_ended_memberships_and_inactive_users_stop_working(provider):
    member = member_of(provider)
    _, revoked = provider_token_create(provider=provider, user=member, name="a", by=member)
    token, ended = provider_token_create(provider=provider, user=member, name="b", by=member)
    provider_token_revoke(token=ProviderToken.objects.get(name="a"), by=member)
    assert provider_token_authenticate(plaintext=revoked) is None
    assert provider_token_authenticate(plaintext=ended) is not None
    ProviderMembership.objects.filter(user=member).delete()
    assert provider_token_authenticate(plaintext=ended) is None
    ProviderMembership.objects.create(user=member, provider=provider)
    member.is_active = False
    member.save()
    assert provider_token_authenticate(plaintext=ended) is None


def test_who_may_make_tokens(provider):
    member = member_of(provider)
    other = member_of(ProviderFactory(slug="beta"))
    # another provider's member can neither make one for this member nor for themself here
    with pytest.raises(PermissionDeniedError):
        provider_token_create(provider=provider, user=member, name="x", by=other)
    with pytest.raises(InvalidInputError, match="not a member"):
        provider_token_create(provider=provider, user=other, name="x", by=planner())
    # planners make tokens for members; tokens need a name
    provider_token_create(provider=provider, user=member, name="for the member", by=planner())
    with pytest.raises(InvalidInputError, match="needs a name"):
        provider_token_create(provider=provider, user=member, name="  ", by=member)
    with pytest.raises(PermissionDeniedError):
        provider_token_revoke(token=ProviderToken.objects.get(), by=UserFactory())


def test_command_makes_lists_and_revokes(provider):
    member = member_of(provider)
    out = StringIO()
    call_command(
        "provider_token",
        "create",
        "--provider",
        "alpha",
        "--user",
        member.username,
        "--name",
        "job",
        stdout=out,
        stderr=StringIO(),
    )
    plaintext = out.getvalue().strip()
    assert provider_token_authenticate(plaintext=plaintext).user == member
    listing = StringIO()
    call_command("provider_token", "list", stdout=listing)
    assert plaintext[:10] in listing.getvalue()
    assert plaintext not in listing.getvalue()
    call_command("provider_token", "revoke", plaintext[:10], stdout=StringIO())
    assert provider_token_authenticate(plaintext=plaintext) is None
    with pytest.raises(CommandError, match="no provider"):
        call_command("provider_token", "create", "--provider", "nope", "--user", member.username, "--name", "x")
