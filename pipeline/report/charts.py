"""The report's pictures: SVG drawn into the HTML, no JavaScript, so they print.

Each picture carries its own words (``role="img"`` with a label and a
``<title>``) and the report prints the same numbers as text beside it, so a
clerk reading a black-and-white copy, or a screen reader, loses nothing.
Segments differ by shade and by an outline as well as by colour.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

__all__ = ["bar_chart", "funnel"]

_WIDTH = 680
_FONT = 'font-family="Noto Sans CJK JP, Hiragino Sans, Yu Gothic, Meiryo, sans-serif"'


def _svg(height: int, label: str, body: str) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'aria-label="{escape(label)}" viewBox="0 0 {_WIDTH} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" {_FONT} font-size="12">'
        f"<title>{escape(label)}</title>{body}</svg>"
    )


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def funnel(
    source: int, parts: Sequence[tuple[str, int, str]], *, source_label: str, summary: str
) -> Markup:
    """A table's rows as a funnel: the source's rows as one bar, and beneath it
    the same width divided into ``parts`` — (label, count, css class) such as
    skipped, rejected, loaded — each with its count.

    ``summary`` is the sentence the picture says (its accessible label).
    """
    left, bar = 110, _WIDTH - 110 - 10
    body = [
        f'<text x="0" y="15">{escape(source_label)}</text>',
        f'<rect class="seg-source" x="{left}" y="2" width="{bar}" height="17"/>',
        f'<text x="{left + bar - 6}" y="15" text-anchor="end" class="on-dark">{source:,}</text>',
    ]
    x = float(left)
    y = 23
    legend_y = 58
    legend_x = float(left)
    for label, count, css in parts:
        width = bar * count / source if source else 0
        if count:
            shown = max(width, 1.5)
            body.append(
                f'<rect class="{css}" x="{x:.1f}" y="{y}" width="{shown:.1f}" height="17"/>'
            )
        x += width
        body.append(
            f'<rect class="{css}" x="{legend_x:.1f}" y="{legend_y - 10}" width="12" height="12"/>'
        )
        text = f"{label} {count:,}"
        body.append(f'<text x="{legend_x + 16:.1f}" y="{legend_y}">{escape(text)}</text>')
        legend_x += 30 + 13 * len(text)
    return _svg(64, summary, "".join(body))


def bar_chart(items: Sequence[tuple[str, int]], *, summary: str, limit: int = 26) -> Markup:
    """Horizontal bars, one per (label, count), longest first as given; the
    label is shortened to ``limit`` characters in the picture (the table
    beside it has the whole sentence)."""
    if not items:
        return Markup("")
    left, right = 330, 60
    bar = _WIDTH - left - right
    top = max(count for _, count in items) or 1
    row = 22
    body = []
    for i, (label, count) in enumerate(items):
        y = 4 + i * row
        width = max(bar * count / top, 1.5)
        body.append(f'<text x="0" y="{y + 13}">{escape(_short(label, limit))}</text>')
        body.append(
            f'<rect class="seg-rejected" x="{left}" y="{y}" width="{width:.1f}" height="16"/>'
        )
        body.append(f'<text x="{left + width + 4:.1f}" y="{y + 13}">{count:,}</text>')
    return _svg(8 + row * len(items), summary, "".join(body))
