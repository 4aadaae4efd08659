"""blindside: Streamlit entry point (sign-in gate, then the pages the rater's role allows)."""

from __future__ import annotations

import streamlit as st

from blindside.ui.navigation import role_navigation, signed_out_navigation, visible_pages
from blindside.ui.session import sign_out, write_cookie
from blindside.ui.signin import JUST_SIGNED_IN, render_sign_in, signed_in_rater

# The tab icon is set here: left to st.navigation, a :material/...: page icon makes the
# browser fetch its SVG from fonts.gstatic.com (the sidebar draws it with the bundled font).
st.set_page_config(page_title="blindside", page_icon="⚖️", layout="wide")

# st.navigation runs on every run: skipping it would make Streamlit fall back to listing
# a pages/ folder (hence app_pages/) and running any page by its address, past this gate.
rater = signed_in_rater()
if rater is None:
    st.navigation(signed_out_navigation(render_sign_in), position="hidden").run()
    st.stop()

with st.sidebar:
    st.caption(f"Signed in as **{rater.name}** ({rater.role})")
    st.button("Sign out", key="sign_out", on_click=sign_out)
    write_cookie()

page = st.navigation(role_navigation(rater.role))
if st.session_state.pop(JUST_SIGNED_IN, False) and page.url_path != "":
    st.switch_page(visible_pages(rater.role)[0].path)  # signed up on some other address
page.run()
