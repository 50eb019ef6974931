"""The HTTP face of Synergy: authenticates, validates the envelope of a request, calls services by RPC."""
