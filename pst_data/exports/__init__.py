"""Files for the Bureau permanent and the Conseil: Excel (excel.py), the PowerPoint deck
(deck.py) and the PDF evaluation report (report.py)."""
