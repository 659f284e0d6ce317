"""Every audited move of an invoice into a status a webhook announces is an event (issue 17,
item 2).

The webhook events come from ``public.webhook_event_map``; another slice's new door action (the
approval policy's ``approval.overridden`` and ``match.rematched``, for instance) must be mapped
there or named below as a worker-internal step, or this test fails."""

from __future__ import annotations

from sqlalchemy import text

# The worker's own steps between upload and review: their end is status.needs_review,
# status.auto_approved or status.failed (invoice.processed), not the steps themselves.
INTERNAL = {
    "status.extracting",
    "status.released",
    "status.extracted",
    "status.matched",
    "status.retry",
}
ANNOUNCED = {"needs_review", "auto_approved", "failed", "approved", "rejected", "exported"}


def test_every_door_action_that_moves_an_invoice_is_a_webhook_event(engine):
    with engine.connect() as conn:
        actions = conn.execute(
            text("select action, target_status, from_statuses from public.invoice_actions")
        ).all()
        mapped = conn.execute(
            text("select action, status, from_statuses from public.webhook_event_map")
        ).all()
    assert {a.action for a in actions} >= {"approval.overridden", "match.rematched"}
    missing = []
    for action, target, sources in actions:
        if action in INTERNAL or target not in ANNOUNCED:
            continue
        for source in sources:
            if source == target:
                continue  # no status change (e.g. a correction in review)
            if not any(
                m.action == action and m.status == target
                and (m.from_statuses is None or source in m.from_statuses)
                for m in mapped
            ):  # fmt: skip
                missing.append(f"{action}: {source} -> {target}")
    assert missing == [], f"door actions that announce no webhook event: {missing}"
    # ... and nothing maps an action no door or trigger writes.
    known = {a.action for a in actions} | {"batch.completed"}
    assert {m.action for m in mapped} <= known
