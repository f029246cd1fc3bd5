"""Lambda entry point of the health function."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.health.routes import router
from shared.http import make_resolver
from shared.observability import instrumented

app = make_resolver(public=True)
app.include_router(router)


@instrumented
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
