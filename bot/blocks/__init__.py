"""Block Kit builders (``slack_sdk.models.blocks``): small functions returning blocks."""
