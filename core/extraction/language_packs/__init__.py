"""Language and country packs: the data that the offline rules read, one file per language.

``<lang>.toml`` holds a language's labels (as normalised token sequences, see :func:`fold`),
month names, document titles, phrases that introduce the seller and the words that tell the
language apart. ``countries.toml`` holds each country's currency and the meaning of its local
symbols ("$" is ARS in Argentina), date order, decimal separator, legal forms of companies and
tax identifiers (pattern + python-stdnum module for the check digits). Adding a language or a
country is adding data here; no rule branches on a language code.

:func:`detect_locale` reads a document's language and country from its text: the language by
its frequent words, the country by checked tax ids, currency symbols and codes, phone prefixes,
country names and legal forms, falling back to the language's most common country.
"""

from __future__ import annotations

import importlib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files
from typing import Any

import tomllib

# Letters that NFKD does not decompose but that invoices print in labels ("Płatność", "KDV
# Tutarı", "Bærum"): folded to their base letters so labels match however they are typed.
_EXTRA_FOLD = str.maketrans({"ł": "l", "ı": "i", "ø": "o", "đ": "d", "æ": "ae", "œ": "oe"})


_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def fold(text: str) -> str:
    """Case-fold and strip accents ('Fälligkeit' -> 'falligkeit', 'Płatność' -> 'platnosc')."""
    if text.isascii():
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_EXTRA_FOLD))
    return _COMBINING.sub("", decomposed).replace("ß", "ss")


def tokens(text: str) -> list[str]:
    """Normalised alphanumeric tokens of ``text``."""
    return re.findall(r"[a-z0-9]+", fold(text))


@dataclass(frozen=True)
class LanguagePack:
    """One language's words: labels per field, months, titles, detection words."""

    code: str
    name: str
    countries: tuple[str, ...]
    default_country: str
    detect: frozenset[str]
    months: tuple[tuple[str, ...], ...]
    titles: frozenset[str]
    vendor_intro: tuple[str, ...]
    labels: dict[str, tuple[str, ...]]
    negative: tuple[str, ...]


@lru_cache(maxsize=256)
def _labelled_regex(name: str, pattern: str) -> re.Pattern[str]:
    label = re.escape(name.upper()).replace(r"\ ", r"\s*")
    return re.compile(rf"(?<![A-Z]){label}(?![A-Z])[\s.:#°]*(?:NO\.?|NR\.?|N°)?[\s.:#]*({pattern})")


@dataclass(frozen=True)
class TaxIdRule:
    """A tax identifier's printed shape, its checker and whether it needs a label."""

    country: str
    name: str
    pattern: re.Pattern[str]
    stdnum: str | None = None
    labelled: bool = False

    def labelled_regex(self) -> re.Pattern[str]:
        """The id right after its label (``ABN: 83 914 571 673``), the id as group 1."""
        return _labelled_regex(self.name, self.pattern.pattern)

    def is_valid(self, value: str) -> bool:
        """Whether ``value`` passes the check digits (shape only when no checker exists)."""
        if self.stdnum is None:
            return True
        try:
            module: Any = importlib.import_module(f"stdnum.{self.stdnum}")
        except ImportError:  # pragma: no cover - every module named in the data exists
            return True
        compact = re.sub(r"[\s.\-/]", "", value)
        return bool(module.is_valid(compact) or module.is_valid(value))


@dataclass(frozen=True)
class CountryPack:
    """One country's conventions (see ``countries.toml``)."""

    code: str
    names: tuple[str, ...]
    currency: str
    symbols: dict[str, str]
    date_order: str
    decimal: str
    phone: str
    legal_forms: tuple[str, ...]
    legal_form_prefixes: tuple[str, ...]
    tax_ids: tuple[TaxIdRule, ...]


def _read(name: str) -> dict[str, Any]:
    return tomllib.loads((files(__package__) / name).read_text(encoding="utf-8"))


LANGUAGE_CODES = ("en", "de", "fr", "nl", "es", "it", "pt", "pl", "tr", "cs", "id")


