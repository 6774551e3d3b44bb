"""DRS's own recovery plans, both ways: list them, import one as groups and a plan, export a plan as
one (the break-glass copy that runs from the DRS console when this system is down). docs/native-plans.md."""
