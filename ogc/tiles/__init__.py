"""OGC API – Tiles: Mapbox Vector Tiles made by PostGIS ST_AsMVT over the apps' selectors.

sources.py: which collections have tiles and what they hold; matrix.py: WebMercatorQuad and
the tile limits of the city; render.py: the one SQL statement per tile; views.py: the endpoints.
"""
