"""GET /api/v1/health through its Lambda handler, against moto's DynamoDB."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from functions.health.app import lambda_handler
from shared.config import get_settings
from tests.functional.conftest import FakeLambdaContext, load_event


def _invoke(context: FakeLambdaContext, **overrides: Any) -> tuple[int, dict[str, str], Any]:
    response = lambda_handler(load_event("health-get.json", **overrides), context)
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    return response["statusCode"], headers, json.loads(response["body"])


@pytest.mark.usefixtures("table")
def test_health_is_ok_when_the_table_answers(lambda_context: FakeLambdaContext) -> None:
    status, headers, body = _invoke(lambda_context)

    assert status == 200
    assert headers["content-type"] == "application/json"
    assert body == {"status": "ok", "version": get_settings().version, "store": "ok"}


@pytest.mark.usefixtures("table")
def test_health_is_ok_when_the_probe_item_exists(
    lambda_context: FakeLambdaContext, table_name: str
) -> None:
    boto3.client("dynamodb", region_name=get_settings().aws_region).put_item(
        TableName=table_name, Item={"PK": {"S": "HEALTH"}, "SK": {"S": "HEALTH"}}
    )
    status, _, body = _invoke(lambda_context)
    assert (status, body["store"]) == (200, "ok")


@pytest.mark.usefixtures("no_table")
def test_health_is_503_in_the_contract_shape_without_the_table(
    lambda_context: FakeLambdaContext,
) -> None:
    status, headers, body = _invoke(lambda_context)

    assert status == 503
    assert headers["content-type"] == "application/json"
    assert body == {"code": "unavailable", "message": "The store cannot be reached."}


@pytest.mark.usefixtures("table")
def test_health_with_a_query_string_is_still_ok(lambda_context: FakeLambdaContext) -> None:
    status, _, _ = _invoke(
        lambda_context, rawQueryString="verbose=1", queryStringParameters={"verbose": "1"}
    )
    assert status == 200
