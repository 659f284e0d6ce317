"""Data and per-table statements for the RLS matrix (tests/integration/db/test_rls_matrix.py).

Each table gets one SELECT/INSERT/UPDATE/DELETE aimed at the rows of one target client, and the
set of member roles that may do it by table access (as PostgREST gives it). Statements take
``:client`` (target client id) and the target client's object ids (``:invoice``, ``:vendor``...)
as parameters. ``PROTECTED`` lists UPDATEs of columns nobody may set by table access (status,
money, IBAN, reviewer, creators, tenant and file ids...), and ``CALLS`` every function a signed-in
user may call, with who may use it on the target client. ``audited`` marks the operations that
must leave an audit event whenever they change something.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import Connection, text

WRITERS = frozenset({"owner", "operator"})
ALL_MEMBERS = frozenset({"owner", "operator", "analyst", "viewer"})


@dataclass(frozen=True)
class TableCase:
    """How to read, insert, update and delete one client's rows of a table."""

    table: str
    select: str
    insert: str
    update: str
    delete: str
    insert_roles: frozenset[str] = WRITERS
    update_roles: frozenset[str] = WRITERS
    delete_roles: frozenset[str] = WRITERS
    select_roles: frozenset[str] = ALL_MEMBERS
    audited: frozenset[str] = frozenset()  # operations that must leave an audit event


NOBODY: frozenset[str] = frozenset()
OWNERS = frozenset({"owner"})
PROFILE_WRITERS = frozenset({"owner", "analyst"})


def _ops(table: str, set_clause: str, where: str = "client_id = :client") -> dict[str, str]:
    return {
        "select": f"select count(*) from {table} where {where}",
        "update": f"update {table} set {set_clause} where {where}",
        "delete": f"delete from {table} where {where}",
    }


