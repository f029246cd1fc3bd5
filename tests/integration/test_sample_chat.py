"""An app written the way AWS documents WebSocket APIs, run unchanged on `parley dev --template`.

tests/integration/sample_chat has raw ApiGatewayV2 routes whose targets are
``!Join ['/', [integrations, !Ref X]]``, integration URIs in the ``…:lambda:path/…/invocations``
form, route selection on ``$request.body.action``, a table named by a parameter, and handlers
that depend on boto3 alone and post to ``https://{domainName}/{stage}`` — trusting the local
certificate only through the environment the emulator gives them.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import boto3
import pytest
from botocore.exceptions import SSLError

from tests.integration.stackproc import StackProcess

pytestmark = pytest.mark.integration

SAMPLE = Path(__file__).parent / "sample_chat" / "template.yaml"


@pytest.fixture(scope="module")
def sample_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    workdir = tmp_path_factory.mktemp("sample-chat")
    stack = StackProcess(
        workdir,
        template=SAMPLE,
        extra_args=["--no-reload"],
        env={"PARLEY_DATA_DIR": str(workdir / "data")},
    )
    stack.start()
    yield stack
    stack.stop()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


async def next_text(ws: aiohttp.ClientWebSocketResponse) -> str:
    msg = await ws.receive(timeout=20)
    assert msg.type == aiohttp.WSMsgType.TEXT, msg
    return str(msg.data)


async def test_two_clients_connect_one_sends_both_receive(
    session: aiohttp.ClientSession, sample_stack: StackProcess
) -> None:
    url = sample_stack.info["ws_url"]
    alice = await session.ws_connect(url)
    bob = await session.ws_connect(url)
    # $connect has stored both before the handshakes completed: the broadcast finds both.
    await alice.send_str(json.dumps({"action": "sendmessage", "data": "hi"}))
    got = await asyncio.gather(next_text(alice), next_text(bob))
    assert got == ["hi", "hi"]
    await alice.close()
    await bob.close()


async def test_a_message_no_route_takes_is_forbidden(
    session: aiohttp.ClientSession, sample_stack: StackProcess
) -> None:
    """The app declares no $default route: API Gateway answers such a message "Forbidden"."""
    ws = await session.ws_connect(sample_stack.info["ws_url"])
    await ws.send_str(json.dumps({"action": "shout", "data": "HI"}))
    answer: dict[str, Any] = json.loads(await next_text(ws))
    assert answer["message"] == "Forbidden"
    assert answer["connectionId"] and answer["requestId"]
    await ws.close()


async def test_connections_endpoint_is_https_with_the_local_ca(
    session: aiohttp.ClientSession, sample_stack: StackProcess
) -> None:
    """What the events' domainName names is TLS, verified only by the stack's CA bundle."""
    info = sample_stack.info
    base = info["connections_url"].removesuffix("/@connections")
    assert base.startswith("https://") and base.endswith("/Prod")
    ws = await session.ws_connect(info["ws_url"])
    await ws.send_str(json.dumps({"action": "sendmessage", "data": "ping"}))
    assert await next_text(ws) == "ping"
    trusting = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=base,
        region_name="us-east-1",
        verify=info["ca_bundle"],
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    # The connection's own id is not known here; a made-up one is Gone, over verified TLS.
    with pytest.raises(trusting.exceptions.GoneException):
        trusting.post_to_connection(ConnectionId="bm90LWEtY29ubg=", Data=b"x")
    untrusting = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=base,
        region_name="us-east-1",
        verify=True,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    with pytest.raises(SSLError):
        untrusting.post_to_connection(ConnectionId="bm90LWEtY29ubg=", Data=b"x")
    # And wss:// on the same port, for clients that want it.
    context = ssl.create_default_context(cafile=info["ca_bundle"])
    host_port = base.removeprefix("https://").split("/", 1)[0]
    secure = await session.ws_connect(f"wss://{host_port}/", ssl=context)
    await secure.send_str(json.dumps({"action": "sendmessage", "data": "over tls"}))
    assert await next_text(secure) == "over tls"
    assert await next_text(ws) == "over tls"
    await secure.close()
    await ws.close()
