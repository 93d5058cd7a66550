"""URLs of the school pages (German paths; English under /en/ through i18n_patterns)."""

from django.urls import path, re_path

from schools.views import pages, planning

app_name = "schools"

NUMBER = r"(?P<school_number>[0-9]{6})"

urlpatterns = [
    path("", pages.school_list_page, name="list"),
    path("karte/", pages.school_map_page, name="map"),
    path("verlauf.json", pages.school_timeline, name="timeline"),
    re_path(rf"^{NUMBER}/$", pages.school_page, name="school"),
    re_path(rf"^{NUMBER}/anbindung/$", planning.connection_edit, name="connection-edit"),
    re_path(rf"^{NUMBER}/tokens/$", planning.tokens, name="tokens"),
    re_path(rf"^{NUMBER}/tokens/(?P<pk>[0-9]{{1,18}})/widerrufen/$", planning.token_revoke, name="token-revoke"),
]
