"""When each recipe of vector tiles was first served: with the data's change time, a tile's Last-Modified.

A tile's recipe is a hash of how a tileset's tiles are made (ogc/tiles/render.py ``tile_recipe``). A
release that changes what tiles hold gives new recipes; the first worker to serve one records the time,
every other worker and every later start reads it (ogc/tiles/views.py ``tile_last_modified``). A table of
its own, next to ``data_version``: not a Django model, nothing else reads it.
"""

from django.db import migrations

FORWARD = [
    """CREATE TABLE tile_recipe (
           source text NOT NULL,
           recipe text NOT NULL,
           first_served timestamptz NOT NULL DEFAULT clock_timestamp(),
           PRIMARY KEY (source, recipe)
       )"""
]
BACKWARD = ["DROP TABLE tile_recipe"]


class Migration(migrations.Migration):
    dependencies = [("layers", "0004_data_version_changed_at")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
