"""The plan's rules as plain Python: statuses, bands and roll-ups, the schedule and lateness,
dates and the clock, what a field accepts, text and Belgian formatting, access, filters, follow-up,
indicators and the charts' figures.

No database and no Streamlit here (tests/test_architecture.py imports every module of this folder
alone and checks): each rule is tested fast, without a server, a browser or PostgreSQL.
"""
