"""Reads of following: subscriptions by their links' secrets, who a change set concerns, what a feed shows.

Everything about changes reads rollout's change log (AvailabilityChange), which compares two states of the public
availability table: published data only, the same for everyone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.db import connection
from django.db.models import Q, QuerySet

from geoportal.errors import NotFoundError
from layers import selectors as layer_selectors
from layers.models import Address, District
from residents.models import Delivery, Subscription
from residents.tokens import token_hash_or_none
from rollout.models import AvailabilityChange, AvailabilityChangeSet

# A feed shows the newest this many change sets of its address or district.
FEED_ENTRIES = 20
# A district's summary names at most this many streets per provider, those with the most changed addresses.
EXAMPLE_STREETS = 5


def subscription_by_confirm_token(*, token: str) -> Subscription:
    """The subscription whose newest confirmation mail carried ``token``; NotFoundError otherwise."""
    hashed = token_hash_or_none(token)
    subscription = (
        Subscription.objects.select_related("address", "district").filter(confirm_hash=hashed).first()
        if hashed
        else None
    )
    if subscription is None:
        raise NotFoundError("no subscription for this link")
    return subscription


def subscription_by_unsubscribe_token(*, token: str) -> Subscription:
    """The subscription one of whose mails carried ``token`` as its unsubscribe secret; NotFoundError otherwise."""
    hashed = token_hash_or_none(token)
    delivery = (
        Delivery.objects.select_related("subscription__address", "subscription__district")
        .filter(unsubscribe_hash=hashed)
        .first()
        if hashed
        else None
    )
    if delivery is None:
        raise NotFoundError("no subscription for this link")
    return delivery.subscription


def district_parents() -> dict[int, int | None]:
    """Every district's parent, by id (a few dozen rows): to go from an address's district up and down."""
    return dict(layer_selectors.districts_public().values_list("pk", "parent_id"))


def district_with_ancestors(parents: dict[int, int | None], district_id: int | None) -> list[int]:
    chain: list[int] = []
    while district_id is not None and district_id not in chain:
        chain.append(district_id)
        district_id = parents.get(district_id)
    return chain


def district_descendants(parents: dict[int, int | None], district_id: int) -> list[int]:
    """The district and every district below it (a Stadtbezirk's Stadtteile and their statistical districts)."""
    return [pk for pk in parents if district_id in district_with_ancestors(parents, pk)]


def changeset_recipients(*, changeset: AvailabilityChangeSet) -> list[Subscription]:
    """Confirmed subscriptions to an address or district the change set touches that have not had it yet.

    Three queries whatever the number of changes: the districts of the touched addresses, the parents of all
    districts, and the subscriptions.
    """
    touched = AvailabilityChange.objects.filter(changeset=changeset)
    leaf_districts = set(
        Address.objects.filter(pk__in=touched.values("address_id"))
        .exclude(district__isnull=True)
        .order_by()
        .values_list("district_id", flat=True)
        .distinct()
    )
    parents = district_parents()
    districts = {pk for leaf in leaf_districts for pk in district_with_ancestors(parents, leaf)}
    already = Delivery.objects.filter(changeset=changeset).values("subscription_id")
    concerned = Q(address_id__in=touched.values("address_id")) | Q(district_id__in=districts)
    return list(
        Subscription.objects.filter(concerned, confirmed_at__isnull=False)
        .exclude(pk__in=already)
        .select_related("address", "district")
        .order_by("pk")
    )


def changes_at_addresses(
    *, changesets: Iterable[int], address_ids: Iterable[int]
) -> dict[tuple[int, int], list[AvailabilityChange]]:
    """The changes of the change sets at the addresses, by (change set, address), providers by name."""
    changes = (
        AvailabilityChange.objects.filter(changeset_id__in=list(changesets), address_id__in=list(address_ids))
        .select_related("provider")
        .order_by("provider__name", "pk")
    )
    found: dict[tuple[int, int], list[AvailabilityChange]] = defaultdict(list)
    for change in changes:
        found[(change.changeset_id, change.address_id)].append(change)
    return found


_SUMMARY_SQL = """
    SELECT c.changeset_id, a.district_id, p.name, c.kind, c.new_stage, c.old_stage <> c.new_stage,
           count(*), sum(a.homes),
           count(*) FILTER (WHERE c.new_expected_date > c.old_expected_date),
           count(*) FILTER (WHERE c.new_expected_date < c.old_expected_date)
    FROM rollout_availabilitychange c
    JOIN layers_address a ON a.id = c.address_id
    JOIN rollout_provider p ON p.id = c.provider_id
    WHERE c.changeset_id = ANY(%s) AND a.district_id = ANY(%s)
    GROUP BY 1, 2, 3, 4, 5, 6
"""
_STREETS_SQL = """
    SELECT changeset_id, district_id, name, street, addresses FROM (
        SELECT c.changeset_id, a.district_id, p.name, a.street, count(*) AS addresses,
               row_number() OVER (PARTITION BY c.changeset_id, a.district_id, p.name
                                  ORDER BY count(*) DESC, a.street) AS rank
        FROM rollout_availabilitychange c
        JOIN layers_address a ON a.id = c.address_id
        JOIN rollout_provider p ON p.id = c.provider_id
        WHERE c.changeset_id = ANY(%s) AND a.district_id = ANY(%s)
        GROUP BY 1, 2, 3, 4
    ) ranked WHERE rank <= %s
"""


def district_summaries(*, changesets: Iterable[int], district_ids: Iterable[int]) -> dict[tuple[int, int], dict]:
    """Per (change set, district): per provider, how many addresses changed how, and the streets most concerned.

    A summary row: ``{"provider", "kind", "stage", "stage_moved", "addresses", "homes", "later", "earlier"}``;
    a district counts the addresses of every district below it. Two aggregate queries in PostgreSQL, whatever
    the number of changes (a first publication changes every address of the city).
    """
    changesets = list(changesets)
    parents = district_parents()
    roots_of_leaf: dict[int, list[int]] = defaultdict(list)
    for root in set(district_ids):
        for leaf in district_descendants(parents, root):
            roots_of_leaf[leaf].append(root)
    if not changesets or not roots_of_leaf:
        return {}
    leaves = list(roots_of_leaf)
    rows: dict[tuple[int, int], dict[tuple, dict]] = defaultdict(dict)
    streets: dict[tuple[int, int], dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    with connection.cursor() as cursor:
        cursor.execute(_SUMMARY_SQL, [changesets, leaves])
        for cs, leaf, provider, kind, stage, moved, addresses, homes, later, earlier in cursor.fetchall():
            for root in roots_of_leaf[leaf]:
                key = (provider, kind, stage, moved)
                row = rows[(cs, root)].setdefault(
                    key,
                    {"provider": provider, "kind": kind, "stage": stage, "stage_moved": moved, "addresses": 0}
                    | {"homes": 0, "later": 0, "earlier": 0},
                )
                row["addresses"] += addresses
                row["homes"] += homes or 0
                row["later"] += later
                row["earlier"] += earlier
        cursor.execute(_STREETS_SQL, [changesets, leaves, EXAMPLE_STREETS])
        for cs, leaf, provider, street, addresses in cursor.fetchall():
            for root in roots_of_leaf[leaf]:
                by_street = streets[(cs, root)][provider]
                by_street[street] = by_street.get(street, 0) + addresses
    summaries = {}
    for key, by_kind in rows.items():
        examples = {
            provider: sorted(by_street, key=lambda s, counts=by_street: (-counts[s], s))[:EXAMPLE_STREETS]
            for provider, by_street in streets[key].items()
        }
        summaries[key] = {"rows": list(by_kind.values()), "streets": examples}
    return summaries


def changeset_published_at(changeset: AvailabilityChangeSet) -> datetime:
    """When the change became public: its version's publication, else (a recompute by hand) its own time."""
    version = changeset.version
    return version.published_at if version is not None and version.published_at else changeset.created_at


def address_feed_entries(*, address: Address, limit: int = FEED_ENTRIES) -> list[dict]:
    """The newest change sets at the address: ``{"changeset", "published_at", "changes"}``, newest first."""
    changeset_ids = list(
        AvailabilityChange.objects.filter(address=address)
        .order_by("-changeset_id")
        .values_list("changeset_id", flat=True)
        .distinct()[:limit]
    )
    changesets = _changesets(changeset_ids)
    changes = changes_at_addresses(changesets=changeset_ids, address_ids=[address.pk])
    return [
        {"changeset": cs, "published_at": changeset_published_at(cs), "changes": changes[(cs.pk, address.pk)]}
        for cs in changesets
    ]


def district_feed_entries(*, district: District, limit: int = FEED_ENTRIES) -> list[dict]:
    """The newest change sets in the district: ``{"changeset", "published_at", "summary"}``, newest first."""
    leaves = district_descendants(district_parents(), district.pk)
    changeset_ids = list(
        AvailabilityChange.objects.filter(address__district_id__in=leaves)
        .order_by("-changeset_id")
        .values_list("changeset_id", flat=True)
        .distinct()[:limit]
    )
    changesets = _changesets(changeset_ids)
    summaries = district_summaries(changesets=changeset_ids, district_ids=[district.pk])
    return [
        {"changeset": cs, "published_at": changeset_published_at(cs), "summary": summaries.get((cs.pk, district.pk))}
        for cs in changesets
    ]


def _changesets(ids: list[int]) -> list[AvailabilityChangeSet]:
    changesets = AvailabilityChangeSet.objects.filter(pk__in=ids).select_related("version__provider")
    return sorted(changesets, key=lambda cs: -cs.pk)


def subscriptions_of_target(*, target: Address | District) -> QuerySet[Subscription]:
    """Subscriptions to one address or district (for the admin and tests; never shown to the public)."""
    if isinstance(target, Address):
        return Subscription.objects.filter(address=target)
    return Subscription.objects.filter(district=target)
