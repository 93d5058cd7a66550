"""Template filters of the school pages: labels of statuses, classes, technologies, offers and bandwidths."""

from __future__ import annotations

from datetime import date

from django import template
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from rollout.presentation import expected_label, stage_label, technology_label
from schools.vocabulary import BenchmarkBasis, BenchmarkClass, ConnectionStatus, ConnectionTechnology, Funding

register = template.Library()


def _choice(choices, value) -> str:
    return str(choices(value).label) if value in choices.values else (value or "")


@register.filter
def status_label(value: str) -> str:
    """The status in words; '' (no record yet) says so."""
    return _choice(ConnectionStatus, value) if value else _("not recorded yet")


@register.filter
def status_detail(school) -> str:
    """The status with its date: "Connected to fibre on 2 March 2025", "Fibre planned (expected Q3/2027)"."""
    status = getattr(school, "status", "")
    label = status_label(status)
    if status == ConnectionStatus.CONNECTED and getattr(school, "connected_date", None):
        return _("%(status)s on %(date)s") % {"status": label, "date": date_format(school.connected_date)}
    if status in (ConnectionStatus.PLANNED, ConnectionStatus.UNDER_CONSTRUCTION) and school.planned_date:
        return _("%(status)s (expected %(date)s)") % {"status": label, "date": quarter(school.planned_date)}
    return label


@register.filter
def quarter(value: date | None) -> str:
    """A quarter's first day as "Q3/2027", another day as a date."""
    return expected_label(value.isoformat()) if value else ""


@register.filter
def class_label(value: str) -> str:
    return _choice(BenchmarkClass, value)


@register.filter
def basis_label(value: str) -> str:
    return _choice(BenchmarkBasis, value)


@register.filter
def line_label(value: str) -> str:
    return _choice(ConnectionTechnology, value)


@register.filter
def funding_label(value: str) -> str:
    return _choice(Funding, value)


@register.filter
def stage(value: str) -> str:
    return stage_label(value)


@register.filter
def technology(value: str) -> str:
    return technology_label(value)


@register.filter
def mbits(value) -> str:
    """A bandwidth in Mbit/s, whole numbers, grouped ("1.000 Mbit/s"); "—" for none."""
    if value is None or value == "":
        return "—"
    return _("%(value)s Mbit/s") % {"value": number_format(round(float(value)), 0, force_grouping=True)}


@register.filter
def offer_label(offer: dict | None) -> str:
    """The best published offer at a school as one line: technology, stage, speed, provider, date."""
    if not offer:
        return _("no published plan")
    parts = [technology_label(offer.get("technology")), stage_label(offer.get("stage"))]
    if offer.get("max_down_mbits"):
        parts.append(_("up to %(value)s") % {"value": mbits(offer["max_down_mbits"])})
    if offer.get("expected_date") and offer.get("stage") not in ("bookable", "homes_connected", "homes_passed"):
        parts.append(expected_label(offer["expected_date"], offer.get("expected_precision") or None))
    if offer.get("provider"):
        parts.append(offer["provider"])
    return ", ".join(part for part in parts if part)


@register.inclusion_tag("schools/_benchmark.html")
def benchmark_rule() -> dict:
    """The benchmark rule in words, with the settings in force (schools/benchmark.py)."""
    from django.conf import settings

    return {
        "per_pupil": number_format(settings.SCHOOL_BENCHMARK_MBITS_PER_PUPIL, decimal_pos=None),
        "default_mbits": settings.SCHOOL_BENCHMARK_DEFAULT_MBITS,
        "share": round(settings.SCHOOL_BENCHMARK_MODERATE_SHARE * 100),
        "window": settings.SCHOOL_MEASUREMENT_WINDOW_DAYS,
    }


@register.filter
def date_quarter(iso: str | None, precision: str | None = None) -> str:
    """An offer's expected date (ISO text) as providers write it: "Q3/2028", else the date."""
    return expected_label(iso, precision or None) if iso else ""
