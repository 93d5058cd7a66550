"""OGC API – Features Part 4 (create, replace, delete) on rollout areas, for provider members' programs.

Writes are authenticated by a provider token (``Authorization: Bearer gfp_…``,
see rollout.tokens), never by the session cookie: a cookie-authenticated write
without CSRF protection would let any web page post plans in a member's name.
The token also authenticates reads, so a provider's GIS sees its own
unpublished areas through the same selectors as its members do in the browser.

Each write goes through rollout.edits.plan_area_edit: the same validation,
versioning and confidentiality as a file upload. Area ids are per version, so
a replaced or created area answers with the id (``Location``) it has in the
new version; editing an area of an older version is a 409.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from geoportal.errors import GeoportalError
from ogc import views
from ogc.collections import collection_get
from ogc.config import base_url
from rollout.edits import plan_area_edit
from rollout.models import PlanArea
from rollout.staging import feature_last_key
from rollout.tokens import provider_token_authenticate

logger = logging.getLogger(__name__)

GEOJSON_TYPES = {"application/geo+json", "application/json"}
READ = {"GET", "HEAD", "OPTIONS"}


def _error(status: int, code: str, description: str, **extra) -> JsonResponse:
    return JsonResponse({"code": code, "description": description, **extra}, status=status)


def _unauthorised(description: str) -> JsonResponse:
    response = _error(401, "Unauthorized", description)
    response["WWW-Authenticate"] = 'Bearer realm="glasfaserportal"'
    return response


def _token_user(request: HttpRequest) -> JsonResponse | None:
    """Replace request.user by the token's user when a token is sent; None if all is well."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return _unauthorised("use 'Authorization: Bearer <token>' with a provider token")
    token = provider_token_authenticate(plaintext=secret.strip())
    if token is None:
        return _unauthorised("the token is unknown, revoked, or its member no longer acts for the provider")
    request.user = token.user
    request.provider_token = token
    return None


def _write_allowed(request: HttpRequest, collection_id: str) -> JsonResponse | None:
    collection = collection_get(collection_id)
    if collection is None or not collection.editable:
        response = _error(405, "MethodNotAllowed", f"collection {collection_id!r} is read-only")
        response["Allow"] = "GET, HEAD"
        return response
    if getattr(request, "provider_token", None) is None:
        return _unauthorised("writing plans needs a provider token (manage.py provider_token create)")
    media = request.content_type or ""
    if media not in GEOJSON_TYPES and request.method != "DELETE":
        return _error(415, "UnsupportedMediaType", f"send application/geo+json, not {media or 'nothing'}")
    return None


@csrf_exempt
def items(request: HttpRequest, collection_id: str) -> HttpResponse:
    """GET: the features (token or session user); POST: add one area."""
    refused = _token_user(request)
    if refused is not None:
        return refused
    if request.method in READ:
        return views.items(request, collection_id)
    if request.method != "POST":
        return _not_allowed("GET, HEAD, POST")
    return _edit(request, collection_id, action="create")


@csrf_exempt
def item(request: HttpRequest, collection_id: str, item_id: str) -> HttpResponse:
    """GET: one feature; PUT: replace the area; DELETE: remove it from the plan."""
    refused = _token_user(request)
    if refused is not None:
        return refused
    if request.method in READ:
        return views.item(request, collection_id, item_id)
    if request.method not in ("PUT", "DELETE"):
        return _not_allowed("GET, HEAD, PUT, DELETE")
    if not item_id.isdigit():
        return _error(404, "NotFound", f"no feature {item_id!r}")
    return _edit(
        request, collection_id, action="replace" if request.method == "PUT" else "delete", area_id=int(item_id)
    )


def _not_allowed(allow: str) -> HttpResponse:
    response = _error(405, "MethodNotAllowed", f"allowed methods: {allow}")
    response["Allow"] = allow
    return response


def _edit(request: HttpRequest, collection_id: str, *, action: str, area_id: int | None = None) -> HttpResponse:
    refused = _write_allowed(request, collection_id)
    if refused is not None:
        return refused
    token = request.provider_token
    # Area ids are per version: remember which key the edited area has, to find it in the new version.
    key = PlanArea.objects.filter(pk=area_id).values_list("key", flat=True).first() if area_id else None
    try:
        submission, version = plan_area_edit(
            provider=token.provider,
            by=token.user,
            action=action,
            document=request.body if action != "delete" else None,
            area_id=area_id,
        )
    except GeoportalError as error:
        return _error(error.status, error.code, str(error))
    if version is None:
        problems = [p for p in submission.report if p["severity"] == "error"]
        return _error(
            400,
            "InvalidParameterValue",
            f"the feature was refused: {problems[0]['message'] if problems else 'invalid'}",
            problems=submission.report,
            submission=submission.pk,
        )
    logger.info("%s %s by token %s: version %s", action, collection_id, token.prefix, version)
    summary = {"version": version.number, "published": False, "submission": submission.pk, "report": submission.report}
    if action == "delete":
        response = HttpResponse(status=204)
    else:
        # A created area comes last in the new plan's features (the current plan's areas first).
        key = feature_last_key(submission=submission) if action == "create" else key
        area = PlanArea.objects.get(version=version, key=key)
        location = f"{base_url(request)}/collections/{collection_id}/items/{area.pk}"
        response = JsonResponse({"id": area.pk, **summary}, status=201 if action == "create" else 200)
        response["Location"] = location
    response["OGC-Plan-Version"] = str(version.number)
    return response
