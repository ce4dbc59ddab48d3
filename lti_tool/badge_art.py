"""A plain default badge image (SVG) for achievements that have none."""

from __future__ import annotations

import hashlib
import textwrap
from xml.sax.saxutils import escape


def default_badge_svg(name: str, issuer_name: str) -> bytes:
    """Return a 300×300 SVG badge with the achievement name, coloured by a hash of the name."""
    hue = int(hashlib.sha256(name.encode()).hexdigest()[:4], 16) % 360
    lines = textwrap.wrap(name, 16)[:3] or [""]
    start = 150 - (len(lines) - 1) * 14
    text = "".join(f'<tspan x="150" y="{start + i * 28}">{escape(line)}</tspan>' for i, line in enumerate(lines))
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="300" viewBox="0 0 300 300">'
        f'<circle cx="150" cy="150" r="140" fill="hsl({hue},55%,38%)"/>'
        f'<circle cx="150" cy="150" r="122" fill="none" stroke="hsl({hue},60%,85%)" stroke-width="4"/>'
        '<text font-family="Helvetica, Arial, sans-serif" font-size="24" font-weight="bold" fill="#fff" '
        f'text-anchor="middle">{text}</text>'
        '<text x="150" y="240" font-family="Helvetica, Arial, sans-serif" font-size="13" fill="#fff" '
        f'text-anchor="middle">{escape(issuer_name[:40])}</text>'
        "</svg>"
    ).encode()
