"""DynamoDB access: one table, its key schema, and one module per aggregate."""
