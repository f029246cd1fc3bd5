"""Lambda entry point of the users function (profiles)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.users import notification_settings
from functions.users.routes import router
from shared.http import make_resolver
from shared.observability import instrumented

app = make_resolver()
app.include_router(router)
app.include_router(notification_settings.router)


@instrumented
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
