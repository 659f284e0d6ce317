"""Display and download names: hostile uploads become safe names, never paths or header tricks."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.storage.keys import MAX_DISPLAY_LENGTH, content_disposition, safe_display_name


@pytest.mark.parametrize(
    ("hostile", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\Windows\\win.ini", "win.ini"),
        ("in\x00voice\x07.pdf", "invoice.pdf"),
        ("line\r\nX-Injected: 1.pdf", "lineX-Injected_ 1.pdf"),
        ("\u202egnp.exe", "gnp.exe"),  # right-to-left override
        ("zero\u200bwidth\u2028.pdf", "zerowidth.pdf"),
        ('quote"and<angle>?.pdf', "quote_and_angle__.pdf"),
        ("  ..hidden  ", "hidden"),
        ("Счёт №5 (Müller).pdf", "Счёт №5 (Müller).pdf"),  # letters of any script stay
        ("..", "upload"),
        ("", "upload"),
        (None, "upload"),
    ],
)
def test_hostile_names_become_safe_display_names(hostile, expected) -> None:
    assert safe_display_name(hostile) == expected


def test_a_5000_character_name_is_cut_to_255_and_keeps_its_extension() -> None:
    name = safe_display_name("x" * 5000 + ".pdf")
    assert len(name) == MAX_DISPLAY_LENGTH and name.endswith("x.pdf")


@given(st.text(max_size=400))
def test_any_name_is_bounded_printable_and_has_no_path(name) -> None:
    safe = safe_display_name(name)
    assert 0 < len(safe) <= MAX_DISPLAY_LENGTH
    assert "/" not in safe and "\\" not in safe and not safe.startswith(".")
    assert all(c.isprintable() for c in safe)


def test_content_disposition_has_an_ascii_fallback_and_the_utf8_name() -> None:
    value = content_disposition('../../etc/Счёт "1".pdf')
    m = re.fullmatch(r'attachment; filename="([A-Za-z0-9._-]+)"; filename\*=UTF-8\'\'(\S+)', value)
    assert m, value
    assert m.group(1) == "1.pdf"
    assert unquote(m.group(2)) == "Счёт _1_.pdf"


@given(st.text(max_size=300))
def test_content_disposition_never_breaks_the_header(name) -> None:
    value = content_disposition(name)
    assert value.isascii() and "\r" not in value and "\n" not in value
    assert value.count('"') == 2  # the ascii fallback's own quotes only
