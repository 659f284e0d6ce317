"""Console fixtures: the Streamlit app under AppTest, on the real test database.

The app builds its services from ``Settings()`` (the environment), exactly as in production, so
the fixture points the environment at the test database and clears Streamlit's caches around
each test. Users sign in through the real sign-in form with the local auth adapter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.conftest import TEST_JWT_SECRET

APP = str(Path(__file__).resolve().parents[3] / "console" / "streamlit_app.py")
ROLES = ("owner", "operator", "analyst", "viewer")
PAGES = {
    "inbox": "app_pages/inbox.py",
    "review": "app_pages/review.py",
    "matches": "app_pages/matches.py",
    "downloads": "app_pages/downloads.py",
    "dashboard": "app_pages/dashboard.py",
    "reference_data": "app_pages/reference_data.py",
    "members": "app_pages/members.py",
    "integrations": "app_pages/integrations.py",
}


@pytest.fixture
def console_env(test_settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Environment that makes the console's ``Settings()`` equal the test settings."""
    env = {
        "DATABASE_URL": test_settings.database_url,
        "INVOICEFLOW_ENVIRONMENT": "test",
        "INVOICEFLOW_JWT_SECRET": TEST_JWT_SECRET,
        "INVOICEFLOW_DATA_DIR": str(test_settings.data_dir),
        "INVOICEFLOW_AUTH_BACKEND": "local",
        "INVOICEFLOW_STORAGE_BACKEND": "local",
        "INVOICEFLOW_EXTRACTION_BACKEND": "offline",
        "INVOICEFLOW_LOG_JSON": "false",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield
    st.cache_resource.clear()
    st.cache_data.clear()


def sign_in(email: str, password: str) -> AppTest:
    """A fresh browser session signed in through the form."""
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, at.exception
    at.text_input(key="auth_signin_email").input(email)
    at.text_input(key="auth_signin_password").input(password)
    submit = next(b for b in at.button if b.label == "Sign in")
    submit.click().run()
    assert not at.exception, at.exception
    return at


def open_page(at: AppTest, page: str) -> AppTest:
    """Switch the signed-in session to one page and run it."""
    at.switch_page(PAGES[page]).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture
def signed_in(console_env: None, role_users: Any) -> Callable[[str], AppTest]:
    """``signed_in(role)``: an AppTest session of that role's user in the ``role_users`` client."""

    def _make(role: str) -> AppTest:
        user = role_users.members[role]
        return sign_in(user.email, user.password)

    return _make


def texts(at: AppTest) -> str:
    """Everything markdown/alerts/captions show, joined (for assertions on visible text)."""
    parts: list[str] = []
    for kind in (
        "markdown",
        "caption",
        "info",
        "warning",
        "error",
        "success",
        "title",
        "subheader",
    ):
        parts.extend(str(e.value) for e in getattr(at, kind))
    return "\n".join(parts)


@dataclass
class Workspace:
    """A client with a vendor master and processed demo invoices."""

    client: Any
    services: Any
    invoice_ids: list[Any]
    truths: list[dict[str, Any]]


DEMO_SEEDS = (101, 202)


def demo_pdfs(seeds: tuple[int, ...] = DEMO_SEEDS) -> list[Any]:
    """Generated demo invoices (text-layer PDFs) with their truth."""
    from core.demo.synthetic_invoices import generate_invoice

    return [generate_invoice(seed, kind="pdf") for seed in seeds]


@pytest.fixture
def workspace(console_env: None, role_users: Any, test_settings: Any, engine: Any) -> Workspace:
    """``role_users``' client with vendors and two uploaded, processed demo invoices."""
    import dataclasses

    from core.bootstrap import build_services
    from core.workflow import processing, reference, uploads
    from core.workflow.transitions import worker_user

    services = build_services(test_settings, engine=engine)
    if getattr(services, "extraction", None) is None:  # until the bootstrap wires it
        from core.extraction.pipeline import ExtractionPipeline

        services = dataclasses.replace(services, extraction=ExtractionPipeline(test_settings))
    owner = role_users.members["owner"]
    user = worker_user(owner.id, owner.email)
    docs = demo_pdfs()
    vendors = (
        "vendor_code,name,vat_id\n"
        + "".join(
            f"V{i},{d.truth['vendor_name']},{d.truth.get('vendor_vat_id') or ''}\n"
            for i, d in enumerate(docs)
        )
        + "V9,Unrelated Bakery Ltd,\n"
    )
    reference.import_reference(
        services=services,
        user=user,
        client_id=role_users.id,
        kind="vendors",
        data=vendors.encode(),
        filename="vendors.csv",
    )
    result = uploads.upload_files(
        services=services,
        user=user,
        client_id=role_users.id,
        files=[uploads.UploadFile(d.filename, d.data) for d in docs],
        process=False,
    )
    ids = [f.invoice_id for f in result.files]
    for invoice_id in ids:
        processing.process_invoice(services=services, invoice_id=invoice_id, user_id=owner.id)
    return Workspace(role_users, services, ids, [d.truth for d in docs])


def frame_with(at: AppTest, column: str) -> Any:
    """The first dataframe shown that has ``column`` (AppTest does not expose frame keys)."""
    for element in at.dataframe:
        value = element.value
        if column in value.columns:
            return value
    raise AssertionError(f"no dataframe with column {column!r}")
