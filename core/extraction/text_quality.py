"""Text-layer quality: whether a PDF page's embedded text can be trusted, by character statistics.

A text layer can be mojibake (a font without a usable ToUnicode map: "Ã¼", private-use glyphs,
symbol soup) or the noisy OCR layer a phone-scanning app laid over a photo ("Rossl'1anI1",
"~-·a . •."). Such a page reads better through our own OCR. The score is the share of the
page's tokens that look like words, numbers or ordinary punctuation of any Latin, Greek or
Cyrillic text; a page scoring below ``MIN_TEXT_QUALITY`` is sent to OCR and the extraction
says so (``warnings``: ``text_layer_replaced``).
"""

from __future__ import annotations

import itertools
import re
import unicodedata

# Below this share of clean tokens a page's text layer is not trusted (measured on the dev
# sets: born-digital pages score 0.9 and more, app OCR layers of crumpled receipts 0.5-0.75).
MIN_TEXT_QUALITY = 0.8
# Fewer tokens than this say too little to judge.
MIN_TOKENS = 12

# UTF-8 read as Latin-1/CP1252: "Ã©", "â€™", "Ã¼".
_MOJIBAKE = re.compile(r"[ÃÂâ][\u0080-\u00bf€™œ¢£¤¥¦§¨©ª«¬®¯°±²³´µ¶·¸¹º»¼½¾¿]")
_WORD = re.compile(r"^[^\W\d_]+(?:[-'’./&][^\W\d_]*)*$")
_NUMBER = re.compile(r"^[+\-−]?[$€£¥₹]?\d[\d.,/:\-'’ ]*(?:[%€$£]|[A-Za-z]{1,3})?-?$")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9./\-_#:+]*$")
_EDGES = "()[]{}\"'“”«»,.;:!?*"
_PUNCT = frozenset("-–—:;,.!?()[]/&%*#+=\"'’“”«»|€$£§@")


def _class_runs(token: str) -> int:
    """How often the token switches between letters and digits ("A1B2" -> 3)."""
    kinds = ["d" if c.isdigit() else "a" for c in token if c.isalnum()]
    return sum(1 for a, b in itertools.pairwise(kinds) if a != b)


def token_ok(token: str) -> bool:
    """Whether one whitespace-separated token looks like ordinary text."""
    if any(unicodedata.category(c) in ("Co", "Cs", "Cn", "Cc") or c == "\ufffd" for c in token):
        return False
    if _MOJIBAKE.search(token):
        return False
    core = token.strip(_EDGES)
    if not core:
        return all(c in _PUNCT for c in token)
    if len(core) == 1:
        return core.isalnum() or core in _PUNCT
    if _WORD.match(core) or _NUMBER.match(core):
        return True
    # Codes and ids: letters and digits in at most three runs ("DE123456789", "FA-2017-10").
    return bool(_CODE.match(core)) and _class_runs(core) <= 2 and len(core) <= 40


def text_quality(text: str) -> float:
    """Share of tokens (weighted by length) that look like text; 1.0 when too short to judge."""
    tokens = text.split()
    if len(tokens) < MIN_TOKENS:
        return 1.0
    total = sum(len(t) for t in tokens)
    good = sum(len(t) for t in tokens if token_ok(t))
    return round(good / total, 3) if total else 1.0
