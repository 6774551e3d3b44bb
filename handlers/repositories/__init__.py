"""One repository per DynamoDB table: the only code that touches that table."""
