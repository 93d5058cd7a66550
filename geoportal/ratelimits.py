"""Per-client rate limits in the shared cache (django-ratelimit), answered with 429 and a message.

The shared cache (settings.CACHES["shared"]: Redis with CACHE_URL, else files under var/cache) is seen by
every server worker, so a client's count is one count whatever worker answers. The client is its IP address
(REMOTE_ADDR; behind a proxy set RATELIMIT_IP_META_KEY to the header the proxy sets). Limits are settings
(RATELIMIT_* in settings.py, documented in .env.example).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_ratelimit.core import is_ratelimited


def limited(*, group: str, rate: str | Callable, methods: tuple[str, ...] = ("GET", "POST"), json: bool = False):
    """Refuse a client's requests to the view above ``rate`` (e.g. "60/m") with 429; ``json`` for APIs."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if is_ratelimited(request, group=group, key="ip", rate=rate, method=list(methods), increment=True):
                message = _("Too many requests from your connection. Please wait a minute and try again.")
                if json:
                    response = JsonResponse({"error": message}, status=429)
                else:
                    response = render(request, "429.html", {"message": message}, status=429)
                response["Retry-After"] = "60"
                return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
