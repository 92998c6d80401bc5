"""Small monthly trend charts as inline SVG, drawn on the server.

Readable printed in black and white: this period's months are grey bars with
a black outline, the same months a year earlier a dashed black line with
round markers; the legend says which is which in words.
"""
from html import escape

from markupsafe import Markup


def _fmt(value):
    if value is None:
        return "–"
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", ".")
    return f"{value:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def trend_svg(months, current, previous=None, *, width=180, height=44, title="", legend=None, axis=False):
    """``months``: labels "YYYY-MM"; ``current``/``previous``: values (None: not yet) in the same order."""
    count = max(1, len(months))
    values = [v for v in list(current) + list(previous or []) if v is not None]
    top = max(values) if values else 0
    top = top or 1
    pad_left = 34 if axis else 2
    pad_bottom = 14 if axis else 2
    pad_top = 12 if legend else 2
    plot_w = width - pad_left - 2
    plot_h = height - pad_bottom - pad_top
    step = plot_w / count
    bar_w = max(1.0, step * 0.62)

    def y_of(value):
        return pad_top + plot_h - (value / top) * plot_h

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="trend" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
             f"<title>{escape(title)}</title>"]
    base = pad_top + plot_h
    parts.append(f'<line x1="{pad_left}" y1="{base:.1f}" x2="{width - 2}" y2="{base:.1f}" '
                 f'stroke="#000" stroke-width="0.6"/>')
    for i, value in enumerate(current):
        if value is None:
            continue
        x = pad_left + i * step + (step - bar_w) / 2
        y = y_of(value)
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{max(0.0, base - y):.1f}" '
                     f'fill="#9a9a9a" stroke="#000" stroke-width="0.5">'
                     f"<title>{escape(months[i])}: {_fmt(value)}</title></rect>")
    if previous:
        points = [(pad_left + i * step + step / 2, y_of(v)) for i, v in enumerate(previous) if v is not None]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="#000" stroke-width="1.2" '
                         f'stroke-dasharray="3,2"/>')
        for x, y in points:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="1.6" fill="#fff" stroke="#000" stroke-width="0.8"/>')
    if axis:
        parts.append(f'<text x="{pad_left - 3}" y="{pad_top + 4}" text-anchor="end" font-size="9">{_fmt(top)}</text>')
        parts.append(f'<text x="{pad_left - 3}" y="{base:.1f}" text-anchor="end" font-size="9">0</text>')
        for i, label in enumerate(months):
            x = pad_left + i * step + step / 2
            parts.append(f'<text x="{x:.1f}" y="{height - 3}" text-anchor="middle" font-size="9">'
                         f"{int(label[5:7])}</text>")
    if legend:
        this_label, last_label = legend
        parts.append(f'<rect x="{pad_left}" y="2" width="8" height="7" fill="#9a9a9a" stroke="#000" '
                     f'stroke-width="0.5"/><text x="{pad_left + 11}" y="9" font-size="9">{escape(this_label)}</text>')
        if previous:
            lx = pad_left + 16 + 6 * len(this_label)
            parts.append(f'<line x1="{lx}" y1="6" x2="{lx + 14}" y2="6" stroke="#000" stroke-width="1.2" '
                         f'stroke-dasharray="3,2"/><text x="{lx + 17}" y="9" font-size="9">{escape(last_label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
