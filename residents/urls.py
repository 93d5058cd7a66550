"""URLs of the residents' pages (German paths; English under /en/ through i18n_patterns).

An address page's permalink is built by ``residents.links.address_url`` (layers/naming.py says why it is
made of postcode, street and house number and not of a database id).
"""

from django.urls import path

from residents.views import address, search

app_name = "residents"

urlpatterns = [
    path("suche/", search.search_page, name="search"),
    path("suche/vorschlaege", search.suggest, name="suggest"),
    path("suche/standort", search.locate, name="locate"),
    path("adresse/nr/<int:pk>/", address.address_by_id, name="address-by-id"),
    path("adresse/<str:postcode>/<slug:street>/", address.street_page, name="street"),
    path("adresse/<str:postcode>/<slug:street>/<str:house>/", address.address_page, name="address"),
]
