"""Admin of the schools."""

from django.contrib import admin

from geoportal.admin import PortalGISModelAdmin
from schools.models import School


@admin.register(School)
class SchoolAdmin(PortalGISModelAdmin):
    list_display = ["name", "school_number", "school_type", "pupils", "district", "startchancen", "is_school"]
    list_filter = ["school_type", "startchancen", "is_school", "district"]
    search_fields = ["name", "short_name", "school_number", "street", "postcode"]
    list_select_related = ["district"]
    autocomplete_fields = ["district"]
