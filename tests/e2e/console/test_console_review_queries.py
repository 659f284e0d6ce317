"""Review page: what one rerun of the same invoice version reads from the database (issue 13).

A rerun (a widget changed, a zoom, a picked source box) of the same invoice version reads the
invoice and nothing else: the approval reasons (which the database recomputes), the evidence, the
stored file and the queue's labels are remembered per invoice version and per queue change. An
action drops what it may have changed, so the next run shows the new state. Statements are
counted with a SQLAlchemy event on every engine, so a regression shows as a count.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, event

from core.workflow import invoices, review
from core.workflow.transitions import worker_user
from tests.e2e.console.conftest import open_page, texts

# One user session: its claims, the invoice, its lines, matches and exceptions.
RERUN_STATEMENTS = 5
KINDS = {
    "session": "set_config('request.jwt.claims'",
    "reasons": "public.approval_reasons(",
    "evidence": "select extraction from public.invoices",
    "file": "from public.files",
    "queue": "as possible_duplicate",
}
QUEUE_FRESH_S = 30.0  # the page's QUEUE_FRESH_S: after this the queue is read again


@contextmanager
def counted() -> Iterator[collections.Counter[str]]:
    """Count the SQL statements run on any engine inside the block, by kind (and ``all``)."""
    seen: collections.Counter[str] = collections.Counter()

    def _count(conn, cursor, statement, parameters, context, executemany) -> None:
        seen["all"] += 1
        for kind, marker in KINDS.items():
            if marker in statement:
                seen[kind] += 1

    event.listen(Engine, "before_cursor_execute", _count)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", _count)


def _queue_age(at) -> float:
    """Seconds since the page read the queue (0 when it keeps no queue: it reads it each run)."""
    try:
        memo = at.session_state["_memo_review_queue"]
    except KeyError:
        memo = {}
    return max((time.monotonic() - loaded_at for loaded_at, _rows in memo.values()), default=0.0)


def _owner(workspace):
    owner = workspace.client.members["owner"]
    return worker_user(owner.id, owner.email)


def test_a_rerun_of_the_same_invoice_version_reads_only_the_invoice(workspace, signed_in) -> None:
    at = open_page(signed_in("operator"), "review")
    invoice_id = at.selectbox(key="review_pick").value
    for _ in range(3):
        young = _queue_age(at) < QUEUE_FRESH_S - 10  # a rerun does not re-read a fresh queue
        with counted() as seen:
            at.run()
        assert not at.exception
        assert at.image, "the page image is still shown"
        assert seen["reasons"] == seen["evidence"] == seen["file"] == 0, seen
        assert seen["session"] == 1 and seen["all"] <= RERUN_STATEMENTS, seen
        if young:
            assert seen["queue"] == 0, seen
    # The same for a zoom: the page image of another zoom is rendered, nothing is read.
    with counted() as seen:
        at.select_slider(key=f"review_zoom_{invoice_id}").set_value(2.0).run()
    assert not at.exception and at.image
    assert seen["reasons"] == seen["file"] == 0 and seen["all"] <= RERUN_STATEMENTS, seen


def test_an_action_reads_the_reasons_and_labels_again_never_showing_stale_ones(
    workspace, signed_in
) -> None:
    at = open_page(signed_in("operator"), "review")
    invoice_id = at.selectbox(key="review_pick").value
    at.run()
    at.text_input(key=f"review_field_{invoice_id}_vendor_name").input("Nobody Knows This Ltd")
    with counted() as seen:
        next(b for b in at.button if b.label == "Save corrections").click().run()
    assert not at.exception
    assert "Saved Vendor name" in texts(at)
    # The save made a new version: its reasons and the queue's labels were read afresh.
    assert seen["reasons"] >= 1 and seen["queue"] >= 1, seen
    assert "No vendor from your vendor list is chosen for “Nobody Knows This Ltd”" in texts(at)
    picker = at.selectbox(key="review_pick")
    assert "Nobody Knows This Ltd" in picker.format_func(picker.value)


def test_a_change_made_elsewhere_is_read_on_the_next_rerun(workspace, signed_in) -> None:
    at = open_page(signed_in("operator"), "review")
    invoice_id = at.selectbox(key="review_pick").value
    before = invoices.get_invoice(
        services=workspace.services, user=_owner(workspace), invoice_id=invoice_id
    )
    review.correct_fields(
        services=workspace.services,
        user=_owner(workspace),
        invoice_id=invoice_id,
        changes={"vendor_name": "Somebody Else Entirely Ltd"},
        expected_version=before.version,
    )
    with counted() as seen:
        at.run()
    assert not at.exception
    assert seen["reasons"] == 1, seen  # a new version: a new key
    assert "Somebody Else Entirely Ltd" in texts(at)
    assert "Someone changed this invoice while you were looking at it." in texts(at)
