"""HTML pieces of the report that every stage's section builds with: number cells and escaped tables."""

from __future__ import annotations

import math

import numpy as np
from markupsafe import Markup


def fmt(value, digits: int = 3) -> str:
    """A number for a table cell ('–' for missing)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if isinstance(value, (int, np.integer)):
        return str(value)
    return f"{value:.{digits}f}"


def table(header: list[str], rows: list[list], classes: list[str] | None = None) -> Markup:
    """An HTML table; every cell is escaped unless it is already Markup (a player, an image)."""
    head = Markup("").join(Markup("<th>{}</th>").format(h) for h in header)
    body = []
    for i, row in enumerate(rows):
        cls = Markup(' class="{}"').format(classes[i]) if classes and classes[i] else ""
        body.append(Markup("<tr{}>{}</tr>").format(cls, Markup("").join(Markup("<td>{}</td>").format(c) for c in row)))
    return Markup("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>").format(head, Markup("").join(body))
