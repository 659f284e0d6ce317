"""Review queue: most-needed invoices first, the page beside its fields, correct, decide.

The page is keyed by invoice id (``review_current``), never by the picker's label: a label that
changes after a save (the vendor name is in it) cannot move the reviewer to another invoice.
Every action answers with what it changed, and a decision moves on to the next invoice on
purpose. What to flag, how to show money and what comes next is ``core.workflow.review_view``.
"""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from console import session_cache, state
from console.feedback import flash, guarded
from console.preview import highlighted_page, render_pages
from core.db.records import CORRECTABLE_FIELDS
from core.extraction.schema import HEADER_FIELDS
from core.workflow import (
    approval,
    invoices,
    line_items,
    rematch,
    review,
    review_queue,
    review_view,
    vendor_creation,
)
from core.workflow.states import EDITABLE, InvoiceStatus

LINE_COLUMNS = [
    "description",
    "product_code",
    "quantity",
    "unit",
    "unit_price",
    "allowance",
    "charge",
    "tax_rate",
    "amount",
]
# The correctable header fields, in the extraction's order, then any the extraction never reads
# (entered by a reviewer): a new correctable field shows up here with no change to this page.
FIELDS = [f for f in HEADER_FIELDS if f in CORRECTABLE_FIELDS] + [
    f for f in CORRECTABLE_FIELDS if f not in HEADER_FIELDS
]
CURRENT = "review_current"
PICK = "review_pick"
TOAST = "review_toast"

st.title("Review queue")
client_id = state.require_client()
# What the last action did, also as a toast: the reviewer acted at the bottom of a long page and
# the status message stands at its top, out of view.
if said := st.session_state.pop(TOAST, None):
    st.toast(said, icon=":material/check_circle:")


def _say(message: str) -> None:
    """Answer an action: a status at the top of the next run, and a toast in view."""
    flash(message)
    st.session_state[TOAST] = message


# Reruns of the same invoice version read only the invoice itself: what cannot change under the
# same (invoice id, version) is remembered for this session (``console.session_cache``), and the
# queue's labels are read once per queue change. Every action here drops those memos (its
# ``_acted``), so what it changed is read afresh; opening the page from another one does too.
MEMO_QUEUE, MEMO_CHECK = "review_queue", "review_check"
MEMO_FILE, MEMO_IMAGE = "review_file", "review_image"  # per file id: a stored file never changes
A4_WIDTH_PT = 595.0  # to size the close-up around a source box (any page width will do)
QUEUE_FRESH_S = 30.0  # invoices the worker adds show up at the latest this much later
if state.page_entered():
    session_cache.forget(MEMO_QUEUE, MEMO_CHECK)


def _acted() -> None:
    """After any action (done or refused): read the queue and the reasons again."""
    session_cache.forget(MEMO_QUEUE, MEMO_CHECK)


def _load_queue() -> tuple[float, list] | None:
    rows = state.fetch(
        review_queue.review_queue, action="loading the review queue", client_id=client_id, limit=200
    )
    return None if rows is None else (time.monotonic(), rows)


# One look into the memo; a queue missing or older than QUEUE_FRESH_S is read once, afresh.
loaded = session_cache.recall(MEMO_QUEUE, client_id)
if loaded is None or time.monotonic() - loaded[0] > QUEUE_FRESH_S:
    loaded = _load_queue()
    if loaded is not None:
        session_cache.store(MEMO_QUEUE, client_id, loaded, keep=2)
if loaded is None:
    st.stop()
queue = loaded[1]
if not queue:
    st.success("Nothing waits for review.")
    st.stop()

ids = [row.id for row in queue]
labels = {
    row.id: f"{row.vendor_name or '—'} · {row.invoice_number or '—'} · "
    f"{row.review_reason or row.status}"
    for row in queue
}
if st.session_state.get(CURRENT) not in ids:
    st.session_state[CURRENT] = ids[0]
invoice_id = st.session_state[CURRENT]
# The picker shows the current invoice with today's label (set before it is drawn, so a label
# changed by a save is what the browser holds next time).
st.session_state[PICK] = invoice_id


def _picked() -> None:
    st.session_state[CURRENT] = st.session_state[PICK]


st.selectbox(
    f"{len(queue)} invoices need a look (most urgent first)",
    options=ids,
    format_func=lambda i: labels.get(i, str(i)),
    key=PICK,
    on_change=_picked,
)
invoice = state.fetch(invoices.get_invoice, action="opening the invoice", invoice_id=invoice_id)
if invoice is None:
    st.stop()
