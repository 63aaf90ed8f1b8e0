"""Safe markdown HTML (from `charts.markdown`) as Dash components, so the app never hands the
browser an HTML string: only the tags markdown-it produces, and only safe link targets."""

from __future__ import annotations

from html.parser import HTMLParser

from dash import html

from charts.markdown import is_safe_url

# The tags markdown-it's CommonMark preset produces, and the only attributes we carry over.
_TAGS = {"p": html.P, "h1": html.H1, "h2": html.H2, "h3": html.H3, "h4": html.H4, "h5": html.H5,
         "h6": html.H6, "strong": html.Strong, "em": html.Em, "code": html.Code, "pre": html.Pre,
         "blockquote": html.Blockquote, "ul": html.Ul, "ol": html.Ol, "li": html.Li, "a": html.A,
         "img": html.Img, "hr": html.Hr, "br": html.Br}
_VOID = {"img", "hr", "br"}



class _ComponentBuilder(HTMLParser):
    """markdown-it's HTML (a known, small set of tags) as a tree of Dash components."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict, list]] = [("root", {}, [])]

    def handle_starttag(self, tag, attrs):
        if tag not in _TAGS:
            return
        attributes = dict(attrs)
        props = {}
        if tag == "a" and is_safe_url(attributes.get("href", "")):
            props = {"href": attributes.get("href"), "target": "_blank", "rel": "noopener noreferrer"}
        if tag == "img" and is_safe_url(attributes.get("src", "")):
            props = {"src": attributes.get("src"), "alt": attributes.get("alt", "")}
        if tag in _VOID:
            self.stack[-1][2].append(_TAGS[tag](**props))
        else:
            self.stack.append((tag, props, []))

    def handle_endtag(self, tag):
        if tag not in _TAGS or tag in _VOID or len(self.stack) == 1:
            return
        name, props, children = self.stack.pop()
        self.stack[-1][2].append(_TAGS[name](children=children, **props))

    def handle_data(self, data):
        if data.strip() or self.stack[-1][0] not in ("root", "ul", "ol", "blockquote"):
            self.stack[-1][2].append(data)


def markdown_components(safe_html: str) -> list:
    """`safe_html` (from `charts.markdown.markdown_html`) as Dash components."""
    builder = _ComponentBuilder()
    builder.feed(safe_html)
    builder.close()
    while len(builder.stack) > 1:  # close anything left open (markdown-it closes all it opens)
        builder.handle_endtag(builder.stack[-1][0])
    return builder.stack[0][2]
