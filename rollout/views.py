"""Pages of providers and planners: upload a plan, read its report and diff, accept, reject, publish.

Views parse, call one service or selector with ``request.user`` and render.
Confidentiality: what another provider's member may not read answers 404
(NotFoundError from the selectors), so nobody learns what exists; an action a
reader may see but not do answers 403 (PermissionDeniedError from the services).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csp import get_nonce
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from geoportal.errorpages import with_error_pages
from geoportal.webmaps import map_embed
from layers import selectors as layer_selectors
from rollout import selectors, services
from rollout.forms import (
    AsOfForm,
    DecisionForm,
    FieldMappingForm,
    PlanUploadForm,
    SizeLimitUploadHandler,
)
from rollout.maps import diff_legend, diff_map, stage_legend, version_map
from rollout.models import PlanSubmission
from rollout.presentation import (
    area_rows,
    diff_addresses,
    diff_table,
    problem_counts,
    report_summary,
    track_record_rows,
)
from rollout.roles import can_accept, can_publish, can_submit, is_planner

# The provider page lists this many areas of the plan as of a day; the version page pages through all of them.
AS_OF_AREAS_LISTED = 50
VERSION_AREAS_PER_PAGE = 200


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """ "My rollout plans": the providers the user works for; straight to the one if there is only one."""
    providers = list(selectors.providers_workable(user=request.user))
    if len(providers) == 1 and not is_planner(request.user):
        return redirect("rollout:provider", slug=providers[0].slug)
    return render(request, "rollout/home.html", {"providers": providers, "planner": is_planner(request.user)})


def _provider_page(
    request: HttpRequest, provider, *, upload_form=None, mapping_form=None, as_of_form=None, status: int = 200
):
    workspace = selectors.provider_workspace(provider=provider, user=request.user)
    for submission in workspace["submissions"]:
        submission.counts = problem_counts(submission.report)
    as_of_form = as_of_form or AsOfForm()
    as_of = None
    if as_of_form.is_bound and as_of_form.is_valid():
        as_of = selectors.plan_as_of_day(provider=provider, day=as_of_form.cleaned_data["stand"], user=request.user)
        if as_of["version"] is not None:
            areas = selectors.version_areas(version=as_of["version"], user=request.user)
            as_of["areas"] = area_rows(areas[:AS_OF_AREAS_LISTED])
    record = selectors.provider_track_record(provider=provider, user=request.user)
    context = {
        "provider": provider,
        **workspace,
        "as_of_form": as_of_form,
        "as_of": as_of,
        "as_of_listed": AS_OF_AREAS_LISTED,
        "today": timezone.localdate(),
        "record": track_record_rows(record),
        "upload_form": upload_form or PlanUploadForm(),
        "mapping_form": mapping_form or FieldMappingForm(initial=workspace["mapping"]),
        "max_bytes": settings.PLAN_UPLOAD_MAX_BYTES,
        "may_submit": can_submit(request.user, provider),
        "may_publish": can_publish(request.user, provider),
    }
    return render(request, "rollout/provider.html", context, status=status)


@login_required
@require_GET
@with_error_pages
def provider(request: HttpRequest, slug: str) -> HttpResponse:
    provider = selectors.provider_workable_get(slug=slug, user=request.user)
    # "?stand=YYYY-MM-DD": the plan as it stood at the end of that day. A bad date is a form error (400).
    as_of_form = AsOfForm(request.GET) if "stand" in request.GET else None
    status = 400 if as_of_form is not None and not as_of_form.is_valid() else 200
    return _provider_page(request, provider, as_of_form=as_of_form, status=status)


def _wants_json(request: HttpRequest) -> bool:
    """The upload script asks for JSON; a plain form post gets pages."""
    return request.headers.get("Accept", "").startswith("application/json")


def _upload_refused(request: HttpRequest, provider, form: PlanUploadForm, status: int) -> HttpResponse:
    if _wants_json(request):
        errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
        return JsonResponse({"errors": errors}, status=status)
    return _provider_page(request, provider, upload_form=form, status=status)


# CSRF is checked in _upload, after the size guard is in place: the CSRF check would
# otherwise read (and store) the whole body first. This is Django's documented pattern
# for changing upload handlers in a view.
@csrf_exempt
@login_required
@require_POST
@with_error_pages
def upload(request: HttpRequest, slug: str) -> HttpResponse:
    provider = selectors.provider_workable_get(slug=slug, user=request.user)
    guard = SizeLimitUploadHandler(request, limit=settings.PLAN_UPLOAD_MAX_BYTES)
    request.upload_handlers.insert(0, guard)
    return _upload(request, provider, guard)


@csrf_protect
def _upload(request: HttpRequest, provider, guard: SizeLimitUploadHandler) -> HttpResponse:
    form = PlanUploadForm(request.POST, request.FILES, too_large=guard.exceeded)
    if not form.is_valid():
        status = 413 if form.has_error("file", "too_large") else 400
        return _upload_refused(request, provider, form, status)
    submission = services.submission_create(provider=provider, file=form.cleaned_data["file"], by=request.user)
    location = reverse("rollout:submission", kwargs={"pk": submission.pk})
    if submission.state == PlanSubmission.State.INVALID:
        if _wants_json(request):
            return JsonResponse({"location": location, "state": submission.state}, status=400)
        return _submission_page(request, submission, status=400, just_uploaded=True)
    messages.success(request, _("The file was checked and has no errors. Look at the changes, then accept it."))
    if _wants_json(request):
        return JsonResponse({"location": location, "state": submission.state})
    return redirect(location)


@login_required
@require_POST
@with_error_pages
def mapping_save(request: HttpRequest, slug: str) -> HttpResponse:
    provider = selectors.provider_workable_get(slug=slug, user=request.user)
    form = FieldMappingForm(request.POST)
    if not form.is_valid():
        return _provider_page(request, provider, mapping_form=form, status=400)
    saved = services.field_mapping_save(provider=provider, mapping=form.mapping(), by=request.user)
    messages.success(request, _("Field mapping saved.") if saved else _("Field mapping removed."))
    return redirect(reverse("rollout:provider", kwargs={"slug": provider.slug}) + "#mapping-heading")


def _submission_page(
    request: HttpRequest, submission, *, status: int = 200, just_uploaded: bool = False, decision_form=None
) -> HttpResponse:
    # Large files keep their validated features only in the staging table: read the ones the diff names.
    features = selectors.submission_features(submission=submission, user=request.user)
    table = diff_table(
        diff=submission.diff or {},
        features=features,
        labels=selectors.addresses_labelled(ids=diff_addresses(submission.diff or {}), user=request.user),
    )
    embedded = None
    if table["total"]:
        city = layer_selectors.district_city()
        fmap = diff_map(
            shapes=selectors.submission_diff_shapes(submission=submission, user=request.user, features=features),
            city_geojson=city.geojson if city else None,
        )
        embedded = map_embed(fmap, nonce=str(get_nonce(request)))
    version = getattr(submission, "version", None)
    provider = submission.provider
    context = {
        "submission": submission,
        "provider": provider,
        "summary": report_summary(submission.report),
        "diff": table,
        "map": embedded,
        "legend": diff_legend(),
        "version": version,
        "just_uploaded": just_uploaded,
        # A large file's features, dropped some days after it was not accepted (small ones keep them as JSON).
        "features_dropped": bool(submission.staged_dropped_at and submission.decided_at and not submission.features),
        "kept_days": (
            (submission.staged_dropped_at - submission.decided_at).days
            if submission.staged_dropped_at and submission.decided_at
            else 0
        ),
        "is_received": submission.state == PlanSubmission.State.RECEIVED,
        "may_accept": submission.state == PlanSubmission.State.RECEIVED and can_accept(request.user, provider),
        "may_reject": submission.state == PlanSubmission.State.RECEIVED and can_publish(request.user, provider),
        "may_publish": version is not None and not version.is_published and can_publish(request.user, provider),
        "decision_form": decision_form or DecisionForm(),
    }
    return render(request, "rollout/submission.html", context, status=status)


@login_required
@require_GET
@with_error_pages
def submission(request: HttpRequest, pk: int) -> HttpResponse:
    return _submission_page(request, selectors.submission_visible_get(pk=pk, user=request.user))


@login_required
@require_POST
@with_error_pages
def submission_accept(request: HttpRequest, pk: int) -> HttpResponse:
    submission = selectors.submission_visible_get(pk=pk, user=request.user)
    version = services.submission_accept(submission=submission, by=request.user)
    messages.success(
        request,
        _("Accepted as version %(number)s. It stays confidential until it is published.") % {"number": version.number},
    )
    return redirect("rollout:submission", pk=submission.pk)


@login_required
@require_POST
@with_error_pages
def submission_reject(request: HttpRequest, pk: int) -> HttpResponse:
    submission = selectors.submission_visible_get(pk=pk, user=request.user)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _submission_page(request, submission, status=400, decision_form=form)
    services.submission_reject(submission=submission, by=request.user, reason=form.cleaned_data["note"])
    messages.success(request, _("The submission was rejected. The provider sees your note."))
    return redirect("rollout:submission", pk=submission.pk)


@login_required
@require_POST
@with_error_pages
def version_publish(request: HttpRequest, pk: int) -> HttpResponse:
    version = selectors.version_visible_get(pk=pk, user=request.user)
    version = services.plan_version_publish(version=version, by=request.user)
    messages.success(
        request,
        _("Version %(number)s of %(provider)s is published; availability per address is updated.")
        % {"number": version.number, "provider": version.provider.name},
    )
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("rollout:provider", kwargs={"slug": version.provider.slug})
    return redirect(back)


@login_required
@require_GET
@with_error_pages
def review(request: HttpRequest) -> HttpResponse:
    overview = selectors.review_overview(user=request.user)
    for submission in overview["pending"]:
        submission.counts = problem_counts(submission.report)
    overview["records"] = [(provider, track_record_rows(record)) for provider, record in overview["records"]]
    return render(request, "rollout/review.html", overview)


@login_required
@require_GET
@with_error_pages
def version(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """One plan version: its facts, its areas on a map and in a table, and what changed since the one before."""
    provider = selectors.provider_workable_get(slug=slug, user=request.user)
    version = selectors.provider_version_get(provider=provider, number=number, user=request.user)
    neighbours = selectors.version_neighbours(version=version, user=request.user)
    changes = selectors.version_diff(version=version, previous=neighbours["previous"], user=request.user)
    diff = changes["diff"]
    table = diff_table(
        diff=diff,
        features=changes["features"],
        labels=selectors.addresses_labelled(ids=diff_addresses(diff), user=request.user),
    )
    page = Paginator(selectors.version_areas(version=version, user=request.user), VERSION_AREAS_PER_PAGE).get_page(
        request.GET.get("seite")
    )
    shapes = selectors.version_area_shapes(version=version, user=request.user)
    city = layer_selectors.district_city()
    fmap = version_map(features=shapes["features"], city_geojson=city.geojson if city else None)
    context = {
        "provider": provider,
        "version": version,
        **neighbours,
        "diff": table,
        "areas": area_rows(page.object_list),
        "page": page,
        "map": map_embed(fmap, nonce=str(get_nonce(request))),
        "map_truncated": shapes["truncated"],
        "map_limit": selectors.VERSION_MAP_LIMIT,
        "legend": stage_legend(),
        "may_publish": not version.is_published and not version.newer_published and can_publish(request.user, provider),
    }
    return render(request, "rollout/version.html", context)
