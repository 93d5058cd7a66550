"""URLs of the OGC API, mounted at /ogc/ (no trailing slashes, as OGC clients expect)."""

from django.urls import path

from ogc import transactions, views

app_name = "ogc"
urlpatterns = [
    path("", views.landing_page, name="landing"),
    path("openapi", views.openapi, name="openapi"),
    path("conformance", views.conformance, name="conformance"),
    path("collections", views.collections, name="collections"),
    path("collections/<str:collection_id>", views.collections, name="collection"),
    path("collections/<str:collection_id>/queryables", views.queryables, name="queryables"),
    path("collections/<str:collection_id>/items", transactions.items, name="items"),
    path("collections/<str:collection_id>/items/<str:item_id>", transactions.item, name="item"),
]
