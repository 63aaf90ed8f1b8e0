"""Feature callbacks reach every app even when a feature module was imported before the app."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_callbacks_survive_a_feature_module_imported_before_the_app(tmp_path):
    code = (
        "import callbacks.overview\n"
        "from app import create_app\n"
        f"made = create_app({{'env': 'test', 'instance_path': {str(tmp_path)!r}, 'secret_key': 'x' * 40}})\n"
        "assert any('ov-tick-data' in key for key in made.callback_map), 'overview callbacks lost'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            env={"PULSEBOARD_INSTANCE": str(tmp_path), "PATH": "/usr/bin:/bin"},
                            timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
