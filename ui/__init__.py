"""Streamlit widgets shared by the pages; they draw, the services decide."""
