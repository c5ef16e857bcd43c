"""The matcher's adapters: its DynamoDB table."""
