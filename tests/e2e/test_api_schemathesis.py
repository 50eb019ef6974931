"""Schemathesis against /openapi.json on the real cluster, with a bounded number of examples per operation:
no 5xx, every answer documented and valid against its schema, invalid input refused; then a read-only key's
whole run must store nothing at all (every write it tries is refused)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.world import created

pytestmark = pytest.mark.cluster

CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,"
          "negative_data_rejection,unsupported_method,response_headers_conformance,ignored_auth")
ST = str(Path(sys.executable).parent / "st")
# One worker: with several threads, hypothesis' ast.parse of lambdas can hit a CPython 3.11 bug
# ("AST constructor recursion depth mismatch") that schemathesis reports as a runtime error.


def schemathesis(base_url: str, key: str, report: Path, examples: int) -> subprocess.CompletedProcess:
    command = [ST, "run", f"{base_url}/openapi.json", "--checks", CHECKS, "--max-examples", str(examples),
               "--phases", "examples,coverage,fuzzing", "--workers", "1", "--seed", "20261126",
               "--request-timeout", "20", "--no-shrink", "--suppress-health-check", "all",
               "--exclude-path", "/metrics", "-H", f"Authorization: Bearer {key}",
               "--report", "junit", "--report-dir", str(report), "--warnings", "off"]
    # run in the report folder: schemathesis keeps a cache (.schemathesis/) where it runs
    report.mkdir(parents=True, exist_ok=True)
    return subprocess.run(command, cwd=report, capture_output=True, text=True, timeout=240)


def stored(cluster) -> dict[str, int]:
    return {f"{service}.{name}": cluster.db(service)[name].count_documents({})
            for service, name in (("partners", "partners"), ("events", "activities"), ("notify", "endpoints"),
                                  ("gateway", "api_keys"), ("gateway", "idempotency"), ("notify", "deliveries"))}


def test_schemathesis_finds_no_server_error_and_no_answer_outside_the_document(make_cluster, tmp_path):
    handle = make_cluster()
    handle.start(extra_env={"API_RATE_LIMIT_PER_MINUTE": "0", "API_ANONYMOUS_RATE_LIMIT_PER_MINUTE": "0"})
    base = handle.cluster.gateway_url
    result = schemathesis(base, handle.key, tmp_path / "admin", examples=10)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]

    campus = created(handle.api.post("/v1/api-keys", {"kind": "campus_system", "label": "read only"}))["key"]
    before = stored(handle)
    result = schemathesis(base, campus, tmp_path / "campus", examples=5)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert stored(handle) == before, "a refused request stored something"
