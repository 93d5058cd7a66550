"""Reads of the base layers. Every read path (pages, OGC API, exports) goes through here.

``user`` is accepted everywhere so that role-dependent rules can be added in
one place later; the base layers are public today.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from layers.models import Address, District, Facility, Layer

User = AbstractBaseUser | AnonymousUser | None


def districts_public(*, user: User = None) -> QuerySet[District]:
    """All districts (city, boroughs, quarters): public administrative geometry."""
    return District.objects.all()


def addresses_public(*, user: User = None) -> QuerySet[Address]:
    """All addresses; callers expose only the public fields (no source identifiers)."""
    return Address.objects.all()


def facilities_public(*, user: User = None) -> QuerySet[Facility]:
    """All city facilities."""
    return Facility.objects.all()


def layers_published(*, user: User = None) -> QuerySet[Layer]:
    """Catalogue entries that are published."""
    return Layer.objects.filter(published=True)
