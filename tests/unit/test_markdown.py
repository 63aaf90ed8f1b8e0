"""Markdown written by users: no link or image in the rendered HTML can run code, however its
scheme is disguised; raw HTML comes out as text; ordinary links survive. The HTML is read back
with the standard library's parser, which decodes entities as a browser does."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from dash import html as dash_html
from hypothesis import given, settings
from hypothesis import strategies as st

from charts.markdown import is_safe_url, markdown_html
from components.markdown import markdown_components

SAFE_SCHEMES = {None, "http", "https", "mailto"}
# What commonmark can produce from markdown alone, with the attributes it can give them.
MARKDOWN_TAGS = {"p", "a", "img", "em", "strong", "code", "pre", "ul", "ol", "li", "blockquote", "hr", "br",
                 "h1", "h2", "h3", "h4", "h5", "h6"}
MARKDOWN_ATTRIBUTES = {"href", "src", "alt", "title", "class", "start"}


class Rendered(HTMLParser):
    """The tags, attribute names and link/image targets of an HTML fragment."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[str] = []
        self.targets: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            self.attributes.append(name)
            if name in ("href", "src"):
                self.targets.append(value or "")


def scheme(url: str) -> str | None:
    """The scheme a browser would read from `url`: it strips surrounding controls and spaces and
    drops tabs and newlines anywhere before parsing (WHATWG URL)."""
    cleaned = re.sub(r"[\t\n\r]", "", url.strip("".join(map(chr, range(0x21)))))
    found = re.match(r"([A-Za-z][A-Za-z0-9+.\-]*):", cleaned)
    return found.group(1).lower() if found else None


def assert_nothing_runs(html: str) -> Rendered:
    rendered = Rendered(html)
    for target in rendered.targets:
        assert scheme(target) in SAFE_SCHEMES, f"{target!r} survived in {html!r}"
    assert set(rendered.tags) <= MARKDOWN_TAGS, html
    assert set(rendered.attributes) <= MARKDOWN_ATTRIBUTES, html
    return rendered


DANGEROUS = [
    "[a](javascript:alert(1))",
    "[a](JaVaScRiPt:alert(1))",
    "[a](   javascript:alert(1))",
    "[a](\njavascript:alert(1))",
    "[a](<java\tscript:alert(1)>)",
    "[a](<java\nscript:alert(1)>)",
    "[a](<javascript:alert(1)> \"title\")",
    "[a]( <javascript:alert(1)>)",
    "[a](javascript:alert(1)\\))",
    "[a](j\x00avascript:alert(1))",
    "[a](\x01javascript:alert(1))",
    "[a](&#106;avascript:alert(1))",
    "[a](&#x6A;avascript:alert(1))",
    "[a](&#0000106;avascript:alert(1))",
    "[a](javascript&#58;alert(1))",
    "[a](javascript&colon;alert(1))",
    "[a](java&#115;cript:alert(1))",
    "[a](jav&#x09;ascript:alert(1))",
    "[a](java&Tab;script:alert(1))",
    "[a](java&NewLine;script:alert(1))",
    "[a](javascript\\:alert(1))",
    "[a](vbscript:msgbox(1))",
    "[a](VBScript:msgbox(1))",
    "[a](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[a](DATA:text/html,<script>alert(1)</script>)",
    "[a](file:///etc/passwd)",
    "![x](javascript:alert(1))",
    "![x](  JAVASCRIPT:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x](data:image/png;base64,iVBORw0KGgo=)",
    "![x](&#106;avascript:alert(1))",
    "[a [nested] text](javascript:alert(1))",
    "[![image](https://example.com/i.png)](javascript:alert(1))",
    "[a\\]](javascript:alert(1))",
    "[a]\n\n[a]: javascript:alert(1)",
    "[a]\n\n[A]:   JavaScript:alert(1)",
    "[a][ref]\n\n[ref]: javascript:alert(1) \"title\"",
    "[a]\n\n[a]: <javascript:alert(1)>",
    "[a]\n\n   [a]: <javascript:alert(1)>",
    "[a]\n\n[a]:\n  javascript:alert(1)",
    "[a]\n\n[a]: &#106;avascript:alert(1)",
    "[a]\n\n> [a]: javascript:alert(1)",
    "- [a]\n\n- [a]: javascript:alert(1)",
    "![a]\n\n[a]: data:text/html,hi",
    "[a]: javascript:alert(1)\n\n[a]",
    "<javascript:alert(1)>",
    "<JAVASCRIPT:alert(1)>",
    "<vbscript:msgbox(1)>",
    "<data:text/html,<script>alert(1)</script>>",
    "<data:text/html;base64,PHNjcmlwdD4=>",
    "`[code](javascript:x)` [a](javascript:alert(1))",
]


