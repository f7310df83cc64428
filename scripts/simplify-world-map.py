#!/usr/bin/env python3
"""Makes the dashboard's world map from ../shared/data/world-countries.geojson.

The source (Natural Earth 1:10m Admin-0 Countries v4.1.0, public domain; see shared/data/README.md)
is 600 KB. A world map 1,000 pixels wide needs far less: this keeps one decimal (about 11 km),
simplifies each ring (Douglas-Peucker, 0.3 degrees), and drops islands under 1 square degrees
unless they are a country's largest part. SwiftPM embeds the result in the binary as a byte array,
which must stay small to compile quickly.

    python3 scripts/simplify-world-map.py ../shared/data/world-countries.geojson \
        Sources/MobiliseAPI/Dashboard/world-countries.geojson
"""
import json
import sys

TOLERANCE = 0.3
MIN_AREA = 1.0


def perpendicular(p, a, b):
    (x, y), (x1, y1), (x2, y2) = p, a, b
    dx, dy = x2 - x1, y2 - y1
    if dx == 0 and dy == 0:
        return ((x - x1) ** 2 + (y - y1) ** 2) ** 0.5
    return abs(dy * x - dx * y + x2 * y1 - y2 * x1) / (dx * dx + dy * dy) ** 0.5


def simplify(points):
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        index, distance = None, TOLERANCE
        for i in range(first + 1, last):
            d = perpendicular(points[i], points[first], points[last])
            if d > distance:
                index, distance = i, d
        if index is not None:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [p for p, k in zip(points, keep) if k]


def area(ring):
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:]))) / 2


def ring(points):
    out = []
    for x, y in simplify(points):
        p = [round(x, 1), round(y, 1)]
        if not out or out[-1] != p:
            out.append(p)
    return out if len(out) >= 4 else None


def main(source, target):
    data = json.load(open(source))
    features = []
    for feature in data["features"]:
        geometry = feature["geometry"]
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        largest = max(polygons, key=lambda p: area(p[0]))
        kept = []
        for polygon in polygons:
            if polygon is not largest and area(polygon[0]) < MIN_AREA:
                continue
            outer = ring(polygon[0])
            if outer is None:
                if polygon is largest:  # a tiny country: keep a rough outline so it can be found
                    outer = [[round(x, 1), round(y, 1)] for x, y in polygon[0]]
                else:
                    continue
            holes = [r for r in (ring(h) for h in polygon[1:]) if r]
            kept.append([outer] + holes)
        properties = {"iso_a2": feature["properties"]["iso_a2"], "name": feature["properties"]["name"]}
        features.append({"type": "Feature", "properties": properties,
                         "geometry": {"type": "MultiPolygon", "coordinates": kept}})
    result = {
        "type": "FeatureCollection",
        "attribution": "Made with Natural Earth: Admin-0 Countries 1:10m v4.1.0 (public domain), simplified by "
                       "scripts/simplify-world-map.py. Kosovo is keyed XK.",
        "features": features,
    }
    with open(target, "w") as out:
        json.dump(result, out, separators=(",", ":"))
        out.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
