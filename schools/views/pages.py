"""Public pages of school connectivity: the list, the map with its time player, a page per school.

Views parse, call selectors and render. Every page is public and shows published rollout data only
(schools.selectors read rollout.selectors for the anonymous user, whoever is signed in).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from geoportal.errorpages import with_error_pages
from layers import selectors as layer_selectors
from layers.models import District
from rollout.roles import is_planner
from schools import selectors
from schools.charts import DayPoint, measurement_chart
from schools.forms import NOT_RECORDED, SORTS, SchoolFilterForm
from schools.selectors.measurements import CHART_DAYS
from schools.vocabulary import BenchmarkClass, ConnectionStatus

# Catalogue entries whose data the school pages show, for their attribution.
LAYERS = ["schulen", "schulanbindung", "stadtgrenze"]


def _districts() -> list[District]:
    return [
        *layer_selectors.district_list(level=District.Level.BOROUGH),
        *layer_selectors.district_list(level=District.Level.QUARTER),
    ]


def _columns(request: HttpRequest, current: str) -> list[dict]:
    """The list's sortable column headers: each links to the list sorted by it (again: the other way round)."""
    columns = []
    for key, (label, _fields) in SORTS.items():
        ascending = current == key
        descending = current == f"-{key}"
        query = request.GET.copy()
        query["sortierung"] = f"-{key}" if ascending else key
        columns.append(
            {
                "key": key,
                "label": label,
                "url": "?" + query.urlencode(),
                "sort": "ascending" if ascending else "descending" if descending else "",
            }
        )
    return columns


@require_GET
@with_error_pages
def school_list_page(request: HttpRequest) -> HttpResponse:
    """All schools with their connection, sortable and filterable by type, district, status and rating."""
    districts = _districts()
    form = SchoolFilterForm(request.GET or None, types=selectors.school_types(), districts=districts)
    status = 200
    filters = {}
    if form.is_bound and not form.is_valid():
        status = 400
    elif form.is_bound:
        data = form.cleaned_data
        chosen = data.get("status") or None
        filters = {
            "school_type": data.get("schulform") or "",
            "district": next((d for d in districts if str(d.pk) == data.get("bezirk")), None),
            "status": "" if chosen == NOT_RECORDED else chosen,
            "rating": data.get("bewertung") or "",
        }
    key, ordering = form.ordering() if status == 200 else ("name", ["name"])
    schools = list(selectors.schools_filtered(**filters).order_by(*ordering))
    context = {
        "form": form,
        "schools": schools,
        "counts": _counts(schools),
        "columns": _columns(request, key),
        "filtered": bool(filters and any(v for v in filters.values() if v is not None)),
        "layers": layer_selectors.layer_list(slugs=LAYERS),
    }
    return render(request, "schools/list.html", context, status=status)


def _counts(schools: list) -> dict:
    """Figures over the listed schools (already computed: no further query)."""
    by_status = dict.fromkeys(["", *ConnectionStatus.values], 0)
    by_class = dict.fromkeys(BenchmarkClass.values, 0)
    for school in schools:
        by_status[school.status] += 1
        by_class[school.benchmark_class] += 1
    return {
        "total": len(schools),
        "connected": by_status[ConnectionStatus.CONNECTED],
        "on_the_way": by_status[ConnectionStatus.PLANNED] + by_status[ConnectionStatus.UNDER_CONSTRUCTION],
        "attention": sum(1 for school in schools if school.needs_attention),
        "classes": [(value, label, by_class[value]) for value, label in BenchmarkClass.choices],
    }


@require_GET
def school_map_page(request: HttpRequest) -> HttpResponse:
    """The map of all schools by connection status, with a time player over the history."""
    today = timezone.localdate()
    schools = list(selectors.school_connectivity().order_by("name"))
    city = layer_selectors.district_city()
    context = {
        "schools": schools,
        "today": today,
        "timeline_url": reverse("schools:timeline"),
        "statuses": [{"value": v, "label": str(label)} for v, label in ConnectionStatus.choices],
        "labels": {
            "none": _("not recorded yet"),
            "status": _("Status on %(date)s"),
            "counts": _(
                "On %(date)s: %(connected)s connected to fibre, %(building)s under construction, "
                "%(planned)s planned, %(none)s not connected (of %(total)s schools)."
            ),  # fmt: skip
            "play": _("Play"),
            "pause": _("Pause"),
            "page": _("School page"),
        },
        "boundary": city.geojson if city is not None else "",
        "layers": layer_selectors.layer_list(slugs=LAYERS),
        # Short on the map (a phone's map would be covered by the full texts, which follow below it).
        "map_attribution": _("© GeoBasis-DE / BKG (2017); schools: MSB NRW, IT.NRW (dl-de/by-2-0); sources below"),
        "basemap": settings.BASEMAP_URL,
        "basemap_attribution": settings.BASEMAP_ATTRIBUTION,
        "basemap_max_zoom": settings.BASEMAP_MAX_ZOOM,
    }
    return render(request, "schools/map.html", context)


@require_GET
def school_timeline(request: HttpRequest) -> JsonResponse:
    """The time player's data: every school's position and changes of status (schools.selectors)."""
    data = selectors.schools_timeline()
    data["today"] = timezone.localdate().isoformat()
    return JsonResponse(data)


@require_GET
@with_error_pages
def school_page(request: HttpRequest, school_number: str) -> HttpResponse:
    """One school: its facts, connection, fibre at its address, benchmark, measurements and history."""
    school = selectors.school_get(school_number=school_number)
    row = selectors.school_connectivity_get(school=school)
    days = selectors.school_measurement_days(school=school)
    today = timezone.localdate()
    first = today - timedelta(days=CHART_DAYS - 1)
    chart = None
    if days:
        chart = measurement_chart(
            points=[DayPoint(d.period_start, d.down_median_mbits, d.up_median_mbits) for d in days],
            first=first,
            last=today,
            required=row.required_down_mbits,
            contracted=row.contracted_down_mbits,
            title=_("Measured bandwidth of %(name)s, last %(days)s days") % {"name": school.name, "days": CHART_DAYS},
        )
    planner = is_planner(request.user)
    context = {
        "school": row,
        "offers": selectors.school_offers(school=row),
        "address": layer_selectors.address_get(pk=row.matched_address_id) if row.matched_address_id else None,
        "history": list(selectors.school_history(school=school)),
        "days": days,
        "weeks": selectors.school_measurement_weeks(school=school),
        "chart": chart,
        "chart_days": CHART_DAYS,
        "planner": planner,
        "deliveries": selectors.school_measurement_deliveries(school=school) if planner else [],
        "settings": {
            "per_pupil": settings.SCHOOL_BENCHMARK_MBITS_PER_PUPIL,
            "default": settings.SCHOOL_BENCHMARK_DEFAULT_MBITS,
            "share": round(settings.SCHOOL_BENCHMARK_MODERATE_SHARE * 100),
            "window": settings.SCHOOL_MEASUREMENT_WINDOW_DAYS,
        },
        "list_url": reverse("schools:list") + "?" + urlencode({"bezirk": row.district_id}) if row.district_id else "",
        "layers": layer_selectors.layer_list(slugs=LAYERS),
    }
    return render(request, "schools/school.html", context)
