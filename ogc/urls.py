"""URLs of the OGC API, mounted at /ogc/ (no trailing slashes, as OGC clients expect)."""

from django.urls import path

from ogc import transactions, views
from ogc.tiles import views as tiles

app_name = "ogc"
urlpatterns = [
    path("", views.landing_page, name="landing"),
    path("static/<path:path>", views.pygeoapi_static, name="static"),
    path("openapi", views.openapi, name="openapi"),
    path("conformance", views.conformance, name="conformance"),
    path("collections", views.collections, name="collections"),
    path("collections/<str:collection_id>", views.collections, name="collection"),
    path("collections/<str:collection_id>/queryables", views.queryables, name="queryables"),
    # GET through views; POST/PUT/DELETE (Part 4, provider tokens) through transactions.
    path("collections/<str:collection_id>/items", transactions.items, name="items"),
    path("collections/<str:collection_id>/items/<str:item_id>", transactions.item, name="item"),
    path("tileMatrixSets", tiles.tile_matrix_sets, name="tile-matrix-sets"),
    path("tileMatrixSets/<str:tms_id>", tiles.tile_matrix_set_view, name="tile-matrix-set"),
    path("collections/<str:collection_id>/tiles", tiles.tilesets, name="tilesets"),
    path("collections/<str:collection_id>/tiles/<str:tms_id>", tiles.tileset, name="tileset"),
    path("collections/<str:collection_id>/tiles/<str:tms_id>/<str:z>/<str:y>/<str:x>", tiles.tile, name="tile"),
]
