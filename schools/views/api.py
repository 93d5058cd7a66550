"""The measurement API: a school's device posts speed measurements with its token.

    POST /api/schulen/messungen
    Authorization: Bearer gfs_…
    Content-Type: application/json | text/csv

Answers (JSON): 201 with what was stored; 200 when every row was stored already (a retried delivery);
400 with ``problems`` (row, field, value, message) when anything is malformed, and nothing is stored; 409 when
times are stored with other values; 401 without a valid token (``WWW-Authenticate: Bearer``); 413 for too
large a delivery; 415 for other media types; 405 for other methods; 429 above the rate limit. Never a cookie:
the token alone authenticates (so there is no CSRF to protect against). See schools/README.md.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from geoportal.ratelimits import limited
from schools.ingest import (
    CSV_TYPES,
    JSON_TYPES,
    MeasurementsRefused,
    MeasurementsTooLarge,
    measurements_ingest,
)
from schools.tokens import school_token_authenticate

logger = logging.getLogger(__name__)


def _error(status: int, code: str, description: str, **extra) -> JsonResponse:
    return JsonResponse({"code": code, "description": description, **extra}, status=status)


def _unauthorised(description: str) -> JsonResponse:
    response = _error(401, "Unauthorized", description)
    response["WWW-Authenticate"] = 'Bearer realm="glasfaserportal-schools"'
    return response


def _body(request: HttpRequest) -> bytes:
    """The body, read up to the limit (DATA_UPLOAD_MAX_MEMORY_SIZE does not apply: deliveries may be larger)."""
    limit = settings.SCHOOL_MEASUREMENTS_MAX_BYTES
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        raise MeasurementsTooLarge(f"a delivery has at most {limit} bytes, not {length}: send it in several parts")
    body = request.read(limit + 1)
    if len(body) > limit:
        raise MeasurementsTooLarge(f"a delivery has at most {limit} bytes: send it in several parts")
    return body


def _rate(group: str, request: HttpRequest) -> str:
    return settings.RATELIMIT_MEASUREMENTS


@csrf_exempt
@limited(group="school-measurements", rate=_rate, methods=("POST",), json=True)
def measurements(request: HttpRequest) -> JsonResponse:
    if request.method != "POST":
        response = _error(405, "MethodNotAllowed", "send measurements with POST")
        response["Allow"] = "POST"
        return response
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return _unauthorised("send 'Authorization: Bearer <token>' with the school's measurement token")
    token = school_token_authenticate(plaintext=secret.strip())
    if token is None:
        return _unauthorised("the token is unknown or revoked")
    media = (request.content_type or "").lower()
    if media not in JSON_TYPES | CSV_TYPES:
        return _error(415, "UnsupportedMediaType", f"send application/json or text/csv, not {media or 'nothing'}")
    try:
        report = measurements_ingest(token=token, body=_body(request), content_type=media)
    except MeasurementsRefused as error:
        problems = [problem.as_dict() for problem in error.problems]
        return _error(error.status, error.code, error.message, problems=problems, problem_count=error.total)
    except MeasurementsTooLarge as error:
        return _error(error.status, error.code, error.message)
    logger.info(
        "measurements of school %s: %s stored, %s duplicates", token.school.school_number, report.stored,
        report.duplicates,
    )  # fmt: skip
    return JsonResponse(report.as_dict(), status=201 if report.stored else 200)
