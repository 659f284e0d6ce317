"""The demo seed: idempotent, written under RLS as the demo user, credentials that work."""

from __future__ import annotations

import importlib.util

from sqlalchemy import text

from core.db.session import user_session
from core.demo.seed import DEMO_CLIENT, DEMO_EMAIL, _invoice_seeds, _specs, seed_demo


def test_seed_is_idempotent_and_the_printed_password_signs_in(engine, test_settings):
    first = seed_demo(test_settings, engine=engine)
    second = seed_demo(test_settings, engine=engine)
    assert (second.client_id, second.password) == (first.client_id, first.password)
    assert (first.vendors, second.vendors) == (30, 30)
    assert first.purchase_orders == second.purchase_orders > 0

    from core.auth.local_auth import LocalAuthProvider

    user = LocalAuthProvider(engine, test_settings).sign_in(DEMO_EMAIL, first.password).user
    with user_session(engine, user.claims) as s:
        names = s.scalars(text("select name from public.clients")).all()
        vendors = s.scalar(text("select count(*) from public.vendors"))
        lines = s.scalar(text("select count(*) from public.purchase_order_lines"))
        pos = s.scalar(text("select count(*) from public.purchase_orders"))
    assert names == [DEMO_CLIENT]
    assert vendors == 30
    assert pos == first.purchase_orders
    assert lines >= pos
    assert f"password: {first.password}" in first.summary()
    if importlib.util.find_spec("core.bootstrap") and importlib.util.find_spec(
        "core.workflow.uploads"
    ):
        assert len(first.invoices) == len(_invoice_seeds(_specs())) == 6
        assert second.invoices == first.invoices  # second run: duplicates, nothing new


def test_demo_invoices_quote_vendors_and_orders_of_the_vendor_master():
    specs = {s.seed: s for s in _specs()}
    seeds = _invoice_seeds(list(specs.values()))
    assert len(seeds) == 6
    assert sum(1 for seed in seeds if specs[seed].po_number) >= 3


def test_a_lost_credentials_file_resets_the_demo_password(engine, test_settings):
    first = seed_demo(test_settings, engine=engine)
    (test_settings.data_dir / "demo_credentials.json").unlink()
    again = seed_demo(test_settings, engine=engine)
    assert again.password != first.password
    assert again.client_id == first.client_id
