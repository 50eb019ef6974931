"""The gateway's own static pages (services/gateway/pages/): each served with a Content-Security-Policy that
allows its own inline script (by hash) and calls to this origin only."""
from __future__ import annotations

import base64
import functools
import hashlib
import re
from pathlib import Path

from werkzeug.wrappers import Response

PAGES = Path(__file__).resolve().parent / "pages"


@functools.lru_cache(maxsize=8)
def page_and_policy(name: str) -> tuple[str, str]:
    """The page and its Content-Security-Policy."""
    page = (PAGES / name).read_text(encoding="utf-8")
    script = re.search(r"<script>(.*?)</script>", page, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    policy = (f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'; connect-src 'self'; "
              "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
    return page, policy


def page_response(name: str) -> Response:
    """A page that reads a token from its URL's fragment: never cached, never sent on as a referrer."""
    page, policy = page_and_policy(name)
    return Response(page, content_type="text/html; charset=utf-8",
                    headers={"Content-Security-Policy": policy, "Referrer-Policy": "no-referrer",
                             "Cache-Control": "no-store"})
