"""The ``synergy`` command for the coordinating office: the HTTP API and the bus, from a shell."""
