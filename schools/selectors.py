"""Reads of schools. Every read path (pages, OGC API, exports) goes through here."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from schools.models import School

User = AbstractBaseUser | AnonymousUser | None


def schools_public(*, user: User = None) -> QuerySet[School]:
    """Every entry of the school register, offices (``is_school=False``) included, as published by NRW."""
    return School.objects.all()
