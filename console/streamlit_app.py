"""InvoiceFlow operator console: page config, session defaults, sign-in gate and navigation.

Run with ``streamlit run console/streamlit_app.py``. Pages live in ``console/app_pages/`` and only
call ``core.workflow`` through the shared services container (see ``console/state.py``).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

# `console` is imported from the installed project (`make install`: pip install -e .), not
# from the script's folder, which is all `streamlit run` puts on sys.path.
from console import auth_ui, state
from console.feedback import show_flashes

_PAGES = Path(__file__).parent / "app_pages"


def _page(name: str, title: str, icon: str, *, default: bool = False) -> st.Page:
    return st.Page(_PAGES / f"{name}.py", title=title, icon=icon, url_path=name, default=default)


def main() -> None:
    """Build the app for one script run."""
    st.set_page_config(page_title="InvoiceFlow", page_icon=":material/receipt_long:", layout="wide")
    state.init_session()
    auth_ui.refresh_if_needed()

    if state.current_user() is None:
        nav = st.navigation(
            [st.Page(auth_ui.sign_in_page, title="Sign in", icon=":material/login:")]
        )
        nav.run()
        return

    auth_ui.sidebar()
    show_flashes()
    pages = {
        "Work": [
            _page("inbox", "Inbox & upload", ":material/inbox:", default=True),
            _page("review", "Review queue", ":material/fact_check:"),
            _page("matches", "Match preview", ":material/link:"),
        ],
        "Results": [
            _page("downloads", "Downloads", ":material/download:"),
            _page("dashboard", "Dashboard", ":material/monitoring:"),
        ],
        "Setup": [
            _page("reference_data", "Reference data", ":material/menu_book:"),
            _page("members", "Members & invitations", ":material/group_add:"),
            _page("integrations", "Integrations", ":material/hub:"),
        ],
    }
    nav = st.navigation(pages)
    state.note_page(nav.url_path)
    nav.run()


main()
