"""The emulated HTTP API over real sockets: events as AWS builds them, answers as AWS sends them."""

from __future__ import annotations

import time

import aiohttp
import pytest

from tests.eventshape import missing_paths
from tests.integration.stackproc import StackProcess

pytestmark = pytest.mark.integration

#: Mutual TLS is not emulated; JWT authorizers arrive with the auth issue's routes.
NOT_EMULATED = ("requestContext.authentication", "requestContext.authorizer")


async def test_http_event_has_every_field_of_awss_payload_2(fixture_stack: StackProcess) -> None:
    url = f"{fixture_stack.info['http_url']}/echo/abc?parameter1=a&parameter1=b&parameter2=c"
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            url,
            json={"message": "hello"},
            headers={"Cookie": "cookie1=x; cookie2=y", "X-Multi": "one"},
        ) as response,
    ):
        assert response.status == 200
        assert response.headers["x-function"] == "EchoFunction"
        assert "seen=yes" in response.headers.getall("Set-Cookie")[0]
        body = await response.json()
    event = body["event"]
    assert missing_paths(event, "http-api-v2.json", allowed=NOT_EMULATED) == set()
    assert event["routeKey"] == "ANY /echo/{thing}"
    assert event["pathParameters"] == {"thing": "abc"}
    assert event["queryStringParameters"] == {"parameter1": "a,b", "parameter2": "c"}
    assert event["cookies"] == ["cookie1=x", "cookie2=y"]
    assert event["stageVariables"] == {"flavour": "fixture"}
    assert event["requestContext"]["http"]["method"] == "POST"
    assert event["isBase64Encoded"] is False
    assert event["body"] == '{"message": "hello"}'
    assert 0 < body["remaining_ms"] <= 5000


async def test_plain_result_is_200_json(fixture_stack: StackProcess) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{fixture_stack.info['http_url']}/version") as response,
    ):
        assert response.status == 200
        assert response.content_type == "application/json"
        assert await response.json() == {"version": "one"}


async def test_failing_function_is_a_500_without_details(fixture_stack: StackProcess) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{fixture_stack.info['http_url']}/fail") as response,
    ):
        assert response.status == 500
        assert await response.json() == {"message": "Internal Server Error"}


async def test_function_past_its_timeout_is_stopped_with_503(fixture_stack: StackProcess) -> None:
    started = time.monotonic()
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{fixture_stack.info['http_url']}/slow") as response,
    ):
        assert response.status == 503
        assert await response.json() == {"message": "Service Unavailable"}
    assert time.monotonic() - started < 20  # Timeout: 1 s; the handler would sleep 30


async def test_binary_body_arrives_base64(fixture_stack: StackProcess) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.put(
            f"{fixture_stack.info['http_url']}/echo/bin",
            data=b"\x00\xffraw",
            headers={"Content-Type": "application/octet-stream"},
        ) as response,
    ):
        event = (await response.json())["event"]
    assert event["isBase64Encoded"] is True
    assert event["body"] == "AP9yYXc="


async def test_raw_path_keeps_percent_encoding_and_parameters_are_decoded(
    fixture_stack: StackProcess,
) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{fixture_stack.info['http_url']}/echo/%F0%9F%91%8D%20x") as response,
    ):
        event = (await response.json())["event"]
    assert event["rawPath"] == "/echo/%F0%9F%91%8D%20x"
    assert event["pathParameters"] == {"thing": "👍 x"}
