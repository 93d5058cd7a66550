from django.apps import AppConfig


class OgcConfig(AppConfig):
    name = "ogc"
    verbose_name = "OGC API"

    def ready(self) -> None:
        from ogc.translations import pygeoapi_catalogue_use, pygeoapi_config_cache_fix

        pygeoapi_config_cache_fix()
        pygeoapi_catalogue_use()
