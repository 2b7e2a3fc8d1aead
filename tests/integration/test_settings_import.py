"""Loading the settings changes nothing on disk."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_settings_creates_no_directory(tmp_path: Path) -> None:
    var_dir = tmp_path / "not-yet"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DEBUG": "true",
        "PORTAL_VAR_DIR": str(var_dir),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }

    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert not var_dir.exists()
