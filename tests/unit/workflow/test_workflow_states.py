import itertools

import pytest

from core.errors import InvalidTransition
from core.workflow.states import (
    ACTIONS,
    EXPORTABLE,
    RETIRED,
    TRANSITIONS,
    InvoiceStatus,
    can_transition,
    ensure_transition,
)


def test_happy_path_is_allowed_step_by_step():
    path = [
        "received",
        "extracting",
        "extracted",
        "matched",
        "needs_review",
        "approved",
        "exported",
    ]
    for a, b in itertools.pairwise(path):
        assert ensure_transition(a, b) is InvoiceStatus(b)


def test_straight_through_path_and_failed_retry():
    # the trust ladder's acceptance approves (exportable); nothing enters auto_approved any more,
    # and an invoice left there needs a person's approval before it can be exported
    assert can_transition("matched", "approved")
    assert ACTIONS["status.auto_approved"].target is InvoiceStatus.approved
    assert not can_transition("matched", "auto_approved")
    assert can_transition("auto_approved", "approved")
    assert not can_transition("auto_approved", "exported")
    assert can_transition("extracting", "failed")
    assert can_transition("failed", "received")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("received", "approved"),
        ("exported", "needs_review"),
        ("rejected", "exported"),
        ("failed", "approved"),
    ],
)
def test_illegal_moves_raise_invalid_transition_naming_both_ends(a, b):
    with pytest.raises(InvalidTransition) as info:
        ensure_transition(a, b)
    assert info.value.code == "invalid_transition"
    assert info.value.details["current"] == a and info.value.details["target"] == b


def test_unknown_status_is_a_typed_error():
    with pytest.raises(InvalidTransition):
        ensure_transition("received", "paid")


def test_every_status_has_a_row_and_every_target_is_a_status():
    assert set(TRANSITIONS) == set(InvoiceStatus)
    for targets in TRANSITIONS.values():
        assert targets <= set(InvoiceStatus)


def test_every_status_but_the_retired_is_reachable_from_received():
    seen, todo = {InvoiceStatus.received}, [InvoiceStatus.received]
    while todo:
        for nxt in TRANSITIONS[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    assert seen == set(InvoiceStatus) - RETIRED
    # and a retired status still leaves, but is never exported without a person's approval
    for status in RETIRED:
        assert status not in EXPORTABLE and InvoiceStatus.exported not in TRANSITIONS[status]
        assert ACTIONS["status.approved"].target in TRANSITIONS[status]
