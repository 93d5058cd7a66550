"""Planners' roadworks pages: the list with the file import and the owners, an import's report, one work's page, and
the form that enters or changes a work (with its drawing map).

Views parse, call one selector or service with ``request.user`` and render (coordination/views/__init__.py says
who gets what).
"""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.middleware.csp import get_nonce
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from coordination import selectors, services
from coordination.forms import ImportForm, OwnerForm, RoadworksForm
from coordination.maps import match_legend, match_map
from coordination.matching import CHANCE, CONFLICT
from coordination.models import Roadworks, RoadworksImport
from coordination.presentation import match_row, sector_label
from geoportal.errorpages import with_error_pages
from geoportal.errors import InvalidInputError
from geoportal.webmaps import map_embed
from layers import selectors as layer_selectors
from rollout.forms import SizeLimitUploadHandler
from rollout.pipeline import city_boundary
from rollout.presentation import report_summary

WORKS_PER_PAGE = 100


def _nonce(request: HttpRequest) -> str:
    return str(get_nonce(request))


@login_required
@require_GET
@with_error_pages
def index(request: HttpRequest) -> HttpResponse:
    """The coordination start page: what there is (dig once today; the dashboard's other parts sit beside it)."""
    if not selectors.may_coordinate(request.user):
        selectors.providers_in_view(user=request.user)  # 404 for users without a role
        return redirect("coordination:matches")
    context = {
        "works_count": selectors.roadworks_visible(user=request.user).count(),
        "conflicts": len(selectors.matches_visible(user=request.user, kind=CONFLICT)),
        "chances": len(selectors.matches_visible(user=request.user, kind=CHANCE)),
        "match_settings": selectors.MatchSettings.default(),
    }
    return render(request, "coordination/index.html", context)


def _works_page(request: HttpRequest, *, import_form=None, owner_form=None, status: int = 200) -> HttpResponse:
    owners = selectors.owners_visible(user=request.user)
    works = selectors.roadworks_visible(user=request.user).order_by("-start_date", "title")
    page = Paginator(works, WORKS_PER_PAGE).get_page(request.GET.get("seite"))
    context = {
        "page": page,
        "rows": [{"works": w, "sector": sector_label(w.sector)} for w in page.object_list],
        "owners": owners,
        "imports": selectors.imports_recent(user=request.user),
        "import_form": import_form or ImportForm(owners=owners),
        "owner_form": owner_form or OwnerForm(),
        "today": timezone.localdate(),
    }
    return render(request, "coordination/roadworks.html", context, status=status)


@login_required
@require_GET
@with_error_pages
def roadworks_list(request: HttpRequest) -> HttpResponse:
    return _works_page(request)


@login_required
@require_POST
@with_error_pages
def owner_create(request: HttpRequest) -> HttpResponse:
    selectors.owners_visible(user=request.user)  # planners only (404)
    form = OwnerForm(request.POST)
    if not form.is_valid():
        return _works_page(request, owner_form=form, status=400)
    owner = services.works_owner_create(by=request.user, **form.cleaned_data)
    messages.success(request, _("Owner “%(name)s” added.") % {"name": owner.name})
    return redirect(reverse("coordination:roadworks") + "#import-heading")


# As rollout.views.upload: CSRF is checked after the size guard is in place (Django's documented pattern).
@csrf_exempt
@login_required
@require_POST
@with_error_pages
def roadworks_import(request: HttpRequest) -> HttpResponse:
    selectors.owners_visible(user=request.user)  # planners only (404), before anything is read
    guard = SizeLimitUploadHandler(request, limit=settings.PLAN_UPLOAD_MAX_BYTES)
    request.upload_handlers.insert(0, guard)
    return _import(request, guard)


@csrf_protect
def _import(request: HttpRequest, guard: SizeLimitUploadHandler) -> HttpResponse:
    owners = selectors.owners_visible(user=request.user)
    form = ImportForm(request.POST, request.FILES, owners=owners, too_large=guard.exceeded)
    if not form.is_valid():
        return _works_page(request, import_form=form, status=413 if form.has_error("file", "too_large") else 400)
    record = services.roadworks_import(
        owner=form.cleaned_data["owner"], file=form.cleaned_data["file"], mapping=form.mapping(), by=request.user
    )
    if record.state == RoadworksImport.State.INVALID:
        return _import_page(request, record, status=400)
    messages.success(
        request,
        _("The file was imported: %(created)s new, %(updated)s updated, %(removed)s removed.")
        % {"created": record.created, "updated": record.updated, "removed": record.removed},
    )
    return redirect("coordination:import", pk=record.pk)


def _import_page(request: HttpRequest, record: RoadworksImport, *, status: int = 200) -> HttpResponse:
    context = {"record": record, "summary": report_summary(record.report)}
    return render(request, "coordination/import.html", context, status=status)


@login_required
@require_GET
@with_error_pages
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _import_page(request, selectors.import_get(pk=pk, user=request.user))


