"""The gateway's routes, one module per area; ``GatewayService`` mixes them together.

Each route authenticates (``endpoint``), parses, calls one service by RPC and answers. No business rule lives
here: services validate and decide; the gateway only translates.
"""
