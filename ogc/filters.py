"""CQL2 filters (pygeofilter ASTs) turned into Django Q objects, over an allow-list of queryables."""

from __future__ import annotations

from django.db.models import Q
from pygeoapi.provider.base import ProviderInvalidQueryError

from ogc.collections import Collection


def to_q(ast, collection: Collection) -> Q:
    raise ProviderInvalidQueryError(user_msg="filter is not supported yet")
