"""The page's files (``frontends/web/``), read once into memory and named by one version.

Every file but the page itself is served under ``/assets/<version>/`` where the version is a
hash of all of them: a new release is a new path, so browsers may keep each file for a year
(``immutable``) and never see a stale mix of modules; the page (``index.html``) is revalidated
on every visit by its ETag. The page's source names the folder as ``{{assets}}``; the JavaScript
modules import each other by relative paths, which resolve inside the same version.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

PAGE = "index.html"
ASSETS_MARK = "{{assets}}"
ASSETS_PREFIX = "/assets"
MEDIA_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".html": "text/html; charset=utf-8",
}
# In a checkout, a link to frontends/web (where the page is edited); in a wheel, the files
# themselves (package data, copied through the link when the wheel is built).
DEFAULT_ROOT = Path(__file__).parent / "page"


@dataclass(frozen=True, slots=True)
class Asset:
    """One file as served: its bytes, media type and strong ETag (RFC 9110 section 8.8.3)."""

    body: bytes
    media_type: str
    etag: str


@dataclass(frozen=True, slots=True)
class Assets:
    """The page and its files (by name relative to the root), under one version."""

    version: str
    page: Asset
    files: dict[str, Asset]

    @property
    def base(self) -> str:
        """The path the files are served under (``/assets/<version>``)."""
        return f"{ASSETS_PREFIX}/{self.version}"


def load_assets(root: Path) -> Assets:
    """The files under ``root`` (``index.html`` plus CSS, JavaScript and SVG files).

    Raises:
        ValueError: ``root`` holds no ``index.html`` (the message names the folder).
    """
    if not (root / PAGE).is_file():
        raise ValueError(f"--web-root: {root} holds no {PAGE}")
    files = {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.suffix in MEDIA_TYPES and path.name != PAGE
    }
    digest = hashlib.sha256()
    for name, body in files.items():
        digest.update(f"{name}\0{len(body)}\0".encode())
        digest.update(body)
    version = digest.hexdigest()[:16]
    template = (root / PAGE).read_text(encoding="utf-8")
    page = template.replace(ASSETS_MARK, f"{ASSETS_PREFIX}/{version}").encode()
    served = {name: _asset(body, name) for name, body in files.items()}
    return Assets(version, _asset(page, PAGE), served)


def _asset(body: bytes, name: str) -> Asset:
    media_type = MEDIA_TYPES[Path(name).suffix]
    return Asset(body, media_type, f'"{hashlib.sha256(body).hexdigest()[:32]}"')
