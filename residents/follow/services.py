"""Writes of following: ask to follow (double opt-in), confirm, unsubscribe, notify, prune.

Asking again for the same e-mail address and target never makes a second subscription and answers the same
whatever the state, so the form tells nobody whether an address is subscribed: an unconfirmed subscription
gets a fresh confirmation mail, a confirmed one a note that nothing is needed (both with an unsubscribe link).
To keep the form from being used to flood a mailbox, one subscription gets at most CONFIRMATIONS_PER_DAY such
mails a day (on top of the per-client rate limit of the form).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from geoportal.errors import InvalidInputError
from layers.models import Address, District
from residents.follow import mails, selectors
from residents.models import Delivery, Subscription
from residents.targets import district_slugs
from residents.tokens import token_new
from rollout.models import AvailabilityChangeSet

logger = logging.getLogger(__name__)

# An unconfirmed subscription is deleted this many days after it was last asked for.
UNCONFIRMED_KEEP_DAYS = 3
CONFIRMATIONS_PER_DAY = 3


def _delivery(*, subscription: Subscription, kind: str, changeset: AvailabilityChangeSet | None = None) -> str:
    """Record a mail to the subscription; returns the unsubscribe secret that mail carries."""
    token, hashed = token_new()
    Delivery.objects.create(
        subscription=subscription, kind=kind, changeset=changeset, created_at=timezone.now(), unsubscribe_hash=hashed
    )
    return token


def _target_filter(target: Address | District) -> dict:
    if isinstance(target, Address):
        return {"address": target, "district": None}
    if isinstance(target, District):
        return {"address": None, "district": target}
    raise InvalidInputError("one can follow an address or a district", where="target")


@transaction.atomic
def subscription_request(*, email: str, target: Address | District, language: str) -> Subscription:
    """Ask to follow ``target``: make or refresh the subscription and queue its confirmation mail."""
    email = email.strip().lower()
    now = timezone.now()
    where = _target_filter(target)
    subscription = Subscription.objects.select_for_update().filter(email=email, **where).first()
    if subscription is None:
        try:
            with transaction.atomic():
                subscription = Subscription.objects.create(email=email, language=language, created_at=now, **where)
        except IntegrityError:
            # The same request a moment earlier (a double click) made it: carry on with that one.
            subscription = Subscription.objects.select_for_update().get(email=email, **where)
    recent = subscription.deliveries.filter(kind=Delivery.Kind.CONFIRMATION, created_at__gte=now - timedelta(days=1))
    if recent.count() >= CONFIRMATIONS_PER_DAY:
        logger.info("subscription %s: confirmation not sent again today", subscription.pk)
        return subscription
    subscription.language = language
    confirm_token = None
    if subscription.confirmed_at is None:
        # A fresh secret (the older mail's link stops working) and a fresh period to confirm in.
        confirm_token, subscription.confirm_hash = token_new()
        subscription.created_at = now
    subscription.save(update_fields=["language", "confirm_hash", "created_at"])
    unsubscribe_token = _delivery(subscription=subscription, kind=Delivery.Kind.CONFIRMATION)
    mails.confirmation_send(
        subscription=subscription,
        confirm_token=confirm_token,
        unsubscribe_token=unsubscribe_token,
        already=subscription.confirmed_at is not None,
    )
    return subscription


@transaction.atomic
def subscription_confirm(*, token: str) -> Subscription:
    """Confirm the subscription whose confirmation mail carried ``token`` (again: nothing changes)."""
    subscription = selectors.subscription_by_confirm_token(token=token)
    if subscription.confirmed_at is None:
        subscription.confirmed_at = timezone.now()
        subscription.save(update_fields=["confirmed_at"])
    return subscription


@transaction.atomic
def subscription_cancel(*, token: str) -> Subscription:
    """Unsubscribe: delete the subscription one of whose mails carried ``token``, with the record of its mails.

    Returns the deleted subscription (its target still readable) for the page that says what ended.
    """
    subscription = selectors.subscription_by_unsubscribe_token(token=token)
    pk = subscription.pk
    subscription.delete()
    subscription.pk = pk
    return subscription


@transaction.atomic
def subscriptions_prune(*, now=None) -> int:
    """Delete subscriptions not confirmed within UNCONFIRMED_KEEP_DAYS; returns how many."""
    now = now or timezone.now()
    stale = Subscription.objects.filter(
        confirmed_at__isnull=True, created_at__lt=now - timedelta(days=UNCONFIRMED_KEEP_DAYS)
    )
    deleted, by_model = stale.delete()
    return by_model.get(Subscription._meta.label, 0)


def changeset_deliver(*, changeset: AvailabilityChangeSet) -> int:
    """Queue one mail per confirmed subscription the change set concerns and has not reached; returns how many.

    Runs inside rollout.tasks.changeset_announce's transaction, which has locked the change set: the Delivery
    rows (unique per subscription and change set) and the mail jobs commit together with its ``announced_at``.
    What the mails say is read in three queries per change set, not per subscriber: the changes at the
    subscribed addresses, and one summary per subscribed district.
    """
    recipients = selectors.changeset_recipients(changeset=changeset)
    if not recipients:
        return 0
    address_ids = {s.address_id for s in recipients if s.address_id}
    district_ids = {s.district_id for s in recipients if s.district_id}
    changes = selectors.changes_at_addresses(changesets=[changeset.pk], address_ids=address_ids)
    summaries = selectors.district_summaries(changesets=[changeset.pk], district_ids=district_ids)
    published_at = selectors.changeset_published_at(changeset)
    slugs = district_slugs() if district_ids else {}
    sent = 0
    for subscription in recipients:
        if subscription.district_id:
            subscription.district.known_slug = slugs[subscription.district_id]
        if subscription.address_id:
            content = {"changes": changes.get((changeset.pk, subscription.address_id))}
        else:
            content = {"summary": summaries.get((changeset.pk, subscription.district_id))}
        if not any(content.values()):
            continue
        token = _delivery(subscription=subscription, kind=Delivery.Kind.NOTIFICATION, changeset=changeset)
        mails.notification_send(
            subscription=subscription, unsubscribe_token=token, published_at=published_at, **content
        )
        sent += 1
    logger.info("change set %s: %s notifications queued", changeset.pk, sent)
    return sent
