"""Locale-aware parsing of amounts, dates and currencies as they are printed on invoices.

Amounts: ``1.234,56``, ``1 234,56``, ``1'234.56``, ``1,234.56``, ``(12.00)``, ``-12,00``,
``12,00-``. Dates: ISO, numeric day-first or month-first (ambiguity reported), month names in
English, German and French. Currencies: symbols and ISO 4217 codes, never defaulted.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from core.extraction.language_packs import fold, month_names

# Thin spaces, no-break spaces and apostrophes used as thousands separators.
_GROUP_CHARS = " \u00a0\u202f\u2009'’`´"
AMOUNT_RE = re.compile(
    r"(?<![\w.,])"
    r"(?P<neg>[-−–]\s?|\()?"
    r"(?P<num>\d{1,3}(?:[.,\u00a0\u202f\u2009'’ ]\d{3})+(?:[.,]\d{1,4})?|\d+(?:[.,]\d{1,4})?)"
    r"(?P<close>\))?"
    r"(?P<trail>-(?!\d))?"
    r"(?![\w]|[.,]\d)"
)


def parse_amount(text: str, decimal_sep: str | None = None) -> Decimal | None:
    """Parse one printed amount; ``decimal_sep`` (',' or '.') settles '1.234'-like cases."""
    if text is None:
        return None
    s = unicodedata.normalize("NFKC", str(text)).strip()
    s = re.sub(r"(?i)\b(?:[A-Z]{3})\b|[€$£¥₹₩₽₺₪₫฿]|\bFr\.|\bCHF\b", "", s).strip()
    if not s:
        return None
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1].strip()
    if s.endswith(("-", "−")) and not s.startswith(("-", "−")):
        negative, s = True, s[:-1].strip()
    if s.startswith(("-", "−", "–")):
        negative, s = not negative, s[1:].strip()
    if s.startswith("+"):
        s = s[1:].strip()
    if s.upper().endswith(("CR",)):
        negative, s = True, s[:-2].strip()
    if not re.fullmatch(r"[\d.,\u00a0\u202f\u2009'’`´ ]+", s) or not re.search(r"\d", s):
        return None
    number = _normalise_number(s, decimal_sep)
    if number is None:
        return None
    try:
        value = Decimal(number)
    except InvalidOperation:
        return None
    return -value if negative else value


def _normalise_number(s: str, decimal_sep: str | None) -> str | None:
    s = s.strip(_GROUP_CHARS)
    for ch in _GROUP_CHARS:
        if ch in s:
            # A group separator must separate groups of exactly three digits.
            head, *groups = re.split(r"[ \u00a0\u202f\u2009'’`´]", s)
            last = groups[-1] if groups else ""
            if not all(re.fullmatch(r"\d{3}", g) for g in groups[:-1]) or not re.match(
                r"\d{3}", last
            ):
                return None
            s = "".join([head, *groups])
            break
    dots, commas = s.count("."), s.count(",")
    if dots and commas:
        dec = "." if s.rfind(".") > s.rfind(",") else ","
        group = "," if dec == "." else "."
        int_part, _, frac = s.rpartition(dec)
        if not re.fullmatch(rf"\d{{1,3}}(?:\{group}\d{{3}})*", int_part):
            return None
        return int_part.replace(group, "") + "." + frac
    sep = "." if dots else "," if commas else ""
    if not sep:
        return s
    count = dots or commas
    int_part, _, frac = s.rpartition(sep)
    if count > 1:
        # Only a thousands separator repeats: 1.234.567 or 1,234,567.
        if re.fullmatch(rf"\d{{1,3}}(?:\{sep}\d{{3}})+", s):
            return s.replace(sep, "")
        return None
    if len(frac) == 3 and decimal_sep is not None and decimal_sep != sep:
        return int_part + frac  # '1.234' on a comma-decimal document is one thousand...
    if len(frac) == 3 and decimal_sep is None and int_part != "0" and sep == ",":
        return int_part + frac  # '1,234' without other evidence: English thousands
    return int_part + "." + frac


def detect_decimal_separator(text: str) -> str | None:
    """The document's decimal separator from how two-decimal amounts are written."""
    comma = len(re.findall(r"\d,\d{2}(?!\d)", text))
    dot = len(re.findall(r"\d\.\d{2}(?!\d)", text))
    if comma == dot == 0:
        return None
    return "," if comma > dot else "."


