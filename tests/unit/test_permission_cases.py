"""The client's permission computation (desktop/ui/src/util/permissions.ts) and the server's
answer the same cases alike: each case's expected bits are the server's, and the UI's vitest
holds its own computation to the same file."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from shared.guilds.domain.permissions import Overwrite, OverwriteType, compute_permissions

CASES = Path(__file__).parents[2] / "desktop/ui/src/util/permissionCases.json"


def server_answer(case: dict[str, Any]) -> int:
    """The server's permissions for one case's input (its shapes: the gateway's JSON)."""
    guild_id = int(case["guildId"])
    roles = {int(r["id"]): int(r["permissions"]) for r in case["roles"]}
    member = case["member"]
    mine = {int(r): roles[int(r)] for r in member["roles"] if int(r) in roles}
    until = member.get("communication_disabled_until")
    timed_out = until is not None and datetime.fromisoformat(until).timestamp() * 1000 > case["now"]
    overwrites = None
    if "channel" in case:
        overwrites = {
            int(o["id"]): Overwrite(
                int(o["id"]), OverwriteType(o["type"]), int(o["allow"]), int(o["deny"])
            )
            for o in case["channel"]["permission_overwrites"]
        }
    return int(
        compute_permissions(
            guild_id=guild_id,
            owner_id=int(case["ownerId"]),
            user_id=int(case["userId"]),
            everyone=roles.get(guild_id, 0),
            roles=mine,
            overwrites=overwrites,
            timed_out=timed_out,
        )
    )


@pytest.mark.parametrize("case", json.loads(CASES.read_text()), ids=lambda c: c["name"])
def test_the_server_answers_each_case_as_the_file_says(case: dict[str, Any]) -> None:
    assert str(server_answer(case["input"])) == case["expected"]
