"""The schools' measurement API: outside i18n_patterns, devices need one stable URL."""

from django.urls import path

from schools.views import api

app_name = "schools_api"

urlpatterns = [path("messungen", api.measurements, name="measurements")]
