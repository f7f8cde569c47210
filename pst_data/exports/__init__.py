"""Files for the Bureau permanent and the Conseil: Excel today; the deck and the PDF report next."""
