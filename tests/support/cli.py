"""Running the installed ``synergy`` command, as a script or a person would."""
from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

SYNERGY = Path(sys.executable).parent / "synergy"


class Synergy:
    def __init__(self, home: Path, **env: str):
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("SYNERGY_", "AMQP_URI"))}
        self.env.update(HOME=str(home), **env)
        self.outputs: list[str] = []

    def __call__(self, *args: str, input: str | None = None, timeout: float = 60, **env: str) -> Result:
        proc = subprocess.run([str(SYNERGY), *args], capture_output=True, text=True, input=input,
                              env={**self.env, **env}, timeout=timeout)
        self.outputs += [proc.stdout, proc.stderr]
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def on_terminal(self, *args: str, timeout: float = 60, **env: str) -> Result:
        """Run with stderr on a (pseudo-)terminal and stdout a pipe, as ``synergy ... > file`` typed by a person."""
        master, slave = pty.openpty()
        proc = subprocess.Popen([str(SYNERGY), *args], stdout=subprocess.PIPE, stderr=slave,
                                stdin=subprocess.DEVNULL, env={**self.env, **env}, text=True)
        os.close(slave)
        chunks: list[bytes] = []

        def drain() -> None:
            while True:
                try:
                    data = os.read(master, 4096)
                except OSError:  # the terminal closed with the process
                    return
                if not data:
                    return
                chunks.append(data)
        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        out, _ = proc.communicate(timeout=timeout)
        reader.join(timeout=5)
        os.close(master)
        err = b"".join(chunks).decode("utf-8", errors="replace")
        self.outputs += [out, err]
        return Result(proc.returncode, out, err)

    def json(self, *args: str, **env: str) -> Any:
        result = self(*args, "--json", **env)
        assert result.code == 0, result
        return json.loads(result.out)


class Result:
    def __init__(self, code: int, out: str, err: str):
        self.code, self.out, self.err = code, out, err

    def __repr__(self) -> str:
        return f"exit {self.code}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"