CASES: list[TableCase] = [
    TableCase(
        "public.clients",
        **_ops("public.clients", "name = name || ''", "id = :client"),
        # created through public.create_client only (see CALLS)
        insert="insert into public.clients (name) values ('new client')",
        insert_roles=NOBODY,
        update_roles=OWNERS,
        delete_roles=OWNERS,
    ),
    TableCase(
        "public.client_members",
        **_ops(
            "public.client_members", "role = 'owner'", "client_id = :client and user_id = :viewer"
        ),
        # members join by accepting an invitation only
        insert="insert into public.client_members (client_id, user_id, role)"
        " values (:client, :stranger, 'viewer')",
        insert_roles=NOBODY,
        update_roles=OWNERS,
        delete_roles=OWNERS,
        audited=frozenset({"update", "delete"}),
    ),
    TableCase(
        "public.client_invitations",
        **_ops("public.client_invitations", "role = 'owner'"),
        insert="insert into public.client_invitations (client_id, email, role)"
        " values (:client, 'x-' || :rand || '@example.test', 'owner')",
        select_roles=OWNERS,
        insert_roles=NOBODY,
        update_roles=NOBODY,
        delete_roles=NOBODY,
    ),
    TableCase(
        "public.batches",
        **_ops("public.batches", "name = 'renamed'"),
        insert="insert into public.batches (client_id, name) values (:client, 'b')",
    ),
    TableCase(
        "public.files",
        **_ops("public.files", "original_name = 'renamed.pdf'"),
        insert="insert into public.files (client_id, object_key, original_name, content_type,"
        " size_bytes, sha256) values (:client, :client || '/x/' || :rand, 'x.pdf',"
        " 'application/pdf', 1, encode(sha256(convert_to(:rand, 'UTF8')), 'hex'))",
    ),
    TableCase(
        "public.vendors",
        **_ops("public.vendors", "iban = 'XX00ATTACKER'"),
        insert="insert into public.vendors (client_id, name, iban)"
        " values (:client, 'New Vendor', 'DE02120300000000202051')",
        audited=frozenset({"insert", "update", "delete"}),  # bank details: payment fraud
    ),
    TableCase(
        "public.vendor_aliases",
        **_ops("public.vendor_aliases", "value = 'edited'"),
        insert="insert into public.vendor_aliases (client_id, vendor_id, value, normalized)"
        " values (:client, :vendor, 'Alias ' || :rand, 'alias ' || :rand)",
        update_roles=frozenset(),  # aliases are added or removed, never edited
        audited=frozenset({"insert", "delete"}),  # an alias decides matches: who, when
    ),
    TableCase(
        "public.vendor_extraction_hints",
        **_ops("public.vendor_extraction_hints", "weight = weight + 1"),
        insert="insert into public.vendor_extraction_hints (client_id, vendor_id, field, anchor,"
        " direction, page, region) values (:client, :vendor, 'total', 'total ' || :rand,"
        " 'inline', 1, '{0,0,1,1}')",
        audited=frozenset({"insert", "update", "delete"}),  # a hint decides what is read
    ),
    TableCase(
        "public.vendor_trust",
        **_ops("public.vendor_trust", "clean_streak = 99"),
        # the streak is the database's (audit-event trigger); pausing is a door for owners
        insert="insert into public.vendor_trust (client_id, vendor_id, clean_streak)"
        " values (:client, :vendor, 99)",
        insert_roles=NOBODY,
        update_roles=NOBODY,
        delete_roles=NOBODY,
    ),
    TableCase(
        "public.purchase_orders",
        **_ops("public.purchase_orders", "status = 'closed'"),
        insert="insert into public.purchase_orders (client_id, vendor_id, po_number)"
        " values (:client, :vendor, 'PO-' || :rand)",
    ),
    TableCase(
        "public.purchase_order_lines",
        **_ops("public.purchase_order_lines", "description = 'changed'"),
        insert="insert into public.purchase_order_lines (client_id, purchase_order_id, line_no)"
        " values (:client, :po, 99)",
    ),
    TableCase(
        "public.goods_receipts",
        **_ops("public.goods_receipts", "received_on = current_date"),
        insert="insert into public.goods_receipts (client_id, purchase_order_id, receipt_number)"
        " values (:client, :po, 'GR-' || :rand)",
    ),
    TableCase(
        "public.goods_receipt_lines",
        **_ops("public.goods_receipt_lines", "quantity = quantity + 1"),
        insert="insert into public.goods_receipt_lines (client_id, goods_receipt_id, line_no,"
        " quantity) values (:client, :gr, 99, 1)",
    ),
    TableCase(
        "public.invoices",
        # a plain correction column of invoices not yet decided (decided ones: see PROTECTED)
        **_ops(
            "public.invoices",
            "invoice_number = 'touched'",
            "client_id = :client and id in (:invoice, :review_invoice)",
        ),
        insert="insert into public.invoices (client_id, file_id) values (:client, :file)",
        audited=frozenset({"insert", "update", "delete"}),
    ),
    TableCase(
        "public.invoice_lines",
        **_ops("public.invoice_lines", "description = 'changed'"),
        insert="insert into public.invoice_lines (client_id, invoice_id, line_no)"
        " values (:client, :invoice, 99)",
        insert_roles=NOBODY,
        update_roles=NOBODY,
        delete_roles=NOBODY,
    ),
    TableCase(
        "public.matches",
        **_ops("public.matches", "reason = 'changed'"),
        insert="insert into public.matches (client_id, invoice_id, kind, vendor_id, band)"
        " values (:client, :invoice, 'vendor', :vendor, 'review')",
        insert_roles=NOBODY,
        update_roles=NOBODY,
        delete_roles=NOBODY,
    ),
    TableCase(
        "public.match_exceptions",
        **_ops("public.match_exceptions", "reason = 'cleared'"),
        insert="insert into public.match_exceptions (client_id, invoice_id, code, line_no)"
        " values (:client, :invoice, 'line.price_variance', 1)",
        insert_roles=NOBODY,  # written by the invoice doors only: a block cannot be cleared
        update_roles=NOBODY,
        delete_roles=NOBODY,
    ),
    TableCase(
        "public.match_profiles",
        **_ops("public.match_profiles", "name = 'renamed'"),
        insert="insert into public.match_profiles (client_id, version, name, profile)"
        " values (:client, 99, 'p', '{}')",
        insert_roles=PROFILE_WRITERS,
        update_roles=NOBODY,  # profiles are immutable; activation is a function (CALLS)
        delete_roles=PROFILE_WRITERS,
        audited=frozenset({"insert", "delete"}),
    ),
    TableCase(
        "public.approval_policies",
        **_ops("public.approval_policies", "name = 'renamed'"),
        insert="insert into public.approval_policies (client_id, version, name, policy)"
        " values (:client, 99, 'p', '{\"blocks\": [], \"override_roles\": []}')",
        insert_roles=OWNERS,
        update_roles=NOBODY,  # versions are immutable; activation is a function (CALLS)
        delete_roles=OWNERS,
        audited=frozenset({"insert", "delete"}),
    ),
    TableCase(
        "public.extraction_cache",
        **_ops("public.extraction_cache", "model = 'changed'"),
        insert="insert into public.extraction_cache (client_id, cache_key, sha256,"
        " extractor_version, result) values (:client, :rand, repeat('b', 64), 'v1', '{}')",
    ),
    TableCase(
        "public.audit_events",
        **_ops("public.audit_events", "action = 'forged'"),
        insert="insert into public.audit_events (client_id, action) values (:client, 'test')",
        insert_roles=NOBODY,  # written by the database's doors and triggers only
        update_roles=NOBODY,
        delete_roles=NOBODY,
    ),
    TableCase(
        "public.service_principals",
        **_ops("public.service_principals", "name = 'renamed'"),
        # created and ended by the API key / mailbox doors only (see CALLS)
        insert="insert into public.service_principals (id, client_id, kind, name)"
        " values (:stranger, :client, 'api_key', 'forged')",
        insert_roles=NOBODY,
        update_roles=NOBODY,
        delete_roles=NOBODY,
    ),
    TableCase(
        "public.api_keys",
        **_ops("public.api_keys", "role = 'owner', revoked_at = null"),
        insert="insert into public.api_keys (client_id, principal_id, name, role, prefix,"
        " key_hash) values (:client, :stranger, 'forged', 'operator', substr(:rand, 1, 12),"
        " repeat('0', 64))",
        select_roles=OWNERS,  # (and the key's own principal, which is no actor here)
        insert_roles=NOBODY,
        update_roles=NOBODY,
        delete_roles=NOBODY,
    ),
    TableCase(
        "public.idempotency_keys",
        # per caller, not per client: the target client's owner's keys are theirs alone
        **_ops("public.idempotency_keys", "state = 'done'", "principal_id = :owner"),
        insert="insert into public.idempotency_keys (principal_id, key, fingerprint, method, path)"
        " values (:owner, :rand, repeat('a', 64), 'POST', '/x')",
        select_roles=OWNERS,
        insert_roles=OWNERS,
        update_roles=OWNERS,
        delete_roles=OWNERS,
    ),
    TableCase(
        "public.webhook_endpoints",
        **_ops("public.webhook_endpoints", "url = 'https://attacker.example/x', enabled = true"),
        # managed through the webhook doors only (see CALLS)
        insert="insert into public.webhook_endpoints (client_id, url, event_types,"
        " secret_ciphertext) values (:client, 'https://attacker.example/x',"
        " array['invoice.approved'], repeat('x', 20))",
        select_roles=OWNERS,
        insert_roles=NOBODY,
        update_roles=NOBODY,
        delete_roles=NOBODY,
    ),
    TableCase(
        "public.webhook_deliveries",
        **_ops("public.webhook_deliveries", "status = 'succeeded'"),
        insert="insert into public.webhook_deliveries (client_id, endpoint_id, event_id,"
        " event_type, payload) values (:client, :webhook, gen_random_uuid(),"
        " 'invoice.approved', '{}')",
        select_roles=OWNERS,
        insert_roles=NOBODY,
        update_roles=NOBODY,
        delete_roles=NOBODY,
    ),
    TableCase(
        "public.webhook_attempts",
        **_ops("public.webhook_attempts", "status_code = 200"),
        insert="insert into public.webhook_attempts (client_id, delivery_id, attempt, started_at,"
        " duration_ms) values (:client, :delivery, 9, now(), 1)",
        select_roles=OWNERS,
        insert_roles=NOBODY,
        update_roles=NOBODY,
        delete_roles=NOBODY,
    ),
    TableCase(
        "public.export_jobs",
        # the requester's own (the worker runs as them and records the outcome)
        **_ops("public.export_jobs", "status = 'failed'", "created_by = :owner"),
        insert="insert into public.export_jobs (created_by, client_id, format)"
        " values (:owner, :client, 'csv')",
        select_roles=OWNERS,
        insert_roles=NOBODY,  # created by create_export_job only (it also queues the job)
        update_roles=OWNERS,
        delete_roles=NOBODY,
    ),
    TableCase(
        "public.export_files",
        **_ops("public.export_files", "data = 'changed'", "created_by = :owner"),
        insert="insert into public.export_files (job_id, created_by, data)"
        " values (:empty_export_job, :owner, 'x')",
        select_roles=OWNERS,
        insert_roles=OWNERS,
        update_roles=OWNERS,
        delete_roles=NOBODY,
    ),
    TableCase(
        "public.mailboxes",
        **_ops("public.mailboxes", "host = 'attacker.example', enabled = true"),
        insert="insert into public.mailboxes (client_id, principal_id, name, host, port, security,"
        " username, password_ciphertext) values (:client, :stranger, 'x', 'attacker.example',"
        " 993, 'ssl', 'u', repeat('x', 20))",
        select_roles=WRITERS,
        insert_roles=NOBODY,  # managed through the mailbox doors only (see CALLS)
        update_roles=NOBODY,
        delete_roles=NOBODY,
    ),
    TableCase(
        "public.mailbox_seen",
        **_ops("public.mailbox_seen", "value = 'forged'"),
        insert="insert into public.mailbox_seen (client_id, mailbox_id, key, value)"
        " values (:client, :mailbox, 'msg:forged', 'processed')",
        select_roles=WRITERS,
        insert_roles=NOBODY,  # the mailbox's own principal only
        update_roles=NOBODY,
        delete_roles=NOBODY,
    ),
    TableCase(
        "public.mailbox_messages",
        **_ops("public.mailbox_messages", "outcome = 'processed'"),
        insert="insert into public.mailbox_messages (client_id, mailbox_id, message_key, outcome)"
        " values (:client, :mailbox, 'forged', 'processed')",
        select_roles=WRITERS,
        insert_roles=NOBODY,
        update_roles=NOBODY,
        delete_roles=NOBODY,
    ),
    TableCase(
        "public.file_splits",
        **_ops("public.file_splits", "parts = '[[1, 1]]'"),
        insert="insert into public.file_splits (client_id, file_id, source, parts, invoice_ids)"
        " values (:client, :file, 'operator', '[[1, 1]]', array[:invoice])",
        insert_roles=NOBODY,  # written by invoice_split / invoice_resplit only
        update_roles=NOBODY,
        delete_roles=NOBODY,
    ),
    TableCase(
        "storage.objects",
        **_ops(
            "storage.objects",
            "metadata = '{\"touched\": true}'",
            "bucket_id = 'invoices' and name like :client || '/%'",
        ),
        insert="insert into storage.objects (bucket_id, name, owner)"
        " values ('invoices', :client || '/2026/11/26/' || :rand || '.pdf', auth.uid())",
    ),
]


