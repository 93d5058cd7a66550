"""Admin of the residents' data: subscriptions and reports, to look at and to delete on request.

Nothing secret is shown (the links' secrets are stored as hashes only, and not even those are listed); reports are
answered in the workspace (/ausbau/meldungen/), so the answer fields are read-only here.
"""

from django.contrib import admin

from residents.models import Delivery, Report, Subscription


class DeliveryInline(admin.TabularInline):
    model = Delivery
    fields = ["kind", "changeset", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["email", "address", "district", "language", "created_at", "confirmed_at"]
    list_filter = ["language", ("confirmed_at", admin.EmptyFieldListFilter)]
    search_fields = ["email"]
    raw_id_fields = ["address"]
    readonly_fields = ["created_at", "confirmed_at"]
    inlines = [DeliveryInline]

    def has_add_permission(self, request) -> bool:
        # Only the resident subscribes (double opt-in); the admin may look and delete.
        return False


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["address_text", "category", "provider", "status", "created_at", "due_at", "answered_at"]
    list_filter = ["status", "category", "provider"]
    search_fields = ["address_text", "text"]
    raw_id_fields = ["address"]
    readonly_fields = ["created_at", "due_at", "status", "answer", "answered_at", "answered_by", "overdue_notified_at"]

    def has_add_permission(self, request) -> bool:
        return False
