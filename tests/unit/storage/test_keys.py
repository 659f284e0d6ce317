"""Object keys and file-name sanitising: hostile names never become paths."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import ValidationFailed
from core.storage.keys import (
    MAX_NAME_LENGTH,
    client_of,
    display_name,
    make_key,
    sanitize_filename,
    validate_key,
)

SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
CLIENT = uuid.UUID("5b0c39e2-4a57-4a53-9d2b-2f2c1b1d7e10")


@pytest.mark.parametrize(
    ("hostile", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\config", "config"),
        ("/absolute/path/invoice.pdf", "invoice.pdf"),
        ("a\x00b.pdf", "ab.pdf"),
        ("line\nbreak\r.pdf", "linebreak.pdf"),
        ("..", "file"),
        (".", "file"),
        ("", "file"),
        (None, "file"),
        ("\x00\x01\x02", "file"),
        ("...pdf", "pdf"),
        (".htaccess", "htaccess"),
        ("ｉｎｖｏｉｃｅ.pdf", "invoice.pdf"),  # full-width letters
        ("\u202egnp.exe", "gnp.exe"),  # right-to-left override
        ("zero\u200bwidth.pdf", "zerowidth.pdf"),
        ("Rechnung Nr. 5 (Müller).PDF", "Rechnung_Nr.5_Muller.PDF"),
        ("ﬁnal.pdf", "final.pdf"),  # ligature
        ("Счёт.pdf", "pdf"),  # nothing ASCII survives but the extension
        ("%2e%2e%2fsecret", "2e_2e_2fsecret"),
    ],
)
def test_hostile_names_are_reduced_to_safe_ones(hostile: str | None, expected: str) -> None:
    assert sanitize_filename(hostile) == expected


def test_very_long_names_are_capped_and_keep_their_extension() -> None:
    name = sanitize_filename("x" * 10_000 + ".pdf")
    assert len(name) == MAX_NAME_LENGTH
    assert name.endswith(".pdf")
    assert len(sanitize_filename("y" * 10_000)) == MAX_NAME_LENGTH


@given(st.text(max_size=400))
def test_any_text_sanitizes_to_a_short_safe_nonempty_name(name: str) -> None:
    clean = sanitize_filename(name)
    assert SAFE.match(clean)
    assert 0 < len(clean) <= MAX_NAME_LENGTH
    assert ".." not in clean
    assert validate_key(make_key(CLIENT, name))


def test_key_layout_is_client_date_uuid_name() -> None:
    moment = datetime(2026, 3, 7, 23, 30, tzinfo=timezone.utc)
    key = make_key(CLIENT, "../Invoice 42.pdf", now=moment)
    client, yyyy, mm, dd, last = key.split("/")
    assert (client, yyyy, mm, dd) == (str(CLIENT), "2026", "03", "07")
    prefix, name = last.split("-", 1)
    assert re.fullmatch(r"[0-9a-f]{32}", prefix)
    assert name == "Invoice_42.pdf"
    assert client_of(key) == CLIENT
    assert display_name(key) == "Invoice_42.pdf"


def test_same_name_twice_gives_two_keys() -> None:
    assert make_key(CLIENT, "a.pdf") != make_key(CLIENT, "a.pdf")


def test_client_id_must_be_a_uuid() -> None:
    with pytest.raises(ValidationFailed):
        make_key("../other-tenant", "a.pdf")


@pytest.mark.parametrize(
    "key",
    [
        "",
        "../etc/passwd",
        f"{CLIENT}/2026/01/01/../../../etc/passwd",
        f"{CLIENT}/2026/01/01/{'0' * 32}-..",
        f"{CLIENT}/2026/01/01/{'0' * 32}-a/b.pdf",
        f"{CLIENT}/2026/01/01/{'0' * 32}-a\x00.pdf",
        f"/{CLIENT}/2026/01/01/{'0' * 32}-a.pdf",
        f"{CLIENT}/2026/1/01/{'0' * 32}-a.pdf",
        f"{str(CLIENT).upper()}/2026/01/01/{'0' * 32}-a.pdf",
        f"{CLIENT}/2026/01/01/{'0' * 32}-{'a' * 101}",
    ],
)
def test_keys_not_made_by_make_key_are_refused(key: str) -> None:
    with pytest.raises(ValidationFailed):
        validate_key(key)
