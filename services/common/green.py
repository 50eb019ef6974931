"""Imported first by every service process: eventlet's monkey patching, without its deprecation banner.

eventlet is in bug-fix-only mode upstream; it stays confined to service edges (nameko), never the domain.
"""
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()
