"""Admin of the base layers: districts, addresses, streets, water, facilities, catalogue, Breitbandatlas figures."""

from django.contrib import admin

from geoportal.admin import PortalGISModelAdmin
from layers.models import Address, BroadbandAtlasValue, District, Facility, Layer, Street, Water


@admin.register(District)
class DistrictAdmin(PortalGISModelAdmin):
    list_display = ["name", "code", "level", "parent", "is_demo"]
    list_filter = ["level", "is_demo"]
    search_fields = ["name", "code"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]


@admin.register(Address)
class AddressAdmin(PortalGISModelAdmin):
    list_display = ["street", "house_label", "postcode", "district", "homes", "is_demo"]
    list_filter = ["is_demo", "district__level", "postcode"]
    search_fields = ["street", "postcode"]
    list_select_related = ["district"]
    autocomplete_fields = ["district"]
    # A city has tens of thousands of addresses: no COUNT(*) over all of them per page.
    show_full_result_count = False

    @admin.display(description=Address._meta.get_field("house_number").verbose_name, ordering="house_number")
    def house_label(self, obj: Address) -> str:
        return obj.house_label


@admin.register(Street)
class StreetAdmin(PortalGISModelAdmin):
    list_display = ["name", "postcode", "district", "is_demo"]
    list_filter = ["is_demo", "district", "postcode"]
    search_fields = ["name", "postcode"]
    list_select_related = ["district"]
    autocomplete_fields = ["district"]


@admin.register(Water)
class WaterAdmin(PortalGISModelAdmin):
    list_display = ["__str__", "kind", "source", "is_demo"]
    list_filter = ["kind", "is_demo"]
    search_fields = ["name", "source"]


@admin.register(Facility)
class FacilityAdmin(PortalGISModelAdmin):
    list_display = ["name", "category", "address", "is_demo"]
    list_filter = ["category", "is_demo"]
    search_fields = ["name", "address"]


@admin.register(Layer)
class LayerAdmin(PortalGISModelAdmin):
    list_display = ["title", "slug", "licence", "update_frequency", "published", "is_demo", "updated"]
    list_filter = ["published", "is_demo", "update_frequency"]
    search_fields = ["title", "slug", "abstract", "keywords"]
    prepopulated_fields = {"slug": ["title"]}


@admin.register(BroadbandAtlasValue)
class BroadbandAtlasValueAdmin(admin.ModelAdmin):
    list_display = ["period_label", "level", "segment", "indicator", "value"]
    list_filter = ["level", "segment", "period_label"]
    search_fields = ["indicator", "segment"]
