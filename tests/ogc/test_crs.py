"""CRS table and bbox handling, without the database."""

import math

import pytest

from geoportal.errors import InvalidInputError, UnknownCRSError
from ogc.crs import CRS84, EPSG_3857, EPSG_4326, EPSG_25832, bbox_geometry, crs_get


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (None, CRS84),
        ("http://www.opengis.net/def/crs/OGC/1.3/CRS84", CRS84),
        ("http://www.opengis.net/def/crs/EPSG/0/4326", EPSG_4326),
        ("EPSG:25832", EPSG_25832),
        ("[EPSG:3857]", EPSG_3857),
        ("urn:ogc:def:crs:EPSG::25832", EPSG_25832),
    ],
)
def test_crs_get_knows_the_four_crs_by_uri_and_alias(name, expected):
    assert crs_get(name) is expected


def test_crs_get_refuses_other_crs():
    with pytest.raises(UnknownCRSError, match="not supported"):
        crs_get("http://www.opengis.net/def/crs/EPSG/0/31467")


def test_bbox_crossing_the_antimeridian_far_from_the_city_selects_nothing():
    assert bbox_geometry([170, -10, -170, 10], CRS84) is None


def test_bbox_crossing_the_antimeridian_is_split_in_two():
    # West edge at 5°E, east edge at 170°W: covers 5°E..180° and 180°..170°W.
    geometry = bbox_geometry([5, 50, -170, 55], CRS84)
    assert geometry.geom_type == "Polygon"  # the western part lies outside the storage area
    assert geometry.extent[0] == 5
    assert geometry.extent[2] == 18.0


def test_world_bbox_is_clipped_to_finite_values():
    geometry = bbox_geometry([-180, -90, 180, 90], CRS84)
    assert all(math.isfinite(v) for v in geometry.extent)
    geometry = bbox_geometry([-1e9, -1e9, 1e9, 1e9], EPSG_3857)
    assert all(math.isfinite(v) for v in geometry.extent)


def test_epsg_4326_bbox_is_latitude_first():
    geometry = bbox_geometry([51.4, 6.8, 51.5, 6.9], EPSG_4326)
    assert geometry.extent == pytest.approx((6.8, 51.4, 6.9, 51.5))


def test_bbox_outside_latitude_range_is_refused():
    with pytest.raises(InvalidInputError, match="latitude"):
        bbox_geometry([6, 51, 7, 95], CRS84)
