"""Business operations, one module per aggregate. Entry points (REST, direct invocation, Slack)
call these and nothing below them."""
