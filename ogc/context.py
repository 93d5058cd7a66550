"""What the view wrapper parsed from a request, handed to the provider.

pygeoapi instantiates the provider itself and passes only its own query
arguments; the request's user and the parameters we parse ourselves (CRS,
bbox, datetime: done here, in PostGIS, rather than with pyproj) travel in a
context variable that the view sets and resets around each call.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from django.contrib.gis.geos import GEOSGeometry
from django.db.models import Q

from ogc.crs import CRS84, SupportedCrs


@dataclass(frozen=True)
class RequestState:
    user: object = None
    crs: SupportedCrs = CRS84
    # None: no bbox given; EMPTY: a bbox that selects nothing.
    bbox: GEOSGeometry | None = None
    bbox_empty: bool = False
    # Closed interval; None on a side means open.
    start: datetime | None = None
    end: datetime | None = None
    has_datetime: bool = False
    # The CQL2 filter (filter, filter-lang, filter-crs), checked against the queryables.
    filter: Q | None = None
    # The request's parameters but offset, for next/prev links.
    query: tuple[tuple[str, str], ...] = ()
    # Records: absolute URLs of the OGC API and of the site, and the extent (CRS84)
    # that stands for catalogue entries without one (the city's).
    base_url: str = ""
    site_url: str = ""
    fallback_extent: GEOSGeometry | None = None


_DEFAULT = RequestState()
_state: ContextVar[RequestState | None] = ContextVar("ogc_request_state", default=None)


def state_get() -> RequestState:
    return _state.get() or _DEFAULT


def state_set(state: RequestState):
    """Set the state; returns the token for ``state_reset``."""
    return _state.set(state)


def state_reset(token) -> None:
    _state.reset(token)
