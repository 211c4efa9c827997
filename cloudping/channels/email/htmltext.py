"""An HTML mail body as plain text: block elements break lines, quoted blocks are dropped.

Mail clients put quoted replies in ``<blockquote>`` (Gmail wraps them in a ``div`` of class
``gmail_quote``): that is someone else's text, never a command. Whatever such an element
holds is hidden until it closes.
"""

from __future__ import annotations

from html.parser import HTMLParser

_BREAKS = frozenset({"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "pre", "table"})
_HIDDEN = frozenset({"blockquote", "style", "script", "head", "title"})
# Elements without an end tag (HTML living standard, "void elements"): never on the stack.
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                   "source", "track", "wbr"})  # fmt: skip


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hiding: list[str] = []  # the open elements inside a hidden one, outermost first

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        quote = "gmail_quote" in (dict(attrs).get("class") or "")
        if (self.hiding or tag in _HIDDEN or quote) and tag not in _VOID:
            self.hiding.append(tag)
        elif tag in _BREAKS and not self.hiding:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.hiding:
            while self.hiding.pop() != tag:
                pass
        elif tag in _BREAKS and not self.hiding:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hiding:
            self.parts.append(data)


def html_text(markup: str) -> str:
    """The visible text of ``markup``, a line per block."""
    parser = _Text()
    parser.feed(markup)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)
