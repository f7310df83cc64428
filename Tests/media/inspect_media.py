#!/usr/bin/env python3
"""Prints, as JSON, what exiftool reads in each file given, and a hash of the decoded pixels.

  inspect_media.py FILE…

Per file: "tags" (every tag exiftool finds, by its group-qualified name), "orientation" (EXIF,
or null), "pixels" (SHA-256 of the decoded RGB pixels for pictures; of ffmpeg's decoded frames for
videos) and "decodes" (the decoder read it without an error).
"""
import hashlib
import json
import subprocess
import sys

from PIL import Image

report = {}
for path in sys.argv[1:]:
    tags = json.loads(subprocess.run(["exiftool", "-json", "-a", "-G1", "-n", path], check=True, capture_output=True).stdout)[0]
    orientation = next((value for key, value in tags.items() if key.endswith(":Orientation")), None)
    if path.endswith(".mp4"):
        decoded = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True)
        decodes = decoded.returncode == 0 and not decoded.stderr
        pixels = hashlib.sha256(decoded.stdout).hexdigest()
    else:
        with Image.open(path) as image:
            pixels = hashlib.sha256(image.convert("RGB").tobytes()).hexdigest()
        decodes = True
    report[path] = {"tags": tags, "orientation": orientation, "pixels": pixels, "decodes": decodes}
print(json.dumps(report))
