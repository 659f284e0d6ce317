"""Words, lines and reading order: the page geometry every layout rule works on.

Coordinates are PDF points with a top-left origin (x grows right, y grows down), whatever the
source: PDF text layer, OCR of a rendered page, or OCR of an image.
"""

from __future__ import annotations

import ctypes
import math
import unicodedata
from dataclasses import dataclass, field

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

NO_BREAK = frozenset("\u00a0\u202f\u2007")


@dataclass(frozen=True, slots=True)
class Word:
    """One word and its box (x0, y0, x1, y1), top-left origin, PDF points."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    size: float = 0.0  # font size in points when known (text layer), else the box height

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return (self.x0, self.y0, self.x1, self.y1)

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


@dataclass(slots=True)
class Line:
    """Words sharing a baseline, left to right."""

    words: list[Word] = field(default_factory=list)

    @property
    def x0(self) -> float:
        return min(w.x0 for w in self.words)

    @property
    def x1(self) -> float:
        return max(w.x1 for w in self.words)

    @property
    def y0(self) -> float:
        return min(w.y0 for w in self.words)

    @property
    def y1(self) -> float:
        return max(w.y1 for w in self.words)

    @property
    def text(self) -> str:
        return join_words(self.words)


def join_words(words: list[Word]) -> str:
    """Join words with one space, or three where the gap is a column break."""
    out: list[str] = []
    prev: Word | None = None
    for w in words:
        if prev is not None:
            gap = w.x0 - prev.x1
            out.append("   " if gap > max(prev.height, w.height) * 1.5 else " ")
        out.append(w.text)
        prev = w
    return "".join(out)


def group_lines(words: list[Word]) -> list[Line]:
    """Cluster words into lines by vertical overlap, in top-to-bottom, left-to-right order."""
    lines: list[tuple[float, float, Line]] = []  # (y0, y1, line) with the band of the line
    for w in sorted(words, key=lambda w: (w.cy, w.x0)):
        placed = False
        # Only the last few lines can overlap a word sorted by its centre.
        for i in range(len(lines) - 1, max(-1, len(lines) - 4), -1):
            y0, y1, line = lines[i]
            overlap = min(y1, w.y1) - max(y0, w.y0)
            small, large = sorted((y1 - y0, w.height))
            # A large heading beside small text: same line only when the baselines agree.
            big_gap = large > 1.6 * small
            same = abs(y1 - w.y1) < 0.3 * small if big_gap else overlap > 0.5 * small
            if same:
                line.words.append(w)
                lines[i] = (min(y0, w.y0), max(y1, w.y1), line)
                placed = True
                break
        if not placed:
            lines.append((w.y0, w.y1, Line([w])))
    result = [line for _, _, line in lines]
    for line in result:
        line.words.sort(key=lambda w: w.x0)
    result.sort(key=lambda ln: (ln.y0, ln.x0))
    return result


def lines_text(lines: list[Line]) -> str:
    """Reading-order text of a page: one line of text per layout line."""
    return "\n".join(line.text for line in lines)


def _transform(rotation: int, width: float, height: float) -> tuple[float, float, object]:
    """Return the displayed page size and a function mapping PDF user space to top-left space."""

    def rot0(x: float, y: float) -> tuple[float, float]:
        return x, height - y

    def rot90(x: float, y: float) -> tuple[float, float]:
        return y, x

    def rot180(x: float, y: float) -> tuple[float, float]:
        return width - x, y

    def rot270(x: float, y: float) -> tuple[float, float]:
        return height - y, width - x

    table = {0: (width, height, rot0), 90: (height, width, rot90)}
    table[180] = (width, height, rot180)
    table[270] = (height, width, rot270)
    return table.get(rotation % 360, table[0])


def pdf_page_words(page: pdfium.PdfPage) -> tuple[float, float, list[Word]]:
    """Words of a PDF page's text layer, with the displayed page width and height."""
    raw_w, raw_h = page.get_size()
    left, bottom, _, _ = page.get_cropbox()
    width, height, to_top_left = _transform(page.get_rotation(), raw_w, raw_h)
    textpage = page.get_textpage()
    try:
        n = textpage.count_chars()
        words: list[Word] = []
        chars: list[str] = []
        box: list[float] = []  # x0, y0, x1, y1 of the word being built
        size = 0.0
        rect = pdfium_c.FS_RECTF()
        raw_tp = textpage.raw

        def flush() -> None:
            if chars:
                text = unicodedata.normalize("NFKC", "".join(chars)).strip()
                if text:
                    words.append(Word(text, box[0], box[1], box[2], box[3], size))
                chars.clear()

        pending_high = 0
        main_angle = _dominant_angle(raw_tp, n)
        for i in range(n):
            code = pdfium_c.FPDFText_GetUnicode(raw_tp, i)
            # PDFium reports characters outside the BMP as two UTF-16 surrogate halves.
            if 0xD800 <= code <= 0xDBFF:
                pending_high = code
                continue
            if 0xDC00 <= code <= 0xDFFF:
                code = (
                    0x10000 + ((pending_high - 0xD800) << 10) + (code - 0xDC00)
                    if pending_high
                    else 0x20
                )
                pending_high = 0
            ch = chr(code) if 0 < code < 0x110000 else " "
            # No-break spaces group digits ("1 234,56"): they do not end a word.
            if ch in NO_BREAK:
                if chars:
                    chars.append(ch)
                continue
            if ch.isspace() or code in (0xFFFE, 0xFFFF, 0x2) or unicodedata.category(ch) == "Cc":
                flush()
                continue
            # Vertical margin text (e.g. a rotated copyright line) would shred the lines it crosses.
            angle = pdfium_c.FPDFText_GetCharAngle(raw_tp, i)
            if abs(angle - main_angle) > 0.2 and angle >= 0 and _angle_gap(angle, main_angle) > 0.2:
                flush()
                continue
            # The loose box spans the font's ascent and descent, so 'x' and 'g' line up.
            if not pdfium_c.FPDFText_GetLooseCharBox(raw_tp, i, ctypes.byref(rect)):
                continue
            xa, ya = to_top_left(rect.left - left, rect.bottom - bottom)  # type: ignore[operator]
            xb, yb = to_top_left(rect.right - left, rect.top - bottom)  # type: ignore[operator]
            x0, x1, y0, y1 = min(xa, xb), max(xa, xb), min(ya, yb), max(ya, yb)
            if chars:
                h = max(box[3] - box[1], y1 - y0, 1.0)
                same_line = abs((y0 + y1) / 2 - (box[1] + box[3]) / 2) < 0.6 * h
                gap = x0 - box[2]
                if not same_line or gap > 0.3 * h or gap < -0.5 * h:
                    flush()
            if not chars:
                box = [x0, y0, x1, y1]
                size = pdfium_c.FPDFText_GetFontSize(raw_tp, i) or (y1 - y0)
            else:
                box = [min(box[0], x0), min(box[1], y0), max(box[2], x1), max(box[3], y1)]
            chars.append(ch)
        flush()
    finally:
        textpage.close()
    return float(width), float(height), words


def _angle_gap(a: float, b: float) -> float:
    d = abs(a - b) % (2 * math.pi)
    return min(d, 2 * math.pi - d)


def _dominant_angle(raw_tp: object, n: int) -> float:
    """The most common character angle (radians) on the page, from a sample of characters."""
    counts: dict[float, int] = {}
    for i in range(0, n, max(1, n // 200)):
        angle = pdfium_c.FPDFText_GetCharAngle(raw_tp, i)
        if angle >= 0:
            key = round(angle, 1)
            counts[key] = counts.get(key, 0) + 1
    return max(counts, key=lambda k: counts[k]) if counts else 0.0
