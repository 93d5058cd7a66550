"""Demo city facilities with plausible names, addresses from the demo streets and OSM opening hours."""

from __future__ import annotations

import numpy as np
from django.contrib.gis.geos import Point

from layers.demo.addresses import Houses
from layers.models import SRID, Facility

C = Facility.Category
OFFICE = "Mo-We 08:00-16:00; Th 08:00-18:00; Fr 08:00-12:00"
LIBRARY = "Tu-Fr 10:00-18:00; Sa 10:00-14:00"
BRANCH = "Tu,Th 13:00-18:00; We,Fr 10:00-13:00"
MUSEUM = "Tu-Su 11:00-18:00; Th 11:00-20:00"
POOL = "Mo-Fr 06:30-21:00; Sa,Su 08:00-18:00"
YOUTH = "Mo-Fr 14:00-21:00"
SPORTS = "Mo-Fr 08:00-22:00; Sa,Su 09:00-20:00"

# (category, name, Stadtteil key, opening hours). Names are generic; the places are invented.
FACILITIES: tuple[tuple[str, str, str, str], ...] = (
    (C.TOWN_HALL, "Rathaus Mülheim an der Ruhr", "AS1", "Mo-Th 08:00-16:00; Fr 08:00-13:00"),
    (C.CITIZEN_OFFICE, "Bürgeramt Stadtmitte", "AS1", OFFICE),
    (C.CITIZEN_OFFICE, "Bürgeramt Heißen", "HEI", OFFICE),
    (C.CITIZEN_OFFICE, "Bürgeramt Saarn", "SAA", OFFICE),
    (C.CITIZEN_OFFICE, "Bürgeramt Dümpten", "DUE", OFFICE),
    (C.ADMINISTRATION, "Technisches Rathaus", "AS2", "Mo-Fr 08:00-15:00"),
    (C.LIBRARY, "Stadtbibliothek im Medienhaus", "AS1", LIBRARY),
    (C.LIBRARY, "Stadtbibliothek Zweigstelle Heißen", "HEI", BRANCH),
    (C.LIBRARY, "Stadtbibliothek Zweigstelle Saarn", "SAA", BRANCH),
    (C.LIBRARY, "Stadtbibliothek Zweigstelle Speldorf", "SPE", BRANCH),
    (C.LIBRARY, "Stadtbibliothek Zweigstelle Styrum", "STY", BRANCH),
    (C.LIBRARY, "Stadtbibliothek Zweigstelle Dümpten", "DUE", BRANCH),
    (C.MUSEUM, "Städtisches Kunstmuseum", "AS1", MUSEUM),
    (C.MUSEUM, "Museum zur Stadtgeschichte", "BRO", MUSEUM),
    (C.MUSEUM, "Wassermuseum an der Ruhr", "STY", "Tu-Su 10:00-18:00"),
    (C.MUSEUM, "Heimatmuseum Saarn", "SAA", "Sa,Su 14:00-17:00"),
    (C.FIRE_STATION, "Feuer- und Rettungswache 1 (Hauptwache)", "BRO", "24/7"),
    (C.FIRE_STATION, "Feuer- und Rettungswache 2", "DUE", "24/7"),
    (C.FIRE_STATION, "Freiwillige Feuerwehr Löschzug Saarn", "SAA", "24/7"),
    (C.FIRE_STATION, "Freiwillige Feuerwehr Löschzug Menden", "MHO", "24/7"),
    (C.FIRE_STATION, "Freiwillige Feuerwehr Löschzug Styrum", "STY", "24/7"),
    (C.FIRE_STATION, "Freiwillige Feuerwehr Löschzug Heißen", "HEI", "24/7"),
    (C.POOL, "Hallenbad Heißen", "HEI", POOL),
    (C.POOL, "Südbad", "SAA", POOL),
    (C.POOL, "Freibad Styrum", "STY", "May-Sep: Mo-Su 09:00-19:00"),
    (C.POOL, "Lehrschwimmbecken Speldorf", "SPE", "Sa,Su 09:00-13:00"),
    (C.YOUTH_CENTRE, "Jugendzentrum Stadtmitte", "AS1", YOUTH),
    (C.YOUTH_CENTRE, "Jugendzentrum Eppinghofen", "AS2", YOUTH),
    (C.YOUTH_CENTRE, "Jugendzentrum Styrum", "STY", YOUTH),
    (C.YOUTH_CENTRE, "Jugendtreff Dümpten", "DUE", YOUTH),
    (C.YOUTH_CENTRE, "Jugendtreff Speldorf", "SPE", YOUTH),
    (C.YOUTH_CENTRE, "Jugendtreff Holthausen", "MHO", YOUTH),
    (C.SPORTS, "Sporthalle Broich", "BRO", SPORTS),
    (C.SPORTS, "Sporthalle Saarn", "SAA", SPORTS),
    (C.SPORTS, "Dreifachhalle Heißen", "HEI", SPORTS),
    (C.SPORTS, "Sporthalle Styrum", "STY", SPORTS),
    (C.SPORTS, "Sporthalle Speldorf", "SPE", SPORTS),
    (C.SPORTS, "Sportzentrum Dümpten", "DUE", SPORTS),
)


def facilities_create(
    *, houses: dict[str, Houses], postcodes: dict[str, str], city: str, rng: np.random.Generator
) -> list[Facility]:
    """One facility per entry, at a distinct demo address of its Stadtteil."""
    keys = sorted({key for _, _, key, _ in FACILITIES})
    # A few distinct addresses per Stadtteil, drawn once, handed out in list order.
    picks = {k: list(rng.choice(len(houses[k]), size=min(len(houses[k]), 12), replace=False)) for k in keys}
    rows = []
    for category, name, key, hours in FACILITIES:
        quarter, i = houses[key], int(picks[key].pop(0))
        label = f"{quarter.street[i]} {quarter.number[i]}{quarter.suffix[i]}"
        rows.append(
            Facility(
                name=name,
                category=category,
                address=f"{label}, {postcodes[key]} {city}",
                geom=Point(float(quarter.x[i]), float(quarter.y[i]), srid=SRID),
                opening_hours=hours,
                source="Demo data (generated)",
                is_demo=True,
            )
        )
    return Facility.objects.bulk_create(rows)
