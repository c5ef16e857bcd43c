"""The configurator's adapters: DRS and EC2 per account and region, and DynamoDB."""
