"""The Slack face of drs-chatops: the Bolt app (``bot.app``) and the SNS notifier (``bot.notifier``).
It calls the services in ``handlers/``; it never talks to DynamoDB itself."""
