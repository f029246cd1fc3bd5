"""EventBridge schedules, locally: each scheduled function invoked at its rate.

The event is shaped as EventBridge's "Scheduled Event". ``interval_s`` replaces every rate (so
tests can run a once-a-minute sweeper every second).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Any

from emulator.intrinsics import ACCOUNT_ID
from emulator.runtime import FunctionError, Runtimes
from emulator.template import ScheduleSpec

__all__ = ["Scheduler", "scheduled_event"]

log = logging.getLogger("parley.schedules")


def scheduled_event(spec: ScheduleSpec, region: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{ACCOUNT_ID}:rule/{spec.rule}"],
        "detail": {},
    }


class Scheduler:
    def __init__(
        self,
        schedules: list[ScheduleSpec],
        runtimes: Runtimes,
        region: str,
        interval_s: float | None = None,
    ) -> None:
        self._schedules = schedules
        self._runtimes = runtimes
        self._region = region
        self._interval = interval_s
        self._tasks: list[asyncio.Task[None]] = []
        self.runs = 0

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._run(spec)) for spec in self._schedules]

    async def _run(self, spec: ScheduleSpec) -> None:
        period = self._interval or spec.rate_s
        while True:
            await asyncio.sleep(period)
            try:
                await self._runtimes.invoke(spec.function_id, scheduled_event(spec, self._region))
                self.runs += 1
            except FunctionError as exc:
                log.warning("scheduled %s failed: %s", spec.function_id, exc)
            except Exception:
                # EventBridge keeps its schedule whatever one run did: so does this.
                log.exception("scheduled %s could not be invoked", spec.function_id)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
