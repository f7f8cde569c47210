"""PST Pilot core: plan files, import/export, progress rules and the write services.

Plain Python, no Streamlit: every rule the pages show lives in ``pst_data/rules/`` (or in ``db``)
and is tested without a browser.
"""
