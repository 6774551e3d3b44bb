"""Shared core of drs-chatops: domain models, services, repositories and the Lambda entry points.

Nothing in this package imports Slack; the bot (``bot/``) calls into the services here.
"""
