"""Lambda entry point of the guilds function: guilds, members, roles, emoji, bans, audit log."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.guilds import (
    audit_routes,
    ban_routes,
    emoji_routes,
    guild_routes,
    member_routes,
    role_routes,
)
from shared.http import make_resolver
from shared.observability import instrumented

app = make_resolver()
for module in (
    guild_routes,
    member_routes,
    role_routes,
    emoji_routes,
    ban_routes,
    audit_routes,
):
    app.include_router(module.router)


@instrumented
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
