"""Lambda, locally: a pool of worker processes per function, one event at a time per worker.

Like Lambda, a function scales out by starting more workers ("containers") up to a limit, keeps
them warm between events, stops an invocation that runs past the function's timeout (the
worker is killed, as Lambda ends the sandbox), and after a code change starts fresh workers
while the old ones finish what they are doing.

A worker loads the function from its built artifact and layers (:mod:`emulator.artifacts`), in
an interpreter that sees neither the development virtualenv nor the repository.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator.artifacts import FunctionCode
from emulator.metrics import MetricsTally
from emulator.template import FunctionSpec
from emulator.wire import MAX_LINE, decode, encode

__all__ = ["FunctionError", "FunctionRuntime", "FunctionTimeout", "Invocation", "Runtimes"]

log = logging.getLogger("parley.runtime")

#: The worker, run as a script so that nothing but its own folder (which it drops) is on its path.
WORKER_SCRIPT = Path(__file__).with_name("worker.py")

#: What the development environment sets that a Lambda sandbox never has.
_DEV_ONLY_ENV = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV")


class Activity:
    """Tells whoever waits that the store may have changed: a function invocation ended.

    Every write to the store comes from an invocation the emulator runs (a route, a stream
    batch, a schedule), so the stream pollers read again as soon as one ends instead of polling
    fast all the time. Each waiter has its own event: a wake-up is never lost, because the
    poller clears its event before it reads and waits on it only after.
    """

    def __init__(self) -> None:
        self._events: list[asyncio.Event] = []

    def waiter(self) -> asyncio.Event:
        event = asyncio.Event()
        self._events.append(event)
        return event

    def changed(self) -> None:
        for event in self._events:
            event.set()


class FunctionError(Exception):
    """The function failed: its handler raised, or its worker died or could not start."""

    def __init__(self, function: str, error_type: str, message: str) -> None:
        super().__init__(f"{function}: {error_type}: {message}")
        self.error_type = error_type


class FunctionTimeout(FunctionError):
    """The invocation ran past the function's Timeout."""


@dataclass(frozen=True)
class Invocation:
    request_id: str
    result: Any
    duration_ms: float


class _Worker:
    """One worker process and the pipe to it."""

    def __init__(
        self, process: asyncio.subprocess.Process, generation: int, code: FunctionCode
    ) -> None:
        self.process = process
        self.generation = generation
        self.code = code
        assert process.stdin is not None and process.stdout is not None
        self._stdin = process.stdin
        self._stdout = process.stdout

    async def receive(self) -> dict[str, Any]:
        line = await self._stdout.readline()
        if not line.endswith(b"\n"):
            raise asyncio.IncompleteReadError(line, None)
        return decode(line)

    async def call(self, message: dict[str, Any]) -> dict[str, Any]:
        self._stdin.write(encode(message))
        await self._stdin.drain()
        return await self.receive()

    @property
    def alive(self) -> bool:
        return self.process.returncode is None

    async def stop(self) -> None:
        if self.alive:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
        await self.process.wait()

    async def finish(self, grace_s: float) -> None:
        """End of input: the worker completes what it runs and exits; killed after the grace."""
        with contextlib.suppress(ConnectionError):
            self._stdin.close()
        try:
            async with asyncio.timeout(grace_s):
                await self.process.wait()
        except TimeoutError:
            await self.stop()


#: How long a stopping stack lets a busy worker finish its event (and print its metrics).
STOP_GRACE_S = 5.0


async def _forward_logs(name: str, stream: asyncio.StreamReader, tally: MetricsTally) -> None:
    """A worker's stderr, line by line, into the emulator's log; EMF lines into the tally."""
    fn_log = logging.getLogger(f"parley.fn.{name}")
    while line := await stream.readline():
        text = line.decode(errors="replace").rstrip()
        fn_log.log(logging.DEBUG if tally.observe(text) else logging.INFO, "%s", text)


