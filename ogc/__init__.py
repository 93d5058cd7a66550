"""The OGC API face of the portal: pygeoapi mounted in Django, providers over the apps' selectors."""
