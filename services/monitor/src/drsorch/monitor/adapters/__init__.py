"""The monitor's adapters: its DynamoDB table, DRS and EC2 per account, CloudWatch, SNS."""
