"""Pages of reports: a resident files one and reads its status; providers and planners list and answer them.

A report another provider's member may not read answers 404 (as their confidential rows do); the planners'
list of all reports answers 403 to others, as the review page does.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from geoportal.errorpages import with_error_pages
from geoportal.errors import NotFoundError
from geoportal.ratelimits import limited
from layers import selectors as layer_selectors
from residents.forms import forms_rate, language_now
from residents.models import Report
from residents.reports import selectors, services
from residents.reports.forms import AnswerForm, ReportForm
from residents.targets import target_label, target_page
from residents.views.follow import private_page
from rollout import selectors as rollout_selectors
from rollout.roles import is_planner

REPORTS_PER_PAGE = 50


@require_http_methods(["GET", "POST"])
@limited(group="residents-report", rate=forms_rate, methods=("POST",))
@with_error_pages
def report_address(request: HttpRequest, postcode: str, street: str, house: str) -> HttpResponse:
    """ "Fehler melden" at an address: what is wrong, which provider, a text, an optional e-mail address."""
    address = layer_selectors.address_by_permalink(postcode=postcode, street_slug=street, house=house)
    providers = list(selectors.providers_at_address(address=address))
    form = ReportForm(request.POST if request.method == "POST" else None, providers=providers)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        _report, token = services.report_file(
            category=data["category"],
            text=data["text"],
            address=address,
            provider=data.get("provider"),
            email=data["email"],
            language=language_now(),
        )
        return redirect(reverse("reports:status", kwargs={"token": token}) + "?neu=1")
    context = {
        "form": form,
        "address": address,
        "label": target_label(address),
        "back_url": target_page(address),
        "missing": False,
        "response_days": settings.REPORT_RESPONSE_DAYS,
    }
    return render(request, "residents/report_form.html", context, status=400 if form.is_bound else 200)


@require_http_methods(["GET", "POST"])
@limited(group="residents-report", rate=forms_rate, methods=("POST",))
@with_error_pages
def report_missing(request: HttpRequest) -> HttpResponse:
    """An address missing from the register, reported from a street page (``?plz=…&strasse=…``) or a search."""
    source = request.POST if request.method == "POST" else request.GET
    postcode, street_slug = source.get("plz", "")[:5], source.get("strasse", "")[:200]
    street = layer_selectors.street_for_slug(postcode=postcode, street_slug=street_slug) if postcode else None
    providers = list(selectors.providers_on_street(postcode=postcode, street=street)) if street else []
    initial = {"address_text": f"{street}, {postcode}"} if street else {}
    form = ReportForm(
        request.POST if request.method == "POST" else None, providers=providers, missing=True, initial=initial
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        _report, token = services.report_file(
            category=Report.Category.ADDRESS_MISSING,
            text=data["text"],
            address=None,
            address_text=data["address_text"],
            provider=data.get("provider"),
            email=data["email"],
            language=language_now(),
            allowed_providers=providers,
        )
        return redirect(reverse("reports:status", kwargs={"token": token}) + "?neu=1")
    context = {"form": form, "missing": True, "street": street, "postcode": postcode, "street_slug": street_slug}
    return render(request, "residents/report_form.html", context, status=400 if form.is_bound else 200)


@require_GET
def report_status(request: HttpRequest, token: str) -> HttpResponse:
    """The resident's private page of one report: what they reported and the answer, once there is one."""
    try:
        report = selectors.report_by_token(token=token)
    except NotFoundError:
        return private_page(render(request, "residents/link_gone.html", {"report": True}, status=404))
    context = {"report": report, "just_filed": request.GET.get("neu") == "1", "status_url": request.path}
    return private_page(render(request, "residents/report_status.html", context))


def _rows(reports, now) -> list[Report]:
    for report in reports:
        report.overdue = selectors.overdue(report, now=now)
    return reports


@login_required
@require_GET
@with_error_pages
def provider_reports(request: HttpRequest, slug: str) -> HttpResponse:
    """The reports concerning one provider, in its workspace (its members and the planners)."""
    provider = rollout_selectors.provider_workable_get(slug=slug, user=request.user)
    reports = selectors.reports_of_provider(provider=provider, user=request.user)
    page = Paginator(reports, REPORTS_PER_PAGE).get_page(request.GET.get("seite"))
    context = {"provider": provider, "page": page, "reports": _rows(list(page.object_list), timezone.now())}
    return render(request, "residents/reports_list.html", context)


@login_required
@require_GET
@with_error_pages
def all_reports(request: HttpRequest) -> HttpResponse:
    """Every report, for the city's planners, overdue ones flagged."""
    reports = selectors.reports_all(user=request.user)
    now = timezone.now()
    page = Paginator(reports, REPORTS_PER_PAGE).get_page(request.GET.get("seite"))
    context = {
        "provider": None,
        "page": page,
        "reports": _rows(list(page.object_list), now),
        "overdue_count": reports.filter(status=Report.Status.OPEN, due_at__lt=now).count(),
    }
    return render(request, "residents/reports_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
@with_error_pages
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One report with the answer form, for the provider concerned and the planners."""
    report = selectors.report_visible_get(pk=pk, user=request.user)
    form = AnswerForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        services.report_answer(
            report=report, by=request.user, status=form.cleaned_data["status"], answer=form.cleaned_data["answer"]
        )
        messages.success(request, _("Your answer is saved. The resident sees it under their link."))
        return redirect("reports:detail", pk=report.pk)
    report.overdue = selectors.overdue(report)
    context = {
        "report": report,
        "form": form,
        "may_answer": selectors.report_may_answer(report=report, user=request.user),
        "address_url": target_page(report.address) if report.address_id else None,
        "back_url": (
            reverse("reports:all")
            if is_planner(request.user) or not report.provider_id
            else reverse("reports:provider", kwargs={"slug": report.provider.slug})
        ),
    }
    return render(request, "residents/report_detail.html", context, status=400 if form.is_bound else 200)
