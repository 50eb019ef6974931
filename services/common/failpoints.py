"""Named points where a test can make the process die on purpose, to prove nothing is lost in a crash.

Set ``SYNERGY_FAILPOINT`` to a point's name; the process then exits at once, without cleanup, when it gets
there. Unset (always, in production) it costs one string comparison.
"""
from __future__ import annotations

import os

from services.common.config import env

EXIT_CODE = 77


def reach(name: str) -> None:
    if env("SYNERGY_FAILPOINT") == name:
        os.write(2, f"failpoint {name}: exiting\n".encode())
        os._exit(EXIT_CODE)
