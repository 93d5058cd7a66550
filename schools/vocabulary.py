"""The words of school connectivity: connection status, technology, funding and the benchmark classes.

Everything that names one of them imports it from here, so a value and its label live in one place.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ConnectionStatus(models.TextChoices):
    """Where the school stands on its way to a fibre (gigabit) line."""

    NOT_CONNECTED = "not_connected", _("Not connected to fibre")
    PLANNED = "planned", _("Fibre planned")
    UNDER_CONSTRUCTION = "under_construction", _("Fibre under construction")
    CONNECTED = "connected", _("Connected to fibre")


class ConnectionTechnology(models.TextChoices):
    """The technology of the line the school uses now (before a fibre connection, its old line)."""

    FIBRE = "fibre", _("Fibre (FTTB/FTTH)")
    HFC = "hfc", _("Cable (HFC/DOCSIS)")
    VDSL = "vdsl", _("VDSL")
    ADSL = "adsl", _("ADSL")
    MOBILE = "mobile", _("Mobile (LTE/5G)")
    SATELLITE = "satellite", _("Satellite")
    NONE = "none", _("No internet line")


class Funding(models.TextChoices):
    """Who pays for the school's fibre connection."""

    DIGITALPAKT = "digitalpakt", _("DigitalPakt Schule")
    FEDERAL_SCHOOLS = "federal_schools", _("Federal gigabit programme, call for schools")
    CITY_UTILITY = "city_utility", _("City utility's own project")
    SCHOOL_BOARD = "school_board", _("School board's own budget")
    PROVIDER = "provider", _("Provider's own investment")
    OTHER = "other", _("Other")


class BenchmarkClass(models.TextChoices):
    """A school's bandwidth against its benchmark (schools/benchmark.py), in the classes Giga uses."""

    GOOD = "good", _("Good")
    MODERATE = "moderate", _("Moderate")
    INSUFFICIENT = "insufficient", _("Insufficient")
    UNKNOWN = "unknown", _("Unknown")


class BenchmarkBasis(models.TextChoices):
    """Which value the class was taken from: measured values win over the contract, as with Giga."""

    MEASURED = "measured", _("measured")
    CONTRACTED = "contracted", _("contracted")
    NONE = "none", _("no value")


# A line of at least this download is gigabit (the EU Gigabit Society target for schools).
GIGABIT_MBITS = 1000
# Statuses in which the school's fibre connection is on its way.
ON_THE_WAY = (ConnectionStatus.PLANNED, ConnectionStatus.UNDER_CONSTRUCTION)