@pytest.mark.parametrize("source", DANGEROUS)
def test_no_link_or_image_in_the_html_has_a_dangerous_scheme(source):
    assert_nothing_runs(markdown_html(source))


# markdown-it's own link check allows data:image/(gif|png|jpeg|webp); ours refuses every data:.
@pytest.mark.parametrize("source", [
    "![x](&#100;ata:image/png;base64,iVBORw0KGgo=)",
    "![x](data\\:image/png;base64,iVBORw0KGgo=)",
    "[x](data&#58;image/gif;base64,R0lGODlhAQABAAAAACw=)",
    "[a]\n\n[a]: data&colon;image/webp;base64,UklGRg==",
])
def test_a_disguised_data_image_url_does_not_reach_the_html(source):
    assert_nothing_runs(markdown_html(source))


def _disguised(draw, scheme_name: str) -> str:
    """`scheme_name:` in mixed case, with entities, controls or whitespace worked in."""
    text = "".join(draw(st.sampled_from([c.lower(), c.upper()])) for c in scheme_name) + ":"
    out = ""
    for character in text:
        out += draw(st.sampled_from([
            character, character, character, f"&#{ord(character)};", f"&#x{ord(character):X};",
            f"&#{ord(character):07d};",
            "&colon;" if character == ":" else character, "\\:" if character == ":" else character,
            character + draw(st.sampled_from(["\t", "\n", "\x00", "&Tab;", "&NewLine;", "\r", ""])),
        ]))
    return draw(st.sampled_from(["", " ", "   ", "\t", "\x01", "&#32;"])) + out


@st.composite
def hostile_markdown(draw) -> str:
    name, payload = draw(st.sampled_from([
        ("javascript", "alert(1)"), ("vbscript", "msgbox(1)"), ("file", "///etc/passwd"),
        ("data", "text/html;base64,PHNjcmlwdD4="), ("data", "image/svg+xml,<svg onload=alert(1)>")]))
    target = _disguised(draw, name) + payload
    label = draw(st.sampled_from(["a", "a [b] c", "![i](https://example.com/i.png)", "a\\]", "*a*"]))
    form = draw(st.sampled_from([
        "[{l}]({t})", "![{l}]({t})", "[{l}](<{t}>)", "[{l}]({t} \"title\")", "<{t}>",
        "[{l}]\n\n[{l}]: {t}", "[{l}][r]\n\n[r]: <{t}>", "[{l}]\n\n> [{l}]: {t}", "[{l}]\n\n- [{l}]: {t}",
    ]))
    before, after = draw(st.text(max_size=20)), draw(st.text(max_size=20))
    return before + form.format(l=label, t=target) + after


@settings(max_examples=300, deadline=None)
@given(hostile_markdown())
def test_disguised_schemes_never_reach_an_href_or_src(source):
    assert_nothing_runs(markdown_html(source))


@settings(max_examples=100, deadline=None)
@given(st.text())
def test_any_text_renders_to_html_that_runs_nothing(source):
    assert_nothing_runs(markdown_html(source))


@pytest.mark.parametrize(("source", "escaped"), [
    ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
    ('<a href="javascript:alert(1)">click</a>',
     "&lt;a href=&quot;javascript:alert(1)&quot;&gt;click&lt;/a&gt;"),
    ("Hello <svg onload=alert(1)> there", "&lt;svg onload=alert(1)&gt;"),
    ("<iframe src=\"https://evil.example\"></iframe>", "&lt;iframe"),
    ("<style>body{display:none}</style>", "&lt;style&gt;"),
    ("<!-- hidden --><b onclick=alert(1)>x</b>", "&lt;b onclick=alert(1)&gt;"),
    ("<div>\n\n*markdown* inside\n\n</div>", "&lt;div&gt;"),
    ("[x](https://example.com \"<script>alert(1)</script>\")",
     'title="&lt;script&gt;alert(1)&lt;/script&gt;"'),
])
def test_raw_html_comes_out_escaped_as_text(source, escaped):
    html = markdown_html(source)
    assert escaped in html
    rendered = assert_nothing_runs(html)
    assert not {"script", "img", "svg", "iframe", "style", "div", "b"} & set(rendered.tags) - (
        {"img"} if "![" in source else set())


