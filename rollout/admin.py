"""Admin of the rollout domain: providers (no geometry yet)."""

from django.contrib import admin

from rollout.models import Provider


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "colour", "website", "is_demo"]
    list_filter = ["is_demo"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