@lru_cache(maxsize=1)
def languages() -> dict[str, LanguagePack]:
    """Every language pack by ISO 639-1 code."""
    out = {}
    for code in LANGUAGE_CODES:
        raw = _read(f"{code}.toml")
        out[code] = LanguagePack(
            code=raw["code"],
            name=raw["name"],
            countries=tuple(raw["countries"]),
            default_country=raw["default_country"],
            detect=frozenset(fold(w) for w in raw["detect"]),
            months=tuple(tuple(m) for m in raw["months"]),
            titles=frozenset(" ".join(tokens(t)) for t in raw["titles"]),
            vendor_intro=tuple(" ".join(tokens(t)) for t in raw.get("vendor_intro", [])),
            labels={k: tuple(v) for k, v in raw["labels"].items()},
            negative=tuple(raw.get("negative", {}).get("phrases", [])),
        )
    return out


@lru_cache(maxsize=1)
def countries() -> dict[str, CountryPack]:
    """Every country pack by ISO 3166-1 alpha-2 code."""
    out = {}
    for code, raw in _read("countries.toml").items():
        rules = tuple(
            TaxIdRule(
                country=code,
                name=r["name"],
                pattern=re.compile(rf"(?<![\w/.-])(?:{r['pattern']})(?![\w/]|[.\-]\d)"),
                stdnum=r.get("stdnum"),
                labelled=bool(r.get("labelled", False)),
            )
            for r in raw.get("tax_ids", [])
        )
        out[code] = CountryPack(
            code=code,
            names=tuple(fold(n) for n in raw.get("name", [])),
            currency=raw["currency"],
            symbols=dict(raw.get("symbols", {})),
            date_order=raw["date_order"],
            decimal=raw["decimal"],
            phone=raw.get("phone", ""),
            legal_forms=tuple(raw.get("legal_forms", [])),
            legal_form_prefixes=tuple(raw.get("legal_form_prefixes", [])),
            tax_ids=rules,
        )
    return out


def _form_pattern(form: str) -> str:
    """A printed legal form as a regex.

    Written with dots ("S.A.", "Sp. z o.o."): any case, dots required, spaces optional; the same
    form without its dots only in capitals ("SA", "SP Z OO"), so "Sa 9-13h" is no company.
    Written without dots: short all-capital forms ("AG", "SE") in capitals only, others in
    any case ("GmbH", "Ltd")."""

    def letters(text: str, strict: bool) -> str:
        out = []
        for ch in text:
            if ch == ".":
                out.append(r"\.\s*")
            elif ch == " ":
                out.append(r"\s*")
            elif ch in "&/(),":
                out.append(rf"\s*{re.escape(ch)}?\s*")
            elif strict or not ch.isalpha():
                out.append(re.escape(ch))
            else:
                alts = {ch.lower(), ch.upper(), fold(ch), fold(ch).upper()}
                if ch in "oO" and ocr_zero:
                    alts.add("0")  # OCR reads "o.o." as "0.0."
                out.append("[" + "".join(sorted(re.escape(a) for a in alts)) + "]")
        return "".join(out)

    ocr_zero = "." in form
    if "." in form:
        bare = form.replace(".", "").upper()
        return f"{letters(form, False)}|{letters(bare, True)}"
    strict = len(re.sub(r"\W", "", form)) <= 3 and form.isupper()
    return letters(form, strict)


@lru_cache(maxsize=64)
def legal_form_regex(country: str | None = None) -> re.Pattern[str]:
    """Legal forms of ``country`` (all countries when None), longest first, as whole words."""
    packs = countries()
    chosen = [packs[country]] if country in packs else list(packs.values())
    forms = sorted({f for p in chosen for f in p.legal_forms}, key=len, reverse=True)
    prefixes = sorted({f for p in chosen for f in p.legal_form_prefixes}, key=len, reverse=True)
    suffix = "|".join(_form_pattern(f) for f in forms)
    prefix = "|".join(_form_pattern(f) for f in prefixes)
    # A dotted form may run straight into the next one: "Sp.z o.o.Sp.j.".
    parts = [rf"(?<![\w.])(?:{suffix})(?:(?<=\.)|(?<=\.\s)|(?![\w]))"]
    if prefix:
        parts.append(rf"^(?:{prefix})\s+(?=[A-Z0-9])")
    return re.compile("|".join(parts))


