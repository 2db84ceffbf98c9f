"""Where text sits on a document photo: its lines and their boxes, which box is a label's value.

Labels and values are paired by geometry, not by reading order: on a photo taken at an angle
the value box often comes before its label in OCR's order. A label's value is the nearest box
to its right along the label's own baseline, or the rest of the label's box.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    """One recognised text line: its text, confidence (0-1) and corner points."""

    text: str
    score: float
    box: tuple[tuple[float, float], ...]  # top-left, top-right, bottom-right, bottom-left

    @property
    def flat(self) -> str:
        """The text without spaces, full-width forms folded (＜Ａ１＞ -> <A1>)."""
        return re.sub(r"\s+", "", unicodedata.normalize("NFKC", self.text))

    @property
    def center(self) -> tuple[float, float]:
        return (sum(p[0] for p in self.box) / 4, sum(p[1] for p in self.box) / 4)

    @property
    def height(self) -> float:
        (x0, y0), _, _, (x3, y3) = self.box[:4]
        return max(math.hypot(x3 - x0, y3 - y0), 1.0)

    @property
    def direction(self) -> tuple[float, float]:
        (x0, y0), (x1, y1) = self.box[0], self.box[1]
        length = math.hypot(x1 - x0, y1 - y0) or 1.0
        return ((x1 - x0) / length, (y1 - y0) / length)


@dataclass(frozen=True)
class Found:
    """A value read for a field, with the lowest confidence of the lines it came from."""

    text: str
    score: float


def label_value(lines: Sequence[Line], labels: tuple[str, ...]) -> Found | None:
    """The value printed after one of ``labels``: in the same box, or the next box along it."""
    for line in lines:
        flat = line.flat
        label = next((lab for lab in labels if flat.startswith(lab)), None)
        if label is None:
            continue
        rest = flat[len(label) :].lstrip(":：")
        if rest:
            return Found(rest, line.score)
        beside = right_of(line, lines)
        if beside is not None:
            return Found(beside.flat, min(line.score, beside.score))
    return None


def right_of(label: Line, lines: Sequence[Line]) -> Line | None:
    """The box nearest to the label's right on the same printed row, however tilted."""
    ux, uy = label.direction
    cx, cy = label.center
    best: tuple[float, Line] | None = None
    for other in lines:
        if other is label:
            continue
        ox, oy = other.center
        dx, dy = ox - cx, oy - cy
        along = dx * ux + dy * uy
        across = abs(-dx * uy + dy * ux)
        if along > 0 and across < 0.6 * label.height and (best is None or along < best[0]):
            best = (along, other)
    return best[1] if best else None


def below(line: Line, lines: Sequence[Line]) -> Line | None:
    """A continuation line: directly under ``line``, starting where it starts."""
    ux, uy = line.direction
    x0, y0 = line.box[0]
    for other in lines:
        if other is line:
            continue
        dx, dy = other.box[0][0] - x0, other.box[0][1] - y0
        along = dx * ux + dy * uy
        down = -dx * uy + dy * ux
        if abs(along) < line.height and 0.6 * line.height < down < 1.8 * line.height:
            return other
    return None
