"""Company-name normalization: one string in, a :class:`NormalizedName` out.

Steps, in order: Unicode NFKC and case folding; punctuation (dotted abbreviations such as
``S.p.A.`` are joined, other punctuation becomes a space); tokens; trailing (and a few leading)
legal forms are stripped and kept as ``legal_family``; place tails (``- Deutschland``,
``(UK)``, a country or city after the legal form) are stripped and kept as ``tail``;
runs of single letters are joined (``A B B`` -> ``abb``); abbreviations are expanded; accents
are folded for matching only (``Müller``, ``Mueller`` and ``Muller`` share the key ``muller``)
and other scripts are transliterated (``Мюллер`` -> ``myuller``, with ``anyascii``) while
``display`` keeps the original letters. A trailing place without a separator (``Rheinland
Logistik Köln``) is a tail too when at least two words remain, and so is a parenthesized place
anywhere.

``normalize_frame`` applies it to a column and returns the column contract used by the matcher:

=============== ========================================================================
column          meaning
=============== ========================================================================
``display``     case-folded, punctuation-free name with accents kept (for people)
``key``         folded matching key: legal form, tails, stop words removed
``tokens``      tuple of key tokens
``legal_family``canonical legal-form family (``gmbh``, ``ag``, ``ltd``...) or ``""``
``tail``        stripped place tail (``deutschland``) or ``""``
``acronym``     initials of the key tokens (``international business machines`` -> ``ibm``)
``acronym2``    initials of the distinctive (non-generic) key tokens, ``""`` when the same
``phonetic``    Metaphone code of each key token (``jellyfish``), space separated
``codes``       tuple of token codes: Metaphone for words of 5+ letters, else the word, so
                ``Logistik``/``Logistic`` and ``Müller``/``Mulller`` share a code
=============== ========================================================================
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jellyfish
import pandas as pd
from anyascii import anyascii

from core.matching.vocabulary import (
    ABBREVIATIONS,
    CITIES,
    COUNTRIES,
    GENERIC_WORDS,
    LEGAL_FORMS,
    LEGAL_JOINED,
    MAX_LEGAL_TOKENS,
    STOPWORDS,
)

# Letters NFKD does not decompose into base + mark.
_SPECIAL_FOLD = str.maketrans(
    {"ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}
)
_DIGRAPH = re.compile(r"(?<=[bcdfghjklmnpqrstvwxz])([aou])e")  # Mueller -> Muller (both sides)
_SPLIT = re.compile(r"[^\w.]+")
_APOSTROPHES = re.compile(r"['’`´]")
_TAIL = re.compile(r"\s*(?:\(|\s[-–|/]\s|,)\s*([^(),\-–|/]+?)\)?\s*$")
_TAIL_MARKS = frozenset("(,-–|/")  # _TAIL needs one of these (a quick test before the search)
_DISPLAY_SPLIT = re.compile(r"[^\w]+")
_LEADING_LEGAL = frozenset({"ab", "oy", "as", "ooo", "zao", "oao", "pao"})
_PLACE = COUNTRIES | CITIES
_PAREN = re.compile(r"\(([^()]*)\)")
# Last words of legal forms, and every ending of a joined one ("g m b h" tokenizes to ... "h").
_LEGAL_ENDINGS = frozenset(k[-1] for k in LEGAL_FORMS) | frozenset(
    j[i:] for j in LEGAL_JOINED for i in range(len(j))
)
_CODE_MIN = 5  # words this long are compared by their Metaphone code


@dataclass(frozen=True)
class NormalizedName:
    """A name prepared for matching; see the module docstring for the fields."""

    original: str
    display: str
    key: str
    tokens: tuple[str, ...]
    legal_family: str
    tail: str
    acronym: str
    acronym2: str = ""
    phonetic: str = ""
    codes: tuple[str, ...] = ()


def fold_accents(text: str) -> str:
    """Fold accents for matching (``Müller`` -> ``muller``); letters are never dropped."""
    text = text.casefold()
    if text.isascii():
        return _undigraph(text)
    text = text.translate(_SPECIAL_FOLD)
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    if not stripped.isascii():
        # Other scripts (Cyrillic, Greek, ...) are transliterated, never dropped.
        stripped = anyascii(stripped)
    # Case-folded again: NFKD and transliteration can give capitals ("🄐" -> "(A)").
    return _undigraph(stripped.casefold())


def _undigraph(text: str) -> str:
    """``ue`` -> ``u`` after a consonant, repeated to a fixed point so folding is idempotent."""
    while True:
        folded = _DIGRAPH.sub(r"\1", text)
        if folded == text:
            return text
        text = folded


def _tokenize(text: str) -> list[str]:
    """Split on punctuation; tokens with dots are joined when every part is short (``s.p.a``)."""
    if "'" in text or "’" in text or "`" in text or "´" in text:
        text = _APOSTROPHES.sub("", text)
    if "." not in text and "_" not in text:
        return [t for t in _SPLIT.split(text) if t]
    out: list[str] = []
    for raw in _SPLIT.split(text):
        if not raw:
            continue
        parts = [p for p in raw.replace("_", ".").split(".") if p]
        if len(parts) > 1 and all(len(p) <= 2 for p in parts):
            out.append("".join(parts))
        else:
            out.extend(parts)
    return out


def _strip_legal(tokens: list[str]) -> tuple[list[str], str]:
    """Remove trailing (then leading) legal forms, longest spelling first; return the family."""
    family = ""
    changed = True
    while changed and len(tokens) > 1:
        changed = False
        # no legal form (nor a joined one) ends with a word outside _LEGAL_ENDINGS
        sizes = MAX_LEGAL_TOKENS if tokens[-1] in _LEGAL_ENDINGS else 0
        for size in range(min(sizes, len(tokens) - 1), 0, -1):
            tail = tokens[-size:]
            found = LEGAL_FORMS.get(tuple(tail)) or (size > 1 and LEGAL_JOINED.get("".join(tail)))
            if found:
                family = family or found
                tokens = tokens[:-size]
                changed = True
                break
        # "and" left dangling by "Müller & Söhne & Co" style names
        while len(tokens) > 1 and tokens[-1] in {"and", "und", "et", "u"}:
            tokens = tokens[:-1]
    if len(tokens) > 1 and tokens[0] in _LEADING_LEGAL:
        family = family or LEGAL_FORMS[(tokens[0],)]
        tokens = tokens[1:]
    return tokens, family


def _join_letters(tokens: list[str]) -> list[str]:
    """Join runs of two or more single letters: ``a b b`` -> ``abb`` (spaced acronyms)."""
    if list(map(len, tokens)).count(1) < 2:
        return tokens
    out: list[str] = []
    run: list[str] = []
    for token in [*tokens, ""]:
        if len(token) == 1 and token.isalpha():
            run.append(token)
            continue
        if len(run) > 1:
            out.append("".join(run))
        else:
            out.extend(run)
        run = []
        if token:
            out.append(token)
    return out


# Folding, tokenizing and display splitting work word by word (no step looks across a space:
# NFKD reorders marks only between starters, the digraph rule needs a letter before the vowel,
# ``_SPLIT`` and ``_DISPLAY_SPLIT`` split at every space), so they are cached per word: most words
# of a vendor master repeat across names. Only " " separates words here (a control character
# such as NEL is white space to ``str.split`` but folds to nothing, joining its neighbours).
# ``test_matching_build_identical`` pins the result.
@lru_cache(maxsize=400_000)
def _word_tokens(word: str) -> tuple[str, ...]:
    """``_tokenize(fold_accents(word))`` of one space-free word."""
    return tuple(_tokenize(fold_accents(word)))


@lru_cache(maxsize=400_000)
def _display_parts(word: str) -> tuple[str, ...]:
    """The case-folded ``\\w`` runs of one space-free word (``display``)."""
    return tuple(p for p in _DISPLAY_SPLIT.split(word.casefold()) if p)


@lru_cache(maxsize=400_000)
def _word(word: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``_display_parts`` and ``_word_tokens`` of one space-free word, one cache look-up."""
    return _display_parts(word), _word_tokens(word)