# UPDATEs that nobody may make by table access, whatever the role: each runs against the target
# client's rows and must change nothing. The first is finding F5 exactly as reported.
PROTECTED: list[tuple[str, str]] = [
    (
        "F5: export with a forged reviewer, total and IBAN",
        "update public.invoices set status = 'exported', reviewed_by = :owner, total = 1.00,"
        " vendor_iban = 'XX00ATTACKER' where id = :review_invoice",
    ),
    *(
        (f"invoices.{column}", f"update public.invoices set {column} = {value}"
         " where id in (:invoice, :review_invoice)")
        for column, value in (
            ("status", "'approved'"), ("subtotal", "1"), ("tax", "0"), ("total", "1"),
            ("amount_due", "1"), ("currency", "'USD'"), ("vendor_iban", "'XX00ATTACKER'"),
            ("vendor_id", "null"), ("purchase_order_id", "null"), ("match_band", "'auto'"),
            ("match_score", "1"), ("reviewed_by", "auth.uid()"), ("reviewed_at", "now()"),
            ("created_by", "auth.uid()"), ("failure_reason", "'x'"), ("extraction", "'{}'"),
            ("extractor", "'forged'"), ("confidence", "1"), ("client_id", "client_id"),
            ("file_id", "null"), ("batch_id", "null"), ("version", "version + 1"),
        )
    ),
    ("invoices: correcting a decided invoice",
     "update public.invoices set invoice_number = 'late' where id = :approved_invoice"),
    ("invoice_lines.amount",
     "update public.invoice_lines set amount = 1 where client_id = :client"),
    ("invoice_lines.quantity/unit_price",
     "update public.invoice_lines set quantity = 9, unit_price = 9 where client_id = :client"),
    ("matches.status/decided_by",
     "update public.matches set status = 'confirmed', decided_by = auth.uid()"
     " where client_id = :client"),
    ("matches.vendor_id", "update public.matches set vendor_id = null where client_id = :client"),
    ("match_exceptions.code", "update public.match_exceptions set code = 'po.closed',"
     " line_no = null where client_id = :client"),
    ("match_exceptions: cleared by deleting",
     "delete from public.match_exceptions where client_id = :client"),
    ("files.object_key", "update public.files set object_key = object_key || '.x'"
     " where client_id = :client"),
    ("files.bucket", "update public.files set bucket = 'evil' where client_id = :client"),
    *(
        (f"vendor_extraction_hints.{column}", f"update public.vendor_extraction_hints"
         f" set {column} = {value} where client_id = :client")
        for column, value in (
            ("client_id", "client_id"), ("vendor_id", "vendor_id"), ("field", "'tax'"),
            ("created_by", ":stranger"), ("learned_from", "'ceo@example.com'"),
        )
    ),
    ("vendor_aliases.learned_from", "update public.vendor_aliases set learned_from = 'x'"
     " where client_id = :client"),
    ("files.uploaded_by",
     "update public.files set uploaded_by = :stranger where client_id = :client"),
    ("files.client_id", "update public.files set client_id = client_id where client_id = :client"),
    ("batches.created_by", "update public.batches set created_by = :stranger"
     " where client_id = :client"),
    ("clients.created_by", "update public.clients set created_by = :stranger where id = :client"),
    ("client_members.user_id", "update public.client_members set user_id = :stranger"
     " where client_id = :client and user_id = :viewer"),
    ("client_members.invited_by", "update public.client_members set invited_by = :stranger"
     " where client_id = :client"),
    ("match_profiles.is_active", "update public.match_profiles set is_active = true"
     " where client_id = :client"),
    ("match_profiles.profile", "update public.match_profiles set profile = '{}'"
     " where client_id = :client"),
    ("match_profiles.created_by", "update public.match_profiles set created_by = :stranger"
     " where client_id = :client"),
    ("approval_policies.is_active", "update public.approval_policies set is_active = true"
     " where client_id = :client"),
    ("approval_policies.policy", "update public.approval_policies set policy ="
     " '{\"blocks\": [], \"override_roles\": [\"owner\"]}' where client_id = :client"),
    ("invoices.line_total", "update public.invoices set line_total = 1"
     " where id in (:invoice, :review_invoice)"),
    ("invoice_lines.allowance", "update public.invoice_lines set allowance = 5"
     " where client_id = :client"),
    ("client_invitations.accepted_at", "update public.client_invitations set accepted_at = now()"
     " where client_id = :client"),
]  # fmt: skip


