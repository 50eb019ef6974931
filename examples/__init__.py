"""Runnable examples of campus systems integrating with Synergy (run by tests against the real cluster)."""
