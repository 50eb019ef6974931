"""The example client from docs/api.md runs against the real cluster."""
from __future__ import annotations

import subprocess
import sys

import pytest

from deploy.launcher import ROOT

pytestmark = pytest.mark.cluster


def test_the_documented_example_client_runs_against_the_cluster(cluster):
    done = subprocess.run([sys.executable, str(ROOT / "docs" / "examples" / "api_client.py"),
                           cluster.cluster.gateway_url, cluster.key], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "is published" in done.stdout and "survey prepared: 1" in done.stdout
    assert "reading another partner: 404" in done.stdout
    assert cluster.key not in done.stdout
