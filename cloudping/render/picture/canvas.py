"""What every picture shares: the shipped font, the ink, and PNG bytes out.

The font ships with the package (DejaVu Sans Mono), so pictures look the same on every
machine and no system font is needed; PNG encoding has no clock in it, so the same drawing
gives the same bytes.
"""

from __future__ import annotations

import io
from functools import lru_cache
from importlib import resources

from PIL import Image, ImageFont

from cloudping.render.colours import RGB

Font = ImageFont.FreeTypeFont
BACKGROUND: RGB = (255, 255, 255)
INK: RGB = (32, 32, 32)


@lru_cache(maxsize=8)
def font(size: int) -> Font:
    """The shipped DejaVu Sans Mono at ``size`` px."""
    data = resources.files("cloudping.render").joinpath("fonts/DejaVuSansMono.ttf").read_bytes()
    return ImageFont.truetype(io.BytesIO(data), size)


def png(image: Image.Image) -> bytes:
    """``image`` as PNG bytes."""
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()
