"""Run by the system Python 3.11 (Debian's python3-qgis), not by pytest: load OGC API collections
headless in PyQGIS and print, as JSON, what QGIS sees of each.

usage: python3 qgis_probe.py BASE_URL COLLECTION [COLLECTION ...]
"""

import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (  # noqa: E402 - the platform must be chosen before Qt loads
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsProject,
    QgsVectorLayer,
)


def probe(base: str, collection: str) -> dict:
    layer = QgsVectorLayer(f"url='{base}' typename='{collection}' pagingEnabled='true'", collection, "OAPIF")
    if not layer.isValid():
        return {"valid": False, "error": layer.error().summary()}
    to_utm = QgsCoordinateTransform(layer.crs(), QgsCoordinateReferenceSystem("EPSG:25832"), QgsProject.instance())
    features = []
    for feature in layer.getFeatures():
        point = to_utm.transform(feature.geometry().centroid().asPoint())
        features.append(
            {
                "id": str(feature.attribute("id") if "id" in feature.fields().names() else feature.id()),
                "x": point.x(),
                "y": point.y(),
                "attributes": {f.name(): str(feature[f.name()]) for f in feature.fields()},
            }
        )
    return {
        "valid": True,
        "crs": layer.crs().authid(),
        "count": len(features),
        "features": features,
        "fields": layer.fields().names(),
    }


def main() -> None:
    # Without the prefix path PyQGIS finds no providers and crashes on the first transform.
    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False)
    app.initQgis()
    base, collections = sys.argv[1], sys.argv[2:]
    sys.stdout.write(json.dumps({c: probe(base, c) for c in collections}) + "\n")
    app.exitQgis()


if __name__ == "__main__":
    main()