@dataclass(frozen=True)
class CallCase:
    """A function a signed-in user may call; ``sql`` returns a count, > 0 when it did something."""

    name: str
    sql: str
    roles: frozenset[str]  # member roles of the target client it works for
    anyone_signed_in: bool = False  # not tied to the target client
    audited: bool = True


CALLS: list[CallCase] = [
    CallCase(
        "invoice_transition: approve (nothing blocks)",
        "select count(*) from (select public.invoice_transition(:clean_invoice,"
        " 'status.approved', null, '{}', '{}') v) x where v is not null",
        WRITERS,
    ),
    CallCase(
        "invoice_transition: approve over the policy's blocks (undecided match)",
        "select count(*) from (select public.invoice_transition(:review_invoice,"
        " 'status.approved', null, '{}', '{}') v) x where v is not null",
        NOBODY,  # IFB01 for everyone: the approval policy blocks it
    ),
    CallCase(
        "invoice_transition: override the blocks with a reason",
        "select count(*) from (select public.invoice_transition(:review_invoice,"
        " 'approval.overridden', null, '{}', '{\"reason\": \"checked by phone\"}') v) x"
        " where v is not null",
        OWNERS,  # the default policy's override_roles
    ),
    CallCase(
        "invoice_transition: override without a reason",
        "select count(*) from (select public.invoice_transition(:review_invoice,"
        " 'approval.overridden', null, '{}', '{}') v) x where v is not null",
        NOBODY,
    ),
    CallCase(
        "invoice_transition: reject",
        "select count(*) from (select public.invoice_transition(:review_invoice,"
        " 'status.rejected', null, '{\"failure_reason\": \"no\"}', '{}') v) x"
        " where v is not null",
        WRITERS,
    ),
    CallCase(
        "invoice_transition: export an approved invoice",
        "select count(*) from (select public.invoice_transition(:approved_invoice,"
        " 'status.exported', null, '{}', '{}') v) x where v is not null",
        WRITERS,
    ),
    CallCase(
        "invoice_correct: total and IBAN",
        "select count(*) from (select public.invoice_correct(:review_invoice,"
        " 'invoice.corrected', null, '{\"total\": 1, \"vendor_iban\": \"XX00\"}', '{}') v) x"
        " where v is not null",
        WRITERS,
    ),
    CallCase(
        "invoice_correct: lines",
        "select count(*) from (select public.invoice_correct(:review_invoice,"
        ' \'invoice.lines_corrected\', null, \'{"lines": [{"line_no": 1, "amount": 1}]}\','
        " '{}') v) x where v is not null",
        WRITERS,
    ),
    CallCase(
        "invoice_correct: confirm a match",
        "select count(*) from (select public.invoice_correct(:review_invoice, 'match.confirmed',"
        " null, jsonb_build_object('match', jsonb_build_object('id', cast(:review_match as text))),"
        " '{}') v) x where v is not null",
        WRITERS,
    ),
    CallCase(
        "invoice_record_exceptions: after the matched door call",
        "select count(*) from (select public.invoice_record_exceptions(:extracted_invoice,"
        " jsonb_build_array(jsonb_build_object('code', 'line.over_billed_quantity', 'line_no', 1,"
        " 'reason', 'billed 5 but 4 ordered'))) n from (select public.invoice_transition("
        ":extracted_invoice, 'status.matched', null, '{\"match_band\": \"review\"}', '{}') v"
        " offset 0) t where v is not null) x where n = 1",
        WRITERS,
    ),
    CallCase(
        "invoice_record_exceptions: alone (clears the invoice's exceptions)",
        "select count(*) from (select public.invoice_record_exceptions(:invoice, '[]') n) x",
        NOBODY,  # only with the door call that proposes the matches
    ),
    CallCase(
        "create_client",
        "select count(*) from public.create_client('Created ' || :rand)",
        ALL_MEMBERS,
        anyone_signed_in=True,
    ),
    CallCase(
        "activate_match_profile",
        "select count(*) from public.activate_match_profile(:client, 2)",
        PROFILE_WRITERS,
    ),
    CallCase(
        "record_reference_import",
        "select count(*) from (select public.record_reference_import(:client, 'vendors', 1, 0,"
        " '{}')) x",
        WRITERS,
    ),
    CallCase(
        "invite_client_member",
        "select count(*) from public.invite_client_member(:client,"
        " 'new-' || :rand || '@example.test', 'viewer')",
        OWNERS,
    ),
    CallCase(
        "revoke_client_invitation",
        "select count(*) from public.revoke_client_invitation(:invitation)",
        OWNERS,
    ),
    CallCase(
        "answer_client_invitation (sent to someone else)",
        "select count(*) from public.answer_client_invitation(:invitation, true)",
        NOBODY,
    ),
    CallCase(
        "enqueue_invoice_processing",
        "select count(*) from (select public.enqueue_invoice_processing(:invoice)) x",
        WRITERS,
        audited=False,  # queues a job, changes no invoice
    ),
    CallCase(
        "record_upload",
        "select count(*) from public.record_upload(:client, gen_random_uuid(), true, 'm', 1,"
        " 'invoices', :client || '/2026/12/06/' || :rand || '-m.pdf', 'm.pdf',"
        " 'application/pdf', 1, encode(sha256(convert_to(:rand, 'UTF8')), 'hex'), '{}', false)"
        " where outcome = 'accepted'",
        WRITERS,
    ),
    CallCase(
        "create_api_key",
        "select count(*) from public.create_api_key(:client, 'k', 'viewer', null,"
        " substr(:rand, 1, 12), encode(sha256(convert_to(:rand, 'UTF8')), 'hex'))",
        OWNERS,
    ),
    CallCase(
        "revoke_api_key",
        "select count(*) from public.revoke_api_key(:api_key)",
        OWNERS,
    ),
    CallCase(
        "create_webhook_endpoint",
        "select count(*) from public.create_webhook_endpoint(:client, 'https://erp.example/h',"
        " '', array['invoice.approved'], repeat('x', 20))",
        OWNERS,
    ),
    CallCase(
        "update_webhook_endpoint",
        "select count(*) from public.update_webhook_endpoint(:webhook, 'https://evil.example/h',"
        " null, null, true, null)",
        OWNERS,
    ),
    CallCase(
        "delete_webhook_endpoint",
        "select count(*) from (select public.delete_webhook_endpoint(:webhook)) x",
        OWNERS,
    ),
    CallCase(
        "redeliver_webhook",
        "select count(*) from public.redeliver_webhook(:delivery)",
        OWNERS,
    ),
    CallCase(
        "create_export_job",
        "select count(*) from public.create_export_job(:client, 'csv', '{}')",
        ALL_MEMBERS,
        audited=False,  # queues a job, changes nothing yet
    ),
    CallCase(
        "create_mailbox",
        "select count(*) from public.create_mailbox(:client, 'box', 'imap.example.com', 993,"
        " 'ssl', 'u', repeat('x', 20), 'INBOX', 'Done', 'Failed', 60)",
        OWNERS,
    ),
    CallCase(
        "update_mailbox",
        "select count(*) from public.update_mailbox(:mailbox, null, 'attacker.example', null,"
        " null, null, null, null, null, null, true, null)",
        OWNERS,
    ),
    CallCase(
        "delete_mailbox",
        "select count(*) from (select public.delete_mailbox(:mailbox)) x",
        OWNERS,
    ),
    CallCase(
        "my_mailbox_ids (read: a person has none)",
        "select count(*) from public.my_mailbox_ids()",
        NOBODY,
        audited=False,
    ),
    # The split doors work only on an invoice being read (split) or a file whose invoices are
    # all in review (re-split): the seeded invoices are neither, so nobody gets through here;
    # the allowed paths and the role refusals are tested in tests/e2e/api/test_api_split.py.
    CallCase(
        "invoice_split (no invoice is being read)",
        "select count(*) from unnest(public.invoice_split(:invoice, '[[1, 1], [2, 2]]')) x",
        NOBODY,
    ),
    CallCase(
        "invoice_resplit (the file's invoice is not in review)",
        "select count(*) from unnest(public.invoice_resplit(:invoice, '[[1, 1]]')) x",
        NOBODY,
    ),
    CallCase(
        "invoice_line_exceptions (read)",
        "select count(*) from public.invoice_line_exceptions(:invoice)",
        ALL_MEMBERS,
        audited=False,
    ),
    CallCase(
        "invoice_ids_by_vendor (read)",
        "select count(*) from public.invoice_ids_by_vendor('%Seed%', :client)",
        ALL_MEMBERS,
        audited=False,
    ),
    CallCase(
        "activate_approval_policy",
        "select count(*) from public.activate_approval_policy(:client, 2)",
        OWNERS,
    ),
    CallCase(
        "set_vendor_ladder_paused",
        "select count(*) from public.set_vendor_ladder_paused(:client, :vendor, true)",
        OWNERS,
    ),
    CallCase(
        "auto_approval_reasons (read)",
        "select count(*) from public.auto_approval_reasons(:review_invoice)",
        ALL_MEMBERS,
        audited=False,
    ),
    CallCase(
        "approval_reasons (read)",
        "select count(*) from public.approval_reasons(:review_invoice)",
        ALL_MEMBERS,
        audited=False,
    ),
    CallCase(
        "invoice_checks (read)",
        "select count(*) from public.invoice_checks(:review_invoice)",
        ALL_MEMBERS,
        audited=False,
    ),
    CallCase(
        "approval_policy_of (read)",
        "select count(*) from public.approval_policy_of(:client) where version = 1",
        ALL_MEMBERS,
        audited=False,
    ),
    CallCase(
        "client_user_emails (read)",
        "select count(*) from public.client_user_emails(:client, array[cast(:owner as uuid)])",
        ALL_MEMBERS,
        audited=False,
    ),
    CallCase(
        "create_vendor_from_invoice",
        "select count(*) from public.create_vendor_from_invoice(:review_invoice, null,"
        " jsonb_build_object('name', 'New Vendor ' || :rand), '{}')",
        WRITERS,
    ),
    CallCase(
        "my_client_invitations (read; none are for the actors)",
        "select count(*) from public.my_client_invitations()",
        NOBODY,
        audited=False,
    ),
]


