"""The privacy page (/datenschutz/): what the site stores about residents, why, for how long, who sees it."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from residents.follow.services import UNCONFIRMED_KEEP_DAYS
from residents.reports.services import REPORT_KEEP_DAYS


@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    context = {
        "unconfirmed_days": UNCONFIRMED_KEEP_DAYS,
        "report_keep_days": REPORT_KEEP_DAYS,
        "response_days": settings.REPORT_RESPONSE_DAYS,
    }
    return render(request, "residents/privacy.html", context)
