"""Loading the city's real open data: boundary, Breitbandatlas figures, layer catalogue."""

import csv
import json

import pytest
from django.contrib.gis.geos import Point

from geoportal.errors import ImportFailed
from layers import services
from layers.models import BroadbandAtlasValue, District, Layer

BOUNDARY = services.CITY_DATA / "boundary_muelheim_vg250.geojson"
BROADBAND = services.CITY_DATA / "broadband_breitbandatlas_muelheim_2005-2021.csv"


@pytest.mark.django_db
def test_city_boundary_has_the_official_area_and_contains_the_town_hall():
    city = services.city_boundary_load(path=BOUNDARY, ags="05117000", source="test")

    # The official area is 91.28 km²; the VG250 polygon gives 91.24 km² geodesically.
    assert city.geom.area / 1e6 == pytest.approx(91.28, rel=0.005)
    assert city.level == District.Level.CITY
    assert city.name == "Mülheim an der Ruhr"
    # Rathaus Mülheim (Ruhrstraße), and Essen's town hall which is outside.
    assert city.geom.contains(Point(6.8825, 51.4270, srid=4326).transform(25832, clone=True))
    assert not city.geom.contains(Point(7.0130, 51.4556, srid=4326).transform(25832, clone=True))


@pytest.mark.django_db
def test_loading_the_boundary_twice_updates_in_place():
    first = services.city_boundary_load(path=BOUNDARY, ags="05117000", source="test")
    second = services.city_boundary_load(path=BOUNDARY, ags="05117000", source="again")

    assert first.pk == second.pk
    assert District.objects.filter(level=District.Level.CITY).count() == 1
    assert District.objects.get().source == "again"


@pytest.mark.django_db
def test_boundary_for_an_unknown_municipality_is_refused_naming_the_file(tmp_path):
    with pytest.raises(ImportFailed, match="no feature with AGS 09999999") as info:
        services.city_boundary_load(path=BOUNDARY, ags="09999999", source="test")

    assert str(BOUNDARY) in str(info.value)
    assert not District.objects.exists()


@pytest.mark.django_db
def test_broken_boundary_file_is_refused(tmp_path):
    broken = tmp_path / "broken.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")

    with pytest.raises(ImportFailed, match="cannot read the boundary file"):
        services.city_boundary_load(path=broken, ags="05117000", source="test")


@pytest.mark.django_db
def test_breitbandatlas_figures_match_the_source_file():
    with BROADBAND.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))

    count = services.broadband_atlas_load(path=BROADBAND)

    assert count == len(rows) == BroadbandAtlasValue.objects.count()
    # Households with >= 1000 Mbit/s (all technologies): 76.46 % in mid 2021 (SOURCES.md).
    gigabit_2021 = BroadbandAtlasValue.objects.get(
        level="gemeinde", period_label="2021_mitte", segment="privat", indicator="alle Technologien ≥ 1000 Mbit/s"
    )
    assert gigabit_2021.value == pytest.approx(76.46)
    # Empty cells in the source stay empty instead of becoming 0.
    empty = sum(1 for row in rows if row["value"] == "")
    assert BroadbandAtlasValue.objects.filter(value__isnull=True).count() == empty


@pytest.mark.django_db
def test_breitbandatlas_with_a_text_value_fails_with_the_line_and_keeps_the_old_figures(tmp_path):
    services.broadband_atlas_load(path=BROADBAND)
    before = BroadbandAtlasValue.objects.count()
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "source_path,sheet,level,ags,period_label,segment,indicator,value\n"
        "x,,gemeinde,05117000,2021,privat,a,1.5\n"
        "x,,gemeinde,05117000,2021,privat,b,viel\n",
        encoding="utf-8",
    )

    with pytest.raises(ImportFailed, match=r"bad.csv:3: value 'viel' is not a number"):
        services.broadband_atlas_load(path=bad)

    assert BroadbandAtlasValue.objects.count() == before


@pytest.mark.django_db
def test_every_catalogue_entry_has_licence_and_attribution():
    path = services.REPO / "data" / "layers.json"
    entries = json.loads(path.read_text(encoding="utf-8"))

    services.layer_catalogue_load(path=path)
    services.layer_catalogue_load(path=path)

    assert Layer.objects.count() == len(entries)
    for layer in Layer.objects.all():
        assert layer.licence
        assert layer.attribution
        assert layer.abstract
    assert set(Layer.objects.filter(is_demo=True).values_list("slug", flat=True)) == {
        "stadtbezirke",
        "adressen",
        "einrichtungen",
        "strassen",
        "ausbaugebiete",
        "verfuegbarkeit",
        "ausbaustand",
        "ausbau-statistik",
        "schulanbindung",
        "schul-messungen",
    }
