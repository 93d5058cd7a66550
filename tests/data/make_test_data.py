"""Write the small test files under tests/data (made by us, CC0). Run: .venv/bin/python tests/data/make_test_data.py

The positions are real places in Mülheim an der Ruhr, the addresses are invented.
"""

import json
import shutil
import zipfile
from pathlib import Path

import geopandas as gpd
from pyproj import Transformer
from shapely.geometry import Point, Polygon

HERE = Path(__file__).resolve().parent
ADDR, DIST, BAD = HERE / "addresses", HERE / "districts", HERE / "invalid"
TO_UTM = Transformer.from_crs(4326, 25832, always_xy=True)

# (street, number, suffix, postcode, homes, lon, lat): inside the city
ADDRESSES = [
    ("Schloßstraße", 1, "", "45468", 4, 6.8810, 51.4280),
    ("Schloßstraße", 3, "a", "45468", 2, 6.8815, 51.4283),
    ("Löhberg", 12, "", "45468", 6, 6.8790, 51.4290),
    ("Düsseldorfer Straße", 101, "", "45481", 1, 6.8680, 51.3980),
    ("Kölner Straße", 7, "b", "45481", 3, 6.8750, 51.4050),
]
OUTSIDE = [
    ("Kettwiger Straße", 1, "", "45127", 1, 7.0130, 51.4560),
    ("Alexanderplatz", 1, "", "10178", 1, 13.41, 52.52),
]


def utm(lon, lat):
    return TO_UTM.transform(lon, lat)


def hk_line(i, street, number, suffix, postcode, lon, lat, sep, decimal):
    x, y = utm(lon, lat)
    east, north = f"{x:.3f}".replace(".", decimal), f"{y:.3f}".replace(".", decimal)
    oi = f"DENW{i:012d}"
    return sep.join(
        [
            "N",
            oi,
            "A",
            "05",
            "1",
            "17",
            "000",
            "0001",
            f"{i:05d}",
            str(number),
            suffix,
            east,
            north,
            street,
            postcode,
            "Mülheim an der Ruhr",
            "",
            "",
        ]
    )


def frame(rows, crs=4326, number_as_text=True):
    records = []
    for street, number, suffix, postcode, homes, lon, lat in rows:
        geom = Point(lon, lat) if crs == 4326 else Point(*utm(lon, lat))
        records.append(
            {
                "street": street,
                "house_number": f"{number}{suffix}" if number_as_text else number,
                "postcode": postcode,
                "homes": homes,
                "geometry": geom,
            }
        )
    return gpd.GeoDataFrame(records, crs=f"EPSG:{crs}")


def zip_shapefile(stem: Path, target: Path, *, drop_prj=False):
    with zipfile.ZipFile(target, "w") as zf:
        for part in stem.parent.glob(stem.name + ".*"):
            if drop_prj and part.suffix == ".prj":
                continue
            zf.write(part, part.name)


def osm_pbf_write(source: Path, target: Path) -> None:
    """Convert the OSM XML to PBF with pyosmium (a tool-only dependency: GDAL cannot write PBF)."""
    try:
        import osmium
    except ImportError:
        print("pyosmium not installed: keeping the existing", target.name)  # noqa: T201
        return
    target.unlink(missing_ok=True)
    with osmium.SimpleWriter(str(target)) as writer:
        for obj in osmium.FileProcessor(str(source)):
            writer.add(obj)


