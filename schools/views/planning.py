"""The planners' pages of a school: edit its connection record, make and revoke its measurement tokens.

Planners (the group "planner") and administrators only: anyone else signed in gets a 403 page, anonymous
visitors the sign-in page. The services check the role again, so no other path skips it.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from geoportal.errorpages import with_error_pages
from geoportal.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from rollout.roles import is_planner
from schools import selectors
from schools.forms import ConnectionForm, TokenForm
from schools.models import SchoolConnection, SchoolToken
from schools.services import connection_state_of, school_connection_update
from schools.tokens import school_token_create, school_token_revoke


def _school_for_planner(request: HttpRequest, school_number: str):
    if not is_planner(request.user):
        raise PermissionDeniedError("only city planners and administrators edit schools' connections")
    return selectors.school_get(school_number=school_number)


@login_required
@require_http_methods(["GET", "POST"])
@with_error_pages
def connection_edit(request: HttpRequest, school_number: str) -> HttpResponse:
    """The connection record's form; saving writes the record and a history row (schools.services)."""
    school = _school_for_planner(request, school_number)
    current = SchoolConnection.objects.filter(school=school).select_related("provider").first()
    status = 200
    if request.method == "POST":
        form = ConnectionForm(request.POST)
        if form.is_valid():
            try:
                school_connection_update(
                    school=school, state=form.state(), by=request.user, valid_from=form.cleaned_data["valid_from"]
                )
            except InvalidInputError as error:
                form.add_service_error(error)
            else:
                messages.success(request, _("The connection of %(name)s is saved.") % {"name": school.name})
                return redirect("schools:school", school_number=school.school_number)
        status = 400
    else:
        initial = connection_state_of(current).__dict__ if current else {}
        form = ConnectionForm(initial=initial)
    context = {"school": school, "form": form, "current": current}
    return render(request, "schools/connection_form.html", context, status=status)


def _tokens_page(request: HttpRequest, school, *, form=None, secret: str = "", status: int = 200) -> HttpResponse:
    context = {
        "school": school,
        "tokens": SchoolToken.objects.filter(school=school).select_related("created_by", "revoked_by"),
        "form": form or TokenForm(),
        "secret": secret,
        "api_path": "/api/schulen/messungen",
    }
    return render(request, "schools/tokens.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@with_error_pages
def tokens(request: HttpRequest, school_number: str) -> HttpResponse:
    """The school's measurement tokens; POST makes one and shows its secret once (on this page, never again)."""
    school = _school_for_planner(request, school_number)
    if request.method == "GET":
        return _tokens_page(request, school)
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _tokens_page(request, school, form=form, status=400)
    try:
        _token, secret = school_token_create(school=school, name=form.cleaned_data["name"], by=request.user)
    except InvalidInputError as error:
        form.add_error("name", error.message)
        return _tokens_page(request, school, form=form, status=400)
    response = _tokens_page(request, school, secret=secret)
    # The secret is on this page only: no browser or proxy keeps it.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
@with_error_pages
def token_revoke(request: HttpRequest, school_number: str, pk: int) -> HttpResponse:
    school = _school_for_planner(request, school_number)
    token = SchoolToken.objects.filter(school=school, pk=pk).first()
    if token is None:
        raise NotFoundError(f"no token {pk} of this school")
    school_token_revoke(token=token, by=request.user)
    messages.success(request, _("The token %(prefix)s… no longer works.") % {"prefix": token.prefix})
    return redirect("schools:tokens", school_number=school.school_number)
