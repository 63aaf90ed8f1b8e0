"""Pulseboard's plotly.js: only the traces widgets draw on screen (frontend/plotly builds it),
served at a URL that changes with its content, so browsers can keep it for good."""

from __future__ import annotations

import hashlib
from pathlib import Path

PLOTLY_JS = Path(__file__).parent / "static" / "plotly-pulseboard.min.js"
PLOTLY_URL = f"/public/plotly-{hashlib.sha256(PLOTLY_JS.read_bytes()).hexdigest()[:12]}.min.js"
