"""The README stays true to the code: its configuration table and its two commands."""
from __future__ import annotations

import os
from pathlib import Path

from services.common.config import ENVIRONMENT

ROOT = Path(__file__).resolve().parents[2]


def test_every_environment_variable_is_documented():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [name for name in ENVIRONMENT if f"`{name}`" not in readme]
    assert missing == []


def test_the_two_commands_exist_and_are_executable_and_ci_calls_the_test_command():
    for command in ("bin/cluster", "bin/test"):
        assert os.access(ROOT / command, os.X_OK), command
        assert command in (ROOT / "README.md").read_text(encoding="utf-8")
    assert "bin/test" in (ROOT / ".ci" / "run").read_text()