def _form_context(request: HttpRequest, form: RoadworksForm, works: Roadworks | None) -> dict:
    """The form and what its map draws: the city's boundary and the works as stored (GeoJSON, CRS84)."""
    city = layer_selectors.district_city()
    return {
        "form": form,
        "works": works,
        "city_geojson": json.loads(city.geojson) if city else None,
        "existing_geojson": json.loads(_works_geojson(works)) if works is not None else None,
    }


def _works_geojson(works: Roadworks) -> str:
    geom = works.geom.clone()
    geom.transform(4326)
    return geom.json


def _works_input(form: RoadworksForm) -> services.WorksInput:
    data = form.cleaned_data
    return services.WorksInput(
        owner=data["owner"],
        sector=data["sector"],
        title=data["title"].strip(),
        description=data["description"].strip(),
        reference=data["reference"].strip(),
        geom=data["geom"],
        start_date=data["start_date"],
        end_date=data["end_date"],
        dig_ban_until=data["dig_ban_until"],
    )


@login_required
@require_http_methods(["GET", "POST"])
@with_error_pages
def roadworks_new(request: HttpRequest) -> HttpResponse:
    owners = selectors.owners_visible(user=request.user)
    if request.method == "POST":
        form = RoadworksForm(request.POST, owners=owners, city=city_boundary())
        if form.is_valid():
            try:
                works = services.roadworks_create(data=_works_input(form), by=request.user)
            except InvalidInputError as error:
                form.add_error(error.where if error.where in form.fields else None, _(error.message))
            else:
                _saved(request, form, _("The works were saved."))
                return redirect("coordination:works", pk=works.pk)
        return render(request, "coordination/roadworks_form.html", _form_context(request, form, None), status=400)
    initial = {"owner": request.GET.get("traeger")} if request.GET.get("traeger", "").isdigit() else {}
    return render(
        request,
        "coordination/roadworks_form.html",
        _form_context(request, RoadworksForm(owners=owners, initial=initial), None),
    )


def _saved(request: HttpRequest, form: RoadworksForm, text: str) -> None:
    messages.success(request, text)
    for note in form.notes:
        messages.warning(request, note)


@login_required
@require_http_methods(["GET", "POST"])
@with_error_pages
def roadworks_edit(request: HttpRequest, pk: int) -> HttpResponse:
    works = selectors.roadworks_get(pk=pk, user=request.user)
    owners = selectors.owners_visible(user=request.user)
    if request.method == "POST":
        form = RoadworksForm(request.POST, owners=owners, city=city_boundary())
        if form.is_valid():
            try:
                services.roadworks_update(roadworks=works, data=_works_input(form), by=request.user)
            except InvalidInputError as error:
                form.add_error(error.where if error.where in form.fields else None, _(error.message))
            else:
                _saved(request, form, _("The changes were saved."))
                return redirect("coordination:works", pk=works.pk)
        return render(request, "coordination/roadworks_form.html", _form_context(request, form, works), status=400)
    geom = works.geom.clone()
    geom.transform(4326)
    initial = {
        "owner": works.owner_id,
        "sector": works.sector,
        "title": works.title,
        "reference": works.reference,
        "description": works.description,
        "start_date": works.start_date,
        "end_date": works.end_date,
        "dig_ban_until": works.dig_ban_until,
        "geometry": geom.wkt,
        "crs": "EPSG:4326",
    }
    form = RoadworksForm(owners=owners, initial=initial)
    return render(request, "coordination/roadworks_form.html", _form_context(request, form, works))


@login_required
@require_POST
@with_error_pages
def roadworks_delete(request: HttpRequest, pk: int) -> HttpResponse:
    works = selectors.roadworks_get(pk=pk, user=request.user)
    services.roadworks_delete(roadworks=works, by=request.user)
    messages.success(request, _("The works “%(title)s” were deleted.") % {"title": works.title})
    return redirect("coordination:roadworks")


@login_required
@require_GET
@with_error_pages
def works_detail(request: HttpRequest, pk: int) -> HttpResponse:
    works = selectors.roadworks_get(pk=pk, user=request.user)
    found = [
        *selectors.matches_visible(user=request.user, kind=CONFLICT, works_id=works.pk),
        *selectors.matches_visible(user=request.user, kind=CHANCE, works_id=works.pk),
    ]
    shapes = selectors.match_shapes(matches=found)
    city = layer_selectors.district_city()
    fmap = match_map(
        matches=found,
        shapes=shapes,
        city_geojson=city.geojson if city else None,
        works=[(works.pk, works.title, _json(works))],
    )
    context = {
        "works": works,
        "sector": sector_label(works.sector),
        "rows": [match_row(m) for m in found],
        "map": map_embed(fmap, nonce=_nonce(request)),
        "legend": match_legend(kinds=("conflict", "chance", "works", "area")),
        "notifications": selectors.notifications_of(user=request.user, works=works),
        "match_settings": selectors.MatchSettings.default(),
    }
    return render(request, "coordination/works.html", context)


def _json(works: Roadworks) -> dict:
    return json.loads(_works_geojson(works))
