"""The database's transition table and action registry are the workflow's, edge for edge."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core.workflow.states import ACTIONS, TRANSITIONS

pytestmark = pytest.mark.security


def test_the_sql_transition_table_equals_states_transitions(engine):
    with engine.connect() as conn:
        rows = conn.execute(
            text("select from_status, to_status from public.invoice_status_transitions")
        ).all()
    sql = {(a, b) for a, b in rows}
    python = {(a.value, b.value) for a, targets in TRANSITIONS.items() for b in targets}
    assert sql == python


def test_the_sql_actions_equal_the_workflows_actions(engine):
    with engine.connect() as conn:
        rows = conn.execute(
            text("select action, door, target_status, from_statuses from public.invoice_actions")
        ).all()
    sql = {action: (door, target, frozenset(sources)) for action, door, target, sources in rows}
    python = {
        name: (a.door, a.target.value, frozenset(s.value for s in a.sources))
        for name, a in ACTIONS.items()
    }
    assert sql == python


def test_every_action_moves_only_along_the_transition_table():
    for name, action in ACTIONS.items():
        for source in action.sources:
            assert action.target in TRANSITIONS[source], (name, source)
