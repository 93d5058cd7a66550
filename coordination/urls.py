"""URLs of the planners' coordination pages (German paths; English under /en/ through i18n_patterns).

Dig once today; the dashboard's other parts (progress, overbuild, gaps, reports) sit beside it under
/koordination/.
"""

from django.urls import path

from coordination import views

app_name = "coordination"

urlpatterns = [
    path("", views.index, name="index"),
    path("baustellen/", views.roadworks_list, name="roadworks"),
    path("baustellen/neu/", views.roadworks_new, name="works-new"),
    path("baustellen/import/", views.roadworks_import, name="import-upload"),
    path("baustellen/importe/<int:pk>/", views.import_detail, name="import"),
    path("baustellen/traeger/", views.owner_create, name="owner-create"),
    path("baustellen/<int:pk>/", views.works_detail, name="works"),
    path("baustellen/<int:pk>/bearbeiten/", views.roadworks_edit, name="works-edit"),
    path("baustellen/<int:pk>/loeschen/", views.roadworks_delete, name="works-delete"),
    path("mitverlegung/", views.matches, name="matches"),
    path("mitverlegung/export.csv", views.matches_csv, name="matches-csv"),
    path("mitverlegung/benachrichtigen/", views.notify, name="notify"),
]
