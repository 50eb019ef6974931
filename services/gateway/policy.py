"""Who may do what: the one place that decides. Every route asks ``authorize`` before it acts.

Principals are resolved from API keys by ``http.endpoint``. Actions are named ``<area>.<verb>``
(``partner.register``, ``activity.publish``, ...); the resource arguments name what is acted on, so that a
partner's key can be limited to what that partner owns or co-organizes.
"""
from __future__ import annotations

from dataclasses import dataclass

from services.common.errors import Forbidden

ADMIN, STAFF, PARTNER, CAMPUS_SYSTEM = "admin", "staff", "partner", "campus_system"


@dataclass(frozen=True)
class Principal:
    kind: str
    key_id: str
    partner_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.kind == ADMIN


def authorize(principal: Principal, action: str, **resource: object) -> None:
    """Raise ``Forbidden`` unless ``principal`` may perform ``action`` on ``resource``.

    Until finer grants exist, the coordination-group admin may do everything and nobody else anything.
    """
    if principal.is_admin:
        return
    raise Forbidden(f"{principal.kind} keys may not {action}.", {"action": action})