def find_amounts(text: str, decimal_sep: str | None = None) -> list[tuple[int, int, Decimal]]:
    """All amount-like numbers in ``text`` as (start, end, value)."""
    out = []
    for m in AMOUNT_RE.finditer(text):
        raw = m.group(0)
        if m.group("neg") == "(" and not m.group("close"):
            raw = raw[1:]
        value = parse_amount(raw, decimal_sep)
        if value is not None:
            out.append((m.start(), m.end(), value))
    return out


# Month names of every language pack, as printed and folded ("März", "marz", "września").
MONTHS: dict[str, int] = month_names()
_MONTH_ALT = "|".join(sorted((re.escape(m) for m in MONTHS), key=len, reverse=True))


@dataclass(frozen=True)
class ParsedDate:
    """A date read from text; ``ambiguous`` when day and month could be swapped."""

    value: dt.date
    ambiguous: bool = False
    start: int = 0
    end: int = 0


_ISO = r"(?P<iy>(?:19|20)\d{2})[-/.](?P<im>\d{1,2})[-/.](?P<id>\d{1,2})"
_NUM = r"(?P<a>\d{1,2})\s?(?P<s>[./-])\s?(?P<b>\d{1,2})\s?(?P=s)\s?(?P<y>\d{4}|\d{2})"
# "3 de agosto de 2014" (es, pt), "3. März 2014", "03-Mar-2014", "3rd March, 2014", and a dot
# OCR put before the year ("11. August .2026").
_DMY = (
    rf"(?P<d1>\d{{1,2}})(?:er|st|nd|rd|th|º|°)?\.?[\s-]*(?:de\s+)?(?P<m1>{_MONTH_ALT})\.?"
    r"[\s,-]*(?:\.(?=\d{4}))?(?:de\s+|del\s+)?(?P<y1>\d{4}|\d{2}(?!\d))"
)
# "August 3, 2014" and, as OCR prints it, "August 3 , 2014".
_MDY = rf"(?P<m2>{_MONTH_ALT})\.?\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s*,?\s*(?P<y2>\d{{4}})"
# A date ends at a word boundary, or where OCR glued the time to a four-digit year
# ("22/12/201714:03").
_END = r"(?:(?![\w]|\.\d)|(?<=\d{4})(?=\d{1,2}:\d{2}))"
DATE_RE = re.compile(rf"(?<![\w.])(?:{_ISO}|{_NUM}|{_DMY}|{_MDY}){_END}", re.IGNORECASE)
# Eight digits with no separator: "25032018" (day first) or "20180325" (year first).
_COMPACT = re.compile(r"(?<![\w.,/-])(\d{8})(?![\w.,/-]|:)")


def _year(text: str) -> int:
    y = int(text)
    return y + (2000 if y < 70 else 1900) if y < 100 else y


