"""Bolt listeners grouped by kind; each module's ``register(app)`` adds its listeners."""
