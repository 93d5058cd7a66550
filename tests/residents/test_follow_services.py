"""Following: double opt-in, unsubscribing, pruning and notifications, against the real PostGIS and task queue tables.

Mails are looked at as the jobs they become (geoportal.mail_send's arguments); tests/residents/test_browser.py
has the real worker send them.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from geoportal.errors import NotFoundError
from residents.follow import selectors, services
from residents.models import Delivery, Subscription
from residents.notifications import changeset_notify
from residents.tokens import token_hash
from rollout.models import AvailabilityChangeSet
from rollout.services import plan_version_publish
from tests.residents.conftest import HOSTILE, alpha_moves_on, link_token, queued_mails


def _subscribe(email: str, target, language: str = "de") -> tuple[Subscription, str]:
    """Ask to follow and confirm through the link in the mail; returns the subscription and its mail's text."""
    before = len(queued_mails())
    subscription = services.subscription_request(email=email, target=target, language=language)
    mail = queued_mails()[before]
    services.subscription_confirm(token=link_token(mail["text"], "/abo/bestaetigen/"))
    subscription.refresh_from_db()
    return subscription, mail["text"]


def test_asking_to_follow_stores_the_address_lowercased_and_mails_a_link_to_confirm(world):
    subscription = services.subscription_request(email=" Anna@Example.ORG ", target=world.a1, language="de")
    assert subscription.email == "anna@example.org"
    assert subscription.confirmed_at is None
    [mail] = queued_mails()
    assert mail["to"] == ["anna@example.org"]
    assert mail["subject"] == "Bitte bestätigen: Neuigkeiten zu Glasfaser für Schloßstraße 1, 45468 Mülheim an der Ruhr"
    token = link_token(mail["text"], "/abo/bestaetigen/")
    # only the secret's hash is stored, never the secret
    assert subscription.confirm_hash == token_hash(token)
    assert not Subscription.objects.filter(confirm_hash=token).exists()
    unsubscribe = link_token(mail["text"], "/abo/abmelden/")
    assert mail["headers"]["List-Unsubscribe"] == f"<http://127.0.0.1:8000/abo/abmelden/{unsubscribe}/>"
    assert mail["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "http://127.0.0.1:8000/datenschutz/" in mail["text"]


def test_confirming_makes_it_active_and_a_second_click_changes_nothing(world):
    services.subscription_request(email="anna@example.org", target=world.a1, language="de")
    token = link_token(queued_mails()[0]["text"], "/abo/bestaetigen/")
    first = services.subscription_confirm(token=token)
    assert first.confirmed_at is not None
    again = services.subscription_confirm(token=token)
    assert again.confirmed_at == first.confirmed_at
    with pytest.raises(NotFoundError):
        services.subscription_confirm(token="x" * 43)


def test_asking_again_makes_no_duplicate_and_only_the_newest_link_confirms(world):
    services.subscription_request(email="anna@example.org", target=world.a1, language="de")
    services.subscription_request(email="ANNA@example.org", target=world.a1, language="en")
    assert Subscription.objects.count() == 1
    old, new = queued_mails()
    assert new["subject"].startswith("Please confirm")  # the newest request's language
    with pytest.raises(NotFoundError):
        services.subscription_confirm(token=link_token(old["text"], "/abo/bestaetigen/"))
    services.subscription_confirm(token=link_token(new["text"], "/abo/bestaetigen/"))
    assert Subscription.objects.get().language == "en"


def test_asking_again_when_confirmed_sends_a_note_and_no_link_to_confirm(world):
    _subscribe("anna@example.org", world.a1)
    services.subscription_request(email="anna@example.org", target=world.a1, language="de")
    note = queued_mails()[-1]
    assert note["subject"] == "Sie folgen Schloßstraße 1, 45468 Mülheim an der Ruhr bereits"
    assert "/abo/bestaetigen/" not in note["text"]
    assert "/abo/abmelden/" in note["text"]
    assert Subscription.objects.count() == 1


def test_one_subscription_gets_at_most_three_confirmation_mails_a_day(world):
    for _ in range(5):
        services.subscription_request(email="anna@example.org", target=world.a1, language="de")
    assert len(queued_mails()) == services.CONFIRMATIONS_PER_DAY
    assert Subscription.objects.count() == 1


def test_the_same_address_may_follow_an_address_and_a_district(world):
    services.subscription_request(email="anna@example.org", target=world.a1, language="de")
    services.subscription_request(email="anna@example.org", target=world.heissen, language="de")
    assert Subscription.objects.count() == 2


def test_every_mails_link_unsubscribes_and_deletes_everything_of_the_subscription(world):
    subscription, text = _subscribe("anna@example.org", world.a1)
    token = link_token(text, "/abo/abmelden/")
    assert selectors.subscription_by_unsubscribe_token(token=token) == subscription
    gone = services.subscription_cancel(token=token)
    assert gone.address == world.a1
    assert not Subscription.objects.exists()
    assert not Delivery.objects.exists()
    with pytest.raises(NotFoundError):
        services.subscription_cancel(token=token)


def test_unconfirmed_subscriptions_are_pruned_after_three_days_confirmed_ones_stay(world):
    services.subscription_request(email="old@example.org", target=world.a1, language="de")
    services.subscription_request(email="new@example.org", target=world.a1, language="de")
    _subscribe("kept@example.org", world.a1)
    Subscription.objects.exclude(email="new@example.org").update(created_at=timezone.now() - timedelta(days=4))
    assert services.subscriptions_prune() == 1
    assert set(Subscription.objects.values_list("email", flat=True)) == {"new@example.org", "kept@example.org"}


def test_a_published_change_mails_the_addresses_followers_once_with_old_and_new(world):
    _subscribe("a1@example.org", world.a1)
    _subscribe("a3@example.org", world.a3)  # not touched by alpha
    services.subscription_request(email="unconfirmed@example.org", target=world.a1, language="de")
    alpha_moves_on(world)
    changeset = AvailabilityChangeSet.objects.order_by("-pk").first()
    before = len(queued_mails())
    assert changeset_notify(changeset=changeset) == 1
    [mail] = queued_mails()[before:]
    assert mail["to"] == ["a1@example.org"]
    assert mail["subject"] == "Glasfaser: Neuigkeiten für Schloßstraße 1, 45468 Mülheim an der Ruhr"
    text = mail["text"]
    assert f"{HOSTILE}: Stand geändert" in text
    assert "Stand: vorher „Geplant“, jetzt „Im Bau“" in text
    assert "Erwartet: vorher Q3/2027, jetzt Q1/2028" in text
    assert "http://127.0.0.1:8000/adresse/45468/schlossstrasse/1/" in text
    assert "/abo/abmelden/" in text
    assert mail["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # the provider's name is data: escaped in the HTML part
    assert "<script>" not in mail["html"]
    assert "&lt;script&gt;" in mail["html"]
    # beta's unpublished version (bookable at A1) is nowhere
    assert "Beta" not in text
    assert "Buchbar" not in text
    # once per change set and subscription, however often it is announced
    assert changeset_notify(changeset=changeset) == 0
    assert Delivery.objects.filter(changeset=changeset).count() == 1


def test_a_district_follower_gets_a_summary_per_provider_and_stage(world):
    _subscribe("bezirk@example.org", world.borough)  # Rechtsruhr-Süd: Heißen's addresses count
    _subscribe("saarn@example.org", world.saarn)
    alpha_moves_on(world)
    changeset = AvailabilityChangeSet.objects.order_by("-pk").first()
    before = len(queued_mails())
    assert changeset_notify(changeset=changeset) == 1
    [mail] = queued_mails()[before:]
    assert mail["to"] == ["bezirk@example.org"]
    assert mail["subject"] == "Glasfaser: Neuigkeiten für Rechtsruhr-Süd (Stadtbezirk)"
    assert "2 Adressen jetzt: Im Bau" in mail["text"]
    assert "Zum Beispiel: Gartenweg, Schloßstraße" in mail["text"]


def test_an_unpublished_version_causes_no_change_set_and_no_mail(world):
    _subscribe("a1@example.org", world.a1)
    _subscribe("saarn@example.org", world.saarn)
    sets = AvailabilityChangeSet.objects.count()
    mails = len(queued_mails())
    # beta's version 2 exists (bookable at A1 and A3) but is not published; a recompute by hand finds nothing new
    from rollout.services import availability_recompute

    availability_recompute()
    assert AvailabilityChangeSet.objects.count() == sets
    assert len(queued_mails()) == mails
    # once it is published, its followers hear of it
    plan_version_publish(version=world.beta_unpublished, by=None)
    changeset = AvailabilityChangeSet.objects.order_by("-pk").first()
    assert changeset_notify(changeset=changeset) == 2
    texts = {m["to"][0]: m["text"] for m in queued_mails()[mails:]}
    assert "Beta Glasfaser: Stand geändert" in texts["a1@example.org"]
    assert "1 Adresse neu in den Plänen: Buchbar" in texts["saarn@example.org"]


def _notify_queries(changeset) -> int:
    """Queries of changeset_notify beyond the two each mail needs (its Delivery row and its job)."""
    changeset = AvailabilityChangeSet.objects.get(pk=changeset.pk)  # as the job reads it, nothing cached
    with CaptureQueriesContext(connection) as captured:
        sent = changeset_notify(changeset=changeset)
    assert sent
    return len(captured) - 2 * sent


def test_working_out_the_mails_takes_the_same_queries_for_one_follower_or_many(world):
    _subscribe("one@example.org", world.a1)
    _subscribe("district@example.org", world.heissen)
    alpha_moves_on(world)
    changeset = AvailabilityChangeSet.objects.order_by("-pk").first()
    few = _notify_queries(changeset)
    Delivery.objects.filter(changeset=changeset).delete()
    for i in range(10):
        _subscribe(f"more{i}@example.org", world.a2)
        _subscribe(f"district{i}@example.org", world.borough)
    assert _notify_queries(changeset) == few
