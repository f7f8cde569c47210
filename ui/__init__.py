"""Streamlit glue shared by dashboard.py and pages/: cached loaders, the sidebar frame, widgets.

Only layout lives here; every rule is in pst_data/ or db/.
"""
