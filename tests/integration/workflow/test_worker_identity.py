"""F1: a worker acts as the uploader recorded at enqueue and checks the file's tenant first.

The attack as reported: the owner of client A adds a member of client B to A (no consent), records
an upload in A whose object key is one of B's objects (in another bucket name, dodging the unique
key), points ``invoices.created_by`` at B's member, and lets the orphan sweep requeue the job as
that user: the worker, acting as B's member, read B's file and wrote B's invoice into A.
"""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core.workflow import processing, uploads
from core.workflow.uploads import UploadFile
from tests.integration.workflow.conftest import as_user, invoice_pdf

pytestmark = pytest.mark.security

SET_CLAIMS = text(
    "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', :c, true)"
)


def _as(engine, user, sql, **params):
    with engine.begin() as conn:
        conn.execute(SET_CLAIMS, {"c": json.dumps(user.claims)})
        result = conn.execute(text(sql), params)
        return result.all() if result.returns_rows else result.rowcount


def _attempt(engine, user, sql, **params) -> bool:
    try:
        _as(engine, user, sql, **params)
    except DBAPIError:
        return False
    return True


def _queued_job(engine, invoice_id):
    with engine.begin() as conn:
        row = conn.execute(
            text(
                "delete from public.procrastinate_jobs where args->>'invoice_id' = :i"
                " and status = 'todo' returning args"
            ),
            {"i": str(invoice_id)},
        ).first()
    return None if row is None else row[0]


def _upload(services, user, client_id, name, pdf, *, process=False):
    result = uploads.upload_files(
        services=services,
        user=as_user(user),
        client_id=client_id,
        files=[UploadFile(name, pdf)],
        process=process,
    )
    assert result.files[0].status == "accepted", result.files[0]
    return result.files[0].invoice_id


def test_f1_another_clients_file_never_reaches_the_attackers_invoice(
    services, engine, make_user, make_client
):
    victim, bridge, attacker = make_user(), make_user(), make_user()
    b = make_client(victim, {"operator": bridge}, name="Victim B")
    a = make_client(attacker, name="Attacker A")
    secret = _upload(
        services, victim, b.id, "secret.pdf", invoice_pdf("SECRET-1", vendor="Secret Supplier KG")
    )
    with engine.connect() as conn:
        key = conn.execute(
            text(
                "select f.object_key from public.files f join public.invoices i"
                " on i.file_id = f.id where i.id = :i"
            ),
            {"i": secret},
        ).scalar_one()

    steps = {
        "add B's member to A without consent": _attempt(
            engine,
            attacker,
            "insert into public.client_members (client_id, user_id, role)"
            " values (:a, :u, 'operator')",
            a=a.id,
            u=bridge.id,
        ),
        "record B's object key in A": _attempt(
            engine,
            attacker,
            "with f as (insert into public.files (client_id, bucket, object_key, original_name,"
            " content_type, size_bytes, sha256) values (:a, 'evil', :k, 'x.pdf',"
            " 'application/pdf', 1, repeat('e', 64)) returning id)"
            " insert into public.invoices (client_id, file_id) select :a, id from f",
            a=a.id,
            k=key,
        ),
        "act as B's member": _attempt(
            engine,
            attacker,
            "update public.invoices set created_by = :u where client_id = :a",
            u=bridge.id,
            a=a.id,
        ),
    }
    services.jobs.requeue_orphans(older_than_seconds=0)
    with engine.connect() as conn:
        planted = (
            conn.execute(text("select id from public.invoices where client_id = :a"), {"a": a.id})
            .scalars()
            .all()
        )
    for invoice_id in planted:
        job = _queued_job(engine, invoice_id)
        if job is not None:
            processing.process_invoice(
                services=services, invoice_id=uuid.UUID(job["invoice_id"]),
                user_id=uuid.UUID(job["user_id"]),
            )  # fmt: skip
    with engine.connect() as conn:
        leaked = conn.execute(
            text(
                "select count(*) from public.invoices where client_id = :a"
                " and (vendor_name ilike '%secret%' or invoice_number = 'SECRET-1')"
            ),
            {"a": a.id},
        ).scalar_one()
    assert leaked == 0, f"B's invoice landed in A; attacker steps that worked: {steps}"
    assert not any(steps.values()), steps


def test_the_worker_refuses_a_file_row_outside_the_invoices_client(
    services, engine, make_user, make_client
):
    """Defence in depth behind the files check constraint: the worker checks the tenant too."""
    from core.errors import FileOutsideClient

    owner, other_owner = make_user(), make_user()
    client, other = make_client(owner), make_client(other_owner)
    mine = _upload(services, owner, client.id, "mine.pdf", invoice_pdf("MINE-1"))
    theirs = _upload(services, other_owner, other.id, "t.pdf", invoice_pdf("THEIRS-1"))
    calls = services.extraction.calls
    with engine.begin() as conn:  # as the table owner, past the constraint, as an old row could
        conn.execute(text("alter table public.files drop constraint files_object_in_client_folder"))
        conn.execute(
            text(
                "update public.files set object_key = (select f.object_key from public.files f"
                " join public.invoices i on i.file_id = f.id where i.id = :t)"
                " || '.copy' where id = (select file_id from public.invoices where id = :m)"
            ),
            {"t": theirs, "m": mine},
        )
    try:
        outcome = processing.process_invoice(services=services, invoice_id=mine, user_id=owner.id)
    finally:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "update public.files set object_key = replace(object_key, :o, :c)"
                    " where id = (select file_id from public.invoices where id = :m)"
                ),
                {"o": str(other.id), "c": str(client.id), "m": mine},
            )
            conn.execute(
                text(
                    "alter table public.files add constraint files_object_in_client_folder"
                    " check (bucket = 'invoices' and public.storage_client_id(object_key)"
                    " is not distinct from client_id)"
                )
            )
    assert outcome == f"failed:{FileOutsideClient.code}"
    assert services.extraction.calls == calls  # no byte of the other client's file was read
    with engine.connect() as conn:
        status, reason = conn.execute(
            text("select status, failure_reason from public.invoices where id = :i"), {"i": mine}
        ).one()
    assert (status, reason) == ("failed", FileOutsideClient.code)


def test_orphans_are_requeued_as_their_uploader_unless_they_left(
    services, engine, make_user, make_client
):
    owner, leaver, stayer = make_user(), make_user(), make_user()
    client = make_client(owner, {"operator": leaver, "viewer": stayer})
    left = _upload(services, leaver, client.id, "l.pdf", invoice_pdf("LEFT-1"))
    kept = _upload(services, owner, client.id, "k.pdf", invoice_pdf("KEPT-1"))
    with engine.begin() as conn:  # the leaver is removed; someone else may still read their rows
        conn.execute(
            text("delete from public.client_members where client_id = :c and user_id = :u"),
            {"c": client.id, "u": leaver.id},
        )
    services.jobs.requeue_orphans(older_than_seconds=0)
    assert _queued_job(engine, left) is None
    job = _queued_job(engine, kept)
    assert job is not None and job["user_id"] == str(owner.id)
