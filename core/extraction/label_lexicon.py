"""Label lexicons built from the language packs, as normalised token sequences.

Tokens are case-folded, accent-free and punctuation-free (see ``language_packs.tokens``):
"USt.-Id.-Nr." is "ust id nr", "Date d'échéance" is "date d echeance". A field's longest label
found in a segment wins; ``negative`` phrases near a label veto it (a delivery date is not the
invoice date). The words themselves live in ``language_packs/<lang>.toml``; a document is read
with the lexicon of its detected languages plus English (see :func:`lexicon_for`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from core.extraction.language_packs import LANGUAGE_CODES, languages, tokens

# Fields whose labels mark amounts that are not the document's totals (receipt payment lines).
PAYMENT_FIELDS = frozenset({"tendered", "change", "rounding", "discount"})


@dataclass(frozen=True)
class Lexicon:
    """Labels of some languages, indexed for matching token runs of a segment."""

    languages: tuple[str, ...]
    labels: dict[str, tuple[str, ...]]
    negative: tuple[str, ...]
    exact: dict[str, tuple[tuple[str, str], ...]]
    glued: dict[str, tuple[tuple[str, str], ...]]
    max_tokens: int


def _norm(label: str) -> str:
    return " ".join(tokens(label))


@lru_cache(maxsize=64)
def lexicon_for(codes: tuple[str, ...]) -> Lexicon:
    """The merged lexicon of ``codes`` (order-insensitive; unknown codes are ignored)."""
    packs = languages()
    chosen = [packs[c] for c in sorted(set(codes)) if c in packs]
    labels: dict[str, list[str]] = {}
    negative: list[str] = []
    for pack in chosen:
        for field, names in pack.labels.items():
            found = labels.setdefault(field, [])
            found.extend(n for n in (_norm(x) for x in names) if n and n not in found)
        negative.extend(_norm(p) for p in pack.negative if _norm(p) not in negative)
    exact: dict[str, list[tuple[str, str]]] = {}
    glued: dict[str, list[tuple[str, str]]] = {}
    for field, bucket in labels.items():
        for label in bucket:
            exact.setdefault(label, []).append((field, label))
            if " " in label:
                # Compound labels are often glued ("Rechnungsnr", "USt-IdNr", "Factuurnr").
                glued.setdefault(label.replace(" ", ""), []).append((field, label))
    return Lexicon(
        languages=tuple(sorted(set(codes) & set(packs))),
        labels={k: tuple(v) for k, v in labels.items()},
        negative=tuple(negative),
        exact={k: tuple(v) for k, v in exact.items()},
        glued={k: tuple(v) for k, v in glued.items()},
        max_tokens=max((n.count(" ") + 1 for v in labels.values() for n in v), default=1),
    )


def all_languages() -> Lexicon:
    """Every pack's labels: used where any language's label is still a label, not a name."""
    return lexicon_for(LANGUAGE_CODES)


# Backward-compatible views over every language.
LEXICON: dict[str, tuple[str, ...]] = all_languages().labels
NEGATIVE: tuple[str, ...] = all_languages().negative
