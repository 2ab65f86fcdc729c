"""A newsletter's plain-text part, written from its sanitised HTML.

Readers whose mail client shows the text part (or who read it aloud with a screen reader) should get
text, not Markdown: no ``**``, links written out as "the tracker (https://…/commitments/)", lists and
paragraphs kept. It is written from the HTML rather than from the Markdown so that both parts say the same
thing, links already absolute.

None of our dependencies writes HTML or Markdown out as plain text, and the libraries that do either write
Markdown again (html2text, under the GPL) or bring lxml (inscriptis). The HTML here is our own: only the
few tags ``rendering.ALLOWED_TAGS`` lets through, well-formed as nh3 writes it, so a small walk over the
standard library's parser is enough.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

_VOID = {"br", "hr", "img"}
_BLOCKS = {
    "blockquote", "h1", "h2", "h3", "h4", "hr", "li", "ol", "p", "pre", "table", "tbody", "thead", "tr",
    "ul",
}  # fmt: skip
_SPACES = re.compile(r"[ \t\r\f\v]+")
_LINE_BREAKS = re.compile(r" *\n[ \n]*")


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[_Node | str] = field(default_factory=list)


class _TreeBuilder(HTMLParser):
    """The HTML as a tree of ``_Node``s and text (entities decoded)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("")
        self._open = [self.root]

    def handle_starttag(self, tag, attrs) -> None:
        node = _Node(tag, {name: value or "" for name, value in attrs})
        self._open[-1].children.append(node)
        if tag not in _VOID:
            self._open.append(node)

    def handle_startendtag(self, tag, attrs) -> None:
        self._open[-1].children.append(_Node(tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag) -> None:
        # Close up to the matching open element; an end tag with none open is ignored.
        for depth in range(len(self._open) - 1, 0, -1):
            if self._open[depth].tag == tag:
                del self._open[depth:]
                return

    def handle_data(self, data) -> None:
        self._open[-1].children.append(data)


def html_to_text(html: str) -> str:
    """``html`` (a newsletter body, sanitised) as plain text: paragraphs apart by a blank line."""
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return "\n\n".join(_blocks(builder.root.children))


def _tidy(text: str) -> str:
    """Inline text as it reads: runs of spaces as one, the writer's line breaks kept (one at a time)."""
    return _LINE_BREAKS.sub("\n", _SPACES.sub(" ", text)).strip()


def _blocks(children: list[_Node | str]) -> list[str]:
    """The text of ``children``, one string per block: text between blocks makes a paragraph of its own."""
    blocks: list[str] = []
    inline: list[str] = []

    def flush() -> None:
        text = _tidy("".join(inline))
        inline.clear()
        if text:
            blocks.append(text)

    for child in children:
        if isinstance(child, _Node) and child.tag in _BLOCKS:
            flush()
            if text := _block(child):
                blocks.append(text)
        else:
            inline.append(_inline(child))
    flush()
    return blocks


def _block(node: _Node) -> str:
    if node.tag == "hr":
        return "----"
    if node.tag == "pre":
        return _raw(node).strip("\n")
    if node.tag in ("ul", "ol"):
        return _list(node)
    if node.tag == "blockquote":
        inner = "\n\n".join(_blocks(node.children))
        return "\n".join(f"> {line}" if line else ">" for line in inner.split("\n"))
    if node.tag == "table":
        return "\n".join(_row(row) for row in _descendants(node, "tr"))
    if node.tag == "tr":
        return _row(node)
    return "\n".join(_blocks(node.children))


def _list(node: _Node) -> str:
    """One line per item ("- " or "1. " before it); an item's further lines (a nested list) indented."""
    items = [child for child in node.children if isinstance(child, _Node) and child.tag == "li"]
    lines = []
    for number, item in enumerate(items, start=1):
        marker = f"{number}. " if node.tag == "ol" else "- "
        body = "\n".join(_blocks(item.children))
        lines.append(marker + body.replace("\n", "\n" + " " * len(marker)))
    return "\n".join(lines)


def _row(row: _Node) -> str:
    cells = [c for c in row.children if isinstance(c, _Node) and c.tag in ("td", "th")]
    return " | ".join(_tidy(_inline(cell)) for cell in cells)


def _inline(node: _Node | str) -> str:
    if isinstance(node, str):
        return node
    if node.tag == "br":
        return "\n"
    if node.tag == "img":
        return _link(node.attrs.get("alt", ""), node.attrs.get("src", ""))
    text = "".join(_inline(child) for child in node.children)
    if node.tag == "a":
        return _link(text, node.attrs.get("href", ""))
    return text


def _link(text: str, url: str) -> str:
    """A link as "text (address)": the address alone when it is the text, the text alone for a link within
    the message (#…), which leads nowhere in plain text. A mailto: link shows just the address."""
    shown = url.removeprefix("mailto:")
    if not url or url.startswith("#"):
        return text
    if not text.strip() or text.strip() == shown:
        return shown
    return f"{text} ({shown})"


def _raw(node: _Node) -> str:
    return "".join(child if isinstance(child, str) else _raw(child) for child in node.children)


def _descendants(node: _Node, tag: str) -> list[_Node]:
    found = []
    for child in node.children:
        if isinstance(child, _Node):
            found.extend([child] if child.tag == tag else _descendants(child, tag))
    return found