def canonical_forms(name: str, country: str | None = None) -> str:
    """``name`` with each legal form as the country writes it where OCR misread it
    ("SP. Z 0.0." -> "Sp. z o.o.")."""
    packs = countries()
    chosen = [packs[country]] if country in packs else list(packs.values())
    forms = sorted({f for p in chosen for f in p.legal_forms if "." in f}, key=len, reverse=True)
    for form in forms:
        pattern = re.compile(rf"(?<![\w.])(?:{_form_pattern(form)})")
        m = pattern.search(name)
        if m is not None and "0" in m.group(0):
            return name[: m.start()] + form + name[m.end() :]
    return name


@lru_cache(maxsize=1)
def month_names() -> dict[str, int]:
    """Month name (as printed and folded) -> month number, over every language."""
    out: dict[str, int] = {}
    for pack in languages().values():
        for number, names in enumerate(pack.months, start=1):
            for name in names:
                out.setdefault(name.lower(), number)
                out.setdefault(fold(name), number)
    return out


@dataclass
class Locale:
    """The language and country read from a document, with the evidence that decided them."""

    language: str | None = None
    country: str | None = None
    languages: tuple[str, ...] = ()  # languages with enough evidence, best first
    language_score: float = 0.0
    country_evidence: list[str] = field(default_factory=list)

    @property
    def country_pack(self) -> CountryPack | None:
        return countries().get(self.country or "")

    @property
    def day_first(self) -> bool | None:
        pack = self.country_pack
        return None if pack is None else pack.date_order == "DMY"

    @property
    def year_first(self) -> bool:
        pack = self.country_pack
        return pack is not None and pack.date_order == "YMD"


@lru_cache(maxsize=1)
def _word_weights() -> dict[str, dict[str, float]]:
    """Detection word -> language -> weight; a word shared by n languages weighs 1/n."""
    owners: dict[str, list[str]] = {}
    for code, pack in languages().items():
        for word in pack.detect:
            owners.setdefault(word, []).append(code)
    return {w: {c: 1.0 / len(cs) for c in cs} for w, cs in owners.items()}


def detect_language(text: str) -> list[tuple[str, float]]:
    """Languages by evidence (weighted frequent-word hits), best first; empty when none."""
    weights = _word_weights()
    scores: dict[str, float] = {}
    for tok in tokens(text):
        for code, weight in weights.get(tok, {}).items():
            scores[code] = scores.get(code, 0.0) + weight
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    return [(c, round(s, 2)) for c, s in ranked if s > 0]


@dataclass(frozen=True)
class _Clues:
    """Every country's text clues as four compiled patterns and what each match points to."""

    currency: re.Pattern[str]
    symbol: re.Pattern[str]
    phone: re.Pattern[str]
    name: re.Pattern[str]
    by_currency: dict[str, list[str]]
    by_symbol: dict[str, list[str]]
    by_phone: dict[str, list[str]]
    by_name: dict[str, list[str]]


def _alternation(keys: list[str]) -> str:
    return "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True)) or "(?!)"


