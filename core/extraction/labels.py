"""Label matching (lexicons from the language packs) and the geometry that pairs label and value.

A page is cut into *segments*: runs of words on one line separated by column-wide gaps. A label
is matched on normalised tokens (case and accents folded, punctuation dropped), and its value
is looked for in the rest of the segment, then in the next segment to the right, then in the
segment just below. Nothing here knows a particular invoice layout.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import lru_cache

from core.extraction.document import Document
from core.extraction.label_lexicon import Lexicon, all_languages
from core.extraction.language_packs import fold, tokens
from core.extraction.layout import Word, join_words

__all__ = ["LabelHit", "Segment", "below", "fold", "is_label_text", "page_segments", "right_of",
           "segment_labels", "tokens"]  # fmt: skip


@dataclass
class Segment:
    """A run of words on one line, separated from its neighbours by a column gap."""

    page: int
    line: int
    words: list[Word]
    _text: str | None = dataclasses.field(default=None, repr=False)

    @property
    def text(self) -> str:
        # Segments are complete once page_segments returns; their text is read many times.
        if self._text is None:
            self._text = join_words(self.words)
        return self._text

    @property
    def x0(self) -> float:
        return self.words[0].x0

    @property
    def x1(self) -> float:
        return self.words[-1].x1

    @property
    def y0(self) -> float:
        return min(w.y0 for w in self.words)

    @property
    def y1(self) -> float:
        return max(w.y1 for w in self.words)


def page_segments(document: Document) -> list[list[list[Segment]]]:
    """Segments per line per page (pages -> lines -> segments)."""
    out: list[list[list[Segment]]] = []
    for page in document.pages:
        page_lines = []
        for li, line in enumerate(page.lines):
            segs: list[Segment] = []
            for w in line.words:
                prev = segs[-1].words[-1] if segs else None
                if prev is not None and w.x0 - prev.x1 <= max(prev.height, w.height) * 1.5:
                    segs[-1].words.append(w)
                else:
                    segs.append(Segment(page.number, li, [w]))
            page_lines.append(segs)
        out.append(page_lines)
    return out


@dataclass
class LabelHit:
    """A label found in a segment; ``rest`` are the words after it."""

    field: str
    label: str
    segment: Segment
    rest: list[Word]
    start: int = 0  # index of the label's first word in the segment
    end: int = 0  # index of the label's last word

    @property
    def specificity(self) -> int:
        return len(self.label)


def _word_tokens(words: list[Word]) -> list[tuple[str, int]]:
    return [(tok, i) for i, w in enumerate(words) for tok in _cached_tokens(w.text)]


@lru_cache(maxsize=65536)
def _cached_tokens(text: str) -> tuple[str, ...]:
    return tuple(tokens(text))


def segment_labels(segment: Segment, lexicon: Lexicon | None = None) -> dict[str, LabelHit]:
    """For each field, its longest label in ``segment`` (first occurrence), skipping negatives."""
    lex = lexicon if lexicon is not None else all_languages()
    toks = _word_tokens(segment.words)
    flat = [t for t, _ in toks]
    best: dict[str, tuple[int, int, int, str]] = {}  # field -> (-len, start, end, label)
    for i in range(len(flat)):
        found = [(fl, i, i) for fl in lex.glued.get(flat[i], ())]
        if flat[i].endswith("rechnung") and len(flat[i]) > 8 and flat[i] not in lex.exact:
            # German compounds name the document: Mietrechnung, Schlussrechnung, Baurechnung.
            found.append((("invoice_number", "rechnung"), i, i))
        for n in range(1, min(lex.max_tokens, len(flat) - i) + 1):
            found.extend((fl, i, i + n - 1) for fl in lex.exact.get(" ".join(flat[i : i + n]), ()))
        for (field, label), start, end in found:
            # Labels cover whole words: "PO-7781" is a value, not the label "PO".
            if (start > 0 and toks[start - 1][1] == toks[start][1]) or (
                end + 1 < len(toks) and toks[end + 1][1] == toks[end][1]
            ):
                continue
            key = (-len(label), start, end, label)
            if field in best and best[field] <= key:
                continue
            context = " ".join(flat[max(0, start - 2) : end + 2])
            if any(neg in context for neg in lex.negative) and not any(
                neg in label for neg in lex.negative
            ):
                continue
            best[field] = key
    return {
        field: LabelHit(
            field,
            label,
            segment,
            segment.words[toks[end][1] + 1 :],
            toks[start][1],
            toks[end][1],
        )
        for field, (_, start, end, label) in best.items()
    }


def right_of(lines: list[list[Segment]], seg: Segment) -> list[Segment]:
    """Segments to the right of ``seg`` on its line, nearest first."""
    return [s for s in lines[seg.line] if s.x0 > seg.x1]


def below(
    lines: list[list[Segment]],
    seg: Segment,
    max_lines: int = 3,
    max_gap: float = 3.0,
    span: tuple[float, float] | None = None,
) -> list[Segment]:
    """Segments on the next lines that overlap ``seg`` (or the x ``span``), nearest first."""
    out: list[Segment] = []
    height = seg.y1 - seg.y0
    x0, x1 = span if span is not None else (seg.x0, seg.x1)
    for li in range(seg.line + 1, min(len(lines), seg.line + 1 + max_lines)):
        for s in lines[li]:
            if s.y0 - seg.y1 > max_gap * height:
                return out
            if s.x0 < x1 and s.x1 > x0:
                out.append(s)
    return out


_COLUMN_WORDS = frozenset(
    [
        "sku",
        "art",
        "artikel",
        "artnr",
        "article",
        "ref",
        "reference",
        "pos",
        "position",
        "qty",
        "quantity",
        "menge",
        "quantite",
        "unit",
        "einheit",
        "price",
        "preis",
        "prix",
        "amount",
        "betrag",
        "montant",
        "description",
        "beschreibung",
        "designation",
        "rate",
        "taux",
    ]
)


def is_label_text(text: str) -> bool:
    """Whether ``text`` is nothing but a known label or column heading (not a value)."""
    toks = tokens(text)
    if not toks:
        return False
    lex = all_languages()
    if " ".join(toks) in lex.exact or "".join(toks) in lex.glued or "".join(toks) in lex.exact:
        return True
    return all(t in _COLUMN_WORDS or t in ("nr", "no") for t in toks)
