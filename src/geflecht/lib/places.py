"""A small offline gazetteer: place names -> coordinates, and distances between them.

No request leaves the server, so "near Stuttgart" is resolved from the industrial cities
of Germany, Austria and Switzerland below plus the cities of the tenant's own sites.
Coordinates are the city centres (WGS84), rounded to three decimals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# (city, country, latitude, longitude, weight): weight ~ how many industrial firms sit there.
CITIES: tuple[tuple[str, str, float, float, int], ...] = (
    ("Stuttgart", "DE", 48.776, 9.183, 10),
    ("München", "DE", 48.137, 11.575, 8),
    ("Ulm", "DE", 48.398, 9.992, 5),
    ("Augsburg", "DE", 48.371, 10.898, 5),
    ("Nürnberg", "DE", 49.452, 11.077, 6),
    ("Heilbronn", "DE", 49.142, 9.219, 4),
    ("Reutlingen", "DE", 48.491, 9.204, 4),
    ("Tuttlingen", "DE", 47.985, 8.818, 4),
    ("Schwäbisch Gmünd", "DE", 48.800, 9.798, 3),
    ("Aalen", "DE", 48.837, 10.093, 3),
    ("Friedrichshafen", "DE", 47.654, 9.480, 3),
    ("Karlsruhe", "DE", 49.007, 8.404, 5),
    ("Mannheim", "DE", 49.488, 8.466, 5),
    ("Pforzheim", "DE", 48.892, 8.695, 3),
    ("Freiburg im Breisgau", "DE", 47.999, 7.842, 3),
    ("Würzburg", "DE", 49.791, 9.953, 3),
    ("Regensburg", "DE", 49.013, 12.102, 3),
    ("Ingolstadt", "DE", 48.766, 11.426, 3),
    ("Frankfurt am Main", "DE", 50.110, 8.682, 6),
    ("Darmstadt", "DE", 49.873, 8.651, 3),
    ("Kassel", "DE", 51.313, 9.479, 3),
    ("Köln", "DE", 50.938, 6.960, 6),
    ("Düsseldorf", "DE", 51.227, 6.773, 5),
    ("Wuppertal", "DE", 51.256, 7.150, 4),
    ("Solingen", "DE", 51.171, 7.083, 3),
    ("Remscheid", "DE", 51.179, 7.189, 3),
    ("Dortmund", "DE", 51.514, 7.466, 5),
    ("Bielefeld", "DE", 52.030, 8.532, 4),
    ("Gütersloh", "DE", 51.907, 8.379, 3),
    ("Siegen", "DE", 50.875, 8.024, 3),
    ("Lüdenscheid", "DE", 51.219, 7.627, 3),
    ("Hannover", "DE", 52.375, 9.732, 5),
    ("Braunschweig", "DE", 52.269, 10.521, 3),
    ("Hamburg", "DE", 53.551, 9.993, 6),
    ("Bremen", "DE", 53.079, 8.802, 4),
    ("Osnabrück", "DE", 52.279, 8.047, 3),
    ("Münster", "DE", 51.961, 7.626, 3),
    ("Berlin", "DE", 52.520, 13.405, 5),
    ("Dresden", "DE", 51.050, 13.738, 4),
    ("Chemnitz", "DE", 50.827, 12.921, 4),
    ("Leipzig", "DE", 51.340, 12.375, 4),
    ("Jena", "DE", 50.927, 11.589, 3),
    ("Erfurt", "DE", 50.979, 11.033, 3),
    ("Saarbrücken", "DE", 49.240, 6.997, 3),
    ("Wien", "AT", 48.208, 16.373, 5),
    ("Linz", "AT", 48.306, 14.286, 4),
    ("Graz", "AT", 47.071, 15.439, 4),
    ("Steyr", "AT", 48.039, 14.419, 2),
    ("Salzburg", "AT", 47.810, 13.055, 2),
    ("Innsbruck", "AT", 47.269, 11.404, 2),
    ("Zürich", "CH", 47.377, 8.542, 5),
    ("Winterthur", "CH", 47.500, 8.724, 3),
    ("Basel", "CH", 47.560, 7.589, 3),
    ("St. Gallen", "CH", 47.424, 9.377, 2),
    ("Biel/Bienne", "CH", 47.137, 7.247, 2),
    ("Luzern", "CH", 47.050, 8.309, 2),
)

#: Exonyms people type for the same cities.
ALIASES = {
    "munich": "München",
    "muenchen": "München",
    "nuremberg": "Nürnberg",
    "cologne": "Köln",
    "vienna": "Wien",
    "zurich": "Zürich",
    "hanover": "Hannover",
    "frankfurt": "Frankfurt am Main",
    "freiburg": "Freiburg im Breisgau",
    "biel": "Biel/Bienne",
    "lucerne": "Luzern",
    "brunswick": "Braunschweig",
}

EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class Place:
    name: str
    latitude: float
    longitude: float


def haversine_km(lat1, lon1, lat2, lon2):
    """Great-circle distance in km; works on floats and on numpy arrays alike.

    >>> round(haversine_km(48.776, 9.183, 48.398, 9.992))
    72
    """
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    d = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0)))
    return float(d) if np.ndim(d) == 0 else d


def gazetteer() -> dict[str, Place]:
    """The shipped cities by name."""
    return {name: Place(name, lat, lon) for name, _c, lat, lon, _w in CITIES}


def bounding_box(lat: float, lon: float, radius_km: float) -> tuple[float, float, float, float]:
    """(min lat, max lat, min lon, max lon) around a point: a cheap pre-filter."""
    dlat = math.degrees(radius_km / EARTH_RADIUS_KM)
    dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon
