"""Integrity in the database (issue 11): what a PostgREST client may try with table access.

Every test acts exactly as PostgREST would (role ``authenticated`` + the caller's JWT claims, or
``anon``) and checks that the attack of a finding is refused by the database itself, whatever
the API would have said: F5 (workflow and audit bypass by UPDATE), forged audit events, forged
creator/uploader columns, object keys outside their client (F1), a removed creator still reading
the client (F13), and that every change that is allowed leaves its audit event.
"""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core.db.session import service_session, user_session
from core.errors import Forbidden, InvoiceFlowError, NotFound, ValidationFailed
from tests.approval_helpers import lenient_policy

pytestmark = pytest.mark.security

SET_CLAIMS = text(
    "select set_config('role', :role, true), set_config('request.jwt.claims', :claims, true)"
)


def _seed_invoice(engine, client_id, status="needs_review", **fields):
    """An invoice of ``client_id`` in ``status`` with a file (as the table owner: setup only)."""
    with engine.begin() as conn:
        file_id = conn.execute(
            text(
                "insert into public.files (client_id, object_key, original_name, content_type,"
                " size_bytes, sha256) values (:c, :c || '/2026/12/06/' || :r || '-a.pdf',"
                " 'a.pdf', 'application/pdf', 3, encode(sha256(convert_to(:r, 'UTF8')), 'hex'))"
                " returning id"
            ),
            {"c": client_id, "r": uuid.uuid4().hex},
        ).scalar_one()
        cols = {"status": status, "total": 119, "vendor_iban": "DE89370400440532013000", **fields}
        names = ", ".join(cols)
        values = ", ".join(f":{k}" for k in cols)
        return conn.execute(
            text(
                f"insert into public.invoices (client_id, file_id, {names})"
                f" values (:c, :f, {values}) returning id"
            ),
            {"c": client_id, "f": file_id, **cols},
        ).scalar_one()


def _row(engine, sql, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).mappings().one()


def _as(engine, user, sql, **params):
    """Run ``sql`` as ``user`` (None = anon) in one committed transaction; the result rows."""
    role, claims = ("anon", {"role": "anon"}) if user is None else ("authenticated", user.claims)
    with engine.begin() as conn:
        conn.execute(SET_CLAIMS, {"role": role, "claims": json.dumps(claims)})
        result = conn.execute(text(sql), params)
        return result.all() if result.returns_rows else result.rowcount


def test_f5_operator_cannot_export_with_a_forged_reviewer_total_and_iban(engine, role_users):
    """F5, as reported: one UPDATE moved an invoice in review to exported, 'approved' by the
    owner, with the attacker's IBAN and total, and no audit event."""
    invoice = _seed_invoice(engine, role_users.id)
    owner, operator = role_users.members["owner"], role_users.members["operator"]
    before = _row(engine, "select * from public.invoices where id = :i", i=invoice)
    with pytest.raises(DBAPIError) as refused:
        _as(
            engine,
            operator,
            "update public.invoices set status = 'exported', reviewed_by = :owner,"
            " total = 1.00, vendor_iban = 'XX00ATTACKER' where id = :i",
            owner=owner.id,
            i=invoice,
        )
    assert refused.value.orig.sqlstate == "42501"
    after = _row(engine, "select * from public.invoices where id = :i", i=invoice)
    assert after == before


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("status", "'approved'"),
        ("total", "1.00"),
        ("subtotal", "1.00"),
        ("tax", "0"),
        ("amount_due", "1.00"),
        ("currency", "'USD'"),
        ("vendor_iban", "'XX00ATTACKER'"),
        ("vendor_id", "null"),
        ("purchase_order_id", "null"),
        ("match_band", "'auto'"),
        ("match_score", "1"),
        ("reviewed_by", "auth.uid()"),
        ("reviewed_at", "now()"),
        ("created_by", "auth.uid()"),
        ("failure_reason", "'x'"),
        ("extraction", "'{}'"),
        ("confidence", "1"),
        ("client_id", "client_id"),
        ("file_id", "null"),
        ("batch_id", "null"),
        ("version", "version"),
    ],
)
def test_no_member_can_update_a_protected_invoice_column(engine, role_users, column, value):
    invoice = _seed_invoice(engine, role_users.id)
    for role, user in role_users.members.items():
        with pytest.raises(DBAPIError) as refused:
            _as(
                engine,
                user,
                f"update public.invoices set {column} = {value} where id = :i",
                i=invoice,
            )
        assert refused.value.orig.sqlstate == "42501", (role, column)


def test_members_cannot_insert_audit_events(engine, role_users):
    for role in ("owner", "operator", "analyst", "viewer"):
        user = role_users.members[role]
        with pytest.raises(DBAPIError) as refused:
            _as(
                engine,
                user,
                "insert into public.audit_events (client_id, action, after)"
                " values (:c, 'status.approved', '{\"status\": \"approved\"}')",
                c=role_users.id,
            )
        assert refused.value.orig.sqlstate == "42501", role


def test_lines_and_matches_change_only_through_the_workflow_functions(engine, role_users):
    invoice = _seed_invoice(engine, role_users.id)
    with engine.begin() as conn:
        conn.execute(
            text(
                "insert into public.invoice_lines (client_id, invoice_id, line_no, amount)"
                " values (:c, :i, 1, 100)"
            ),
            {"c": role_users.id, "i": invoice},
        )
        conn.execute(
            text(
                "insert into public.matches (client_id, invoice_id, kind, band)"
                " values (:c, :i, 'vendor', 'review')"
            ),
            {"c": role_users.id, "i": invoice},
        )
    operator = role_users.members["operator"]
    for sql in (
        "update public.invoice_lines set amount = 1 where invoice_id = :i",
        "update public.invoice_lines set quantity = 9, unit_price = 9 where invoice_id = :i",
        "delete from public.invoice_lines where invoice_id = :i",
        "insert into public.invoice_lines (client_id, invoice_id, line_no, amount)"
        " select client_id, id, 2, 5 from public.invoices where id = :i",
        "update public.matches set status = 'confirmed', decided_by = auth.uid()"
        " where invoice_id = :i",
        "delete from public.matches where invoice_id = :i",
        "insert into public.matches (client_id, invoice_id, kind, band)"
        " select client_id, id, 'duplicate', 'review' from public.invoices where id = :i",
    ):
        with pytest.raises(DBAPIError) as refused:
            _as(engine, operator, sql, i=invoice)
        assert refused.value.orig.sqlstate == "42501", sql


def test_creator_and_uploader_columns_are_the_caller_and_never_change(engine, role_users):
    owner, operator = role_users.members["owner"], role_users.members["operator"]
    victim = role_users.members["viewer"]
    client = role_users.id
    rows = _as(
        engine,
        operator,
        "with b as (insert into public.batches (client_id, name, created_by)"
        "  values (:c, 'x', :v) returning created_by),"
        " f as (insert into public.files (client_id, object_key, original_name, content_type,"
        "  size_bytes, sha256, uploaded_by) values (:c, :c || '/2026/12/06/f.pdf', 'f.pdf',"
        "  'application/pdf', 1, repeat('c', 64), :v) returning id, uploaded_by),"
        " i as (insert into public.invoices (client_id, file_id)"
        "  select :c, f.id from f returning created_by)"
        " select (select created_by from b), (select uploaded_by from f),"
        "  (select created_by from i)",
        c=client,
        v=victim.id,
    )
    assert rows == [(operator.id, operator.id, operator.id)]
    # Where the insert grant leaves the column out, naming it is refused outright.
    for sql in (
        "insert into public.invoices (client_id, created_by) values (:c, :v)",
        "insert into public.match_profiles (client_id, version, name, profile, created_by)"
        " values (:c, 7, 'p', '{}', :v)",
    ):
        with pytest.raises(DBAPIError) as refused:
            _as(engine, role_users.members["owner"], sql, c=client, v=victim.id)
        assert refused.value.orig.sqlstate == "42501", sql
    analyst = role_users.members["analyst"]
    created = _as(
        engine,
        analyst,
        "insert into public.match_profiles (client_id, version, name, profile)"
        " values (:c, 7, 'p', '{}') returning created_by",
        c=client,
    )
    assert created == [(analyst.id,)]
    for table, column in (
        ("batches", "created_by"),
        ("files", "uploaded_by"),
        ("invoices", "created_by"),
        ("match_profiles", "created_by"),
        ("clients", "created_by"),
    ):
        where = "id = :c" if table == "clients" else "client_id = :c"
        with pytest.raises(DBAPIError) as refused:
            _as(
                engine,
                owner,
                f"update public.{table} set {column} = :v where {where}",
                c=client,
                v=victim.id,
            )
        assert refused.value.orig.sqlstate == "42501", table
    # Not even the service role moves a creator to someone else (a trigger keeps it).
    with service_session(engine, "tests.creator") as s:
        s.execute(
            text("update public.invoices set created_by = :v where client_id = :c"),
            {"v": victim.id, "c": client},
        )
    assert (
        _row(
            engine,
            "select count(*) as n from public.invoices where client_id = :c and created_by = :v",
            c=client,
            v=victim.id,
        )["n"]
        == 0
    )


def test_a_file_row_must_name_an_object_of_its_own_client_in_the_one_bucket(
    engine, role_users, make_user, make_client
):
    other = make_client(make_user())
    owner = role_users.members["owner"]
    insert = (
        "insert into public.files (client_id, bucket, object_key, original_name, content_type,"
        " size_bytes, sha256) values (:c, :b, :k, 'x.pdf', 'application/pdf', 1, :h)"
    )
    for bucket, key in (
        ("invoices", f"{other.id}/2026/12/06/victim.pdf"),  # another client's object
        ("evil", f"{other.id}/2026/12/06/victim.pdf"),  # dodging unique (bucket, object_key)
        ("evil", f"{role_users.id}/2026/12/06/mine.pdf"),  # another bucket
        ("invoices", "not-a-client/2026/12/06/x.pdf"),
        ("invoices", f"x/{role_users.id}/2026/x.pdf"),
    ):
        with pytest.raises(ValidationFailed), user_session(engine, owner.claims) as s:
            s.execute(
                text(insert),
                {"c": role_users.id, "b": bucket, "k": key, "h": uuid.uuid4().hex * 2},
            )
    with user_session(engine, owner.claims) as s:  # the layout core/storage/keys.py makes
        s.execute(
            text(insert),
            {
                "c": role_users.id,
                "b": "invoices",
                "k": f"{role_users.id}/2026/12/06/{uuid.uuid4().hex}-ok.pdf",
                "h": uuid.uuid4().hex * 2,
            },
        )
    with pytest.raises(DBAPIError):  # and it cannot be moved afterwards
        _as(
            engine,
            owner,
            "update public.files set object_key = :k where client_id = :c",
            k=f"{other.id}/2026/12/06/victim.pdf",
            c=role_users.id,
        )


def test_f13_a_removed_creator_no_longer_reads_the_client(engine, make_user, make_client):
    creator, heir = make_user(), make_user()
    client = make_client(creator, {"owner": heir})
    assert _as(engine, creator, "select id from public.clients where id = :c", c=client.id)
    with service_session(engine, "tests.remove_creator") as s:
        s.execute(
            text("delete from public.client_members where client_id = :c and user_id = :u"),
            {"c": client.id, "u": creator.id},
        )
    assert _as(engine, creator, "select id from public.clients where id = :c", c=client.id) == []


def test_creating_a_client_returns_it_and_makes_the_caller_owner(engine, make_user):
    user, someone = make_user(), make_user()
    rows = _as(engine, user, "select id, created_by from public.create_client('Mine AG')")
    (client_id, created_by) = rows[0]
    assert created_by == user.id
    roles = _as(
        engine,
        user,
        "select user_id, role::text from public.client_members where client_id = :c",
        c=client_id,
    )
    assert roles == [(user.id, "owner")]
    assert _as(engine, someone, "select id from public.clients where id = :c", c=client_id) == []
    with pytest.raises(DBAPIError):
        _as(engine, None, "select public.create_client('anon AG')")


def test_members_are_added_only_by_accepting_an_invitation(engine, role_users, make_user):
    owner, stranger = role_users.members["owner"], make_user()
    with pytest.raises(DBAPIError) as refused:
        _as(
            engine,
            owner,
            "insert into public.client_members (client_id, user_id, role)"
            " values (:c, :u, 'operator')",
            c=role_users.id,
            u=stranger.id,
        )
    assert refused.value.orig.sqlstate == "42501"


def _events(engine, client_id, action=None):
    sql = (
        "select action, actor_id, before, after, meta from public.audit_events where client_id = :c"
    )
    if action:
        sql += " and action = :a"
    with engine.connect() as conn:
        return [
            dict(r)
            for r in conn.execute(
                text(sql + " order by id"), {"c": client_id, "a": action}
            ).mappings()
        ]


def test_direct_changes_that_remain_allowed_are_audited(engine, role_users):
    client, operator, owner = (
        role_users.id,
        role_users.members["operator"],
        role_users.members["owner"],
    )
    invoice = _seed_invoice(engine, client)
    _as(
        engine,
        operator,
        "update public.invoices set invoice_number = 'X-9' where id = :i",
        i=invoice,
    )
    event = _events(engine, client, "invoice.corrected")[-1]
    assert event["actor_id"] == operator.id
    assert event["before"]["invoice_number"] is None and event["after"]["invoice_number"] == "X-9"
    vendor = _as(
        engine,
        operator,
        "insert into public.vendors (client_id, name, iban) values (:c, 'V', 'DE1') returning id",
        c=client,
    )[0][0]
    _as(engine, operator, "update public.vendors set iban = 'XX00ATTACKER' where id = :v", v=vendor)
    changed = _events(engine, client, "vendor.bank_changed")
    assert [(e["before"], e["after"]["iban"]) for e in changed] == [
        (None, "DE1"),
        ({"bic": None, "iban": "DE1"}, "XX00ATTACKER"),
    ]
    assert all(e["actor_id"] == operator.id for e in changed)
    _as(
        engine,
        owner,
        "update public.client_members set role = 'viewer' where client_id = :c and user_id = :u",
        c=client,
        u=operator.id,
    )
    member = _events(engine, client, "member.set")[-1]
    assert (member["before"]["role"], member["after"]["role"]) == ("operator", "viewer")
    _as(engine, owner, "delete from public.invoices where id = :i", i=invoice)
    deleted = _events(engine, client, "invoice.deleted")[-1]
    assert deleted["actor_id"] == owner.id and deleted["before"]["total"] is not None


