"""Handlers of the emulator's test stack: each shows the test what it was given.

Events that have no reply channel ($connect, $disconnect, the authorizer, stream batches) are
appended as JSON lines to files in ``$FIXTURE_RECORD_DIR``; the rest answer with their event.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import boto3

VERSION = "one"


def _record(kind: str, event: dict[str, Any]) -> None:
    folder = Path(os.environ["FIXTURE_RECORD_DIR"])
    with (folder / f"{kind}.jsonl").open("a") as out:
        out.write(json.dumps(event) + "\n")


def echo_http(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if event["rawPath"] == "/version":
        return {"version": VERSION}  # a plain result: API Gateway answers 200 JSON
    if event["rawPath"] == "/fail":
        raise RuntimeError("this handler always fails")
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json", "x-function": context.function_name},
        "cookies": ["seen=yes; Path=/"],
        "body": json.dumps(
            {"event": event, "remaining_ms": context.get_remaining_time_in_millis()}
        ),
    }


def slow(event: dict[str, Any], context: Any) -> dict[str, Any]:
    time.sleep(30)  # longer than the function's Timeout: the emulator must stop it
    return {"statusCode": 200, "body": "too late"}


def authorize(event: dict[str, Any], context: Any) -> dict[str, Any]:
    _record("authorizer", event)
    token = (event.get("queryStringParameters") or {}).get("token")
    if token == "crash":
        raise Exception("Unauthorized")
    effect = "Allow" if token in ("good", "refuse-connect") else "Deny"
    return {
        "principalId": "user-1",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}
            ],
        },
        "context": {"userId": "user-1"},
    }


def ws_connect(event: dict[str, Any], context: Any) -> dict[str, Any]:
    _record("connect", event)
    if (event.get("queryStringParameters") or {}).get("token") == "refuse-connect":
        return {"statusCode": 403, "body": json.dumps({"message": "no"})}
    return {"statusCode": 200}


def ws_disconnect(event: dict[str, Any], context: Any) -> dict[str, Any]:
    _record("disconnect", event)
    return {"statusCode": 200}


def _reply(event: dict[str, Any], data: dict[str, Any]) -> None:
    ctx = event["requestContext"]
    client = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=f"https://{ctx['domainName']}/{ctx['stage']}",
        region_name=os.environ.get("AWS_REGION", "us-east-1"),
    )
    client.post_to_connection(ConnectionId=ctx["connectionId"], Data=json.dumps(data).encode())


def ws_default(event: dict[str, Any], context: Any) -> dict[str, Any]:
    _reply(event, {"route": "$default", "event": event})
    return {"statusCode": 200}


def ws_ping(event: dict[str, Any], context: Any) -> dict[str, Any]:
    _reply(event, {"route": "ping", "connectionId": event["requestContext"]["connectionId"]})
    return {"statusCode": 200}


def record_stream(event: dict[str, Any], context: Any) -> dict[str, Any]:
    # An item with "fail_times": N makes its batch fail N times before it succeeds.
    folder = Path(os.environ["FIXTURE_RECORD_DIR"])
    for record in event["Records"]:
        image = record["dynamodb"].get("NewImage") or {}
        if "fail_times" in image:
            counter = folder / f"attempts-{image['PK']['S']}"
            attempts = int(counter.read_text()) if counter.exists() else 0
            counter.write_text(str(attempts + 1))
            if attempts < int(image["fail_times"]["N"]):
                _record("stream-failed", event)
                raise RuntimeError("failing on purpose")
    _record("stream", event)
    return {}


def record_poison(event: dict[str, Any], context: Any) -> dict[str, Any]:
    # An item with "poison" fails (reported alone) until the test repairs what it needs: a file
    # "repaired-<PK>" (the fix a deploy would bring). The others are recorded as done.
    folder = Path(os.environ["FIXTURE_RECORD_DIR"])
    done, failed = [], []
    for record in event["Records"]:
        image = record["dynamodb"].get("NewImage") or {}
        pk = record["dynamodb"]["Keys"]["PK"]["S"]
        if "poison" in image and not (folder / f"repaired-{pk}").exists():
            failed.append({"itemIdentifier": record["dynamodb"]["SequenceNumber"]})
        else:
            done.append(record)
    _record("poison-attempts", event)
    if done:
        _record("poison-done", {"Records": done})
    return {"batchItemFailures": failed}
