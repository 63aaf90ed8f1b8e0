"""Regenerate docs/dashboard-schema.json, the published JSON Schema of the dashboard document,
from the pydantic model in data/dashboard_spec.py.

    .venv/bin/python scripts/write_dashboard_schema.py           # write the file
    .venv/bin/python scripts/write_dashboard_schema.py --check   # exit 1 if it is out of date
"""

from __future__ import annotations

import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
SCHEMA_FILE = ROOT / "docs" / "dashboard-schema.json"


def schema_text() -> str:
    """The schema as published: sorted keys, two-space indent, one newline at the end."""
    sys.path.insert(0, str(ROOT))  # run as a script from anywhere, without installing the app
    from data.dashboard_spec import json_schema

    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    text = schema_text()
    current = SCHEMA_FILE.read_text(encoding="utf-8") if SCHEMA_FILE.exists() else None
    if "--check" in argv:
        if current != text:
            print(f"{SCHEMA_FILE.relative_to(ROOT)} is out of date; run scripts/write_dashboard_schema.py")
            return 1
        return 0
    if current != text:
        SCHEMA_FILE.write_text(text, encoding="utf-8")
        print(f"Wrote {SCHEMA_FILE.relative_to(ROOT)}")
    else:
        print(f"{SCHEMA_FILE.relative_to(ROOT)} is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