@pytest.mark.parametrize(("source", "targets"), [
    ("[site](https://example.com/a?b=1&c=2#d)", ["https://example.com/a?b=1&c=2#d"]),
    ("[plain](http://example.com)", ["http://example.com"]),
    ("[SHOUT](HTTPS://EXAMPLE.COM)", ["HTTPS://EXAMPLE.COM"]),
    ("[mail](mailto:ada@example.com)", ["mailto:ada@example.com"]),
    ("[page](/dashboards/7)", ["/dashboards/7"]),
    ("[doc](docs/dashboards.md)", ["docs/dashboards.md"]),
    ("[up](../overview)", ["../overview"]),
    ("[top](#top)", ["#top"]),
    ("[query](?tab=mine)", ["?tab=mine"]),
    ("<https://example.com/x>", ["https://example.com/x"]),
    ("<mailto:ada@example.com>", ["mailto:ada@example.com"]),
    ("[ref][r]\n\n[r]: https://example.com/ref \"Title\"", ["https://example.com/ref"]),
    ("![chart](https://example.com/chart.png)", ["https://example.com/chart.png"]),
    ("[![logo](/assets/logo.svg)](https://example.com)", ["https://example.com", "/assets/logo.svg"]),
    ("[with spaces](<https://example.com/a b>)", ["https://example.com/a%20b"]),
])
def test_http_mailto_and_relative_links_survive(source, targets):
    assert assert_nothing_runs(markdown_html(source)).targets == targets


def test_an_unsafe_link_keeps_its_text_and_a_safe_one_works():
    assert markdown_html("See [the docs](javascript:void) and [home](/)") == \
        '<p>See [the docs](javascript:void) and <a href="/">home</a></p>\n'
    assert markdown_html("**bold** and _em_") == "<p><strong>bold</strong> and <em>em</em></p>\n"
    assert markdown_html(None) == ""


@pytest.mark.parametrize(("target", "safe"), [
    ("https://example.com", True), ("HTTP://example.com", True), ("mailto:a@example.com", True),
    ("/path", True), ("#anchor", True), ("?q=1", True), ("./relative", True), ("relative/path", True),
    ("", True),
    ("javascript:alert(1)", False), (" JavaScript:alert(1)", False), ("java\tscript:alert(1)", False),
    ("java\nscript:x", False), ("\x00javascript:x", False), ("<javascript:x>", False), ("vbscript:x", False),
    ("data:text/html,x", False), ("file:///etc/passwd", False), ("tel:123", False),
])
def test_is_safe_url_allows_only_navigation(target, safe):
    assert is_safe_url(target) is safe


def test_a_refused_link_stays_as_its_own_text_and_nothing_is_lost():
    assert markdown_html("[a](javascript:alert(1)) b") == "<p>[a](javascript:alert(1)) b</p>\n"


def _components(tree):
    stack = list(tree)
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            continue
        yield node
        children = node.children if isinstance(node.children, list) else [node.children]
        stack.extend(child for child in children if child is not None)


@pytest.mark.parametrize("source", DANGEROUS)
def test_the_app_gets_components_with_only_safe_targets_and_no_html_strings(source):
    tree = markdown_components(markdown_html(source))
    for node in _components(tree):
        assert type(node).__name__.lower() in MARKDOWN_TAGS | {"h1"}
        for name in ("href", "src"):
            target = getattr(node, name, None)
            if target is not None:
                assert scheme(target) in SAFE_SCHEMES, f"{target!r} from {source!r}"


def test_raw_html_reaches_the_app_as_text_and_formatting_as_components():
    tree = markdown_components(markdown_html("## Plan\n\n<b onclick=x>hi</b> **bold** [docs](/x)"))
    heading, paragraph = tree
    assert isinstance(heading, dash_html.H2) and heading.children == ["Plan"]
    assert paragraph.children[0] == "<b onclick=x>hi</b> "
    assert isinstance(paragraph.children[1], dash_html.Strong)
    link = paragraph.children[-1]
    assert isinstance(link, dash_html.A) and link.href == "/x" and link.rel == "noopener noreferrer"
