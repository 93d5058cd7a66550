"""Views of the open-data downloads: the page /daten/ and the files /daten/<layer>.<gpkg|csv|geojson>.

The files live outside the language prefix (one URL per file, what scripts and
the records' enclosure links need); the page is German first, English under /en/.
"""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import http_date, quote_etag
from django.views.decorators.http import require_safe

from layers import selectors as layer_selectors
from ogc.config import base_url
from ogc.exports import FORMATS, download_collection, export_get
from ogc.records import RECORDS_ID


@require_safe
def download(request: HttpRequest, slug: str, ext: str) -> HttpResponse:
    fmt = FORMATS.get(ext)
    layer = layer_selectors.layer_list(slugs=[slug]).first()
    collection = download_collection(slug)
    if fmt is None or layer is None or collection is None:
        raise Http404(f"no download {slug}.{ext}")
    export = export_get(layer=layer, collection=collection, fmt=fmt, user=request.user)
    if export.etag in [quote_etag(t.strip()) for t in request.headers.get("If-None-Match", "").split(",")]:
        return HttpResponseNotModified(headers={"ETag": export.etag})
    response = FileResponse(export.path.open("rb"), as_attachment=True, filename=export.filename)
    response["Content-Type"] = fmt.media_type
    response["ETag"] = export.etag
    response["Last-Modified"] = http_date(export.built.timestamp())
    record = f"{base_url(request)}/collections/{RECORDS_ID}/items/{layer.slug}"
    links = [f'<{record}>; rel="describedby"; type="application/geo+json"']
    if layer.licence_url:
        links.insert(0, f'<{layer.licence_url}>; rel="license"')
    response["Link"] = ", ".join(links)
    return response


@require_safe
def page(request: HttpRequest) -> HttpResponse:
    entries = []
    for layer in layer_selectors.layer_list():
        collection = download_collection(layer.slug)
        files = []
        if collection is not None:
            files = [
                {"format": fmt, "url": reverse("download", kwargs={"slug": layer.slug, "ext": fmt.ext})}
                for fmt in FORMATS.values()
            ]
        entries.append(
            {
                "layer": layer,
                "files": files,
                "collection_url": f"/ogc/collections/{collection.id}" if collection else "",
                "record_url": f"/ogc/collections/{RECORDS_ID}/items/{layer.slug}",
            }
        )
    return render(
        request, "ogc/downloads.html", {"entries": entries, "catalogue_url": f"/ogc/collections/{RECORDS_ID}"}
    )