def test_a_decided_invoice_cannot_be_corrected_by_table_access(engine, role_users):
    invoice = _seed_invoice(engine, role_users.id, status="approved")
    with pytest.raises(DBAPIError) as refused:
        _as(
            engine,
            role_users.members["operator"],
            "update public.invoices set invoice_number = 'LATE' where id = :i",
            i=invoice,
        )
    assert refused.value.orig.sqlstate == "55000"


def _call(engine, user, sql, **params):
    try:
        with user_session(engine, user.claims) as s:
            return s.execute(text(sql), params).scalar()
    except InvoiceFlowError as exc:
        return exc


def test_the_transition_door_checks_role_table_version_and_stamps_the_reviewer(engine, role_users):
    lenient_policy(engine, role_users.id)  # the seeded invoice has no vendor: not the subject here
    invoice = _seed_invoice(engine, role_users.id)
    call = "select public.invoice_transition(:i, :a, :v, cast(:c as jsonb), '{}')"
    viewer, operator = role_users.members["viewer"], role_users.members["operator"]
    assert isinstance(
        _call(engine, viewer, call, i=invoice, a="status.approved", v=1, c="{}"), Forbidden
    )
    refused = _call(engine, operator, call, i=invoice, a="status.exported", v=1, c="{}")
    assert getattr(refused, "code", None) == "invalid_transition"
    forged = _call(
        engine,
        operator,
        call,
        i=invoice,
        a="status.approved",
        v=1,
        c=json.dumps({"reviewed_by": str(role_users.members["owner"].id)}),
    )
    assert isinstance(forged, ValidationFailed)
    assert _call(engine, operator, call, i=invoice, a="status.approved", v=99, c="{}") is None
    assert _call(engine, operator, call, i=invoice, a="status.approved", v=1, c="{}") == 2
    row = _row(engine, "select status, reviewed_by from public.invoices where id = :i", i=invoice)
    assert dict(row) == {"status": "approved", "reviewed_by": operator.id}
    event = _events(engine, role_users.id, "status.approved")[-1]
    assert event["actor_id"] == operator.id and event["meta"]["version"] == 2
    assert event["after"]["reviewed_by"] == str(operator.id)
    assert isinstance(
        _call(
            engine, role_users.members["analyst"], call, i=invoice, a="status.reopened", v=2, c="{}"
        ),
        Forbidden,
    )


def test_an_outsider_learns_nothing_from_the_doors(engine, role_users, make_user):
    invoice = _seed_invoice(engine, role_users.id)
    outsider = make_user()
    for sql in (
        "select public.invoice_transition(:i, 'status.approved', null, '{}', '{}')",
        "select public.invoice_correct(:i, 'invoice.corrected', null,"
        " '{\"invoice_number\": \"x\"}', '{}')",
    ):
        assert isinstance(_call(engine, outsider, sql, i=invoice), NotFound)


def test_every_invoice_version_has_exactly_one_audit_event(engine, role_users):
    """Whatever door changed it, version n of an invoice has one event with meta.version = n."""
    lenient_policy(engine, role_users.id)
    invoice = _seed_invoice(engine, role_users.id)
    operator = role_users.members["operator"]
    _as(engine, operator, "update public.invoices set po_number = 'PO-7' where id = :i", i=invoice)
    _call(
        engine,
        operator,
        "select public.invoice_correct(:i, 'invoice.corrected', null, '{\"total\": 5}', '{}')",
        i=invoice,
    )
    _call(
        engine,
        operator,
        "select public.invoice_transition(:i, 'status.approved', null, '{}', '{}')",
        i=invoice,
    )
    with service_session(engine, "tests.audit_versions") as s:
        s.execute(
            text("update public.invoices set due_date = current_date where id = :i"), {"i": invoice}
        )
    with engine.connect() as conn:
        version = conn.execute(
            text("select version from public.invoices where id = :i"), {"i": invoice}
        ).scalar_one()
        versions = (
            conn.execute(
                text(
                    "select (meta->>'version')::int from public.audit_events"
                    " where invoice_id = :i and meta ? 'version' order by 1"
                ),
                {"i": invoice},
            )
            .scalars()
            .all()
        )
    assert version == 5
    assert versions == [2, 3, 4, 5]
