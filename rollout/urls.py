"""URLs of the provider and planner pages (German paths; English under /en/ through i18n_patterns)."""

from django.urls import path

from rollout import views

app_name = "rollout"

urlpatterns = [
    path("", views.home, name="home"),
    path("pruefung/", views.review, name="review"),
    path("einreichungen/<int:pk>/", views.submission, name="submission"),
    path("einreichungen/<int:pk>/annehmen/", views.submission_accept, name="submission-accept"),
    path("einreichungen/<int:pk>/ablehnen/", views.submission_reject, name="submission-reject"),
    path("versionen/<int:pk>/veroeffentlichen/", views.version_publish, name="version-publish"),
    path("anbieter/<slug:slug>/", views.provider, name="provider"),
    path("anbieter/<slug:slug>/hochladen/", views.upload, name="upload"),
    path("anbieter/<slug:slug>/zuordnung/", views.mapping_save, name="mapping"),
    path("anbieter/<slug:slug>/versionen/<int:number>/", views.version, name="version"),
]
