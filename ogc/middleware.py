"""HTTP around the OGC API (/ogc): CORS for browser clients, ETag and Last-Modified with conditional GETs.

Small and ours rather than django-cors-headers: one prefix, one policy, and it
sits with the caching rules it must agree with.

- CORS: ``Access-Control-Allow-Origin: *`` (public data), never
  ``Access-Control-Allow-Credentials``, so a browser never reads a response
  made for someone's session cookie cross-origin. Preflights (OPTIONS) answer
  without reaching the views.
- Caching: responses depend on the logged-in user (rollout data before
  publication), so they carry ``Vary: Cookie``; for a logged-in user they are
  ``private``. All are ``no-cache``: caches revalidate, which the ETag makes cheap.
- ETag: a strong hash of the body, unless the view knows its version (tiles).
  Last-Modified: a view's own where it knows when its data changed (tiles: the
  same in every worker); otherwise when this server first produced the current
  body for this URL (kept in the cache, per process with the default
  local-memory cache, shared with CACHE_URL), a changed body getting a later
  second than the one before.
- Anonymous feature responses are answered from ``ogc.response_cache`` when they can be.
"""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers, set_response_etag
from django.utils.http import http_date, parse_http_date_safe

from ogc import response_cache
from ogc.tiles import fast as tiles_fast

PREFIX = "/ogc"
METHODS = "GET, HEAD, OPTIONS"
ALLOWED_HEADERS = "Accept, Accept-Language, Content-Type, If-None-Match, If-Modified-Since, Cache-Control"
EXPOSED_HEADERS = "Content-Crs, Content-Language, ETag, Last-Modified, Link"
PREFLIGHT_MAX_AGE = "86400"
LAST_MODIFIED_TTL = 7 * 24 * 3600


class OgcEarlyCacheMiddleware:
    """The first middleware: on the way in, cache hits for requests that are anonymous for sure (no
    session cookie, no token), before the security, session, locale, CSRF, authentication and messages
    middleware run (they cost a worker about 1 ms, more than the hit itself); on the way out, it keeps
    the responses OgcHttpMiddleware marked as cacheable, with every header the other middleware set.
    Plain GETs usually do not get here: geoportal/wsgi.py answers them from the same cache before Django.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(PREFIX + "/") and response_cache.session_free(request.META):
            key = response_cache.key_for(request, anonymous=True)
            response = response_cache.get(request, key) if key is not None else None
            if response is not None:
                return response
        response = self.get_response(request)
        if response_cache.put_marked(response):
            tiles_fast.learn(request.META, response)
        return response


class OgcHttpMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if not (path == PREFIX or path.startswith(PREFIX + "/")):
            return self.get_response(request)
        if request.method == "OPTIONS":
            response = HttpResponse(status=204)
            response["Allow"] = METHODS
            response["Access-Control-Allow-Methods"] = METHODS
            response["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            response["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
        else:
            key = response_cache.key_for(request)
            response = response_cache.get(request, key) if key is not None else None
            if response is None:
                response = self.get_response(request)
                if request.method in ("GET", "HEAD"):
                    response = _cacheable(request, response)
                if key is not None and request.method == "GET":
                    response_cache.mark(response, key)
        return _cors(response)


def _cors(response: HttpResponse) -> HttpResponse:
    """Public data: any origin may read it, never with credentials."""
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    return response


def _cacheable(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    # Authorization: provider tokens (Part 4) also authenticate reads.
    patch_vary_headers(response, ("Cookie", "Authorization", "Accept", "Accept-Language"))
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        patch_cache_control(response, private=True, no_cache=True)
    elif not response.has_header("Cache-Control"):
        # Views that know better (tiles: public, max-age) keep their policy.
        patch_cache_control(response, no_cache=True)
    if response.status_code != 200 or response.streaming:
        return response
    if not response.has_header("ETag"):
        # Views that know their version (tiles: the hashed cache key) keep their ETag; a 304 then needs
        # neither the tile nor a hash of it.
        set_response_etag(response)
    # Likewise Last-Modified: tiles know when their data changed.
    seen = parse_http_date_safe(response.get("Last-Modified", ""))
    if seen is None:
        seen = _first_seen(request, response["ETag"])
        response["Last-Modified"] = http_date(seen)
    if request.method == "HEAD":
        response["Content-Length"] = str(len(response.content))
    conditional = get_conditional_response(request, etag=response["ETag"], last_modified=seen, response=response)
    if conditional is not response:
        return conditional
    if request.method == "HEAD":
        response.content = b""
    return response


def _first_seen(request: HttpRequest, etag: str) -> int:
    user = getattr(request, "user", None)
    return first_seen(
        full_path=request.get_full_path(),
        accept=request.headers.get("Accept", ""),
        accept_language=request.headers.get("Accept-Language", ""),
        user_pk=str(user.pk if user is not None and user.is_authenticated else ""),
        etag=etag,
    )


def first_seen(*, full_path: str, accept: str, accept_language: str, user_pk: str, etag: str) -> int:
    """When this URL first had this body (epoch seconds); a new body is at least a second later than the last."""
    variant = "|".join([full_path, accept, accept_language, user_pk])
    key = "ogc:last-modified:" + hashlib.md5(variant.encode(), usedforsecurity=False).hexdigest()
    known = cache.get(key)
    if known is not None and known[0] == etag:
        return known[1]
    now = int(time.time())
    seen = max(now, known[1] + 1) if known is not None else now
    cache.set(key, (etag, seen), LAST_MODIFIED_TTL)
    return seen
