"""Hold a running process to a share of one CPU: a cgroup v1 CPU quota, else a duty cycle.

cgroup: a child of the process's own cgroup in the cgroup v1 `cpu` controller, with
`cpu.cfs_quota_us` = share x `cpu.cfs_period_us`; the process is moved in with all its
threads (threads it starts later are born in it). The kernel lets the group use `quota` µs of
CPU per `period` and parks it until the next period once that is spent: a smaller CPU, as a
Raspberry Pi-class board is for Python, while the process stays free to use its share
whenever it has work. Needs root and a writable cgroup v1 `cpu` hierarchy.

duty cycle (the fallback: cgroup v2 only, no permission): a thread of the driver sends the
process SIGCONT, lets it run `share` of DUTY_PERIOD, then SIGSTOP for the rest. That caps
wall time rather than CPU time — a slice the process spends idle is lost to it — so it is
the harsher of the two.

Either way, the process is released (moved back and the cgroup removed, or SIGCONT) when the
`throttled` block ends, whatever ends it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

CPU_CONTROLLER = Path("/sys/fs/cgroup/cpu")
PREFIX = "twilio_bridge_bench_"
PERIOD_US = 100_000
DUTY_PERIOD = 0.02  # s: SIGCONT for share x 20 ms, SIGSTOP for the rest


class Throttle(Protocol):
    method: str
    description: str

    def stats(self) -> dict[str, Any]: ...

    def release(self) -> None: ...


def _cpu_cgroup(pid: int) -> str:
    """The process's path in the cgroup v1 `cpu` hierarchy ("" when there is none)."""
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if "cpu" in controllers.split(","):
            return path
    return ""


def _threads(pid: int) -> set[int]:
    return {int(tid) for tid in os.listdir(f"/proc/{pid}/task")}


def remove_stale() -> None:
    """Remove empty cgroups left by earlier runs whose driver was killed (SIGKILL)."""
    if not CPU_CONTROLLER.is_dir():
        return
    for group in CPU_CONTROLLER.rglob(PREFIX + "*"):
        owner = group.name.removeprefix(PREFIX)
        if owner.isdigit() and not Path(f"/proc/{owner}").exists():
            with contextlib.suppress(OSError):
                group.rmdir()


class CgroupThrottle:
    method = "cgroup v1 CPU quota"

    def __init__(self, pid: int, share: float) -> None:
        self.pid = pid
        self.origin = _cpu_cgroup(pid)
        if not self.origin:
            raise OSError("no cgroup v1 cpu controller for this process")
        parent = CPU_CONTROLLER / self.origin.lstrip("/")
        self.group = parent / f"{PREFIX}{os.getpid()}"
        self.quota_us = round(share * PERIOD_US)
        self.group.mkdir()
        try:
            (self.group / "cpu.cfs_period_us").write_text(str(PERIOD_US))
            (self.group / "cpu.cfs_quota_us").write_text(str(self.quota_us))
            (self.group / "cgroup.procs").write_text(str(pid))  # moves every thread
            inside = {int(t) for t in (self.group / "tasks").read_text().split()}
            if not _threads(pid) <= inside:
                raise OSError("not every thread of the process moved into the cgroup")
        except OSError:
            self.release()
            raise
        self.description = (
            f"{self.quota_us / 1000:g} ms of CPU per {PERIOD_US / 1000:g} ms ({self.group})"
        )

    def stats(self) -> dict[str, Any]:
        found = dict(line.split() for line in (self.group / "cpu.stat").read_text().splitlines())
        return {
            "periods": int(found.get("nr_periods", 0)),
            "throttled_periods": int(found.get("nr_throttled", 0)),
            "throttled_s": int(found.get("throttled_time", 0)) / 1e9,
        }

    def release(self) -> None:
        """Move the process back where it was, then remove the cgroup (retried briefly:
        a thread that is exiting may still be listed for a moment)."""
        origin = CPU_CONTROLLER / self.origin.lstrip("/") / "cgroup.procs"
        deadline = time.monotonic() + 5
        while self.group.exists():
            for tid in (self.group / "tasks").read_text().split():
                with contextlib.suppress(OSError):  # gone meanwhile
                    origin.write_text(tid)
            try:
                self.group.rmdir()
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)


class DutyCycleThrottle:
    method = "duty cycle (SIGSTOP/SIGCONT)"

    def __init__(self, pid: int, share: float) -> None:
        self.pid = pid
        self.running = share * DUTY_PERIOD
        self.stopped = DUTY_PERIOD - self.running
        self.cycles = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._cycle, name="duty-cycle", daemon=True)
        self._thread.start()
        self.description = (
            f"runs {self.running * 1000:g} ms, stopped {self.stopped * 1000:g} ms, over and over"
        )

    def _cycle(self) -> None:
        try:
            while not self._done.is_set():
                os.kill(self.pid, signal.SIGSTOP)
                self._done.wait(self.stopped)
                os.kill(self.pid, signal.SIGCONT)
                self.cycles += 1
                self._done.wait(self.running)
        except ProcessLookupError:
            return
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGCONT)

    def stats(self) -> dict[str, Any]:
        return {"cycles": self.cycles, "stopped_s": self.cycles * self.stopped}

    def release(self) -> None:
        self._done.set()
        self._thread.join(timeout=5)
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGCONT)


@contextlib.contextmanager
def throttled(pid: int, share: float, method: str = "auto") -> Iterator[Throttle]:
    """Hold `pid` to `share` of one CPU inside the block; method auto, cgroup or duty."""
    throttle: CgroupThrottle | DutyCycleThrottle | None = None
    failure = ""
    if method in ("auto", "cgroup"):
        remove_stale()
        try:
            throttle = CgroupThrottle(pid, share)
        except OSError as err:
            if method == "cgroup":
                raise
            failure = f"{type(err).__name__}: {err}"
    if throttle is None:
        throttle = DutyCycleThrottle(pid, share)
        throttle.description += f" (no cgroup: {failure})" if failure else ""
    try:
        yield throttle
    finally:
        throttle.release()
