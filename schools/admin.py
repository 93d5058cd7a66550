"""Admin of the schools: the register, connection records (saved through the service, with history), their
history (read only), measurement tokens (listed and revoked; made on the planners' page or by command)."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from geoportal.admin import PortalGISModelAdmin
from geoportal.errors import InvalidInputError
from schools.models import MeasurementBatch, School, SchoolConnection, SchoolConnectionChange, SchoolToken
from schools.services import (
    STATE_FIELDS,
    ConnectionState,
    connection_state_of,
    school_connection_check,
    school_connection_update,
)
from schools.tokens import school_token_revoke

# Text fields of a state are "" when empty, not None.
FIELD_DEFAULTS = {"technology": "", "provider_name": "", "funding": "", "note": ""}


@admin.register(School)
class SchoolAdmin(PortalGISModelAdmin):
    list_display = ["name", "school_number", "school_type", "pupils", "district", "startchancen", "is_school"]
    list_filter = ["school_type", "startchancen", "is_school", "district"]
    search_fields = ["name", "short_name", "school_number", "street", "postcode"]
    list_select_related = ["district"]
    autocomplete_fields = ["district"]


class SchoolConnectionAdminForm(forms.ModelForm):
    """Checks what the service would refuse, so the admin shows it at the field instead of failing on save."""

    class Meta:
        model = SchoolConnection
        fields = "__all__"

    def clean(self):
        data = super().clean()
        school = data.get("school") or getattr(self.instance, "school", None)
        if school is not None and not self.errors:
            state = ConnectionState(**{name: data.get(name) or FIELD_DEFAULTS.get(name) for name in STATE_FIELDS})
            try:
                school_connection_check(school=school, state=state, valid_from=data.get("valid_from"))
            except InvalidInputError as error:
                message = {error.where: error.message} if error.where in self.fields else error.message
                raise forms.ValidationError(message) from None
        return data


@admin.register(SchoolConnection)
class SchoolConnectionAdmin(admin.ModelAdmin):
    """Saving goes through schools.services.school_connection_update, so every change has its history row."""

    list_display = ["school", "status", "technology", "contracted_down_mbits", "valid_from", "is_demo"]
    list_filter = ["status", "technology", "funding", "is_demo"]
    search_fields = ["school__name", "school__school_number"]
    list_select_related = ["school", "provider"]
    autocomplete_fields = ["school"]
    fields = [
        "school", "status", "valid_from", "planned_date", "connected_date", "technology", "contracted_down_mbits",
        "contracted_up_mbits", "provider", "provider_name", "funding", "note",
    ]  # fmt: skip
    readonly_fields = ["changed_at", "changed_by", "is_demo"]
    form = SchoolConnectionAdminForm

    def get_readonly_fields(self, request, obj=None):
        # The school of an existing record stays; valid_from is set by the service when left empty.
        return [*self.readonly_fields, "school"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change) -> None:
        school_connection_update(
            school=obj.school, state=connection_state_of(obj), by=request.user, valid_from=obj.valid_from
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SchoolConnectionChange)
class SchoolConnectionChangeAdmin(admin.ModelAdmin):
    """The history is written by the service only: read here, never edited."""

    list_display = ["school", "valid_from", "status", "technology", "contracted_down_mbits", "changed_at", "changed_by"]
    list_filter = ["status", "is_demo"]
    search_fields = ["school__name", "school__school_number"]
    list_select_related = ["school", "changed_by"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SchoolToken)
class SchoolTokenAdmin(admin.ModelAdmin):
    """Tokens are made on a school's token page or with `manage.py school_token create` (secret shown once)."""

    list_display = ["prefix", "school", "name", "created_at", "last_used_at", "revoked_at"]
    search_fields = ["name", "prefix", "school__name", "school__school_number"]
    list_select_related = ["school"]
    readonly_fields = ["school", "name", "prefix", "created_at", "created_by", "last_used_at", "revoked_at"]
    exclude = ["revoked_by"]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset) -> None:
        for token in queryset:
            school_token_revoke(token=token, by=request.user)


@admin.register(MeasurementBatch)
class MeasurementBatchAdmin(admin.ModelAdmin):
    list_display = ["school", "received_at", "format", "rows", "stored", "duplicates", "token", "is_demo"]
    list_filter = ["format", "is_demo"]
    list_select_related = ["school", "token"]
    readonly_fields = ["school", "token", "received_at", "format", "rows", "stored", "duplicates", "is_demo"]

    def has_add_permission(self, request) -> bool:
        return False
