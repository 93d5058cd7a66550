"""URLs of following (German paths; English under /en/). The pages of an address or district sit below its page's
path; the links in mails carry a secret each (residents/tokens.py)."""

from django.urls import path

from geoportal.errorpages import with_error_pages
from residents.follow.feeds import AddressFeed, DistrictFeed
from residents.views import follow

app_name = "follow"

ADDRESS = "adresse/<str:postcode>/<slug:street>/<str:house>/"

urlpatterns = [
    path(ADDRESS + "folgen/", follow.follow_address, name="address"),
    path(ADDRESS + "feed.atom", with_error_pages(AddressFeed()), name="address-feed"),
    path("bezirke/<slug:district>/folgen/", follow.follow_district, name="district"),
    path("bezirke/<slug:district>/feed.atom", with_error_pages(DistrictFeed()), name="district-feed"),
    path("abo/bestaetigen/<str:token>/", follow.confirm, name="confirm"),
    path("abo/abmelden/<str:token>/", follow.unsubscribe, name="unsubscribe"),
]