@lru_cache(maxsize=200_000)
def _metaphone(token: str) -> str:
    return jellyfish.metaphone(token)


@lru_cache(maxsize=200_000)
def code(token: str) -> str:
    """Spelling-robust code of one word (see ``codes`` in the module docstring)."""
    if len(token) < _CODE_MIN or not token.isalpha():
        return token
    return _metaphone(token).lower() or token


@lru_cache(maxsize=200_000)
def _token_codes(token: str) -> tuple[str, str]:
    """A key token's part of ``phonetic`` and its ``code``."""
    return _metaphone(token) or token, code(token)


def _split_tail(original: str) -> tuple[str, str]:
    """Cut a place tail given after a separator: ``Acme GmbH (Deutschland)``, ``Acme - UK``."""
    if not (")" in original or "," in original or " " in original):
        return original, ""
    if "(" in original:
        places = []
        for group in _PAREN.finditer(original):
            words = _tokenize(fold_accents(group.group(1)))
            if _all_places(words):
                places.append(" ".join(words))
        if places:
            body = _PAREN.sub(lambda m: " " if _is_place(m.group(1)) else m.group(0), original)
            return " ".join(body.split()), " ".join(places)
    match = _TAIL.search(original) if _TAIL_MARKS.intersection(original) else None
    if match:
        tail_tokens = _tokenize(fold_accents(match.group(1)))
        if _all_places(tail_tokens):
            return original[: match.start()], " ".join(tail_tokens)
    return original, ""


