"""The industry pages' charts: pygal SVG drawn on the server, shown as `data:` images.

The console's policy allows no inline script or style and nothing from other sites. pygal
always writes a small configuration script into its SVG (and, unless told otherwise, links its
tooltip script on a CDN): both are removed, so a chart is a still picture. Its own stylesheet
stays inside the SVG, which the browser draws as an isolated image document (an image runs no
script and loads nothing), so the page's policy needs no exception. Every chart has its table
beside it on the page: the figures, a hidden one marked as hidden, are read there."""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence

import pygal
from pygal.style import Style

SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)

STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1f2933",
    foreground_strong="#1f2933",
    foreground_subtle="#6b7280",
    colors=("#0b4f9c", "#b45309", "#2f855a", "#9b2c2c"),
    font_family="sans-serif",
    label_font_size=13,
    major_label_font_size=13,
    value_font_size=12,
    title_font_size=15,
    legend_font_size=13,
)


def _config() -> dict[str, object]:
    return {
        "style": STYLE,
        "js": [],  # no tooltip script from a CDN
        "width": 640,
        "height": 300,
        "explicit_size": True,
        "disable_xml_declaration": True,
        "show_legend": False,
        "print_values": True,
        "margin": 12,
        "truncate_label": 28,
    }


def _as_image(chart: pygal.graph.graph.Graph) -> str:
    svg = SCRIPT.sub("", chart.render(is_unicode=True))
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


def _wide_extra(label: str) -> float:
    """pygal sizes a label as 0.6 em a character; a Chinese character is a whole em, so the
    room a label lacks is added to the margin (else a Chinese name is cut at the left edge)."""
    wide = sum(1 for ch in label[:28] if ord(ch) > 0x2E80)
    return wide * 0.45 * STYLE.label_font_size


def bars(title: str, labels: Sequence[str], values: Sequence[int | None]) -> str | None:
    """Horizontal bars of the shown counts (a hidden count is left out, never drawn as 0);
    None when nothing is shown."""
    shown = [(label, v) for label, v in zip(labels, values, strict=True) if v is not None]
    if not shown:
        return None
    config = {
        **_config(),
        "height": 70 + 34 * max(3, len(shown)),
        "margin_left": 12 + max(_wide_extra(label) for label, _ in shown),
    }
    chart = pygal.HorizontalBar(title=title, **config)
    chart.x_labels = [label for label, _ in reversed(shown)]
    chart.add(title, [v for _, v in reversed(shown)])
    return _as_image(chart)


def trend(title: str, months: Sequence[str], values: Sequence[int | None]) -> str | None:
    """A line of monthly counts; a hidden month is a gap in the line, not a 0."""
    if not any(v is not None for v in values):
        return None
    chart = pygal.Line(title=title, **_config(), allow_interruptions=True, x_label_rotation=0)
    chart.x_labels = list(months)
    chart.add(title, list(values))
    return _as_image(chart)
