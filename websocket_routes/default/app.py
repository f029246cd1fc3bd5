"""The WebSocket API's ``$default`` route: frames whose op has no route of its own."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.gateway import commands
from shared.gateway.directory import set_directory
from shared.gateway.domain.protocol import Frame, Op
from shared.gateway.router import GatewayRequest, GatewayRouter
from shared.gateway.store_directory import StoreDirectory
from shared.observability import instrumented
from shared.voice.state_update import voice_state_update

set_directory(StoreDirectory())
router = GatewayRouter()


@router.op(Op.HEARTBEAT)
def heartbeat(request: GatewayRequest, frame: Frame) -> Frame | None:
    """A client's heartbeat is acknowledged at once."""
    return commands.heartbeat(request, frame.d)


@router.op(Op.IDENTIFY)
def identify(request: GatewayRequest, frame: Frame) -> None:
    """A new session: READY, then a GUILD_CREATE per guild, then live events."""
    commands.identify(request, frame.d)


@router.op(Op.RESUME)
def resume(request: GatewayRequest, frame: Frame) -> Frame | None:
    """Replay what a session missed, then RESUMED; INVALID_SESSION when it cannot be."""
    return commands.resume(request, frame.d)


@router.op(Op.PRESENCE_UPDATE)
def presence_update(request: GatewayRequest, frame: Frame) -> None:
    """The user's chosen status (online, idle, dnd, invisible) for all their sessions."""
    commands.presence_update(request, frame.d)


@router.op(Op.VOICE_STATE_UPDATE)
def voice_state(request: GatewayRequest, frame: Frame) -> Frame | None:
    """Join, move or leave a voice channel; VOICE_SERVER_UPDATE to this session on a join."""
    return voice_state_update(request, frame.d)


@instrumented
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return router.resolve(event)