@lru_cache(maxsize=1)
def _clues() -> _Clues:
    """Built once per process from ``countries.toml``."""
    by_currency: dict[str, list[str]] = {}
    by_symbol: dict[str, list[str]] = {}
    by_phone: dict[str, list[str]] = {}
    by_name: dict[str, list[str]] = {}
    for code, pack in countries().items():
        if pack.currency not in ("EUR", "USD"):  # shared currencies say little
            by_currency.setdefault(pack.currency, []).append(code)
        for sym, iso in pack.symbols.items():
            if sym not in ("$", "€", "kr", "R", "¥", "Rs", "TL") and iso == pack.currency:
                by_symbol.setdefault(sym, []).append(code)
        if pack.phone:
            by_phone.setdefault(pack.phone.lstrip("+"), []).append(code)
        for name in pack.names:
            by_name.setdefault(name, []).append(code)
    return _Clues(
        currency=re.compile(rf"(?<![A-Z])({_alternation(list(by_currency))})(?![A-Z])"),
        symbol=re.compile(rf"(?<![\w])({_alternation(list(by_symbol))})(?=\s?\d)"),
        phone=re.compile(r"(?<![\w+])\+(\d{1,3})[\s(\-]"),
        name=re.compile(rf"(?<![a-z])({_alternation(list(by_name))})(?![a-z])"),
        by_currency=by_currency,
        by_symbol=by_symbol,
        by_phone=by_phone,
        by_name=by_name,
    )


def detect_country(text: str, language: str | None) -> tuple[str | None, list[str]]:
    """The country with the most weighted evidence, and that evidence."""
    packs = countries()
    votes: dict[str, float] = {}
    evidence: dict[str, list[str]] = {}

    def vote(code: str, weight: float, why: str) -> None:
        votes[code] = votes.get(code, 0.0) + weight
        evidence.setdefault(code, []).append(why)

    upper = text.upper()
    clues = _clues()
    for found, table, weight, what in (
        (set(clues.currency.findall(text)), clues.by_currency, 2.0, "currency"),
        (set(clues.symbol.findall(text)), clues.by_symbol, 1.5, "symbol"),
        (set(clues.phone.findall(text)), clues.by_phone, 1.0, "phone +"),
        (set(clues.name.findall(fold(text))), clues.by_name, 1.0, "name"),
    ):
        for key in sorted(found):
            for code in table.get(key, ()):
                vote(code, weight, f"{what} {key}".replace("+ ", "+"))
    lang = languages().get(language or "")
    # Tax ids with check digits: of the language's countries and those the clues point to (all
    # countries when the language is unknown); checking every pattern costs more than it says.
    if sum(c.isdigit() for c in text) >= 6:
        scope = set(votes) | set(lang.countries) if lang is not None else set(packs)
        for code in sorted(scope & set(packs)):
            for rule in packs[code].tax_ids:
                if rule.labelled:
                    # A labelled id ("ABN 83 914 571 673") is evidence only next to its label.
                    hit = rule.labelled_regex().search(upper)
                    if hit is not None and rule.is_valid(hit.group(1)):
                        vote(code, 3.0 if rule.stdnum else 1.5, f"{rule.name} {hit.group(1)}")
                    continue
                if not rule.stdnum:
                    continue
                for m in rule.pattern.finditer(upper):
                    if rule.is_valid(m.group(0)):
                        vote(code, 3.0, f"{rule.name} {m.group(0)}")
                        break
    # Legal forms only decide between countries that something else already points to.
    # Sorted, so that a tie is broken the same way in every process (sets follow the hash seed).
    for code in sorted(set(votes) | set(lang.countries if lang is not None else ())):
        pack = packs.get(code)
        hit = legal_form_regex(code).search(text) if pack is not None and pack.legal_forms else None
        if hit is not None and len(hit.group(0).strip()) > 3:
            vote(code, 0.5, f"legal form {hit.group(0).strip()}")
    if lang is not None:
        for code in lang.countries:
            if code in votes:
                votes[code] += 0.5  # the language makes its own countries likelier
        votes[lang.default_country] = votes.get(lang.default_country, 0.0) + 0.75
    if not votes:
        return None, []
    best = max(sorted(votes), key=lambda c: votes[c])
    return best, evidence.get(best, ["language default"])


def detect_locale(text: str) -> Locale:
    """Language and country of a document's text."""
    ranked = detect_language(text)
    if not ranked:
        country, why = detect_country(text, None)
        return Locale(None, country, (), 0.0, why)
    top, score = ranked[0]
    # Every language with at least a third of the leader's evidence contributes its labels.
    kept = tuple(c for c, s in ranked if s >= max(1.0, score / 3))
    country, why = detect_country(text, top)
    return Locale(top, country, kept or (top,), score, why)
