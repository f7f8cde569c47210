"""The floor: the least a Streamlit page costs here (script run, first paint, server memory).

One title, nothing else; with ``?chart=vega`` one tiny Vega-Lite chart (st.bar_chart), for
comparison; with ``?chart=1`` also one tiny plotly chart and a sidebar toggle that
changes its data: the floors of "first chart visible" and of "filter change → chart updated"
(they pay for Streamlit's plotly bundle and a rerun round trip like the real pages do).
"""

import plotly.graph_objects as go
import streamlit as st

st.set_page_config(page_title="Floor", layout="wide")
st.title("Floor")
if st.query_params.get("chart") == "vega":  # the same chart with Streamlit's Vega-Lite charts
    st.bar_chart({"x": ["a", "b"], "y": [1, 2]}, x="x", y="y")
if st.query_params.get("chart") == "1":
    top = st.sidebar.toggle("Priorité 1 uniquement", key="floor_toggle")
    st.plotly_chart(go.Figure(go.Bar(x=["a", "b"], y=[2, 1] if top else [1, 2])), key="floor_chart")
