"""Plan files in the formats people and the Region use: the Excel template (workbook.py), the
Walloon Region's eComptes PST XML (ecomptes.py), and reading any of them by content (files.py)."""
