"""API keys against the real database: the key check, expiry housekeeping, and the attacks a key's
own principal could try by table access (issue 17, item 1)."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core.auth.api_keys import ApiKeyAuthenticator, generate
from core.db import api_key_repo
from core.db.session import service_session, user_session
from core.errors import Forbidden, InvalidApiKey
from core.workflow import api_keys

pytestmark = pytest.mark.security


class _Services:
    """The two attributes the key use cases need (engine and settings), real ones."""

    def __init__(self, engine, settings) -> None:
        self.engine, self.settings = engine, settings


def test_a_key_authenticates_until_it_expires_and_housekeeping_ends_its_membership(
    engine, test_settings, role_users
):
    services = _Services(engine, test_settings)
    owner = role_users.members["owner"]
    # Long enough for the checks before it on a loaded machine; the test waits until it passed.
    expiry = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=5)
    created = api_keys.create_key(
        services=services, user=owner, client_id=role_users.id, name="short", role="analyst",
        expires_at=expiry,
    )  # fmt: skip
    auth = ApiKeyAuthenticator(engine, test_settings)
    principal = auth.authenticate(created.key)
    assert principal.id == created.record.principal_id
    assert principal.claims["app_metadata"]["api_key_id"] == str(created.record.id)
    with user_session(engine, principal.claims) as s:  # RLS: a member of its one client
        seen = s.execute(text("select array_agg(client_id) from public.client_members"
                              " where user_id = auth.uid()")).scalar_one()  # fmt: skip
    assert seen == [role_users.id]
    for bad in ("", "ifk_", created.key + "x", created.key[:-1] + "A", generate().key):
        with pytest.raises(InvalidApiKey):
            auth.authenticate(bad)
    time.sleep(max(0.0, (expiry - dt.datetime.now(dt.timezone.utc)).total_seconds()) + 0.2)
    with pytest.raises(InvalidApiKey, match="expired"):
        auth.authenticate(created.key)
    assert api_keys.expire_keys(services=services) >= 1
    with engine.connect() as conn:
        member = conn.execute(
            text("select count(*) from public.client_members where user_id = :p"),
            {"p": created.record.principal_id},
        ).scalar_one()
        audited = conn.execute(
            text("select count(*) from public.audit_events where action = 'api_key.expired'"
                 " and client_id = :c"),
            {"c": role_users.id},
        ).scalar_one()  # fmt: skip
    assert (member, audited) == (0, 1)
    with service_session(engine, "tests.expire_again") as s:
        assert api_key_repo.expire(s) == 0  # already done: nothing twice


def test_only_owners_manage_keys_and_a_principal_cannot_promote_itself(
    engine, test_settings, role_users
):
    services = _Services(engine, test_settings)
    for role in ("operator", "analyst", "viewer"):
        with pytest.raises(Forbidden):
            api_keys.create_key(
                services=services, user=role_users.members[role], client_id=role_users.id,
                name="x", role="viewer",
            )  # fmt: skip
    created = api_keys.create_key(
        services=services, user=role_users.members["owner"], client_id=role_users.id,
        name="erp", role="operator",
    )  # fmt: skip
    principal = ApiKeyAuthenticator(engine, test_settings).authenticate(created.key)
    attacks = [
        "update public.client_members set role = 'owner' where user_id = auth.uid()",
        "delete from public.client_members where user_id = auth.uid()",
        "insert into public.client_members (client_id, user_id, role)"
        " values (:c, auth.uid(), 'owner')",
        "update public.api_keys set role = 'owner' where principal_id = auth.uid()",
        "update public.api_keys set expires_at = null where principal_id = auth.uid()",
        "update auth.users set banned_until = null where id = auth.uid()",
    ]
    with engine.connect() as conn, conn.begin():  # the hash is never readable by a user
        conn.execute(
            text("select set_config('role', 'authenticated', true),"
                 " set_config('request.jwt.claims', :claims, true)"),
            {"claims": json.dumps(principal.claims)},
        )  # fmt: skip
        with pytest.raises(DBAPIError) as caught:
            conn.execute(text("select key_hash from public.api_keys"))
        assert caught.value.orig.sqlstate == "42501"
    for sql in attacks:
        with engine.connect() as conn, conn.begin():
            conn.execute(
                text("select set_config('role', 'authenticated', true),"
                     " set_config('request.jwt.claims', :claims, true)"),
                {"claims": json.dumps(principal.claims)},
            )  # fmt: skip
            try:
                changed = conn.execute(text(sql), {"c": role_users.id}).rowcount
            except DBAPIError as exc:  # refused outright ...
                assert getattr(exc.orig, "sqlstate", None) == "42501", sql
            else:  # ... or RLS left it nothing to change (members only change their client's
                assert changed == 0, sql  # rows as owners)
    with engine.connect() as conn:
        role = conn.execute(
            text("select role::text from public.client_members where user_id = :p"),
            {"p": principal.id},
        ).scalar_one()
    assert role == "operator"
