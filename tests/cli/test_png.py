"""`cloudping CMD --png FILE` for a command other than scan: ping to loopback draws its card."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from PIL import Image

from cloudping.render.colours import GREEN


def test_ping_with_png_writes_the_matrix_card(tmp_path: Path) -> None:
    out = tmp_path / "ping.png"
    argv = [sys.executable, "-m", "cloudping", "ping", "--png", str(out), "-c", "1", "127.0.0.1"]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0, result.stderr
    assert "1 packets transmitted, 1 received" in result.stdout
    image = Image.open(io.BytesIO(out.read_bytes()))
    assert image.format == "PNG"
    assert 720 <= image.width <= 1080
    colours = {colour for _, colour in image.convert("RGB").getcolors(1 << 16) or []}
    assert GREEN in colours  # loopback answers in well under 100 ms: a green cell
