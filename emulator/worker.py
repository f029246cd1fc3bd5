"""One Lambda "container": imports a handler once, then runs one event at a time.

Started by :mod:`emulator.runtime` as ``python -m emulator.worker``; events arrive on stdin and
results leave on the original stdout, while the handler's own prints and logs go to stderr.
"""

from __future__ import annotations

import importlib
import os
import sys
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

from emulator.wire import read_message, write_message

__all__ = ["LambdaContext", "main"]


@dataclass
class LambdaContext:
    """The context object Lambda hands a Python handler, with the same attribute names."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    aws_request_id: str
    deadline_ms: int
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"
    identity: Any = None
    client_context: Any = None
    tenant_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self.deadline_ms - int(time.time() * 1000))


def _error(exc: BaseException) -> dict[str, Any]:
    return {
        "ok": False,
        "errorType": type(exc).__name__,
        "errorMessage": str(exc),
        "stackTrace": traceback.format_exception(exc),
    }


def main() -> None:
    """Serve invocations until stdin closes."""
    protocol_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # the handler's prints go to the log, never into the protocol
    sys.stdout = sys.stderr
    protocol_in = sys.stdin.buffer
    handler_path = os.environ["_HANDLER"]
    module_name, attribute = handler_path.rsplit(".", 1)
    function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
    memory = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
    arn = os.environ.get("PARLEY_FUNCTION_ARN", function_name)
    try:
        handler = getattr(importlib.import_module(module_name.replace("/", ".")), attribute)
    except (
        Exception
    ) as exc:  # an init error is reported, as Lambda reports Runtime.ImportModuleError
        write_message(protocol_out, {**_error(exc), "phase": "init"})
        return
    write_message(protocol_out, {"ok": True, "phase": "init"})
    while (request := read_message(protocol_in)) is not None:
        context = LambdaContext(
            function_name=function_name,
            memory_limit_in_mb=memory,
            invoked_function_arn=arn,
            aws_request_id=request["request_id"],
            deadline_ms=request["deadline_ms"],
            log_group_name=f"/aws/lambda/{function_name}",
        )
        try:
            result = handler(request["event"], context)
            reply: dict[str, Any] = {"ok": True, "result": result}
        except Exception as exc:  # the handler's failure is the invocation's result
            traceback.print_exc()
            reply = _error(exc)
        write_message(protocol_out, reply)


if __name__ == "__main__":
    main()
