"""Text blocks: runs of left-aligned lines with regular spacing (letterheads, address windows).

A block ending in a postcode line is an address block; its first line is the party's name
(a salutation line such as "Herrn" joins the name that follows it).
"""

from __future__ import annotations

import re

from core.extraction.labels import Segment, fold

POSTCODE_LINE = re.compile(
    r"(?:^|[\s,])(?:[A-Z]{1,2}[- ]?)?\d{4,5}\s+[^\W\d]|[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b|"
    r"\b[A-Z]{2}\s\d{5}(?:-\d{4})?\b"
)
SALUTATIONS = frozenset(
    {"herrn", "herr", "frau", "firma", "mr", "mrs", "ms", "miss", "dr", "m", "mme", "mlle"}
)


def text_blocks(lines: list[list[Segment]], max_gap: float = 1.7) -> list[list[Segment]]:
    """Segments stacked at the same x, each within ``max_gap`` line heights of the one above."""
    open_blocks: list[list[Segment]] = []
    done: list[list[Segment]] = []
    for segs in lines:
        for seg in segs:
            home = None
            for block in open_blocks:
                last = block[-1]
                height = max(last.y1 - last.y0, 1.0)
                if abs(seg.x0 - last.x0) < 4 and 0 <= seg.y0 - last.y1 <= max_gap * height:
                    home = block
                    break
            if home is not None:
                home.append(seg)
            else:
                open_blocks.append([seg])
        # Blocks whose last line is far above the current line can no longer grow.
        current_top = min((s.y0 for s in segs), default=0.0)
        still = []
        for block in open_blocks:
            last = block[-1]
            if current_top - last.y1 > max_gap * max(last.y1 - last.y0, 1.0) * 2:
                done.append(block)
            else:
                still.append(block)
        open_blocks = still
    done.extend(open_blocks)
    done.sort(key=lambda b: (b[0].y0, b[0].x0))
    return done


def address_name(block: list[Segment]) -> tuple[str, Segment] | None:
    """The addressee of an address block (name lines before the street), or None."""
    # A heading such as "An:" / "Bill to:" may head the block: the address starts after it.
    while block and block[0].text.rstrip().endswith(":"):
        block = block[1:]
    post = next((i for i, s in enumerate(block) if i >= 1 and POSTCODE_LINE.search(s.text)), None)
    if post is None or post > 5:
        return None
    # A salutation line starts the addressee, even under a letterhead in the same column.
    start = next(
        (i for i in range(post - 1) if fold(block[i].text).strip(". ") in SALUTATIONS), None
    )
    if start is not None:
        return f"{block[start].text.strip(' ,')} {block[start + 1].text.strip(' ,')}", block[start]
    first = block[0]
    name = first.text.strip(" ,")
    if re.search(r"\d", name) or ":" in name:
        return None
    return name, first
