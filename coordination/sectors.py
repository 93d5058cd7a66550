"""The sectors whose works open the street (road, water, sewer, gas, power, district heating, telecom) and the
spellings owners use for them in their files."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from rollout.vocabulary import normalise


class Sector(models.TextChoices):
    ROAD = "road", _("Road")
    WATER = "water", _("Water")
    SEWER = "sewer", _("Sewer")
    GAS = "gas", _("Gas")
    POWER = "power", _("Power")
    DISTRICT_HEATING = "district_heating", _("District heating")
    TELECOM = "telecom", _("Telecommunications")
    OTHER = "other", _("Other")


_SPELLINGS: dict[str, list[str]] = {
    Sector.ROAD: [
        "straße",
        "strasse",
        "straßenbau",
        "strassenbau",
        "straßen",
        "fahrbahn",
        "deckenerneuerung",
        "tiefbau",
    ],
    Sector.WATER: ["wasser", "trinkwasser", "wasserversorgung", "wasserleitung"],
    Sector.SEWER: ["kanal", "abwasser", "kanalbau", "entwässerung", "sewage"],
    Sector.GAS: ["gasleitung", "gasversorgung", "erdgas"],
    Sector.POWER: ["strom", "elektrizität", "elektro", "electricity", "stromnetz"],
    Sector.DISTRICT_HEATING: ["fernwärme", "fernwaerme", "wärme", "heating", "district heat"],
    Sector.TELECOM: ["telekommunikation", "tk", "glasfaser", "breitband", "telecommunications", "fibre", "fiber"],
    Sector.OTHER: ["sonstige", "sonstiges", "andere"],
}
SECTOR_SYNONYMS: dict[str, str] = {
    normalise(spelling): str(value) for value, spellings in _SPELLINGS.items() for spelling in [value, *spellings]
}
