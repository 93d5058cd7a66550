"""Deterministic demo data for the city: districts, streets, addresses, facilities, providers and their plans.

No open data holds Mülheim's district polygons, addresses or facilities, so
the portal generates plausible, clearly labelled (``is_demo=True``) stand-ins
inside the real city boundary. The same seed always yields the same data:
every random draw comes from a numpy Generator seeded per step, and nothing
iterates over hash-ordered collections.

A package rather than one ``demo.py`` module because the parts (districts,
streets, addresses, facilities, providers, plans) are each a concern of their own.
The providers' plans go through the rollout services (see layers.demo.plans);
their dates are relative to the day of generation. The real schools get demo connections and measurements
(schools.demo), which load_city also adds when it loads the schools after the demo data.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import shapely
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from coordination.demo import demo_roadworks_create, demo_roadworks_delete
from geoportal.errors import GeoportalError, InvalidInputError, NotFoundError
from layers.demo.addresses import Houses, addresses_assign_districts, houses_copy, houses_place
from layers.demo.districts import BOROUGHS, QUARTERS, districts_create, quarter_shapes
from layers.demo.facilities import facilities_create
from layers.demo.plans import demo_plans_create
from layers.demo.providers import demo_providers_create
from layers.demo.streets import street_name_pool, street_network, streets_copy
from layers.importers.streets import streets_assign_districts
from layers.models import Address, District, Facility, Street
from rollout.models import Availability, PlanSubmission, PlanVersion, Provider
from schools.demo import school_demo_delete, school_demo_generate

__all__ = ["DemoDataExists", "DemoReport", "demo_delete", "demo_generate", "demo_providers_create"]

logger = logging.getLogger(__name__)

HOMES_PER_ADDRESS = 90_000 / 35_000  # the city's dwellings per address, roughly
MIN_ADDRESSES = 500  # below this some Stadtteile would get no address at all


class DemoDataExists(GeoportalError, RuntimeError):
    """Demo data is present and the caller did not ask to replace it."""

    status = 409
    code = "Conflict"


@dataclass(frozen=True)
class DemoReport:
    seed: int
    districts: int
    streets: int
    addresses: int
    homes: int
    facilities: int
    providers: int
    seconds: float
    plan_versions: int = 0
    plan_areas: int = 0
    availability: int = 0
    roadworks: int = 0


def demo_exists() -> bool:
    return any(m.objects.filter(is_demo=True).exists() for m in (District, Address, Street, Facility, Provider))


@transaction.atomic
def demo_delete() -> int:
    """Delete every demo record (never a non-demo one); returns the number of rows deleted."""
    # The schools' demo connections refer to demo providers: first.
    deleted = school_demo_delete()
    deleted += _demo_plans_delete(Provider.objects.filter(is_demo=True))
    deleted += Address.objects.filter(is_demo=True).delete()[0]
    deleted += Street.objects.filter(is_demo=True).delete()[0]
    deleted += Facility.objects.filter(is_demo=True).delete()[0]
    deleted += Provider.objects.filter(is_demo=True).delete()[0]
    # Parents are protected: remove the lowest level first.
    for level in (District.Level.STATISTICAL, District.Level.QUARTER, District.Level.BOROUGH):
        deleted += District.objects.filter(is_demo=True, level=level).delete()[0]
    deleted += demo_roadworks_delete()
    return deleted


def _demo_plans_delete(providers: QuerySet[Provider]) -> int:
    """The demo providers' availability, versions (with areas) and submissions, whose links protect the providers.

    Availability of other providers stays valid: it never depends on another provider's plan.
    The submitted files are removed once the deletion is committed.
    """
    deleted = Availability.objects.filter(provider__in=providers).delete()[0]
    deleted += PlanVersion.objects.filter(provider__in=providers).delete()[0]
    submissions = PlanSubmission.objects.filter(provider__in=providers)
    files = [name for name in submissions.exclude(file="").values_list("file", flat=True)]
    deleted += submissions.delete()[0]
    storage = PlanSubmission._meta.get_field("file").storage
    transaction.on_commit(lambda: [storage.delete(name) for name in files])
    return deleted


def _split(total: int, weights: np.ndarray) -> np.ndarray:
    """``total`` split in proportion to ``weights`` into integers that add up exactly (largest remainder)."""
    exact = total * weights / weights.sum()
    parts = np.floor(exact).astype(int)
    # Ties broken by position (stable sort), so the split is deterministic.
    parts[np.argsort(-(exact - parts), kind="stable")[: total - parts.sum()]] += 1
    return parts


def _city_shape() -> tuple[District, shapely.Geometry]:
    city = District.objects.filter(level=District.Level.CITY, code=settings.CITY_AGS).first()
    if city is None:
        raise NotFoundError(f"no city boundary with code {settings.CITY_AGS}: run load_city first")
    return city, shapely.from_wkb(bytes(city.geom.wkb))


def _addresses_generate(
    *, shapes: dict[str, shapely.Geometry], total: int, seed: int, progress: Callable[[str], None]
) -> tuple[dict[str, Houses], int]:
    """Streets and addresses for every Stadtteil, written as they are made; returns the addresses and the number
    of streets (every street of the network, also those without a house: lanes along fields and parks)."""
    pool = street_name_pool()
    urbanity = np.array([q.urbanity for q in QUARTERS])
    counts = _split(total, np.array([shapes[q.key].area * q.density for q in QUARTERS]))
    # Inner-city quarters have more flats per address than the suburbs.
    homes = _split(round(total * HOMES_PER_ADDRESS), counts * (0.6 + 0.8 * urbanity))
    made, streets = {}, 0
    for i, quarter in enumerate(QUARTERS):
        # One generator per Stadtteil, seeded from (seed, position): a change in one quarter leaves the others be.
        rng = np.random.default_rng([seed, i])
        plot = 14.0 + 8.0 * (1.0 - quarter.urbanity)  # metres of frontage per house
        network = street_network(shapes[quarter.key], length_needed=counts[i] * 1.25 * plot / 2, names=pool, rng=rng)
        houses = houses_place(
            shape=shapes[quarter.key],
            streets=network,
            n=int(counts[i]),
            homes_total=int(homes[i]),
            urbanity=quarter.urbanity,
            rng=rng,
        )
        houses_copy(houses, postcode=quarter.postcode)
        streets += streets_copy(network, postcode=quarter.postcode)
        made[quarter.key] = houses
        progress(f"  {quarter.name}: {len(network)} streets, {len(houses)} addresses, {int(homes[i])} homes")
    return made, streets


def demo_generate(
    *, seed: int = 1, addresses: int = 35_000, replace: bool = False, progress: Callable[[str], None] | None = None
) -> DemoReport:
    """Generate the whole demo data set in one transaction; ``replace`` first removes earlier demo data."""
    if addresses < MIN_ADDRESSES:
        raise InvalidInputError(f"at least {MIN_ADDRESSES} addresses are needed, not {addresses}", where="addresses")
    progress = progress or (lambda message: logger.info("%s", message))
    started = time.monotonic()
    with transaction.atomic():
        if demo_exists():
            if not replace:
                raise DemoDataExists("demo data exists already; replace it explicitly (--replace)")
            progress(f"deleted {demo_delete()} demo records")
        city, city_shape = _city_shape()
        shapes = quarter_shapes(city_shape)
        quarters = districts_create(city=city, shapes=shapes)
        progress(f"districts: {len(BOROUGHS)} Stadtbezirke, {len(quarters)} Stadtteile")
        houses, streets = _addresses_generate(shapes=shapes, total=addresses, seed=seed, progress=progress)
        assigned = addresses_assign_districts()
        streets_assign_districts()
        if assigned != addresses:
            raise GeoportalError(f"only {assigned} of {addresses} demo addresses lie inside a demo Stadtteil")
        facilities = facilities_create(
            houses=houses,
            postcodes={q.key: q.postcode for q in QUARTERS},
            city=city.name,
            rng=np.random.default_rng([seed, len(QUARTERS)]),
        )
        providers = demo_providers_create()
        plans = demo_plans_create(providers=providers, shapes=shapes, houses=houses, seed=seed)
        progress(
            f"plans: {plans.versions} versions ({plans.published} published), {plans.areas} areas, "
            f"availability for {plans.availability} address/provider pairs"
        )
        # The real schools (loaded by load_city, before or after this) get demo connections and measurements.
        school_demo_generate(seed=seed, progress=progress)
        # Placed against the plans (coordination.demo): dig-once conflicts and chances to find.
        roadworks = demo_roadworks_create(today=timezone.localdate())
        progress(f"roadworks: {roadworks} demo works of the city and utilities")
    return DemoReport(
        seed=seed,
        districts=len(BOROUGHS) + len(quarters),
        streets=streets,
        addresses=addresses,
        homes=int(sum(int(h.homes.sum()) for h in houses.values())),
        facilities=len(facilities),
        providers=len(providers),
        plan_versions=plans.versions,
        plan_areas=plans.areas,
        availability=plans.availability,
        roadworks=roadworks,
        seconds=round(time.monotonic() - started, 1),
    )
