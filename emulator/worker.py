"""One Lambda "container": imports a handler once, then runs one event at a time.

Started by :mod:`emulator.runtime` as ``python -I -S emulator/worker.py <path entry> ...``: no
site-packages, no ``PYTHONPATH``, no repository on ``sys.path``. The worker's search path is what
Lambda's is: the entries it is given (the function's artifact, its layers, the runtime's boto3,
see :class:`emulator.artifacts.FunctionCode`), then the standard library. So this file imports
only the standard library, and reads the pipe's framing from ``wire.py`` beside it by path.

Events arrive on stdin and results leave on the original stdout, while the handler's own prints
and logs go to stderr.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import runpy
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

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


def _load_wire() -> ModuleType:
    """``emulator/wire.py`` by path: the package itself is not importable from here."""
    path = Path(__file__).with_name("wire.py")
    spec = importlib.util.spec_from_file_location("_parley_wire", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _use_search_path(entries: list[str]) -> None:
    """Lambda's order: task root, layers, runtime, then the standard library.

    Started as a script under ``-I -S``, ``sys.path`` is this file's folder followed by the
    standard library; the folder goes (it is the emulator's, not the function's).
    """
    sys.path[:] = [*entries, *sys.path[1:]]
    importlib.invalidate_caches()


def _error(exc: BaseException) -> dict[str, Any]:
    return {
        "ok": False,
        "errorType": type(exc).__name__,
        "errorMessage": str(exc),
        "stackTrace": traceback.format_exception(exc),
    }


def _init_error(exc: BaseException, module: str) -> dict[str, Any]:
    """A failed import of the handler's module, as Lambda's Python runtime names it."""
    reply = {**_error(exc), "phase": "init"}
    if isinstance(exc, ImportError):
        reply["errorType"] = "Runtime.ImportModuleError"
        reply["errorMessage"] = f"Unable to import module '{module}': {exc}"
    elif isinstance(exc, SyntaxError):
        reply["errorType"] = "Runtime.UserCodeSyntaxError"
        reply["errorMessage"] = f"Syntax error in module '{module}': {exc}"
    return reply


def main(argv: list[str] | None = None) -> None:
    """Serve invocations until stdin closes."""
    wire = _load_wire()
    _use_search_path(sys.argv[1:] if argv is None else argv)
    protocol_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # the handler's prints go to the log, never into the protocol
    sys.stdout = sys.stderr
    protocol_in = sys.stdin.buffer
    startup = os.environ.get("PARLEY_WORKER_STARTUP")
    if startup:  # a tool's hook (bench.gateway's profiler): run before the handler's import
        runpy.run_path(startup)
    handler_path = os.environ["_HANDLER"]
    module_path, attribute = handler_path.rsplit(".", 1)
    module_name = module_path.replace("/", ".")
    function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
    memory = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
    arn = os.environ.get("PARLEY_FUNCTION_ARN", function_name)
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # reported as Lambda reports an init error, e.g. ImportModuleError
        traceback.print_exc()
        wire.write_message(protocol_out, _init_error(exc, module_name))
        return
    handler = getattr(module, attribute, None)
    if not callable(handler):
        message = f"Handler '{attribute}' missing on module '{module_name}'"
        wire.write_message(
            protocol_out,
            {"ok": False, "errorType": "Runtime.HandlerNotFound", "errorMessage": message},
        )
        return
    wire.write_message(protocol_out, {"ok": True, "phase": "init"})
    while (request := wire.read_message(protocol_in)) is not None:
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
        wire.write_message(protocol_out, reply)


if __name__ == "__main__":
    main()
