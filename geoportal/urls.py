"""URL configuration of the whole site."""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from geoportal import views
from ogc import downloads
from ogc import views as ogc_views
from residents.views import privacy

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    # OGC API: outside i18n_patterns, clients need stable URLs.
    # The landing page answers at /ogc as well: QGIS and others do not follow a redirect to /ogc/.
    path("ogc", ogc_views.landing_page, name="ogc-landing"),
    path("ogc/", include("ogc.urls")),
    # Open-data files: one URL per file whatever the language (the page /daten/ is below).
    path("daten/<slug:slug>.<str:ext>", downloads.download, name="download"),
    # The schools' measurement API (devices post with a token): a stable URL whatever the language.
    path("api/schulen/", include("schools.api_urls")),
]

urlpatterns += i18n_patterns(
    path("", views.home, name="home"),
    path("quellen/", views.sources, name="sources"),
    path("daten/", downloads.page, name="downloads"),
    path("admin/", admin.site.urls),
    # Accounts are made by administrators; there is no self-registration.
    path("konto/anmelden/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("konto/abmelden/", auth_views.LogoutView.as_view(), name="logout"),
    path("ausbau/", include("rollout.urls")),
    path("schulen/", include("schools.urls")),
    path("koordination/", include("coordination.urls")),
    path("", include("residents.urls")),
    # Following an address or district, and residents' reports (residents/follow, residents/reports).
    path("", include("residents.follow.urls")),
    path("", include("residents.reports.urls")),
    path("datenschutz/", privacy.privacy, name="privacy"),
    prefix_default_language=False,
)

handler404 = "geoportal.views.page_not_found"
handler500 = "geoportal.views.server_error"
