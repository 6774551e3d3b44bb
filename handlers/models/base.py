"""The base of every project model: schemas built on first use, not at import.

A Lambda imports every model its entry module reaches, but one invocation uses a few of them (the
api's route, the notifier's plan and execution). ``defer_build`` keeps the rest out of the cold
start; a subclass's own ``model_config`` is merged with this one, so the deferral is inherited.

The model modules do without ``from __future__ import annotations``: with it, pydantic evaluates
every field's annotation from its string when the class is created (about a sixth of these
modules' import time). ``benchmarks/cold_start.py`` measures the effect of both."""

from pydantic import BaseModel, ConfigDict

# The serialization context under which a model is dumped for storage (handlers/repositories/dynamo.py
# ``to_item``): a model may store less than it shows (handlers/models/execution.py ``ServerLaunch``).
STORED = "stored"


class Model(BaseModel):
    model_config = ConfigDict(defer_build=True)
