"""The `next` parameter after sign-in only ever leads to a path on this site."""

import pytest

from auth.guard import safe_next


@pytest.mark.parametrize("target", ["/", "/dashboards", "/reports?tab=history", "/data#top"])
def test_local_paths_are_followed(target):
    assert safe_next(target) == target


@pytest.mark.parametrize("target", [
    None, "", "https://evil.example", "//evil.example", "/\\evil.example", "\\\\evil.example",
    "javascript:alert(1)", "http:/evil.example", "evil.example/path", "/ok\r\nLocation: x",
])
def test_anything_else_falls_back_to_the_default(target):
    assert safe_next(target) == "/"
