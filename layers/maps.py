"""Shared constants of the folium maps of the base layers (the rollout pages' maps use them).

The public map of the home page is MapLibre over the site's vector tiles now (residents/maps.py).
"""

from __future__ import annotations

# Colours with at least 3:1 contrast against white, the map background
# without a basemap (WCAG 2.1 non-text contrast).
BOUNDARY_COLOUR = "#1a3d6d"
DISTRICT_COLOUR = "#5a5a8c"
SCHOOL_COLOUR = "#b3261e"
# Mülheim an der Ruhr, for a map without a boundary.
CITY_CENTRE = (51.4275, 6.8825)
