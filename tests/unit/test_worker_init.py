"""A function's worker, started as the runtime starts it: init errors named as Lambda names them.

Each test writes a tiny artifact, gives the real :class:`FunctionRuntime` a build of it, and
invokes it: the worker process runs with only that artifact (and the standard library) on its
path.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.artifacts import FunctionCode
from emulator.runtime import FunctionError, FunctionRuntime
from emulator.template import FunctionSpec


def _runtime(
    tmp_path: Path, source: str, handler: str = "app.handler", env: dict[str, str] | None = None
) -> FunctionRuntime:
    task = tmp_path / "task"
    task.mkdir()
    (task / "app.py").write_text(source)
    runtime_dir = tmp_path / "runtime"
    runtime_dir.mkdir()
    spec = FunctionSpec(
        logical_id="Fn",
        handler=handler,
        code_dir=tmp_path,
        timeout_s=20,
        memory_mb=128,
        environment={},
        runtime="python3.12",
    )
    return FunctionRuntime(spec, FunctionCode(task, (), runtime_dir), env or {})


async def _error_of(runtime: FunctionRuntime) -> FunctionError:
    try:
        with pytest.raises(FunctionError) as caught:
            await runtime.invoke({})
    finally:
        await runtime.close()
    return caught.value


async def test_a_handler_runs_in_its_artifact(tmp_path: Path) -> None:
    runtime = _runtime(
        tmp_path, "import os, sys\ndef handler(e, c):\n    return [os.getcwd(), sys.path[0]]\n"
    )
    try:
        result = (await runtime.invoke({})).result
    finally:
        await runtime.close()
    assert result == [str(tmp_path / "task")] * 2


async def test_a_missing_import_is_an_import_module_error(tmp_path: Path) -> None:
    # The emulator's own package: importable here, not in a worker.
    error = await _error_of(_runtime(tmp_path, "import emulator\ndef handler(e, c): pass\n"))
    assert error.error_type == "Runtime.ImportModuleError"
    assert str(error).endswith("Unable to import module 'app': No module named 'emulator'")


async def test_a_syntax_error_is_a_user_code_syntax_error(tmp_path: Path) -> None:
    error = await _error_of(_runtime(tmp_path, "def handler(e, c) return 1\n"))
    assert error.error_type == "Runtime.UserCodeSyntaxError"
    assert "Syntax error in module 'app'" in str(error)


async def test_a_missing_handler_is_handler_not_found(tmp_path: Path) -> None:
    error = await _error_of(_runtime(tmp_path, "def other(e, c): pass\n"))
    assert error.error_type == "Runtime.HandlerNotFound"
    assert str(error).endswith("Handler 'handler' missing on module 'app'")


async def test_an_error_raised_at_import_keeps_its_type(tmp_path: Path) -> None:
    error = await _error_of(_runtime(tmp_path, "raise KeyError('TABLE')\n"))
    assert error.error_type == "KeyError"


async def test_a_startup_hook_runs_before_the_handler_is_imported(tmp_path: Path) -> None:
    # The hook bench.gateway profiles workers with: workers see no PYTHONPATH or site.
    hook = tmp_path / "hook.py"
    hook.write_text("import builtins\nbuiltins.hooked = 'before the handler'\n")
    runtime = _runtime(
        tmp_path,
        "import builtins\nSEEN = builtins.hooked\ndef handler(e, c):\n    return SEEN\n",
        env={"PARLEY_WORKER_STARTUP": str(hook)},
    )
    try:
        result = (await runtime.invoke({})).result
    finally:
        await runtime.close()
    assert result == "before the handler"
