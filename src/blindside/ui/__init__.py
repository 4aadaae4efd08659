"""Streamlit components shared by the pages (the only package here that imports streamlit)."""
