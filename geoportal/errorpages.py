"""Pages for the GeoportalError family: a view raises, the visitor gets a 4xx page that says what is wrong."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from geoportal.errors import GeoportalError

TEMPLATES = {403: "403.html", 404: "404.html"}


def error_response(request: HttpRequest, error: GeoportalError) -> HttpResponse:
    """The error's page with its status; a 404 tells nothing more than "not found" (existence stays secret)."""
    message = "" if error.status == 404 else _(error.message)
    template = TEMPLATES.get(error.status, "400.html")
    return render(request, template, {"message": message, "where": error.where}, status=error.status)


def with_error_pages(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Turn client errors (4xx GeoportalErrors) raised by ``view`` into their pages; let the rest propagate."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except GeoportalError as error:
            if error.status >= 500:
                raise
            return error_response(request, error)

    return wrapper
