"""The Slack Bolt app (``bot.app``) and the Slack notifier (``bot.notifier``)."""
