"""Markdown written by users, made safe: no raw HTML, and no link or image that can run code.

One renderer, markdown-it (CommonMark) with raw HTML off, so any HTML a person types is shown
as text. Every link and image target goes through `is_safe_url` after markdown-it has decoded
entities and escapes, so `&#106;avascript:` is caught like `javascript:`. The public page uses
the HTML as it is; the app turns it into Dash components (`components/markdown.py`).
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

SAFE_SCHEMES = ("http:", "https:", "mailto:")
_CONTROL = re.compile(r"[\x00-\x20\x7f]")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")


def is_safe_url(target: str) -> bool:
    """A target that can only navigate: http(s), mailto, or a path, query or anchor on this site."""
    cleaned = _CONTROL.sub("", target or "").lstrip("<").lower()
    scheme = _SCHEME.match(cleaned)
    return scheme is None or cleaned.startswith(SAFE_SCHEMES)


def _renderer() -> MarkdownIt:
    renderer = MarkdownIt("commonmark", {"html": False, "linkify": False})
    renderer.validateLink = is_safe_url  # called on the decoded target; refused links stay text
    return renderer


_markdown = _renderer()


def markdown_html(text: str) -> str:
    """Safe HTML for `text`: raw HTML escaped, unsafe links and images left as plain text."""
    return _markdown.render(text or "")
