"""residents.maps: the map component's contract, its colours' contrast, hostile provider names, bad input."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from geoportal.errors import InvalidInputError
from layers import services
from residents.maps import BACKGROUND, STAGE_COLOURS, portal_map
from rollout.services import availability_recompute
from rollout.stages import Stage
from tests.factories import AddressFactory, CityFactory, PlanAreaFactory, PlanVersionFactory, ProviderFactory

pytestmark = pytest.mark.django_db


def _luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_every_stage_has_a_colour_of_at_least_3_to_1_against_the_map_and_white():
    assert set(STAGE_COLOURS) == set(Stage.values)
    for stage, colour in STAGE_COLOURS.items():
        assert contrast(colour, "#ffffff") >= 3, stage
        assert contrast(colour, BACKGROUND) >= 3, stage
    assert len(set(STAGE_COLOURS.values())) == len(STAGE_COLOURS)


@pytest.fixture
def published(db):
    CityFactory()
    services.layer_catalogue_load(path=services.REPO / "data" / "layers.json")
    now = timezone.now()
    provider = ProviderFactory(name='Netz <script>alert("x")</script> & Co', slug="netz", colour="#123456")
    version = PlanVersionFactory(
        provider=provider, number=1, accepted_at=now - timedelta(days=2), published_at=now - timedelta(days=1)
    )
    area = PlanAreaFactory(version=version, geom=None, stage="bookable")
    address = AddressFactory()
    area.addresses.set([address])
    availability_recompute()
    return address


def test_the_legend_counts_each_stage_and_provider(published):
    context = portal_map()

    counts = {s["code"]: s["count"] for s in context["stages"]}
    assert counts["bookable"] == 1
    assert counts["planned"] == 0
    assert [s["code"] for s in context["stages"]][-1] == "cancelled"  # the lowest rank, last
    assert context["providers"] == [
        {"slug": "netz", "name": 'Netz <script>alert("x")</script> & Co', "colour": "#123456", "count": 1}
    ]
    assert json.loads(context["attributes"]["providers"])[0]["slug"] == "netz"


def test_hostile_provider_names_stay_text_in_the_snippet(published):
    html = render_to_string("residents/_portal_map.html", {"map": portal_map()})

    assert "<script>alert" not in html
    assert "Netz &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in html
    # and in the data attribute the script reads (JSON, then HTML-escaped by the template)
    assert "Netz &lt;script&gt;alert(\\&quot;x\\&quot;)&lt;/script&gt; &amp; Co" in html


def test_an_address_map_is_centred_and_rings_the_address(published):
    context = portal_map(center=(6.88, 51.43), zoom=16, highlight_address_id=published.pk, layers=("status", "areas"))

    attributes = context["attributes"]
    assert (attributes["center"], attributes["zoom"], attributes["highlight"]) == (
        "6.880000,51.430000",
        "16",
        str(published.pk),
    )
    assert context["layers"] == ("context", "status", "areas")
    assert context["providers"] == []
    assert "schulen" not in attributes["attribution"].lower()


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"layers": ("status", "satellite")}, "unknown map layer(s) satellite"),
        ({"center": (6.88, 51.43)}, "center and zoom together"),
        ({"zoom": 12}, "center and zoom together"),
    ],
)
def test_bad_map_options_are_named(published, kwargs, says):
    with pytest.raises(InvalidInputError, match=re.escape(says)):
        portal_map(**kwargs)
