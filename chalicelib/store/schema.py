"""The table definition, shared by local set-up, tests and the CloudFormation template."""

from __future__ import annotations

from typing import Any

from chalicelib.store import keys


def key_schema() -> dict[str, Any]:
    """Key attributes, key schema and GSIs, in the shape both boto3 and CloudFormation take."""
    return {
        "AttributeDefinitions": [
            *(
                {"AttributeName": n, "AttributeType": "S"}
                for n in (keys.PK, keys.SK, keys.GSI1PK, keys.GSI1SK, keys.GSI2PK)
            ),
            {"AttributeName": keys.GSI2SK, "AttributeType": "N"},
        ],
        "KeySchema": [
            {"AttributeName": keys.PK, "KeyType": "HASH"},
            {"AttributeName": keys.SK, "KeyType": "RANGE"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": keys.GSI1,
                "KeySchema": [
                    {"AttributeName": keys.GSI1PK, "KeyType": "HASH"},
                    {"AttributeName": keys.GSI1SK, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
            {
                "IndexName": keys.GSI2,
                "KeySchema": [
                    {"AttributeName": keys.GSI2PK, "KeyType": "HASH"},
                    {"AttributeName": keys.GSI2SK, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
        ],
    }


def create_table(client: Any, table_name: str) -> None:
    """Create the table (on-demand) and switch TTL on; a table that exists is left alone."""
    try:
        client.create_table(TableName=table_name, BillingMode="PAY_PER_REQUEST", **key_schema())
    except client.exceptions.ResourceInUseException:
        return
    client.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    client.update_time_to_live(
        TableName=table_name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": keys.TTL_ATTRIBUTE},
    )


def cloudformation_table(logical_name: str = "ProofloopTable", table_name: str | None = None) -> dict[str, Any]:
    """The same table as a CloudFormation resource, with PITR and TTL."""
    named = {"TableName": table_name} if table_name else {}
    return {
        logical_name: {
            "Type": "AWS::DynamoDB::Table",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                **named,
                "BillingMode": "PAY_PER_REQUEST",
                **key_schema(),
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                "TimeToLiveSpecification": {"AttributeName": keys.TTL_ATTRIBUTE, "Enabled": True},
                "SSESpecification": {"SSEEnabled": True},
            },
        }
    }
