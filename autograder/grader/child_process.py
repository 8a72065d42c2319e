"""One question's confined child, as the grader sees it: start it, talk to it, survive it.

One :class:`Child` serves the checks of one question. Each request has a deadline; a child
that hangs is killed with its whole process group, one that dies is reported by signal or
exit code, and the caller starts a fresh child for the checks that remain. A child that fails
before it is ready (before any student code ran in it) is the grader's failure (GraderFailure).
"""
from __future__ import annotations

import errno
import os
import select
import subprocess
import time

from grader.reaper import LIVE, kill_group, reap_orphans
from grader.runtime import wire
from grader.sandbox import ChildFailure, GraderFailure, Limits, Scratch, describe_exit, remove_tree
from grader.template_process import ForkedProcess, Template


class Child:
    """A confined Python process running child.py for one question (forked by the template)."""

    def __init__(self, scratch: Scratch, limits: Limits, template: Template):
        self.scratch = scratch
        self.limits = limits
        self.template = template
        self.work: Path | None = None  # its own folder, made at start, removed at close
        self.proc: ForkedProcess | None = None
        self.reader = wire.MessageReader()
        self._event_tail = b""
        self.leftover_events: list[tuple[str, str]] = []  # read while closing
        self.landlock_abi = 0
        self.seccomp = False
        self.applied_limits: dict = {}

    # -- lifecycle
    def start(self, timeout: float | None = None) -> None:
        try:  # the grader's own resources (a full disk, no file descriptors left): never the student's failure
            self.work = self.scratch.new_work()
            (to_child_r, to_child_w), (from_child_r, from_child_w), (events_r, events_w) = os.pipe(), os.pipe(), os.pipe()
        except OSError as exc:
            raise GraderFailure(f"the grader could not prepare a process for the code being graded ({exc})") from None
        try:
            self.proc = ForkedProcess(self.template, *self.template.fork((to_child_r, from_child_w, events_w), work=str(self.work)))
        except BaseException:
            for fd in (to_child_w, from_child_r, events_r):
                os.close(fd)
            raise
        finally:
            for fd in (to_child_r, from_child_w, events_w):
                os.close(fd)
        LIVE.add(self.proc.pid)
        self.to_child, self.from_child, self.events_fd = to_child_w, from_child_r, events_r
        os.set_blocking(self.from_child, False)
        os.set_blocking(self.events_fd, False)
        os.set_blocking(self.to_child, False)
        seconds = self.limits.start_seconds if timeout is None else timeout
        try:  # until it is ready no code of the student's has run in it: a failure is the grader's
            ready = self._receive(seconds, "starting Python")
        except ChildFailure as failure:
            if failure.kind == "timeout" and seconds < self.limits.start_seconds:
                raise  # the question's time ran out, not the grader
            raise GraderFailure(f"the sandbox for the code being graded did not start ({failure.message})") from None
        if ready.get("ready") is not True:
            raise self._fail(GraderFailure(f"the sandbox for the code being graded could not be set up: {str(ready.get('fatal'))[:300]}"))
        self.landlock_abi = int(ready.get("landlock", 0) or 0)
        self.seccomp = ready.get("seccomp") is True
        self.applied_limits = ready.get("limits") if type(ready.get("limits")) is dict else {}

    def close(self) -> None:
        if self.work is not None and self.proc is None:  # the fork itself failed
            remove_tree(self.work)
            self.work = None
        if self.proc is None:
            return
        kill_group(self.proc)
        events, _ = self.read_events()  # what it wrote before it ended still counts
        self.leftover_events += events
        LIVE.discard(self.proc.pid)
        self.proc.release()
        reap_orphans()  # anything it started that left its process group
        for fd in (self.to_child, self.from_child, self.events_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        self.proc = None
        remove_tree(self.work)  # what it wrote goes with it
        self.work = None

    def read_events(self) -> tuple[list[tuple[str, str]], bool]:
        """The typed events written since the last read, and whether the pipe was closed under
        a living child (only student code closes it)."""
        data, closed = bytearray(), False
        while len(data) < (1 << 20):
            try:
                chunk = os.read(self.events_fd, 65536)
            except BlockingIOError:
                break
            except OSError:
                closed = True
                break
            if not chunk:
                closed = self.alive
                break
            data.extend(chunk)
        self._event_tail += bytes(data)
        lines = self._event_tail.split(b"\n")
        self._event_tail = lines.pop()
        events = []
        for line in lines[:1000]:
            kind, _, detail = line.decode("ascii", "replace").partition(" ")
            events.append((kind, detail))
        return events, closed

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    # -- requests
    def request(self, message: dict, timeout: float | None = None) -> dict:
        """Send one request and return the child's reply; raise ChildFailure (and close) otherwise."""
        timeout = self.limits.call_seconds if timeout is None else timeout
        deadline = time.monotonic() + timeout
        view = memoryview(wire.frame(message))
        try:
            while view:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not select.select([], [self.to_child], [], remaining)[1]:
                    raise self._fail(ChildFailure("timeout", f"timed out after {timeout:g} s"))
                try:
                    written = os.write(self.to_child, view)
                except BlockingIOError:
                    continue
                except BrokenPipeError:
                    raise self._died() from None
                view = view[written:]
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                raise self._died() from None
            raise
        return self._receive(timeout, None, deadline)

    def _receive(self, timeout: float, what: str | None, deadline: float | None = None) -> dict:
        deadline = deadline or time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                label = f" while {what}" if what else ""
                raise self._fail(ChildFailure("timeout", f"timed out after {timeout:g} s{label}"))
            ready = select.select([self.from_child], [], [], min(remaining, 0.5))[0]
            if not ready:
                if not self.alive:
                    raise self._died()
                continue
            try:
                chunk = os.read(self.from_child, 1 << 20)
            except BlockingIOError:
                continue
            if not chunk:
                raise self._died()
            try:
                messages = self.reader.feed(chunk)
            except Exception as exc:  # noqa: BLE001 - anything unreadable ends the child, never the grader
                raise self._fail(ChildFailure("protocol", f"the grader's channel received garbage ({str(exc)[:100]})")) from None
            if messages:
                if len(messages) > 1 or self.reader.buffer:
                    raise self._fail(ChildFailure("protocol", "the grader's channel received unexpected data"))
                return messages[0]

    def _died(self) -> ChildFailure:
        code = None
        if self.proc is not None:
            try:
                code = self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                code = None
        failure = describe_exit(code, self.limits) if code is not None else ChildFailure("crash", "stopped answering")
        return self._fail(failure)

    def _fail(self, failure: ChildFailure) -> ChildFailure:
        self.close()
        return failure
