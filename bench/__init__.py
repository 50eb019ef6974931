"""Benchmarks of the Synergy cluster on this machine; see ``bench/fanout.py`` and ``bench/export.py``."""
from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def reexec_in_project_venv(module: str) -> None:
    """Run ``python -m module`` again under the project's ``.venv`` when this interpreter lacks its packages.

    Returns (so the caller's ImportError propagates) when already in that venv or when there is none.
    """
    venv_python = ROOT / ".venv" / "bin" / "python"
    if not venv_python.exists() or Path(sys.prefix).resolve() == venv_python.parent.parent.resolve():
        return
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    os.chdir(ROOT)
    os.execve(str(venv_python), [str(venv_python), "-m", module, *sys.argv[1:]], env)
