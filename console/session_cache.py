"""Per-browser-session memo for what a page reads again on every rerun but that cannot change
under the same key (an invoice's reasons at one version, a stored file's bytes).

Entries live in ``st.session_state`` (never shared between users: each session reads through its
own RLS), are bounded per namespace (least recently used dropped first), and a page can drop a
whole namespace after an action. Keys must name everything the value depends on, e.g.
``(invoice_id, version)``: a new version is a new key, so an action never shows the old value.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import streamlit as st

T = TypeVar("T")
_PREFIX = "_memo_"


def recall(namespace: str, key: Hashable) -> Any | None:
    """The value stored for ``key`` in ``namespace``, or None."""
    store = st.session_state.get(_PREFIX + namespace)
    if store is None or key not in store:
        return None
    store.move_to_end(key)
    return store[key]


def store(namespace: str, key: Hashable, value: Any, *, keep: int = 8) -> None:
    """Keep ``value`` under ``key``; beyond ``keep`` entries the least recently used goes."""
    entries: OrderedDict[Hashable, Any] = st.session_state.setdefault(
        _PREFIX + namespace, OrderedDict()
    )
    entries[key] = value
    entries.move_to_end(key)
    while len(entries) > keep:
        entries.popitem(last=False)


def remembered(namespace: str, key: Hashable, load: Callable[[], T], *, keep: int = 8) -> T:
    """The value stored for ``key`` in ``namespace``, else ``load()`` (kept unless it is None,
    so a failed read is retried on the next run)."""
    value = recall(namespace, key)
    if value is None:
        value = load()
        if value is not None:
            store(namespace, key, value, keep=keep)
    return value  # type: ignore[no-any-return]


def forget(*namespaces: str) -> None:
    """Drop every stored value of ``namespaces`` (after an action that may have changed them)."""
    for namespace in namespaces:
        st.session_state.pop(_PREFIX + namespace, None)
