"""Write the roadworks test files of tests/data/roadworks/ (run once; the outputs are committed).

    .venv/bin/python tests/data/roadworks/make_roadworks.py

Everything here is made up by us and placed under CC0; see README.md.
Coordinates are EPSG:25832 inside the test city square 345000–355000 E, 5695000–5705000 N.
"""

import json
import zipfile
from pathlib import Path

import geopandas as gpd
from pyproj import Transformer

HERE = Path(__file__).resolve().parent
VALID, INVALID = HERE / "valid", HERE / "invalid"
CRS_25832 = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25832"}}
TO_4326 = Transformer.from_crs(25832, 4326, always_xy=True)


def line(*points):
    return {"type": "LineString", "coordinates": [list(p) for p in points]}


def square(xmin, ymin, xmax, ymax):
    return {"type": "Polygon", "coordinates": [[[xmin, ymin], [xmax, ymin], [xmax, ymax], [xmin, ymax], [xmin, ymin]]]}


def works(reference, geom, **props):
    base = {
        "kennung": reference,
        "titel": f"Maßnahme {reference}",
        "sparte": "Straße",
        "beginn": "2031-03-01",
        "ende": "2031-06-30",
        "aufbruchsperre": "2036-06-30",
    }
    return {"type": "Feature", "properties": {**base, **props}, "geometry": geom}


def geojson(path, features, crs=CRS_25832):
    data = {"type": "FeatureCollection", "features": features}
    if crs:
        data["crs"] = crs
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")


GOOD = [
    # A trench along a street, a resurfaced square, and works on two streets at once.
    works("TB-1", line((349500, 5700000), (350500, 5700000)), titel="Deckenerneuerung Schloßstraße"),
    works(
        "W-7",
        square(351000, 5701000, 351100, 5701100),
        titel="Wasserleitung Kirchplatz",
        sparte="Wasser",
        beginn="Q2/2031",
        ende="Q3/2031",
        aufbruchsperre=None,
    ),
    works(
        "FW-3",
        {
            "type": "MultiLineString",
            "coordinates": [[[346000, 5696000], [346000, 5696800]], [[346000, 5696800], [346600, 5696800]]],
        },
        titel="Fernwärme Ringstraße",
        sparte="Fernwärme",
        beginn="01.09.2031",
        ende="30.11.2031",
        aufbruchsperre="30.11.2034",
    ),
]


def write_valid():
    geojson(VALID / "roadworks.geojson", GOOD)
    frame = gpd.read_file(VALID / "roadworks.geojson")
    frame.to_file(VALID / "roadworks.gpkg", driver="GPKG", layer="baustellen")
    frame.to_crs(4326).to_file(VALID / "roadworks_4326.geojson", driver="GeoJSON")
    shp = HERE / "tmp_shp"
    shp.mkdir(exist_ok=True)
    # A Shapefile holds one kind of geometry: the two line works only.
    frame[frame.geom_type.str.contains("Line")].to_file(shp / "roadworks.shp")
    with zipfile.ZipFile(VALID / "roadworks_shp.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for part in sorted(shp.iterdir()):
            archive.write(part, part.name)
            part.unlink()
    shp.rmdir()
    # Excel in a German locale: semicolons, cp1252, German dates; WKT without a CRS (recognised as metres of
    # UTM 32N). Row 3 is old works whose dig ban is over (a warning, not an error).
    (VALID / "roadworks_wkt_cp1252.csv").write_bytes(
        (
            "Aktenzeichen;Maßnahme;Sparte;Baubeginn;Bauende;Aufbruchsperre;WKT\r\n"
            "K-100;Kanalsanierung Hauptstraße;Abwasser;01.04.2031;31.07.2031;31.07.2034;"
            "LINESTRING (349000 5699500, 349800 5699500)\r\n"
            "G-5;Gasleitung Mühlenweg;Gas;Q1/2031;Q1/2031;;"
            "POLYGON ((352000 5702000, 352050 5702000, 352050 5702050, 352000 5702050, 352000 5702000))\r\n"
            "S-1;Straßenbau Heckenweg (alt);Straße;2019-05-01;2019-06-30;2021-06-30;"
            "LINESTRING (347000 5698000, 347000 5698400)\r\n"
        ).encode("cp1252")
    )
    # A site per row (lat/lon): kept as a circle.
    lon, lat = TO_4326.transform(350200, 5700300)
    (VALID / "roadworks_latlon.csv").write_text(
        "id,titel,sparte,beginn,ende,lat,lon\n"
        f"H-1,Hausanschluss Strom Lindenweg 4,Strom,2031-05-02,2031-05-20,{lat:.6f},{lon:.6f}\n",
        encoding="utf-8",
    )


def write_invalid():
    (INVALID / "bad_dates.csv").write_text(
        "kennung,titel,sparte,beginn,ende,aufbruchsperre,wkt\n"
        'D-1,Gut,Straße,2031-01-01,2031-02-01,2033-01-01,"LINESTRING (349000 5699000, 349100 5699000)"\n'
        'D-2,Kein Beginn,Straße,irgendwann,2031-02-01,,"LINESTRING (349000 5699100, 349100 5699100)"\n'
        'D-3,Ende vor Beginn,Straße,2031-05-01,2031-02-01,,"LINESTRING (349000 5699200, 349100 5699200)"\n'
        'D-4,Sperre vor Ende,Straße,2031-01-01,2031-06-30,2031-03-01,"LINESTRING (349000 5699300, 349100 5699300)"\n',
        encoding="utf-8",
    )
    geojson(
        INVALID / "unknown_sector.geojson",
        [works("U-1", line((349000, 5699000), (349100, 5699000)), sparte="Seilbahn")],
    )
    geojson(
        INVALID / "outside_city.geojson",
        [
            works("O-1", line((349000, 5699000), (349100, 5699000))),
            works("O-2", line((390000, 5820000), (390100, 5820000)), titel="In Berlin? Nein, weit weg"),
        ],
    )
    geojson(
        INVALID / "not_line_or_area.geojson",
        [
            works(
                "P-1",
                {
                    "type": "GeometryCollection",
                    "geometries": [
                        line((349000, 5699000), (349100, 5699000)),
                        square(349000, 5699000, 349050, 5699050),
                    ],
                },
            )
        ],
    )
    geojson(
        INVALID / "duplicate_reference.geojson",
        [
            works("R-1", line((349000, 5699000), (349100, 5699000))),
            works("R-1", line((349000, 5699500), (349100, 5699500))),
        ],
    )
    geojson(INVALID / "empty_geometry.geojson", [works("E-1", None)])
    (INVALID / "no_geometry.csv").write_text(
        "kennung,titel,beginn,ende\nN-1,Ohne Ort,2031-01-01,2031-02-01\n", encoding="utf-8"
    )
    (INVALID / "garbage.gpkg").write_text("this is not a GeoPackage\n", encoding="utf-8")
    # A title that a spreadsheet or a page would run (escaped, and kept as text in the CSV export) and a bad date.
    geojson(
        INVALID / "hostile.geojson",
        [
            works(
                "X-1",
                line((349000, 5699000), (349100, 5699000)),
                titel='=HYPERLINK("http://x")<script>alert(1)</script>',
                beginn="<b>bald</b>",
            )
        ],
    )


if __name__ == "__main__":
    VALID.mkdir(exist_ok=True)
    INVALID.mkdir(exist_ok=True)
    write_valid()
    write_invalid()