def _all_places(words: list[str]) -> bool:
    """Whether the words name places: each one does, or together (``los angeles``)."""
    return bool(words) and (all(w in _PLACE for w in words) or "".join(words) in _PLACE)


def _is_place(text: str) -> bool:
    return _all_places(_tokenize(fold_accents(text)))


_FRAME_COLUMNS = (
    "display",
    "key",
    "tokens",
    "legal_family",
    "tail",
    "acronym",
    "acronym2",
    "phonetic",
    "codes",
)


@lru_cache(maxsize=400_000)
def normalize_name(name: str) -> NormalizedName:
    """Normalize one company name (pure, cached)."""
    original = "" if name is None else str(name)
    return NormalizedName(original, *_fields(original))


@lru_cache(maxsize=400_000)
def _fields(original: str) -> tuple[Any, ...]:
    """``NormalizedName``'s fields after ``original``, in ``_FRAME_COLUMNS`` order (a plain
    tuple: ``normalize_frame`` builds no object per name)."""
    text = original if original.isascii() else unicodedata.normalize("NFKC", original)
    text = text.replace("&", " and ").replace("+", " and ")
    body, tail = _split_tail(text)
    parts = [_word(w) for w in body.split(" ")]
    display = " ".join([p for shown, _ in parts for p in shown])
    tokens = _join_letters([t for _, folded in parts for t in folded])
    tokens, family = _strip_legal(tokens)
    # Places right after a legal form ("Siemens AG Österreich", "X S.A. Madrid") are a tail too.
    run = 0
    while run < len(tokens) - 1 and tokens[-1 - run] in _PLACE:
        run += 1
    if run:
        rest, fam2 = _strip_legal(tokens[:-run])
        if fam2:
            places = " ".join(tokens[-run:])
            tail = f"{places} {tail}".strip()
            tokens, family = rest, family or fam2
        elif len([t for t in tokens[:-run] if t not in STOPWORDS]) >= 2:
            # "Rheinland Logistik Köln": a place after two or more words is a tail as well.
            tail = f"{' '.join(tokens[-run:])} {tail}".strip()
            tokens = tokens[:-run]
    expanded = [ABBREVIATIONS.get(t, t) for t in tokens]
    kept = [t for t in expanded if t not in STOPWORDS] or expanded
    acronym = "".join(t[0] for t in kept) if len(kept) > 1 else ""
    distinct = [t for t in kept if t not in GENERIC_WORDS]
    acronym2 = "".join(t[0] for t in distinct) if len(distinct) > 1 else ""
    return (
        display,
        " ".join(kept),
        tuple(kept),
        family,
        tail,
        acronym,
        acronym2 if acronym2 != acronym else "",
        " ".join([_token_codes(t)[0] for t in kept]),
        tuple([_token_codes(t)[1] for t in kept]),
    )


@lru_cache(maxsize=200_000)
def normalize_text(text: str) -> str:
    """Fold and tokenize free text (addresses, cities) without company-specific rules."""
    if text is None or (isinstance(text, float) and text != text):
        return ""
    words = _tokenize(fold_accents(unicodedata.normalize("NFKC", str(text))))
    return " ".join(ABBREVIATIONS.get(w, w) for w in words)


def normalize_frame(names: pd.Series) -> pd.DataFrame:
    """Normalize a column of names; the result has the columns documented above, same index."""
    values = names.fillna("").astype(str).tolist()
    rows = [_fields(v) for v in values]
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(_FRAME_COLUMNS)
    return pd.DataFrame(
        {name: list(col) for name, col in zip(_FRAME_COLUMNS, columns, strict=True)},
        index=names.index,
    )