# Writes name the version the reviewer *saw* (the previous run rendered it), so a change made
# by someone else in between is refused as a conflict instead of silently overwritten.
SEEN = f"review_seen_version_{invoice_id}"
RELOAD = f"review_reload_{invoice_id}"
if st.session_state.pop(RELOAD, False):
    for key in [k for k in st.session_state if str(k).startswith(f"review_field_{invoice_id}_")]:
        del st.session_state[key]
    st.session_state[SEEN] = invoice.version
    _acted()
seen_version = st.session_state.get(SEEN, invoice.version)


this_version = (invoice_id, invoice.version)
read = session_cache.recall(MEMO_CHECK, this_version)
if read is None:
    evidence = state.fetch(
        review_queue.field_evidence, action="loading the evidence", invoice_id=invoice_id
    )
    check = state.fetch(
        approval.approval_check, action="checking the invoice", invoice_id=invoice_id
    )
    read = (evidence or {"fields": {}, "warnings": []}, check)
    # Kept only when both were read at the version shown (not after an error or a change).
    if evidence is not None and check is not None and check.version == invoice.version:
        session_cache.store(MEMO_CHECK, this_version, read)
evidence, check = read
reasons = check.reasons if check is not None else ()
views = review_view.field_views(
    FIELDS, {n: getattr(invoice, n) for n in FIELDS}, evidence["fields"], reasons
)
by_name = {v.name: v for v in views}
currency = invoice.currency or ""


def _after_decision(message: str) -> None:
    """Say what happened (as the audit log now records it) and move on to the next invoice of
    the queue, on purpose."""
    trail = state.call(invoices.audit_trail, invoice_id=invoice_id, limit=1)
    if trail:
        message += f" Audit log: {trail[0].action} by {trail[0].by} at {trail[0].at:%H:%M:%S}."
    following = review_view.next_after(ids, invoice_id)
    if following is not None:
        st.session_state[CURRENT] = following
        message += f" Next: {labels[following]}."
    _say(message)
    st.rerun()


editable = state.can("correct") and InvoiceStatus(invoice.status) in EDITABLE
left, right = st.columns([6, 5], gap="medium")
with left:
    st.subheader("Document")
    sources = [v for v in views if v.source is not None]
    c1, c2 = st.columns([3, 2])
    shown = c1.selectbox(
        "Show where this value came from",
        options=[v.name for v in sources] or [""],
        format_func=lambda n: by_name[n].label if n else "—",
        key=f"review_source_{invoice_id}",
    )
    zoom = c2.select_slider(
        "Zoom", options=[1.0, 1.5, 2.0, 3.0, 4.0], value=1.0, key=f"review_zoom_{invoice_id}"
    )
    with guarded("loading the document"):
        # A stored file never changes: read once per file for this session (the last two only:
        # a file may be up to the upload limit).
        data, _content_type, name = session_cache.remembered(
            MEMO_FILE,
            invoice.file_id or invoice_id,
            lambda: state.call(invoices.original_file, invoice_id=invoice_id),
            keep=2,
        )
        source = by_name[shown].source if shown else None
        if source is not None and source.bbox is not None and zoom == 1.0:
            # The whole page is taller than the screen and the box may sit in its footer: first
            # the box's surroundings, in view, then the whole page with the box highlighted.
            box = source.bbox
            near = max(1.5, min(4.0, A4_WIDTH_PT / (box[2] - box[0] + 100)))
            snippet = session_cache.remembered(
                MEMO_IMAGE,
                (invoice.file_id, source.page, box, "near"),
                lambda: highlighted_page(data, source.page, box, near),
                keep=6,
            )
            if snippet is not None:
                st.image(
                    snippet,
                    caption=f"{by_name[shown].label}: where it was read on page {source.page}",
                    width="stretch",
                )
        if source is not None:
            png = session_cache.remembered(
                MEMO_IMAGE,
                (invoice.file_id, source.page, source.bbox, zoom),
                lambda: highlighted_page(data, source.page, source.bbox, zoom),
                keep=6,
            )
            if png is not None:
                where = "" if source.bbox else " (its box was not recorded)"
                st.image(
                    png,
                    caption=f"{name} · page {source.page} · {by_name[shown].label}{where}",
                    width="stretch",
                )
        pages = (
            session_cache.remembered(
                MEMO_IMAGE, (invoice.file_id, "pages"), lambda: render_pages(data), keep=6
            )
            if source is None or zoom == 1.0
            else []
        )
        for number, png in enumerate(pages, start=1):
            if source is not None and number == source.page:
                continue  # shown above, highlighted
            if source is None and zoom != 1.0:
                png = highlighted_page(data, number, None, zoom) or png
            st.image(png, caption=f"{name} · page {number}", width="stretch")
        if source is None and not pages:
            st.info(f"No preview for {name}; download it from Downloads.")

