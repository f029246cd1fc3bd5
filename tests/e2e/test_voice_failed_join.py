"""A voice join whose connection fails, in the real UI on the real local stack.

The stack's node is held to 127.0.0.1 (``PARLEY_MEDIA_ICE_HOST_ADDRESSES``), which a browser
without ``--allow-loopback-in-peer-connection`` can never pair with: ICE fails, as it does for
any unreachable node. The one who joined must not stay listed in the channel for the others, and
their page must say so and offer Retry, which asks the gateway to join again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_full_stack import TIMEOUT, Person, gateway_session, open_person
from tests.e2e.test_voice_gateway_chromium import call
from tests.integration.conftest import register_user
from tests.integration.stackproc import StackProcess

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def loopback_node_stack(
    tmp_path_factory: pytest.TempPathFactory, ui_dist: Path
) -> Iterator[StackProcess]:
    workdir = tmp_path_factory.mktemp("voice-fails")
    stack = StackProcess(
        workdir,
        extra_args=["--no-reload", "--no-warm"],
        env={
            "PARLEY_BCRYPT_COST": "4",
            "PARLEY_DATA_DIR": str(workdir / "data"),
            "PARLEY_MEDIA_ICE_HOST_ADDRESSES": json.dumps(["127.0.0.1"]),
        },
    )
    stack.start()
    yield stack
    stack.stop()


def signed_in(chromium: Any, http_url: str, name: str) -> Person:
    person = open_person(chromium, http_url, name)
    person.page.get_by_test_id("login-name").fill(name)
    person.page.get_by_test_id("login-password").fill(PASSWORD)
    person.page.get_by_role("button", name="Sign in", exact=True).click()
    gateway_session(person)
    return person


def test_a_failed_join_leaves_the_channel_for_the_others_and_offers_retry(
    loopback_node_stack: StackProcess, chromium: Any, artifacts: Path
) -> None:
    stack = loopback_node_stack
    alice = register_user(stack, password=PASSWORD)
    bob = register_user(stack, password=PASSWORD)
    owner = alice["access_token"]
    guild = call(stack, owner, "POST", "/guilds", {"name": "failing voice"})
    text = next(c["id"] for c in guild["channels"] if c["type"] == 0)
    invite = call(stack, owner, "POST", f"/channels/{text}/invites", {})
    call(stack, bob["access_token"], "POST", f"/invites/{invite['code']}")
    a = signed_in(chromium, stack.info["http_url"], alice["user"]["username"])
    b = signed_in(chromium, stack.info["http_url"], bob["user"]["username"])
    try:
        for person in (a, b):
            person.page.get_by_label("failing voice").first.click()
        a.page.get_by_test_id("voice-General").click()
        in_channel = b.page.locator('[data-testid^="voice-member-"]').filter(has_text=a.name)
        in_channel.wait_for()  # bob sees alice join
        status = a.page.get_by_test_id("voice-status")
        status.filter(has_text="Voice failed").wait_for(timeout=TIMEOUT * 2)
        # Gone from the channel for bob (the voice state cleared through the gateway)...
        in_channel.wait_for(state="detached")
        # ... while alice's page keeps the failure in view with a way back in.
        retry = a.page.get_by_role("button", name="Retry")
        retry.wait_for()
        a.page.screenshot(path=str(artifacts / "e2e" / "voice-failed-retry.png"))
        retry.click()
        status.filter(has_text="Joining").or_(status.filter(has_text="Connecting")).wait_for()
        in_channel.wait_for()  # Retry joins again: bob sees her back
    finally:
        a.context.close()
        b.context.close()
