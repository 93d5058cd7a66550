"""Build the public open-data files (/daten/...) ahead of the first request, e.g. after an import.

A download whose data changed is rebuilt on its first request anyway; at a
million addresses that takes up to a minute, which this command moves out
of the request.
"""

from django.contrib.auth.models import AnonymousUser
from django.core.management.base import BaseCommand

from layers.selectors import layer_list
from ogc.exports import FORMATS, download_collection, export_get


class Command(BaseCommand):
    help = "Build the public open-data downloads of every published layer (GeoPackage, CSV, GeoJSON)."

    def handle(self, *args, **options):
        for layer in layer_list():
            collection = download_collection(layer.slug)
            if collection is None:
                continue
            for fmt in FORMATS.values():
                export = export_get(layer=layer, collection=collection, fmt=fmt, user=AnonymousUser())
                self.stdout.write(f"{layer.slug}.{fmt.ext}: {export.path} ({export.path.stat().st_size} bytes)")
