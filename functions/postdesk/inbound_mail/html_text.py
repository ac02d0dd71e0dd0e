"""An HTML-only mail's text, with the standard library's HTML parser.

Blocks become lines, `<br>` a line break; a link keeps its address beside its words (a post needs the
URL, not the word "here"); quoted replies (`<blockquote>`) come out as `> ` lines, so that the same
rules strip them as in plain text; scripts, styles and the head are dropped. Outlook writes one
`<p class=MsoNormal>` per line, so its paragraphs are single line breaks; other paragraphs are
separated by a blank line."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SKIPPED = {"script", "style", "head", "title", "template", "noscript", "svg", "object", "iframe"}
_BLOCKS = {
    "address", "article", "aside", "dd", "div", "dl", "dt", "figcaption", "figure", "footer", "form",
    "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "pre", "section",
    "table", "tr", "ul",
}  # fmt: skip
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
_SPACES = re.compile(r"[ \t\r\n\f]+")


class _TextOfHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self._skipping: list[str] = []
        self._quote_depth = 0
        self._pre_depth = 0
        self._links: list[tuple[str, int]] = []  # (href, where its text starts in the current line)

    # -- building lines -------------------------------------------------------------------------------
    def _break(self, blank: bool = False) -> None:
        if self.lines[-1].strip(" "):
            self.lines.append("")
        if blank and len(self.lines) > 1 and self.lines[-2].strip(" "):
            self.lines.append("")

    def _write(self, text: str) -> None:
        if not self.lines[-1]:
            self.lines[-1] = "> " * self._quote_depth
            if not self._pre_depth:
                text = text.lstrip(" ")
        self.lines[-1] += text

    # -- parser callbacks -----------------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skipping:
            if tag == self._skipping[-1] and tag not in _VOID:
                self._skipping.append(tag)
            return
        if tag in _SKIPPED:
            self._skipping.append(tag)
            return
        attributes = dict(attrs)
        if tag == "br":
            self.lines.append("")
        elif tag == "p":
            self._break(blank="mso" not in (attributes.get("class") or "").lower())
        elif tag == "blockquote":
            self._break()
            self._quote_depth += 1
        elif tag in _BLOCKS:
            self._break()
            if tag == "pre":
                self._pre_depth += 1
            elif tag == "li":
                self._write("- ")
        elif tag == "a":
            self._links.append(((attributes.get("href") or "").strip(), len(self.lines[-1])))
        elif tag in ("td", "th") and self.lines[-1].strip(" >"):
            self._write(" ")

    def handle_endtag(self, tag: str) -> None:
        if self._skipping:
            if tag == self._skipping[-1]:
                self._skipping.pop()
            return
        if tag == "p":
            self._break(blank=False)
        elif tag == "blockquote":
            self._break()
            self._quote_depth = max(0, self._quote_depth - 1)
        elif tag in _BLOCKS:
            self._break()
            if tag == "pre":
                self._pre_depth = max(0, self._pre_depth - 1)
        elif tag == "a" and self._links:
            href, start = self._links.pop()
            words = self.lines[-1][start:].strip()
            if href.lower().startswith(("http://", "https://")) and _bare(href) != _bare(words):
                self._write(f" ({href})" if words else href)

    def handle_data(self, data: str) -> None:
        if self._skipping or not data:
            return
        if self._pre_depth:
            for number, line in enumerate(data.split("\n")):
                if number:
                    self.lines.append("")
                self._write(line)
            return
        self._write(_SPACES.sub(" ", data))


def _bare(url: str) -> str:
    return re.sub(r"^https?://(www\.)?", "", url.strip().lower()).rstrip("/")


def html_to_text(markup: str) -> str:
    """The text a reader sees in `markup`, line by line (trailing spaces and surplus blank lines gone)."""
    parser = _TextOfHtml()
    parser.feed(markup)
    parser.close()
    lines = [line.rstrip() for line in parser.lines]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")