def _make(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def _month(name: str) -> int:
    return MONTHS.get(name.lower()) or MONTHS[fold(name)]


def _from_match(m: re.Match[str], day_first: bool | None) -> ParsedDate | None:
    g = m.groupdict()
    if g["iy"]:
        date = _make(int(g["iy"]), int(g["im"]), int(g["id"]))
        return ParsedDate(date, False, m.start(), m.end()) if date else None
    if g["a"]:
        a, b, y = int(g["a"]), int(g["b"]), _year(g["y"])
        if g["s"] == "." or (a > 12 >= b):
            dfirst = True
        elif b > 12 >= a:
            dfirst = False
        else:
            dfirst = True if day_first is None else day_first
        ambiguous = a <= 12 and b <= 12 and a != b and g["s"] != "."
        date = _make(y, b, a) if dfirst else _make(y, a, b)
        return ParsedDate(date, ambiguous, m.start(), m.end()) if date else None
    if g["d1"]:
        date = _make(_year(g["y1"]), _month(g["m1"]), int(g["d1"]))
    else:
        date = _make(int(g["y2"]), _month(g["m2"]), int(g["d2"]))
    return ParsedDate(date, False, m.start(), m.end()) if date else None


def find_dates(text: str, day_first: bool | None = None) -> list[ParsedDate]:
    """All dates in ``text``, in order; numeric dates with '.' are day-first (European)."""
    out = []
    for m in DATE_RE.finditer(text):
        parsed = _from_match(m, day_first)
        if parsed is not None and 1900 <= parsed.value.year <= 2100:
            out.append(parsed)
    return out


def compact_dates(text: str, year_first: bool = False) -> list[ParsedDate]:
    """Eight-digit dates ("25032018", "20180325"): read only where a label or a printed time
    says the number is a date, since ids have eight digits too."""
    out = []
    for m in _COMPACT.finditer(text):
        raw = m.group(1)
        y_first = _make(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
        d_first = _make(int(raw[4:]), int(raw[2:4]), int(raw[:2]))
        options = [y_first, d_first] if year_first or raw[:2] in ("19", "20") else [d_first]
        date = next((d for d in options if d is not None and 1990 <= d.year <= 2100), None)
        if date is not None:
            out.append(ParsedDate(date, False, m.start(), m.end()))
    return out


def parse_date(text: str, day_first: bool | None = None) -> ParsedDate | None:
    """The first date in ``text``, or None."""
    found = find_dates(text, day_first)
    return found[0] if found else None


ISO_CURRENCIES = frozenset(
    [
        "EUR",
        "USD",
        "GBP",
        "CHF",
        "JPY",
        "CNY",
        "CAD",
        "AUD",
        "NZD",
        "SEK",
        "NOK",
        "DKK",
        "ISK",
        "PLN",
        "CZK",
        "HUF",
        "RON",
        "BGN",
        "HRK",
        "RSD",
        "TRY",
        "RUB",
        "UAH",
        "INR",
        "BRL",
        "MXN",
        "ARS",
        "CLP",
        "COP",
        "PEN",
        "ZAR",
        "SGD",
        "HKD",
        "TWD",
        "KRW",
        "THB",
        "MYR",
        "IDR",
        "PHP",
        "VND",
        "AED",
        "SAR",
        "QAR",
        "KWD",
        "ILS",
        "EGP",
        "MAD",
        "TND",
        "XOF",
        "XAF",
        "NGN",
        "KES",
    ]
)
# Symbols, most specific first; '$' alone reads as US dollars with lower confidence upstream.
CURRENCY_SYMBOLS: tuple[tuple[str, str], ...] = (
    ("US$", "USD"),
    ("CA$", "CAD"),
    ("C$", "CAD"),
    ("AU$", "AUD"),
    ("A$", "AUD"),
    ("NZ$", "NZD"),
    ("HK$", "HKD"),
    ("S$", "SGD"),
    ("R$", "BRL"),
    ("€", "EUR"),
    ("£", "GBP"),
    ("¥", "JPY"),
    ("₹", "INR"),
    ("₩", "KRW"),
    ("₽", "RUB"),
    ("₺", "TRY"),
    ("₪", "ILS"),
    ("zł", "PLN"),
    ("Kč", "CZK"),
    ("Fr.", "CHF"),
    ("$", "USD"),
)
# Currency names in words; "$"-named ones ("pesos", "dollars") take the country's own dollar.
_WORDS = {"euro": "EUR", "euros": "EUR", "pounds": "GBP", "franken": "CHF", "reais": "BRL",
          "zlotych": "PLN", "złotych": "PLN", "zloty": "PLN", "złoty": "PLN", "ringgit": "MYR",
          "rupiah": "IDR", "rupees": "INR", "rupee": "INR", "korun": "CZK", "lira": "TRY",
          "lirasi": "TRY", "forint": "HUF"}  # fmt: skip
_DOLLAR_WORDS = frozenset({"dollars", "dollar", "pesos", "peso"})
# Local abbreviations that name a currency only next to an amount ("RM8.35", "12,50 zł").
LOCAL_ABBREVIATIONS: dict[str, str] = {
    "RM": "MYR", "Rs": "INR", "Rs.": "INR", "Rp": "IDR", "Rp.": "IDR", "zł": "PLN", "zl": "PLN",
    "Kč": "CZK", "Kc": "CZK", "TL": "TRY", "Ft": "HUF", "lei": "RON", "S$": "SGD", "₱": "PHP",
    "฿": "THB", "₫": "VND",
}  # fmt: skip
_CODE_RE = re.compile(r"(?<![A-Za-z])([A-Z]{3})(?![A-Za-z])")
# An ISO code whose capital OCR read with an accent ("ÚSD", "EÜR"): three capitals, one or more
# of them accented, that fold to a code.
_ACCENTED_CODE_RE = re.compile(r"(?<![^\W\d_])([A-ZÀ-ÖØ-Þ]{3})(?![^\W\d_])")
_CODE_NEAR_AMOUNT = re.compile(
    r"(?i)(?<![a-z])([a-z]{3})(?=\s{0,4}[-−]?\d)|(?<=\d)\s{0,4}([a-z]{3})(?![a-z])"
)


@lru_cache(maxsize=64)
def _abbreviations(local: tuple[tuple[str, str], ...]) -> re.Pattern[str]:
    """Local currency abbreviations next to an amount ("RM8.35", "12,50 zł"), one pattern."""
    printed = {sym for sym, _ in CURRENCY_SYMBOLS}
    keys = [
        abbr
        for abbr in {**LOCAL_ABBREVIATIONS, **dict(local)}
        if abbr[:1].isalpha()
        and abbr.upper() not in ISO_CURRENCIES
        and "$" not in abbr
        and abbr not in printed
    ]
    alt = "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True)) or "(?!)"
    return re.compile(rf"(?<![\w])({alt})(?=\s?\d)|(?<=\d)\s?({alt})(?![\w])")


def find_currencies(text: str, country: str | None = None) -> dict[str, int]:
    """ISO codes evidenced in ``text`` with how often each appears (codes, symbols, words).

    ``country`` (ISO 3166 alpha-2) gives "$" and local abbreviations their meaning there:
    "$" is ARS on an Argentine invoice and USD only when nothing says otherwise."""
    from core.extraction.language_packs import countries

    pack = countries().get(country or "")
    local = dict(pack.symbols) if pack is not None else {}
    counts: dict[str, int] = {}

    def add(code: str, n: int = 1) -> None:
        counts[code] = counts.get(code, 0) + n

    for m in _CODE_RE.finditer(text):
        if m.group(1) in ISO_CURRENCIES:
            add(m.group(1))
    for m in _ACCENTED_CODE_RE.finditer(text):
        code = unicodedata.normalize("NFKD", m.group(1)).encode("ascii", "ignore").decode()
        if not m.group(1).isascii() and code in ISO_CURRENCIES:
            add(code)
    for m in _CODE_NEAR_AMOUNT.finditer(text):
        raw = m.group(1) or m.group(2)
        code = raw.upper()
        if raw != code and code in ISO_CURRENCIES:  # "Eur 319,03": a code not in capitals
            add(code)
    # Symbols, most specific first ("US$" before "$"); a bare "$" is the country's dollar.
    dollar = local.get("$", "USD")
    rest = text
    for symbol, code in CURRENCY_SYMBOLS:
        # "A$" is Australian, but not inside "IVA$".
        lead = r"(?<![A-Za-z])" if symbol[:1].isalpha() else ""
        rest, n = re.subn(lead + re.escape(symbol), " ", rest)
        if n:
            add(dollar if symbol == "$" else code, n)
    for m in _abbreviations(tuple(sorted(local.items()))).finditer(text):
        abbr = m.group(1) or m.group(2)
        add(local.get(abbr) or LOCAL_ABBREVIATIONS[abbr])
    for word in re.findall(r"[^\W\d_]+", text.lower()):
        if word in _WORDS:
            add(_WORDS[word])
        elif word in _DOLLAR_WORDS and (word.startswith("dollar") or dollar != "USD"):
            add(dollar)
    return counts


def parse_currency(text: str) -> str | None:
    """The ISO 4217 code named by ``text`` (a code, symbol or word), or None."""
    counts = find_currencies(text)
    return max(counts, key=lambda c: counts[c]) if counts else None


def normalise_id(text: str) -> str:
    """Upper-case an identifier and drop spaces and dots (IBANs and VAT ids are printed spaced)."""
    return re.sub(r"[\s.\-]", "", text).upper()