class FunctionRuntime:
    """The warm workers of one function."""

    def __init__(
        self,
        spec: FunctionSpec,
        code: FunctionCode,
        base_env: Mapping[str, str],
        *,
        max_workers: int = 4,
        overrides: Mapping[str, str] | None = None,
        tally: MetricsTally | None = None,
        activity: Activity | None = None,
    ) -> None:
        """``code`` is the function's build (artifact, layers, runtime) its workers load."""
        self.spec = spec
        self.code = code
        self.tally = tally or MetricsTally()
        self.activity = activity or Activity()
        self.name = spec.logical_id
        self._env = self._environment(base_env)
        self._env.update(overrides or {})
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self._slots = asyncio.Semaphore(max_workers)
        self._generation = 0
        self._log_tasks: set[asyncio.Task[None]] = set()
        self.invocations = 0
        self.errors = 0

    def _environment(self, base_env: Mapping[str, str]) -> dict[str, str]:
        env = {k: v for k, v in base_env.items() if k not in _DEV_ONLY_ENV}
        env.update(self.spec.environment)
        env.update(
            {
                "_HANDLER": self.spec.handler,
                "AWS_LAMBDA_FUNCTION_NAME": self.name,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.spec.memory_mb),
                "AWS_LAMBDA_FUNCTION_TIMEOUT": str(int(self.spec.timeout_s)),
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "PYTHONUNBUFFERED": "1",
            }
        )
        return env

    async def _spawn(self) -> _Worker:
        code = self.code
        env = {
            **self._env,
            "LAMBDA_TASK_ROOT": str(code.task_root),
            "LAMBDA_RUNTIME_DIR": str(code.runtime_dir),
        }
        # -I: no PYTHONPATH, no user site, no cwd on the path; -S: no site-packages at all.
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-I",
            "-S",
            str(WORKER_SCRIPT),
            *code.sys_path(),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            cwd=str(code.task_root),
            limit=MAX_LINE,
        )
        assert process.stderr is not None
        task = asyncio.create_task(_forward_logs(self.name, process.stderr, self.tally))
        self._log_tasks.add(task)
        task.add_done_callback(self._log_tasks.discard)
        worker = _Worker(process, self._generation, code)
        self._all.add(worker)
        try:
            ready = await worker.receive()
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            await self._retire(worker)
            raise FunctionError(
                self.name, "Runtime.ExitError", "worker exited during init"
            ) from exc
        if not ready.get("ok"):
            await self._retire(worker)
            raise FunctionError(
                self.name,
                str(ready.get("errorType") or "Runtime.ImportModuleError"),
                str(ready.get("errorMessage")),
            )
        return worker

    async def _retire(self, worker: _Worker) -> None:
        self._all.discard(worker)
        await worker.stop()

    async def warm(self) -> None:
        """Start one worker ahead of the first event (the cold start happens now, not then).

        A function that cannot start is reported and left cold, as Lambda creates it anyway:
        its events get the init error.
        """
        async with self._slots:
            if not self._idle:
                try:
                    self._idle.append(await self._spawn())
                except FunctionError as exc:
                    log.warning("%s", exc)

    async def invoke(self, event: Any, *, request_id: str | None = None) -> Invocation:
        """Run one event; :class:`FunctionError` when the handler fails or times out."""
        try:
            return await self._invoke(event, request_id or str(uuid.uuid4()))
        finally:
            self.activity.changed()  # it may have written: the stream pollers read now

    async def _invoke(self, event: Any, request_id: str) -> Invocation:
        async with self._slots:
            worker = None
            while self._idle:
                candidate = self._idle.pop()
                if candidate.alive and candidate.generation == self._generation:
                    worker = candidate
                    break
                await self._retire(candidate)
            if worker is None:
                worker = await self._spawn()
            started = time.monotonic()
            deadline_ms = int(time.time() * 1000 + self.spec.timeout_s * 1000)
            self.invocations += 1
            try:
                async with asyncio.timeout(self.spec.timeout_s):
                    reply = await worker.call(
                        {"event": event, "request_id": request_id, "deadline_ms": deadline_ms}
                    )
            except TimeoutError as exc:
                self.errors += 1
                await self._retire(worker)
                raise FunctionTimeout(
                    self.name, "Sandbox.Timedout", f"timed out after {self.spec.timeout_s:g} s"
                ) from exc
            except (asyncio.IncompleteReadError, ConnectionError) as exc:
                self.errors += 1
                await self._retire(worker)
                raise FunctionError(self.name, "Runtime.ExitError", "worker died") from exc
            duration = (time.monotonic() - started) * 1000
            self._idle.append(worker)
        if not reply.get("ok"):
            self.errors += 1
            raise FunctionError(
                self.name, str(reply.get("errorType")), str(reply.get("errorMessage"))
            )
        return Invocation(request_id=request_id, result=reply.get("result"), duration_ms=duration)

    async def reload(self, code: FunctionCode | None = None) -> None:
        """New code (a new build, or the same one changed): idle workers go now, busy ones
        once done; the next event starts fresh."""
        if code is not None:
            self.code = code
        self._generation += 1
        idle, self._idle = self._idle, []
        await asyncio.gather(*(self._retire(w) for w in idle))

    async def close(self) -> None:
        """Stop every worker, letting a busy one finish its event, and read their last lines."""
        self._idle.clear()
        workers, self._all = list(self._all), set()
        await asyncio.gather(*(w.finish(STOP_GRACE_S) for w in workers))
        tasks = list(self._log_tasks)
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=STOP_GRACE_S)
            for task in late:
                task.cancel()

    def pids(self) -> list[int]:
        return [w.process.pid for w in self._all if w.alive]


class Runtimes:
    """Every function of the template, by logical id."""

    def __init__(
        self,
        specs: Mapping[str, FunctionSpec],
        codes: Mapping[str, FunctionCode],
        base_env: Mapping[str, str],
        *,
        max_workers: int = 4,
        overrides: Mapping[str, str] | None = None,
    ) -> None:
        """``codes`` are the functions' builds; ``overrides`` beat the template's variables
        (what the emulator knows of itself)."""
        self.tally = MetricsTally()
        self.activity = Activity()
        self._by_id = {
            fid: FunctionRuntime(
                spec,
                codes[fid],
                base_env,
                max_workers=max_workers,
                overrides=overrides,
                tally=self.tally,
                activity=self.activity,
            )
            for fid, spec in specs.items()
        }

    def __getitem__(self, function_id: str) -> FunctionRuntime:
        return self._by_id[function_id]

    def __iter__(self) -> Any:
        return iter(self._by_id.values())

    async def invoke(self, function_id: str, event: Any) -> Invocation:
        return await self._by_id[function_id].invoke(event)

    async def warm_all(self) -> None:
        await asyncio.gather(*(rt.warm() for rt in self._by_id.values()))

    async def reload(self, codes: Mapping[str, FunctionCode]) -> list[str]:
        """Functions whose build changed run it from their next event on; those changed."""
        changed = [fid for fid, code in codes.items() if code != self._by_id[fid].code]
        await asyncio.gather(*(self._by_id[fid].reload(codes[fid]) for fid in changed))
        return changed

    async def close(self) -> None:
        await asyncio.gather(*(rt.close() for rt in self._by_id.values()))

    def pids(self) -> list[int]:
        return [pid for rt in self._by_id.values() for pid in rt.pids()]
