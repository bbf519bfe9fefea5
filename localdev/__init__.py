"""Running proofloop on one machine: the local gateway, the embedded DynamoDB, demo data."""