with right:
    st.subheader("Extracted fields")
    st.caption(
        f"Status **{invoice.status}** · extractor {invoice.extractor or '—'} · "
        f"overall confidence {float(invoice.confidence or 0):.0%} · version {invoice.version}"
    )
    checks = [r for r in reasons if r.code.startswith("check.")]
    for r in checks:
        fields = ", ".join(review_view.label(f) if f != "lines" else "Line items" for f in r.fields)
        what = r.code.removeprefix("check.").replace("_", " ")
        st.error(f"**Failed check: {what}.** {r.message} → {fields}")
    with st.form(f"review_fields_form_{invoice_id}"):
        typed: dict[str, str] = {}
        for view in views:
            unit = f" ({currency})" if view.name in review_view.MONEY_FIELDS and currency else ""
            flag = f" :material/warning: {view.flag}" if view.flag else ""
            help_text = (
                f"Confidence {view.confidence:.0%}. " if view.confidence is not None else ""
            ) + (
                f"Read on page {view.source.page}: “{view.source.text}”"
                if view.source
                else "Not read from the page."
            )
            typed[view.name] = st.text_input(
                f"{view.label}{unit}{flag}",
                value=view.text,
                key=f"review_field_{invoice_id}_{view.name}",
                disabled=not editable,
                help=help_text,
            )
        saved = st.form_submit_button("Save corrections", disabled=not editable, type="primary")
    if saved:
        changes = review_view.changed_fields(views, typed)
        if not changes:
            st.info("Nothing changed.")
        else:
            _acted()
            with guarded("saving corrections"):
                updated = state.call(
                    review.correct_fields,
                    invoice_id=invoice_id,
                    changes=changes,
                    expected_version=seen_version,
                )
                st.session_state[SEEN] = updated.version
                names = ", ".join(review_view.label(n) for n in changes)
                _say(f"Saved {names} (version {updated.version}); matching and checks re-ran.")
                st.rerun()

st.subheader(f"Line items ({currency})" if currency else "Line items")
with st.form(f"review_lines_form_{invoice_id}"):
    edited = st.data_editor(
        pd.DataFrame(review_view.line_rows(invoice.lines, LINE_COLUMNS), columns=LINE_COLUMNS),
        num_rows="dynamic" if editable else "fixed",
        disabled=not editable,
        width="stretch",
        hide_index=True,
        key=f"review_lines_{invoice_id}",
        # Text cells: an empty cell is blank (never "None"), money shows two decimals; the
        # workflow parses and checks the numbers when the lines are saved.
        column_config={
            "description": st.column_config.TextColumn("Description", width="medium"),
            "product_code": st.column_config.TextColumn("Code", width="small"),
            "quantity": st.column_config.TextColumn("Qty", width="small"),
            "unit": st.column_config.TextColumn("Unit", width="small"),
            "unit_price": st.column_config.TextColumn("Unit price", width="small"),
            "allowance": st.column_config.TextColumn("Allowance", width="small"),
            "charge": st.column_config.TextColumn("Charge", width="small"),
            "tax_rate": st.column_config.TextColumn("Tax %", width="small"),
            "amount": st.column_config.TextColumn("Amount", width="small"),
        },
    )
    save_lines = st.form_submit_button("Save line items", disabled=not editable)
if save_lines:
    _acted()
    with guarded("saving line items"):
        updated = state.call(
            line_items.correct_lines,
            invoice_id=invoice_id,
            lines=edited.to_dict("records"),
            expected_version=seen_version,
        )
        st.session_state[SEEN] = updated.version
        _say(f"Saved {len(edited)} line items (version {updated.version}).")
        st.rerun()

