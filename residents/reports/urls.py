"""URLs of reports: the residents' forms and private status pages, and the providers' and planners' lists in the
rollout workspace (/ausbau/…)."""

from django.urls import path

from residents.views import reports

app_name = "reports"

urlpatterns = [
    path("adresse/<str:postcode>/<slug:street>/<str:house>/fehler-melden/", reports.report_address, name="address"),
    path("fehler-melden/adresse-fehlt/", reports.report_missing, name="missing"),
    path("meldung/<str:token>/", reports.report_status, name="status"),
    path("ausbau/anbieter/<slug:slug>/meldungen/", reports.provider_reports, name="provider"),
    path("ausbau/meldungen/", reports.all_reports, name="all"),
    path("ausbau/meldungen/<int:pk>/", reports.report_detail, name="detail"),
]
