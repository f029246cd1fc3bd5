"""$disconnect: the connection leaves the room."""

import os

import boto3

ROOM = "lobby"
table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    table.delete_item(Key={"room": ROOM, "connectionId": event["requestContext"]["connectionId"]})
    return {"statusCode": 200, "body": "Disconnected."}