def main():
    for d in (ADDR, DIST, BAD):
        d.mkdir(exist_ok=True)
    lines = [hk_line(i, s, n, x, p, lo, la, ";", ",") for i, (s, n, x, p, _, lo, la) in enumerate(ADDRESSES, 1)]
    (ADDR / "hk_cp1252_semicolon.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    header = "NBA,OI,QUA,LAN,RBZ,KRS,GMD,OTT,SSS,HNR,ADZ,EAST,NORTH,STN,PLZ,ONM,ZON,POT"
    lines = [hk_line(i, s, n, x, p, lo, la, ",", ".") for i, (s, n, x, p, _, lo, la) in enumerate(ADDRESSES, 1)]
    (ADDR / "hk_utf8_comma.csv").write_bytes(("\ufeff" + header + "\n" + "\n".join(lines) + "\n").encode("utf-8"))

    frame(ADDRESSES, crs=25832).to_file(ADDR / "addresses.gpkg", driver="GPKG", layer="addresses")
    frame(ADDRESSES, crs=4326).to_file(ADDR / "addresses_4326.geojson", driver="GeoJSON")
    tmp = HERE / "_tmp"
    tmp.mkdir(exist_ok=True)
    frame(ADDRESSES, crs=25832).rename(columns={"house_number": "hnr", "street": "strasse"}).to_file(
        tmp / "addresses.shp", encoding="utf-8"
    )
    zip_shapefile(tmp / "addresses", ADDR / "addresses_shp.zip")

    # OSM: four addresses on nodes, the last one on a building outline (a closed way), and a bench;
    # node ids ascending, as GDAL's OSM driver requires
    nodes, ways = [], []
    for i, (street, number, suffix, postcode, _, lon, lat) in enumerate(ADDRESSES, 1):
        tags = (
            f'    <tag k="addr:street" v="{street}"/>\n    <tag k="addr:housenumber" v="{number}{suffix}"/>\n'
            f'    <tag k="addr:postcode" v="{postcode}"/>\n    <tag k="addr:city" v="Mülheim an der Ruhr"/>\n'
        )
        if i < len(ADDRESSES):
            nodes.append(f'  <node id="{i}" version="1" lat="{lat}" lon="{lon}">\n{tags}  </node>')
            continue
        corners = [
            (lon - 1e-4, lat - 1e-4),
            (lon + 1e-4, lat - 1e-4),
            (lon + 1e-4, lat + 1e-4),
            (lon - 1e-4, lat + 1e-4),
        ]
        for j, (x, y) in enumerate(corners, 101):
            nodes.append(f'  <node id="{j}" version="1" lat="{y:.7f}" lon="{x:.7f}"/>')
        refs = "".join(f'    <nd ref="{j}"/>\n' for j in (101, 102, 103, 104, 101))
        ways.append(f'  <way id="201" version="1">\n{refs}    <tag k="building" v="yes"/>\n{tags}  </way>')
    nodes.insert(4, '  <node id="99" version="1" lat="51.43" lon="6.88">\n    <tag k="amenity" v="bench"/>\n  </node>')
    osm = '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="glasfaserportal tests">\n'
    body = "\n".join(nodes + ways)
    (ADDR / "addresses.osm").write_text(osm + body + "\n</osm>\n", encoding="utf-8")

    osm_pbf_write(ADDR / "addresses.osm", ADDR / "addresses.osm.pbf")

    # districts: two Stadtteile around the centre, in EPSG:25832
    def box(lon0, lat0, lon1, lat1):
        return Polygon([utm(lon0, lat0), utm(lon1, lat0), utm(lon1, lat1), utm(lon0, lat1)])

    districts = gpd.GeoDataFrame(
        [
            {"code": "T01", "name": "Altstadt I", "parent": "B1", "geometry": box(6.870, 51.420, 6.890, 51.435)},
            {"code": "T02", "name": "Broich", "parent": "B1", "geometry": box(6.860, 51.395, 6.880, 51.410)},
        ],
        crs="EPSG:25832",
    )
    districts.to_file(DIST / "stadtteile.gpkg", driver="GPKG")
    borough = gpd.GeoDataFrame(
        [{"code": "B1", "name": "Rechtsruhr-Süd", "geometry": box(6.850, 51.390, 6.900, 51.440)}], crs="EPSG:25832"
    )
    borough.to_file(DIST / "stadtbezirk.geojson", driver="GeoJSON")

    # -- deliberately broken ------------------------------------------------------------------------------
    data = (ADDR / "addresses.gpkg").read_bytes()
    (BAD / "truncated.gpkg").write_bytes(data[:3000])
    (BAD / "broken.geojson").write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "geom', "utf-8")
    frame(ADDRESSES, crs=25832).to_file(tmp / "no_prj.shp")
    for part in tmp.glob("no_prj.*"):
        if part.suffix != ".prj":
            shutil.copy(part, BAD / part.name)
    lines = [hk_line(i, s, n, x, p, lo, la, ";", ",") for i, (s, n, x, p, _, lo, la) in enumerate(ADDRESSES, 1)]
    no_stn = "NBA;OI;QUA;LAN;RBZ;KRS;GMD;OTT;SSS;HNR;ADZ;OST;NORD;PLZ"
    (BAD / "missing_column.csv").write_text(
        no_stn + "\n" + "\n".join(";".join(line.split(";")[:13] + ["45468"]) for line in lines) + "\n", encoding="utf-8"
    )
    bad = list(lines)
    parts = bad[2].split(";")
    parts[9] = "zwölf"
    bad[2] = ";".join(parts)  # row 3
    (BAD / "bad_house_number.csv").write_bytes(("\n".join(bad) + "\n").encode("cp1252"))
    bowtie = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": "X1", "name": "Schleife"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [[6.870, 51.420], [6.890, 51.435], [6.890, 51.420], [6.870, 51.435], [6.870, 51.420]]
                    ],
                },
            },
        ],
    }
    (BAD / "bowtie.geojson").write_text(json.dumps(bowtie), encoding="utf-8")
    empty = {
        "type": "FeatureCollection",
        "features": [
            bowtie["features"][0]
            | {
                "properties": {"code": "X2", "name": "Gut"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[6.87, 51.42], [6.89, 51.42], [6.89, 51.43], [6.87, 51.42]]],
                },
            },
            {"type": "Feature", "properties": {"code": "X3", "name": "Leer"}, "geometry": None},
        ],
    }
    (BAD / "empty_geometry.geojson").write_text(json.dumps(empty), encoding="utf-8")
    frame(ADDRESSES, crs=25832).to_file(tmp / "garbage_crs.shp")
    for part in tmp.glob("garbage_crs.*"):
        shutil.copy(part, BAD / part.name)
    (BAD / "garbage_crs.prj").write_text("this is not a coordinate reference system", encoding="utf-8")
    garbage = json.loads((ADDR / "addresses_4326.geojson").read_text("utf-8"))
    garbage["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::kartoffel"}}
    (BAD / "garbage_crs.geojson").write_text(json.dumps(garbage), encoding="utf-8")
    frame(ADDRESSES[:2] + OUTSIDE, crs=4326).to_file(BAD / "outside_city.geojson", driver="GeoJSON")
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
