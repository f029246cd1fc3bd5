"""$connect: the new connection joins the room."""

import os

import boto3

ROOM = "lobby"
table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    table.put_item(Item={"room": ROOM, "connectionId": event["requestContext"]["connectionId"]})
    return {"statusCode": 200, "body": "Connected."}
