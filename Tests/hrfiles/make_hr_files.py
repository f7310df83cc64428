#!/usr/bin/env python3
"""Workforce files as HR systems export them, for the import tests.

  make_hr_files.py FOLDER

writes into FOLDER:
  workday.xlsx   a Workday-like export made with openpyxl: Workday's column names,
                 numeric Employee IDs, alpha-3 codes and English country names, an empty row, one
                 unknown country (row 7)
  bomb.xlsx      a workbook whose sheet inflates from a few hundred KiB to 300 MiB (a zip bomb)
  notzip.xlsx    the zip signature followed by rubbish
"""
import io
import os
import sys
import zipfile

import openpyxl

folder = sys.argv[1]
os.makedirs(folder, exist_ok=True)

book = openpyxl.Workbook()
sheet = book.active
sheet.title = "Workers"
sheet.append(["Employee ID", "Legal Name", "Supervisory Organization", "Location", "Country", "Hire Date"])
sheet.append([50001, "Ana Souza", "Energy Management", "São Paulo", "BRA", "2019-04-01"])
sheet.append([50002, "Jürgen Weiß", "Digital", "Berlin", "Germany", "2020-01-15"])
sheet.append([])
sheet.append(["50003", "Aya Kouassi", "Industrial Automation", "Abidjan", "Côte d'Ivoire", None])
sheet.append([50004, "Linh Nguyen", "Digital", "Hanoi", "Viet Nam", "2021-09-30"])
sheet.append([50005, "Nobody", "Digital", "Nowhere", "Atlantis", None])
book.save(os.path.join(folder, "workday.xlsx"))

# A zip bomb dressed as a workbook: real workbook parts, and a sheet of 300 MiB of spaces.
template = io.BytesIO()
book.save(template)
with zipfile.ZipFile(template) as source, zipfile.ZipFile(os.path.join(folder, "bomb.xlsx"), "w", zipfile.ZIP_DEFLATED) as bomb:
    for item in source.infolist():
        if item.filename == "xl/worksheets/sheet1.xml":
            with bomb.open(item.filename, "w", force_zip64=True) as part:
                part.write(b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
                block = b" " * (1 << 20)
                for _ in range(300):
                    part.write(block)
                part.write(b"</sheetData></worksheet>")
        else:
            bomb.writestr(item, source.read(item.filename))

with open(os.path.join(folder, "notzip.xlsx"), "wb") as f:
    f.write(b"PK\x03\x04" + b"this is not a workbook" * 100)
