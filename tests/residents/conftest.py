"""A small city for the residents' tests: two Stadtbezirke with a Stadtteil each, three addresses, two providers.

Quarters and addresses (EPSG:25832):
    Heißen (Stadtteil of Rechtsruhr-Süd)   A1 Schloßstraße 1   350100/5700100
                                           A2 Gartenweg 2      350500/5700500
    Saarn (Stadtteil of Linksruhr)         A3 Düsseldorfer Straße 3   346500/5696500
alpha (a hostile name) v1, published: planned at A1, A2, expected Q3/2027
beta v1, published: under construction at A1
beta v2, NOT published: bookable at A1 and A3 — must never reach a page, feed or mail
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.contrib.gis.geos import Point
from django.core.cache import caches
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from layers.models import Address, District
from rollout.models import PlanVersion, Provider
from rollout.services import availability_recompute, plan_version_publish
from tests.factories import (
    AddressFactory,
    CityFactory,
    DistrictFactory,
    PlanAreaFactory,
    PlanVersionFactory,
    ProviderFactory,
    square,
)

HOSTILE = 'Alpha <script>alert("x")</script> & Söhne'
TOKEN = r"([A-Za-z0-9_-]{43})"


@dataclass
class World:
    a1: Address
    a2: Address
    a3: Address
    heissen: District
    borough: District
    saarn: District
    alpha: Provider
    beta: Provider
    beta_unpublished: PlanVersion


def world_build() -> World:
    city = CityFactory()
    borough = DistrictFactory(name="Rechtsruhr-Süd", level=District.Level.BOROUGH, parent=city)
    heissen = DistrictFactory(name="Heißen", parent=borough, geom=square(349000, 5699000, 351000, 5701000))
    linksruhr = DistrictFactory(name="Linksruhr", level=District.Level.BOROUGH, parent=city)
    saarn = DistrictFactory(name="Saarn", parent=linksruhr, geom=square(346000, 5696000, 347000, 5697000))
    a1 = AddressFactory(
        street="Schloßstraße", house_number=1, district=heissen, geom=Point(350100, 5700100, srid=25832)
    )
    a2 = AddressFactory(street="Gartenweg", house_number=2, district=heissen, geom=Point(350500, 5700500, srid=25832))
    a3 = AddressFactory(
        street="Düsseldorfer Straße",
        house_number=3,
        postcode="45481",
        district=saarn,
        geom=Point(346500, 5696500, srid=25832),
    )
    alpha, beta = ProviderFactory(name=HOSTILE, slug="alpha"), ProviderFactory(name="Beta Glasfaser", slug="beta")
    past = timezone.now() - timedelta(days=3)
    alpha_v1 = PlanVersionFactory(provider=alpha, number=1, accepted_at=past, published_at=past)
    PlanAreaFactory(
        version=alpha_v1,
        key="AL1",
        geom=square(350000, 5700000, 351000, 5701000),
        stage="planned",
        expected_date=date(2027, 7, 1),
        expected_precision="quarter",
    )
    beta_v1 = PlanVersionFactory(provider=beta, number=1, accepted_at=past, published_at=past)
    PlanAreaFactory(version=beta_v1, key="BE1", geom=square(350000, 5700000, 350200, 5700200))
    beta_v2 = PlanVersionFactory(provider=beta, number=2, accepted_at=timezone.now())
    PlanAreaFactory(version=beta_v2, key="BE1", geom=square(350000, 5700000, 350200, 5700200), stage="bookable")
    PlanAreaFactory(version=beta_v2, key="BE2", geom=square(346000, 5696000, 347000, 5697000), stage="bookable")
    availability_recompute()
    return World(a1, a2, a3, heissen, borough, saarn, alpha, beta, beta_v2)


@pytest.fixture
def world(db) -> World:
    return world_build()


def alpha_moves_on(world: World) -> PlanVersion:
    """alpha v2, published: under construction at A1 and A2, expected Q1/2028 (a change set of two changes)."""
    v2 = PlanVersionFactory(provider=world.alpha, number=2, accepted_at=timezone.now())
    PlanAreaFactory(
        version=v2,
        key="AL1",
        geom=square(350000, 5700000, 351000, 5701000),
        stage="under_construction",
        expected_date=date(2028, 1, 1),
        expected_precision="quarter",
    )
    return plan_version_publish(version=v2, by=None)


@pytest.fixture(autouse=True)
def _own_rate_limits(settings):
    """Rate limits counted in this test's own memory, not in the shared file cache of other runs."""
    settings.CACHES = {
        **settings.CACHES,
        "shared": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "residents-tests"},
    }
    caches["shared"].clear()


def queued_mails() -> list[dict]:
    """The mails waiting in the task queue (their jobs' arguments), oldest first."""
    jobs = ProcrastinateJob.objects.filter(task_name="geoportal.mail_send").order_by("id")
    return [job.args for job in jobs]


def link_token(text: str, path: str) -> str:
    """The secret in the first link to ``path`` (e.g. "/abo/bestaetigen/") in a mail's text."""
    match = re.search(re.escape(path) + TOKEN + "/", text)
    assert match, f"no link to {path} in:\n{text}"
    return match.group(1)
