"""Admin of the rollout domain: providers and their API tokens."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from rollout.models import Provider, ProviderToken
from rollout.tokens import provider_token_revoke


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "colour", "website", "is_demo"]
    list_filter = ["is_demo"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(ProviderToken)
class ProviderTokenAdmin(admin.ModelAdmin):
    """Tokens are made with `manage.py provider_token create` (secret shown once); here they are seen and revoked."""

    list_display = ["prefix", "provider", "user", "name", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["provider"]
    search_fields = ["name", "prefix", "user__username"]
    readonly_fields = ["provider", "user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset) -> None:
        for token in queryset:
            provider_token_revoke(token=token, by=request.user)
