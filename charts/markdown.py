"""Markdown written by users, made safe: no raw HTML, and no link or image that runs code.

The page renders markdown with Dash's `dcc.Markdown` (raw HTML off); the public page and
reports render it here with markdown-it (raw HTML escaped, links validated). Both get the
source after `safe_markdown`, which keeps only http(s), mailto, relative and anchor links.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

SAFE_SCHEMES = ("http:", "https:", "mailto:")
# Inline links and images `[text](target "title")`, autolinks `<target>`, and reference
# definitions `[label]: target`.
_INLINE = re.compile(r"(!?\[[^\]]*\]\()\s*(<[^>]*>|[^\s)]*)")
_AUTOLINK = re.compile(r"<([a-zA-Z][a-zA-Z0-9+.\-]{1,31}:[^<>\s]*)>")
_REFERENCE = re.compile(r"^( {0,3}\[[^\]]+\]:\s*)(\S+)", re.MULTILINE)
_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False})


def is_safe_url(target: str) -> bool:
    """A link target that can only navigate: http(s), mailto, or a path or anchor on this site."""
    cleaned = re.sub(r"[\x00-\x20\x7f]", "", target).strip("<>").lower()
    if not cleaned or cleaned.startswith(("/", "#", "?", ".")):
        return True
    scheme = re.match(r"^([a-z][a-z0-9+.\-]*):", cleaned)
    return scheme is None or cleaned.startswith(SAFE_SCHEMES)


def safe_markdown(text: str) -> str:
    """`text` with every unsafe link target replaced by `#`; raw HTML is left for the renderer
    to escape (neither renderer ever executes it)."""

    def inline(match: re.Match) -> str:
        return match.group(1) + (match.group(2) if is_safe_url(match.group(2)) else "#")

    def autolink(match: re.Match) -> str:
        return match.group(0) if is_safe_url(match.group(1)) else match.group(1).replace(":", "&#58;", 1)

    def reference(match: re.Match) -> str:
        return match.group(1) + (match.group(2) if is_safe_url(match.group(2)) else "#")

    text = _INLINE.sub(inline, text or "")
    text = _AUTOLINK.sub(autolink, text)
    return _REFERENCE.sub(reference, text)


def markdown_html(text: str) -> str:
    """Safe HTML for `text`: raw HTML is escaped and unsafe links are dropped."""
    return _renderer.render(safe_markdown(text))
