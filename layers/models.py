"""GeoDjango models of the city's base layers.

Geometries are stored in ETRS89 / UTM 32N (EPSG:25832): metres, so areas,
lengths and distances are exact and cheap; pages and APIs transform on output.
Every record made by the demo generator carries ``is_demo=True``.
"""

from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, GistIndex
from django.db.models import Q
from django.db.models.functions import Collate
from django.utils.translation import gettext_lazy as _

SRID = 25832


class District(models.Model):
    """An administrative unit of the city: the city itself, a Stadtbezirk or a Stadtteil."""

    class Level(models.TextChoices):
        CITY = "city", _("City")
        BOROUGH = "stadtbezirk", _("Borough (Stadtbezirk)")
        QUARTER = "stadtteil", _("Quarter (Stadtteil)")
        STATISTICAL = "statistischer_bezirk", _("Statistical district")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    level = models.CharField(_("level"), max_length=32, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    geom = models.MultiPolygonField(_("area"), srid=SRID)
    source = models.CharField(_("source"), max_length=300, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["level", "name"]
        constraints = [
            models.UniqueConstraint(fields=["level", "name"], name="district_unique_name_per_level"),
            models.CheckConstraint(
                condition=Q(level="city", parent__isnull=True) | ~Q(level="city"),
                name="district_city_has_no_parent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_level_display()})"


class Address(models.Model):
    """A postal address with its position and number of homes: the unit of homes passed."""

    street = models.CharField(_("street"), max_length=200)
    house_number = models.PositiveIntegerField(_("house number"))
    house_number_suffix = models.CharField(_("suffix"), max_length=16, blank=True, default="")
    postcode = models.CharField(_("postcode"), max_length=5)
    city = models.CharField(_("city"), max_length=100, default="Mülheim an der Ruhr")
    district = models.ForeignKey(
        District, verbose_name=_("district"), null=True, blank=True, on_delete=models.SET_NULL, related_name="addresses"
    )
    geom = models.PointField(_("position"), srid=SRID)
    homes = models.PositiveIntegerField(_("homes"), default=1, help_text=_("Number of dwellings (Wohneinheiten)."))
    source_id = models.CharField(
        _("source identifier"), max_length=64, blank=True, default="", help_text=_("Identifier in the source register.")
    )
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["street", "house_number", "house_number_suffix"]
        constraints = [
            models.UniqueConstraint(
                fields=["street", "house_number", "house_number_suffix", "postcode"], name="address_unique_key"
            ),
        ]
        indexes = [
            models.Index(fields=["postcode", "street"], name="address_postcode_street"),
            GinIndex(fields=["street"], name="address_street_trgm", opclasses=["gin_trgm_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.street} {self.house_number}{self.house_number_suffix}, {self.postcode} {self.city}"

    @property
    def house_label(self) -> str:
        return f"{self.house_number}{self.house_number_suffix}"


class Street(models.Model):
    """A named street: the context layer of every map and the unit of "my street".

    One row per name and postcode; a street file's segments of one street are merged into its
    MultiLineString on import. ``district`` is the Stadtteil the street mostly lies in (the
    longest part of it), set in SQL by the importer and the demo generator.
    """

    name = models.CharField(_("name"), max_length=200)
    postcode = models.CharField(_("postcode"), max_length=5, blank=True, default="")
    district = models.ForeignKey(
        District, verbose_name=_("district"), null=True, blank=True, on_delete=models.SET_NULL, related_name="streets"
    )
    geom = models.MultiLineStringField(_("course"), srid=SRID)
    source = models.CharField(_("source"), max_length=300, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        verbose_name = _("street")
        verbose_name_plural = _("streets")
        ordering = ["name", "postcode"]
        constraints = [models.UniqueConstraint(fields=["name", "postcode"], name="street_unique_name_postcode")]
        indexes = [models.Index(fields=["postcode", "name"], name="street_postcode_name")]

    def __str__(self) -> str:
        return f"{self.name}, {self.postcode}" if self.postcode else self.name


class Water(models.Model):
    """A river, lake, canal or other water body: context of the maps, drawn when the city loaded its own.

    ``geom`` is a MultiPolygon (lakes, wide rivers as areas) or a MultiLineString (rivers and
    canals as centre lines); the database refuses any other type (migration 0006).
    """

    class Kind(models.TextChoices):
        RIVER = "river", _("River")
        LAKE = "lake", _("Lake")
        CANAL = "canal", _("Canal")
        OTHER = "other", _("Other water")

    name = models.CharField(_("name"), max_length=200, blank=True, default="")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.OTHER)
    geom = models.GeometryField(_("shape"), srid=SRID)
    source = models.CharField(_("source"), max_length=300, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        verbose_name = _("water body")
        verbose_name_plural = _("water bodies")
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name or self.get_kind_display()


class Facility(models.Model):
    """A public facility of the city (Bürgeramt, library, fire station, pool, ...)."""

    class Category(models.TextChoices):
        TOWN_HALL = "rathaus", _("Town hall")
        CITIZEN_OFFICE = "buergeramt", _("Citizens' office")
        LIBRARY = "bibliothek", _("Library")
        MUSEUM = "museum", _("Museum")
        FIRE_STATION = "feuerwache", _("Fire station")
        POOL = "schwimmbad", _("Swimming pool")
        YOUTH_CENTRE = "jugendzentrum", _("Youth centre")
        SPORTS = "sporthalle", _("Sports hall")
        ADMINISTRATION = "verwaltung", _("Administration")
        OTHER = "sonstiges", _("Other")

    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("category"), max_length=32, choices=Category.choices)
    address = models.CharField(_("address"), max_length=300, blank=True)
    geom = models.PointField(_("position"), srid=SRID)
    opening_hours = models.CharField(
        _("opening hours"), max_length=300, blank=True, help_text=_("OpenStreetMap opening_hours syntax.")
    )
    url = models.URLField(_("web page"), blank=True)
    source = models.CharField(_("source"), max_length=300, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        ordering = ["category", "name"]
        constraints = [models.UniqueConstraint(fields=["category", "name"], name="facility_unique_name")]

    def __str__(self) -> str:
        return self.name


class Layer(models.Model):
    """Catalogue entry of a published dataset: the basis of OGC API Records and open-data downloads."""

    class Frequency(models.TextChoices):
        CONTINUAL = "continual", _("continually")
        DAILY = "daily", _("daily")
        WEEKLY = "weekly", _("weekly")
        MONTHLY = "monthly", _("monthly")
        QUARTERLY = "quarterly", _("quarterly")
        ANNUALLY = "annually", _("annually")
        IRREGULAR = "irregular", _("irregularly")
        NOT_PLANNED = "notPlanned", _("not planned")

    slug = models.SlugField(_("identifier"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=200)
    abstract = models.TextField(_("abstract"))
    keywords = ArrayField(models.CharField(max_length=64), verbose_name=_("keywords"), default=list, blank=True)
    licence = models.CharField(_("licence"), max_length=200)
    licence_url = models.URLField(_("licence URL"), blank=True)
    attribution = models.TextField(_("attribution"))
    source = models.TextField(_("source"))
    source_url = models.URLField(_("source URL"), blank=True)
    update_frequency = models.CharField(
        _("update frequency"), max_length=16, choices=Frequency.choices, default=Frequency.IRREGULAR
    )
    extent = models.PolygonField(_("extent"), srid=4326, null=True, blank=True)
    temporal_start = models.DateField(_("valid from"), null=True, blank=True)
    temporal_end = models.DateField(_("valid until"), null=True, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)
    published = models.BooleanField(_("published"), default=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("layer")
        verbose_name_plural = _("layers")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class BroadbandAtlasValue(models.Model):
    """One figure of the federal Breitbandatlas for the city (long format, as published)."""

    source_path = models.CharField(_("source file"), max_length=300)
    sheet = models.CharField(_("sheet"), max_length=100, blank=True)
    level = models.CharField(_("level"), max_length=16)
    ags = models.CharField(_("AGS"), max_length=8)
    period_label = models.CharField(_("period"), max_length=32)
    segment = models.CharField(_("segment"), max_length=32)
    indicator = models.CharField(_("indicator"), max_length=200)
    value = models.FloatField(_("value"), null=True, help_text=_("Empty where the source has no figure."))

    class Meta:
        verbose_name = _("Breitbandatlas figure")
        verbose_name_plural = _("Breitbandatlas figures")
        ordering = ["period_label", "segment", "indicator"]
        indexes = [models.Index(fields=["level", "segment", "indicator"], name="bba_lookup")]

    def __str__(self) -> str:
        return f"{self.period_label} {self.segment} {self.indicator}: {self.value}"


class StreetIndex(models.Model):
    """One street within one postcode, as the address search finds it: names in compared form, size, centre.

    Kept up to date by PostgreSQL itself: statement triggers on the address table refresh the rows of every
    street an INSERT, UPDATE, DELETE or COPY touched, and empty the index on TRUNCATE (migration 0007), so
    no write path (importers, demo generator, admin, SQL by hand) can forget it. ``words`` and ``key`` are
    layers.search.street_words/street_key of the name and ``slug`` is layers.naming.slug, each computed by a
    SQL function that mirrors the Python one (tests/layers/test_search.py holds them equal).
    """

    name = models.CharField(_("street"), max_length=200)
    postcode = models.CharField(_("postcode"), max_length=5)
    words = models.TextField(_("compared words"))
    key = models.TextField(_("compared key"))
    slug = models.TextField(_("slug"))
    district = models.ForeignKey(
        District, verbose_name=_("district"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    addresses = models.PositiveIntegerField(_("addresses"))
    homes = models.PositiveIntegerField(_("homes"))
    centre = models.PointField(_("centre"), srid=SRID)

    class Meta:
        verbose_name = _("street index entry")
        verbose_name_plural = _("street index")
        ordering = ["name", "postcode"]
        constraints = [models.UniqueConstraint(fields=["name", "postcode"], name="streetindex_unique_street")]
        indexes = [
            models.Index(fields=["postcode", "slug"], name="streetindex_slug"),
            # Prefix typing ("Schlo", also one or two letters) and the names sharing the first letters: a
            # btree range, in C order (keys are [a-z0-9] only, so that is alphabetical) for ORDER BY … LIMIT.
            models.Index(Collate("key", "C"), name="streetindex_key_prefix"),
            # Typing errors in "Am Sternhof": the names beginning "am s" (layers.search_selectors, FUZZY).
            models.Index(Collate("words", "C"), name="streetindex_words_prefix"),
            # Parts of names (LIKE '%…%'): trigrams.
            GinIndex(fields=["key"], name="streetindex_key_trgm", opclasses=["gin_trgm_ops"]),
            # Words ("duisb" → Alte Duisburger Straße: LIKE '% duisb%') and the nearest names by spelling
            # (KNN over trigram distance). On ``words``, not ``key``: on ``key`` the planner took this GiST
            # index for the LIKE and similarity searches as well, which the GIN and btree answer 10-50x faster.
            # A signature of 256 bytes instead of 12: the nearest 12 of 16,893 names in 0.2-2 ms, not 2-10 ms.
            GistIndex(fields=["words"], name="streetindex_words_trgm", opclasses=["gist_trgm_ops(siglen=256)"]),
        ]

    def __str__(self) -> str:
        return f"{self.name}, {self.postcode}"
