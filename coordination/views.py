"""Pages of dig-once coordination (planners; a provider's members see their own matches).

Views parse, call one selector or service with ``request.user`` and render. Anonymous visitors are sent to
the login (``login_required``); signed-in users without a role get 404 from the selectors (nobody learns what
exists); an action a reader may see but not do answers 403 from the services.
"""

from __future__ import annotations

import csv
import json
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.middleware.csp import get_nonce
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from coordination import selectors, services
from coordination.forms import ImportForm, MatchFilterForm, NotifyForm, OwnerForm, RoadworksForm
from coordination.maps import match_legend, match_map
from coordination.matching import CHANCE, CONFLICT
from coordination.models import Roadworks, RoadworksImport
from coordination.presentation import CSV_HEADER, csv_row, match_counts, match_row, matches_sorted, sector_label
from geoportal.errorpages import with_error_pages
from geoportal.errors import InvalidInputError, NotFoundError
from geoportal.webmaps import map_embed
from layers import selectors as layer_selectors
from rollout.forms import SizeLimitUploadHandler
from rollout.pipeline import city_boundary
from rollout.presentation import report_summary

WORKS_PER_PAGE = 100
KINDS = {"": (CONFLICT, CHANCE), "konflikte": (CONFLICT,), "chancen": (CHANCE,)}


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


# -- roadworks -----------------------------------------------------------------------------------------------


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


# -- matches -------------------------------------------------------------------------------------------------


def _filtered(request: HttpRequest) -> tuple[MatchFilterForm, dict]:
    """The filter form over the GET parameters and, when valid, the matches it asks for."""
    providers = selectors.providers_in_view(user=request.user)
    planner = selectors.may_coordinate(request.user)
    owners = list(selectors.owners_visible(user=request.user)) if planner else None
    defaults = selectors.MatchSettings.default()
    # The settings' defaults stand in the form (and the export link) unless the planner changed them.
    query = request.GET.copy()
    query.setdefault("abstand", str(defaults.distance_m))
    query.setdefault("monate", str(defaults.months))
    form = MatchFilterForm(query, providers=providers, owners=owners)
    if form.is_bound and not form.is_valid():
        return form, {"matches": [], "settings": defaults, "valid": False}
    data = form.cleaned_data
    match_settings = selectors.MatchSettings(
        distance_m=defaults.distance_m if data.get("abstand") is None else data["abstand"],
        months=defaults.months if data.get("monate") is None else data["monate"],
    )
    provider_ids = None
    if data.get("anbieter"):
        provider_ids = {p.pk for p in providers if p.slug == data["anbieter"]}
    owner_id = int(data["traeger"]) if data.get("traeger") else None
    found = []
    for kind in KINDS[data.get("art") or ""]:
        found += selectors.matches_visible(
            user=request.user,
            kind=kind,
            match_settings=match_settings,
            provider_ids=provider_ids,
            owner_id=owner_id,
            sector=data.get("sparte") or None,
        )
    return form, {"matches": matches_sorted(found, data.get("sortierung")), "settings": match_settings, "valid": True}


@login_required
@require_GET
@with_error_pages
def matches(request: HttpRequest) -> HttpResponse:
    form, result = _filtered(request)
    found = result["matches"]
    city = layer_selectors.district_city()
    shapes = selectors.match_shapes(matches=found)
    embedded = None
    if found:
        fmap = match_map(matches=found, shapes=shapes, city_geojson=city.geojson if city else None)
        embedded = map_embed(fmap, nonce=_nonce(request))
    rows = [match_row(m) for m in found]
    context = {
        "form": form,
        "valid": result["valid"],
        "match_settings": result["settings"],
        "conflicts": [r for r in rows if r["match"].kind == CONFLICT],
        "chances": [r for r in rows if r["match"].kind == CHANCE],
        "counts": match_counts(found),
        "map": embedded,
        "map_truncated": shapes["truncated"],
        "map_limit": selectors.MAP_LIMIT,
        "legend": match_legend(),
        "planner": selectors.may_coordinate(request.user),
        "query": request.GET.urlencode(),
        "kind_filter": form.cleaned_data.get("art", "") if result["valid"] else "",
    }
    return render(request, "coordination/matches.html", context, status=200 if result["valid"] else 400)


def _csv_cell(value):
    # A spreadsheet runs a cell that starts with = + - @ as a formula: text from files is kept as text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
@require_GET
@with_error_pages
def matches_csv(request: HttpRequest) -> HttpResponse:
    form, result = _filtered(request)
    if not result["valid"]:
        errors = "; ".join(f"{form[name].label}: {' '.join(e)}" for name, e in form.errors.items())
        raise InvalidInputError(errors, where="query")
    writer = csv.writer(_Echo())
    rows = (writer.writerow([_csv_cell(v) for v in csv_row(m)]) for m in result["matches"])
    response = StreamingHttpResponse(
        (line for line in [writer.writerow(CSV_HEADER), *rows]), content_type="text/csv; charset=utf-8"
    )
    name = f"mitverlegung-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# -- notifications -------------------------------------------------------------------------------------------


def _notify_match(request: HttpRequest, form: NotifyForm):
    data = form.cleaned_data
    return selectors.match_get(
        user=request.user,
        kind=data["art"],
        works_id=data["baustelle"],
        area_id=data["gebiet"],
        match_settings=selectors.MatchSettings(distance_m=data["abstand"], months=data["monate"]),
    )


@login_required
@require_http_methods(["GET", "POST"])
@with_error_pages
def notify(request: HttpRequest) -> HttpResponse:
    """GET: the confirmation page of one match (who gets what); POST: send it, once per form."""
    if not selectors.may_coordinate(request.user):
        raise NotFoundError("no such page")
    if request.method == "GET":
        form = NotifyForm({**request.GET.dict(), "token": str(uuid.uuid4())})
        if not form.is_valid():
            raise InvalidInputError(_("This link does not name a match."), where="query")
        match = _notify_match(request, form)
        return _notify_page(request, form, match)
    form = NotifyForm(request.POST)
    if not form.is_valid():
        if set(form.errors) - {"message"}:
            raise InvalidInputError(_("The form does not name a match."), where="form")
        return _notify_page(request, form, _notify_match(request, form), status=400)
    match = _notify_match(request, form)
    sent = services.match_notify(
        match=match, token=form.cleaned_data["token"], message=form.cleaned_data["message"], by=request.user
    )
    if sent.new:
        messages.success(
            request,
            _("The notification is on its way to %(recipients)s.")
            % {"recipients": ", ".join(sent.notification.recipients)},
        )
    else:
        messages.info(request, _("This notification was sent already; it was not sent again."))
    return redirect(reverse("coordination:works", kwargs={"pk": match.works_id}) + "#notifications-heading")


def _notify_page(request: HttpRequest, form: NotifyForm, match, *, status: int = 200) -> HttpResponse:
    recipients = selectors.notification_recipients(match=match)
    context = {"form": form, "row": match_row(match), "recipients": recipients}
    return render(request, "coordination/notify.html", context, status=status)