if state.can("approve"):
    st.subheader("Decision")
    blocking = [r for r in reasons if r.blocking]
    # A note a block already says (the PO match's exception inside "not settled: …") once only.
    notes = [
        r
        for r in reasons
        if not r.blocking
        and not r.code.startswith("check.")
        and not any(r.message.rstrip(".") in b.message for b in blocking)
    ]
    if blocking:
        st.warning(
            "**The approval policy blocks approving this invoice:**\n"
            + "\n".join(f"- {r.message}" for r in blocking)
        )
    for r in notes:
        st.info(r.message)
    may_override = bool(blocking) and check is not None and check.may_override
    # A blocked invoice has no primary Approve: the way past the blocks is a deliberate,
    # secondary override that asks why (audited), and only for the roles the policy names.
    decide, past = st.columns([3, 2])
    with decide, st.form(f"review_decide_form_{invoice_id}"):
        reason = st.text_input("Reason (needed to reject)", key=f"review_reason_{invoice_id}")
        if blocking:
            approve, reject = False, st.form_submit_button("Reject")
        else:
            a, r = st.columns(2)
            approve = a.form_submit_button("Approve", type="primary")
            reject = r.form_submit_button("Reject")
    override = False
    with past:
        if may_override:
            with (
                # keyed per invoice: the next invoice's popover starts closed
                st.popover(
                    "Approve anyway (override)…",
                    width="stretch",
                    key=f"review_override_popover_{invoice_id}",
                ),
                st.form(f"review_override_form_{invoice_id}"),
            ):
                st.caption("The blocks stay in the audit log with your reason.")
                why = st.text_input(
                    "Why approve over the blocks?", key=f"review_override_reason_{invoice_id}"
                )
                override = st.form_submit_button("Approve over the blocks", type="primary")
        elif blocking:
            allowed = ", ".join(check.policy.override_roles) if check is not None else ""
            st.info(
                f"You cannot approve it while these blocks stand: your role "
                f"({state.active_role()}) may not approve over them"
                + (f" (the policy lets {allowed} do it)." if allowed else ".")
                + " Correct the values above, or ask someone who may."
            )
    if approve or override:
        _acted()
        with guarded("approving"):
            done = state.call(
                review.approve_invoice,
                invoice_id=invoice_id,
                expected_version=seen_version,
                override_reason=why if override else None,
            )
            how = " over the policy's blocks" if override else ""
            _after_decision(
                f"Approved{how}: {done.vendor_name or '—'} · {done.invoice_number or '—'}."
            )
    if reject:
        _acted()
        with guarded("rejecting"):
            done = state.call(
                review.reject_invoice,
                invoice_id=invoice_id,
                reason=reason,
                expected_version=seen_version,
            )
            _after_decision(f"Rejected: {done.vendor_name or '—'} · {done.invoice_number or '—'}.")

if editable:
    m1, m2 = st.columns(2)
    with m1:
        st.caption("Matching runs again after corrections; run it now after new reference data.")
        if st.button("Re-match this invoice", key=f"review_rematch_{invoice_id}"):
            _acted()
            with guarded("re-matching"):
                again = state.call(
                    rematch.rematch_invoice,
                    invoice_id=invoice_id,
                    expected_version=seen_version,
                    reason="re-match requested in the review screen",
                )
                st.session_state[SEEN] = again.version
                vendor = "a vendor" if again.vendor_id else "no vendor"
                _say(f"Re-matched: {vendor} chosen, match band {again.match_band or '—'}.")
                st.rerun()
    if invoice.vendor_id is None:
        with m2, st.form(f"review_vendor_form_{invoice_id}"):
            st.caption("The vendor is not in your vendor list: create it from this invoice.")
            v_name = st.text_input(
                "Vendor name",
                value=invoice.vendor_name or "",
                key=f"review_vendor_name_{invoice_id}",
            )
            force = st.checkbox(
                "Create it even if a similar vendor exists", key=f"review_vendor_force_{invoice_id}"
            )
            create = st.form_submit_button("Create vendor")
        if create:
            _acted()
            with guarded("creating the vendor"):
                made = state.call(
                    vendor_creation.create_vendor_from_invoice,
                    invoice_id=invoice_id,
                    expected_version=seen_version,
                    name=v_name,
                    force=force,
                )
                st.session_state[SEEN] = made.invoice.version
                _say(f"Created vendor {made.vendor.name}; the invoice is matched to it.")
                st.rerun()

if seen_version != invoice.version:
    st.info("Someone changed this invoice while you were looking at it.")
    if st.button("Reload the latest version", key=f"review_reload_button_{invoice_id}"):
        st.session_state[RELOAD] = True
        st.rerun()
else:
    st.session_state[SEEN] = invoice.version

# Read only when asked: every decision reruns this page, and the trail is not needed for it.
if st.toggle("Show the audit trail", key=f"review_audit_{invoice_id}"):
    trail = state.fetch(
        invoices.audit_trail, action="loading the audit trail", invoice_id=invoice_id, limit=50
    )
    if trail:
        st.table(
            pd.DataFrame(
                [
                    {
                        "When": f"{t.at:%Y-%m-%d %H:%M:%S}",
                        "Action": t.action,
                        "By": t.by,
                        "What": t.changed,
                    }
                    for t in trail
                ]
            ).set_index("When")
        )
