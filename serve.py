"""What `streamlit run serve.py` serves: the app (app.py) plus the route that keeps a sign-in in a cookie.

Streamlit's script cannot set an HttpOnly cookie; an HTTP route of the same server
can, so the app runs as an st.App with `ui.cookie.ROUTES` mounted beside it.
"""

from __future__ import annotations

import streamlit as st

from ui.cookie import ROUTES

app = st.App("app.py", routes=ROUTES)
