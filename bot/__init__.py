"""The Slack face of drs-chatops: the Bolt app (``bot.app``) and the SNS notifier (``bot.notifier``).
It calls the rooms of ``handlers/``; it never talks to DynamoDB itself."""
