#!/usr/bin/env python3
"""Makes phone-like photos and a video carrying location and device metadata, with real tools.

  make_media.py OUTPUT_DIR

JPEG, PNG and WebP come from Pillow (with piexif for the EXIF block), the MP4 from ffmpeg. Each
file carries GPS coordinates, a camera make and model, an owner or author name and, for the
pictures, an EXIF orientation of 6 (rotate 90° to show). Needs: pip install Pillow piexif;
apt-get install ffmpeg.
"""
import os
import subprocess
import sys

import piexif
from PIL import Image, PngImagePlugin

out = sys.argv[1]
os.makedirs(out, exist_ok=True)

image = Image.new("RGB", (64, 48))
for x in range(64):
    for y in range(48):
        image.putpixel((x, y), (x * 4, y * 5, (x + y) * 2))

gps = {
    piexif.GPSIFD.GPSLatitudeRef: b"N", piexif.GPSIFD.GPSLatitude: ((48, 1), (51, 1), (2412, 100)),
    piexif.GPSIFD.GPSLongitudeRef: b"E", piexif.GPSIFD.GPSLongitude: ((2, 1), (21, 1), (780, 100)),
}
zeroth = {
    piexif.ImageIFD.Make: b"PhoneMaker", piexif.ImageIFD.Model: b"Pocket 12 Pro",
    piexif.ImageIFD.Artist: b"Jane Employee", piexif.ImageIFD.Orientation: 6, piexif.ImageIFD.Software: b"Camera 4.2",
}
exif = piexif.dump({"0th": zeroth, "Exif": {piexif.ExifIFD.BodySerialNumber: b"SN-123456"}, "GPS": gps})
xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="Jane Employee"/></rdf:RDF></x:xmpmeta>')

image.save(os.path.join(out, "photo.jpg"), "JPEG", exif=exif, quality=90, comment=b"taken at home")

info = PngImagePlugin.PngInfo()
info.add_text("Author", "Jane Employee")
info.add_text("Location", "48.8567 N, 2.3522 E")
image.save(os.path.join(out, "photo.png"), "PNG", pnginfo=info, exif=exif)

image.save(os.path.join(out, "photo.webp"), "WEBP", exif=exif, xmp=xmp, quality=90)

subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1",
                "-pix_fmt", "yuv420p", "-metadata", "location=+48.8567+002.3522/", "-metadata", "make=PhoneMaker",
                "-metadata", "model=Pocket 12 Pro", "-metadata", "artist=Jane Employee", "-movflags", "+use_metadata_tags",
                os.path.join(out, "video.mp4")], check=True)
