"""Schools of the city, from the official NRW school master data."""

from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

SRID = 25832


class School(models.Model):
    """A school by its official NRW school number (Schulnummer)."""

    school_number = models.CharField(_("school number"), max_length=6, unique=True)
    name = models.CharField(_("name"), max_length=300)
    short_name = models.CharField(_("short name"), max_length=300, blank=True)
    school_type = models.CharField(_("type of school"), max_length=100)
    school_type_code = models.CharField(_("type code"), max_length=4, blank=True)
    street = models.CharField(_("street and number"), max_length=200)
    postcode = models.CharField(_("postcode"), max_length=5)
    city = models.CharField(_("city"), max_length=100, default="Mülheim an der Ruhr")
    geom = models.PointField(_("position"), srid=SRID)
    district = models.ForeignKey(
        "layers.District", verbose_name=_("district"), null=True, blank=True, on_delete=models.SET_NULL
    )
    pupils = models.PositiveIntegerField(_("pupils"), null=True, blank=True)
    pupils_school_year = models.CharField(_("school year of pupil count"), max_length=7, blank=True)
    social_index = models.PositiveSmallIntegerField(
        _("school social index"), null=True, blank=True, help_text=_("Schulsozialindex NRW, 1 (low) to 9 (high).")
    )
    startchancen = models.BooleanField(_("Startchancen school"), default=False)
    legal_status = models.CharField(_("legal status"), max_length=100, blank=True)
    website = models.URLField(_("website"), blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    is_school = models.BooleanField(
        _("is a school"), default=True, help_text=_("False for offices listed in the school register (Schulamt).")
    )
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("school")
        verbose_name_plural = _("schools")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.school_number})"
