"""What /conformance declares: exactly the conformance classes this server passes, each with the tests that prove it.

pygeoapi declares every class its feature API could support (CQL2, queryables, Part 4 create/replace/delete)
whether or not the provider does; clients such as QGIS then send requests we cannot answer.
"""

from __future__ import annotations

from http import HTTPStatus

from pygeoapi.api import API, F_HTML, APIRequest
from pygeoapi.util import render_j2_template, to_json

from ogc import records
from ogc.tiles import documents as tiles_documents

# A class joins this list with the tests that prove it.
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/json",
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/landing-page",
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-common-2/1.0/conf/collections",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    # Part 3 and CQL2 (tests/ogc/test_filters.py, test_filter_http.py). QGIS (>= 3.32) sends
    # CQL2 text when it finds filter, features-filter, basic-cql2 and cql2-text; GDAL reads the queryables.
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions",
    # The draft name of basic-spatial-functions, which QGIS 3.32-3.40 looks for before sending S_INTERSECTS.
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-operators",
    *records.CONFORMANCE,
    *tiles_documents.CONFORMANCE,
    # Part 4 on rollout-areas (ogc.transactions, tests/ogc/test_transactions.py).
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
]


def conformance_document(api: API, api_request: APIRequest) -> tuple[dict, int, str]:
    headers = api_request.get_response_headers(**api.api_headers)
    content = {"conformsTo": CONFORMANCE}
    if api_request.format == F_HTML:
        html = render_j2_template(
            api.tpl_config, api.config["server"]["templates"], "conformance.html", content, api_request.locale
        )
        return headers, HTTPStatus.OK, html
    return headers, HTTPStatus.OK, to_json(content, api.pretty_print)
