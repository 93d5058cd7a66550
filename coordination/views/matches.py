"""The dig-once match list (filters, counts, map, tables), its CSV export, and the notification of one match.

Views parse, call one selector or service with ``request.user`` and render (coordination/views/__init__.py says
who gets what).
"""

from __future__ import annotations

import csv
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.middleware.csp import get_nonce
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from coordination import selectors, services
from coordination.forms import MatchFilterForm, NotifyForm
from coordination.maps import match_legend, match_map
from coordination.matching import CHANCE, CONFLICT
from coordination.presentation import CSV_HEADER, csv_row, match_counts, match_row, matches_sorted
from geoportal.errorpages import with_error_pages
from geoportal.errors import InvalidInputError, NotFoundError
from geoportal.webmaps import map_embed
from layers import selectors as layer_selectors

# The filter's "which matches" → the kinds asked for.
KINDS = {"": (CONFLICT, CHANCE), "konflikte": (CONFLICT,), "chancen": (CHANCE,)}


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
        embedded = map_embed(fmap, nonce=str(get_nonce(request)))
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
