"""Admin of dig-once coordination: owners (with their contact) and roadworks with a map widget; imports and
notifications are records, shown but never edited."""

from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin

from coordination.models import MatchNotification, Roadworks, RoadworksImport, WorksOwner


@admin.register(WorksOwner)
class WorksOwnerAdmin(admin.ModelAdmin):
    list_display = ["name", "sector", "contact_email", "is_demo"]
    list_filter = ["sector", "is_demo"]
    search_fields = ["name", "contact_email"]


@admin.register(Roadworks)
class RoadworksAdmin(GISModelAdmin):
    list_display = ["title", "owner", "sector", "start_date", "end_date", "dig_ban_until", "source", "is_demo"]
    list_filter = ["sector", "source", "owner", "is_demo"]
    search_fields = ["title", "reference", "owner__name"]
    readonly_fields = ["source", "source_import", "source_note", "created_at", "updated_at", "created_by"]


class RecordAdmin(admin.ModelAdmin):
    """Records of what happened: never added, changed or deleted by hand."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(RoadworksImport)
class RoadworksImportAdmin(RecordAdmin):
    list_display = ["original_name", "owner", "state", "received_at", "created", "updated", "removed"]
    list_filter = ["state", "owner"]


@admin.register(MatchNotification)
class MatchNotificationAdmin(RecordAdmin):
    list_display = ["sent_at", "kind", "roadworks_title", "provider_name", "area_key", "sent_by"]
    list_filter = ["kind"]
    search_fields = ["roadworks_title", "provider_name", "area_key", "subject"]