def seed_client_rows(conn: Connection, client_id: uuid.UUID) -> dict[str, uuid.UUID]:
    """One row in every client-owned table (as the table owner); returns their ids."""
    ids: dict[str, uuid.UUID] = {}

    def add(key: str, sql: str, **params: object) -> None:
        ids[key] = conn.execute(
            text(sql + " returning id"), {"c": client_id, **params}
        ).scalar_one()

    add("batch", "insert into public.batches (client_id, name) values (:c, 'seed')")
    add(
        "file",
        "insert into public.files (client_id, object_key, original_name, content_type, size_bytes,"
        " sha256) values (:c, :c || '/2026/11/26/seed.pdf', 'seed.pdf', 'application/pdf', 3,"
        " encode(sha256(convert_to(cast(:c as text), 'UTF8')), 'hex'))",
    )
    add("vendor", "insert into public.vendors (client_id, name) values (:c, 'Seed Vendor')")
    add(
        "alias",
        "insert into public.vendor_aliases (client_id, vendor_id, value, normalized, source)"
        " values (:c, :v, 'Old Seed Vendor', 'old seed vendor', 'import')",
        v=ids["vendor"],
    )
    conn.execute(
        text(
            "insert into public.vendor_trust (client_id, vendor_id, clean_streak)"
            " values (:c, :v, 1)"
        ),
        {"c": client_id, "v": ids["vendor"]},
    )
    add(
        "hint",
        "insert into public.vendor_extraction_hints (client_id, vendor_id, field, anchor,"
        " direction, page, region) values (:c, :v, 'invoice_number', 'job sheet', 'inline', 1,"
        " '{0.1,0.2,0.3,0.25}')",
        v=ids["vendor"],
    )
    add(
        "po",
        "insert into public.purchase_orders (client_id, vendor_id, po_number)"
        " values (:c, :v, 'PO-1')",
        v=ids["vendor"],
    )
    add(
        "po_line",
        "insert into public.purchase_order_lines (client_id, purchase_order_id, line_no)"
        " values (:c, :p, 1)",
        p=ids["po"],
    )
    add(
        "gr",
        "insert into public.goods_receipts (client_id, purchase_order_id, receipt_number)"
        " values (:c, :p, 'GR-1')",
        p=ids["po"],
    )
    add(
        "gr_line",
        "insert into public.goods_receipt_lines (client_id, goods_receipt_id,"
        " purchase_order_line_id, line_no, quantity) values (:c, :g, :l, 1, 2)",
        g=ids["gr"],
        l=ids["po_line"],
    )
    add(
        "invoice",
        "insert into public.invoices (client_id, file_id, batch_id, vendor_id, purchase_order_id)"
        " values (:c, :f, :b, :v, :p)",
        f=ids["file"],
        b=ids["batch"],
        v=ids["vendor"],
        p=ids["po"],
    )
    add(
        "review_invoice",
        "insert into public.invoices (client_id, status, vendor_name, total, vendor_id)"
        " values (:c, 'needs_review', 'Seed Vendor GmbH', 119, :v)",
        v=ids["vendor"],
    )
    add(
        "clean_invoice",
        "insert into public.invoices (client_id, status, vendor_name, currency, total, vendor_id)"
        " values (:c, 'needs_review', 'Seed Vendor GmbH', 'EUR', 119, :v)",
        v=ids["vendor"],
    )
    add(
        "extracted_invoice",
        "insert into public.invoices (client_id, status, total) values (:c, 'extracted', 80)",
    )
    add(
        "approved_invoice",
        "insert into public.invoices (client_id, status, total) values (:c, 'approved', 50)",
    )
    add(
        "invoice_line",
        "insert into public.invoice_lines (client_id, invoice_id, line_no) values (:c, :i, 1)",
        i=ids["invoice"],
    )
    add(
        "review_match",
        "insert into public.matches (client_id, invoice_id, kind, vendor_id, band)"
        " values (:c, :i, 'vendor', :v, 'review')",
        i=ids["review_invoice"],
        v=ids["vendor"],
    )
    add(
        "match",
        "insert into public.matches (client_id, invoice_id, kind, vendor_id, band)"
        " values (:c, :i, 'vendor', :v, 'auto')",
        i=ids["invoice"],
        v=ids["vendor"],
    )
    add(
        "exception",
        "insert into public.match_exceptions (client_id, invoice_id, purchase_order_id, code,"
        " line_no, reason) values (:c, :i, :p, 'line.not_received', 1, 'seeded')",
        i=ids["invoice"],
        p=ids["po"],
    )
    add(
        "profile",
        "insert into public.match_profiles (client_id, version, name, profile, is_active)"
        " values (:c, 1, 'default', '{}', true)",
    )
    add(
        "profile_v2",
        "insert into public.match_profiles (client_id, version, name, profile)"
        " values (:c, 2, 'tuned', '{}')",
    )
    add(
        "approval_policy",
        "insert into public.approval_policies (client_id, version, name, policy, is_active)"
        " values (:c, 1, 'default', public.default_approval_policy(), true)",
    )
    add(
        "approval_policy_v2",
        "insert into public.approval_policies (client_id, version, name, policy)"
        ' values (:c, 2, \'lenient\', \'{"blocks": [], "override_roles": ["owner"]}\')',
    )
    add(
        "invitation",
        "insert into public.client_invitations (client_id, email, role)"
        " values (:c, 'invitee-' || :c || '@example.test', 'viewer')",
    )
    add(
        "cache",
        "insert into public.extraction_cache (client_id, cache_key, sha256, extractor_version,"
        " result) values (:c, 'k1', repeat('a', 64), 'v1', '{}')",
    )
    principal = conn.execute(
        text("select public.create_service_principal(:c, 'api_key', 'seed key', 'operator')"),
        {"c": client_id},
    ).scalar_one()
    add(
        "api_key",
        "insert into public.api_keys (client_id, principal_id, name, role, prefix, key_hash)"
        " values (:c, :p, 'seed key', 'operator', substr(md5(cast(:c as text)), 1, 12),"
        " repeat('a', 64))",
        p=principal,
    )
    conn.execute(
        text("insert into public.idempotency_keys (principal_id, key, fingerprint, method, path)"
             " select created_by, 'seed', repeat('a', 64), 'POST', '/seed'"
             " from public.clients where id = :c"),
        {"c": client_id},
    )  # fmt: skip
    add(
        "webhook",
        "insert into public.webhook_endpoints (client_id, url, event_types, secret_ciphertext,"
        " enabled) values (:c, 'https://erp.example/seed', array['invoice.approved'],"
        " repeat('x', 20), false)",
    )
    add(
        "delivery",
        "insert into public.webhook_deliveries (client_id, endpoint_id, event_id, event_type,"
        " payload, status) values (:c, :w, gen_random_uuid(), 'invoice.approved', '{}', 'failed')",
        w=ids["webhook"],
    )
    add(
        "attempt",
        "insert into public.webhook_attempts (client_id, delivery_id, attempt, started_at,"
        " duration_ms, status_code) values (:c, :d, 1, now(), 5, 500)",
        d=ids["delivery"],
    )
    for key in ("export_job", "empty_export_job"):
        add(
            key,
            "insert into public.export_jobs (created_by, client_id, format)"
            " select created_by, id, 'csv' from public.clients where id = :c",
        )
    conn.execute(
        text("insert into public.export_files (job_id, created_by, data)"
             " select id, created_by, 'seed' from public.export_jobs where id = :j"),
        {"j": ids["export_job"]},
    )  # fmt: skip
    box_principal = conn.execute(
        text("select public.create_service_principal(:c, 'mailbox', 'seed box', 'operator')"),
        {"c": client_id},
    ).scalar_one()
    add(
        "mailbox",
        "insert into public.mailboxes (client_id, principal_id, name, host, port, security,"
        " username, password_ciphertext, enabled) values (:c, :p, 'seed', 'imap.example.com',"
        " 993, 'ssl', 'u', repeat('x', 20), false)",
        p=box_principal,
    )
    conn.execute(
        text("insert into public.mailbox_seen (client_id, mailbox_id, key, value)"
             " values (:c, :m, 'msg:seed', 'processed')"),
        {"c": client_id, "m": ids["mailbox"]},
    )  # fmt: skip
    conn.execute(
        text("insert into public.mailbox_messages (client_id, mailbox_id, message_key, outcome)"
             " values (:c, :m, 'seed', 'failed')"),
        {"c": client_id, "m": ids["mailbox"]},
    )  # fmt: skip
    add(
        "file_split",
        "insert into public.file_splits (client_id, file_id, source, parts, invoice_ids)"
        " values (:c, :f, 'detected', '[[1, 1], [2, 2]]', array[:i])",
        f=ids["file"],
        i=ids["invoice"],
    )
    conn.execute(
        text("insert into public.audit_events (client_id, action) values (:c, 'seeded')"),
        {"c": client_id},
    )
    add(
        "object",
        "insert into storage.objects (bucket_id, name)"
        " values ('invoices', :c || '/2026/11/26/seed.pdf')",
    )
    return ids
