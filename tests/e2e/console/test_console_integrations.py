"""Integrations page (owners): an API key shown once and revoked, a webhook endpoint with its
secret shown once, a mailbox added; other roles see nothing of it."""

from __future__ import annotations

import pytest

from tests.e2e.console.conftest import open_page, texts

pytestmark = pytest.mark.security


def test_owner_creates_and_revokes_a_key_adds_a_webhook_and_a_mailbox(
    signed_in, monkeypatch
) -> None:
    monkeypatch.setenv("INVOICEFLOW_ALLOW_LOOPBACK_TARGETS", "true")
    at = open_page(signed_in("owner"), "integrations")
    assert not at.exception
    at.text_input(key="integrations_key_name").input("ERP")
    at.selectbox(key="integrations_key_role").select("viewer")
    next(b for b in at.button if b.label == "Create API key").click().run()
    assert not at.exception
    assert "shown only this once" in texts(at)
    shown = [c.value for c in at.code]
    assert len(shown) == 1 and shown[0].startswith("ifk_")
    at.run()  # the next render no longer shows it
    assert not any(c.value.startswith("ifk_") for c in at.code)
    revoke = next(b for b in at.button if b.label.startswith("Revoke ERP"))
    revoke.click().run()
    assert not at.exception and "ERP is revoked." in texts(at)
    assert not any(b.label.startswith("Revoke ERP") for b in at.button)

    at.text_input(key="integrations_hook_url").input("https://erp.example.com/hooks")
    next(b for b in at.button if b.label == "Add endpoint").click().run()
    assert not at.exception
    assert any(c.value.startswith("whsec_") for c in at.code)

    at.text_input(key="integrations_box_name").input("AP inbox")
    at.text_input(key="integrations_box_host").input("127.0.0.1")
    at.text_input(key="integrations_box_user").input("ap@example.test")
    at.text_input(key="integrations_box_password").input("imap-password")
    next(b for b in at.button if b.label == "Add mailbox").click().run()
    assert not at.exception
    assert "AP inbox is polled from now on." in texts(at)
    assert "imap-password" not in texts(at)


def test_other_roles_see_no_integrations(signed_in) -> None:
    for role in ("operator", "viewer"):
        at = open_page(signed_in(role), "integrations")
        assert "Only owners manage API keys" in texts(at)
        assert not any(b.label == "Create API key" for b in at.button)
