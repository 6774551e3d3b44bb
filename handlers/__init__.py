"""Shared core of drs-chatops: the api and orchestrator entry points and the rooms they call.

Each folder is one concept (docs/architecture.md, "Rooms"): ``entry`` (the operations table, routes,
direct invocation), ``runs`` (a run from start to end), ``pauses`` (who may vote, the ballot),
``plans`` (groups and plans), ``readiness``, ``reports``, ``cleanup``, ``events``, ``aws`` (one
adapter per AWS service), ``repositories`` (one per table), ``models``, ``accounts`` and ``core``.
Nothing in this package imports Slack; the bot (``bot/``) calls into these rooms.
"""
