"""Lambda entry point of the emoji images function: the public link to a custom emoji's image.

Public (no token): an ``<img>`` sends none, and Discord's emoji images are public too. It reads
nothing from the table; it only signs a link to the object, which is gone once the emoji is.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.api import Snowflake
from shared.emojis import emojis
from shared.http import make_resolver
from shared.observability import instrumented

app = make_resolver(public=True)


@app.get("/emojis/<emoji_id>", responses={302: {"description": "Where the image is now."}})
def emoji_image(emoji_id: Snowflake) -> Response[Any]:
    """The emoji's image, by a redirect to a freshly signed link (404 there once deleted)."""
    return Response(
        status_code=302,
        body="",
        headers={"Location": emojis.image_url(emoji_id), "Cache-Control": "private, max-age=300"},
    )


@instrumented
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
