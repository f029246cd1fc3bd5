"""Lambda entry point of the auth function (register, login, tokens, OpenID, JWKS)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.auth import discovery_routes
from functions.auth.routes import router
from shared.http import make_resolver
from shared.observability import instrumented

app = make_resolver(public=True)
app.include_router(router)
app.include_router(discovery_routes.router)


# log_event stays off: bodies carry passwords and tokens, which are never logged.
@instrumented
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
