"""sendmessage: {"action": "sendmessage", "data": "..."} goes to everyone in the room.

Posts through API Gateway's @connections API at https://{domainName}/{stage}, as on AWS.
"""

import json
import os

import boto3
from boto3.dynamodb.conditions import Key

ROOM = "lobby"
table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def _members():
    query = {"KeyConditionExpression": Key("room").eq(ROOM), "ProjectionExpression": "connectionId"}
    while True:
        page = table.query(**query)
        yield from (item["connectionId"] for item in page["Items"])
        if "LastEvaluatedKey" not in page:
            return
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def handler(event, context):
    ctx = event["requestContext"]
    try:
        data = json.loads(event["body"])["data"]
    except (ValueError, KeyError, TypeError):
        return {"statusCode": 400, "body": 'Send {"action": "sendmessage", "data": ...}.'}
    api = boto3.client(
        "apigatewaymanagementapi", endpoint_url=f"https://{ctx['domainName']}/{ctx['stage']}"
    )
    payload = (data if isinstance(data, str) else json.dumps(data)).encode()
    for connection_id in _members():
        try:
            api.post_to_connection(ConnectionId=connection_id, Data=payload)
        except api.exceptions.GoneException:
            # That member's connection is closed: it leaves the room (not the sender).
            table.delete_item(Key={"room": ROOM, "connectionId": connection_id})
    return {"statusCode": 200, "body": "Data sent."}
