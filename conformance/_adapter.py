"""The adapter process (ADAPTER.md §1, §6): start it, say hello, send one request at a
time, read one line per reply with a timeout, and tell a rejection from a fault of the
adapter (a line that is not a reply, a wrong ``seq``, silence, a crash)."""

from __future__ import annotations

import collections
import contextlib
import json
import os
import queue
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO, Any, Final

__all__ = ["PROTOCOL", "Adapter", "AdapterFault", "Hello", "HelloError", "Reply"]

#: The protocol version this runner speaks.
PROTOCOL: Final = "1.0"
_STDERR_KEPT: Final = 64 * 1024
_HELLO_TIMEOUT: Final = 20.0
_EXIT_GRACE: Final = 5.0
_MAX_LINE: Final = 16 * 1024 * 1024


class HelloError(Exception):
    """The adapter cannot be spoken to at all: the run stops (exit status 2)."""


class AdapterFault(Exception):
    """The adapter misbehaved on one request: ``kind`` is ``protocol``, ``timeout`` or
    ``crash``. The case fails, and the adapter is restarted."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


@dataclass(frozen=True)
class Hello:
    """What the adapter said of itself (ADAPTER.md §4.1)."""

    protocol: str
    name: str
    version: str
    language: str
    profiles: frozenset[str]
    operations: frozenset[str]
    capabilities: frozenset[str]

    def as_json(self) -> dict[str, Any]:
        return {
            "protocol": self.protocol,
            "name": self.name,
            "version": self.version,
            "language": self.language,
            "profiles": sorted(self.profiles),
            "operations": sorted(self.operations),
            "capabilities": sorted(self.capabilities),
        }


@dataclass(frozen=True)
class Reply:
    """One well-formed reply: ``status`` ok, error or skip, with its members."""

    status: str
    result: dict[str, Any] = field(default_factory=dict)
    error: dict[str, Any] = field(default_factory=dict)
    reason: str = ""

    def as_json(self) -> dict[str, Any]:
        if self.status == "ok":
            return {"status": "ok", "result": self.result}
        if self.status == "error":
            return {"status": "error", "error": self.error}
        return {"status": "skip", "reason": self.reason}


def _reply(line: str, seq: int) -> Reply:
    """Check one line as the reply to request ``seq``; AdapterFault("protocol") if not."""
    try:
        msg = json.loads(line)
    except json.JSONDecodeError as exc:
        raise AdapterFault("protocol", f"not a JSON line ({exc}): {line[:200]!r}") from None
    if not isinstance(msg, dict):
        raise AdapterFault("protocol", f"not a JSON object: {line[:200]!r}")
    if msg.get("seq") != seq or type(msg.get("seq")) is not int:
        raise AdapterFault("protocol", f"reply with seq {msg.get('seq')!r} to request {seq}")
    status = msg.get("status")
    if status == "ok":
        result = msg.get("result")
        if not isinstance(result, dict):
            raise AdapterFault("protocol", "an ok reply without a result object")
        return Reply("ok", result=result)
    if status == "error":
        error = msg.get("error")
        if not isinstance(error, dict) or not isinstance(error.get("code"), str):
            raise AdapterFault("protocol", "an error reply without error.code")
        position = error.get("position")
        if position is not None and type(position) is not int:
            raise AdapterFault("protocol", f"error.position {position!r} is not an integer")
        return Reply("error", error=error)
    if status == "skip":
        reason = msg.get("reason")
        return Reply("skip", reason=reason if isinstance(reason, str) else "")
    raise AdapterFault("protocol", f"unknown status {status!r}")


class Adapter:
    """One adapter process, restarted on demand. Not thread-safe: one request at a time."""

    def __init__(self, command: Sequence[str], *, suite: str) -> None:
        self.command = list(command)
        self.suite = suite
        self.hello: Hello | None = None
        self.restarts = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._lines: queue.Queue[bytes | None] = queue.Queue()
        self._stderr: collections.deque[bytes] = collections.deque()
        self._stderr_size = 0
        self._seq = 0

    # ------------------------------------------------------------ process

    def start(self) -> Hello:
        """Start the process and exchange hellos; HelloError when that fails."""
        self.stop()
        try:
            proc = subprocess.Popen(
                self.command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=os.environ.copy(),
            )
        except OSError as exc:
            raise HelloError(f"cannot start {self.command[0]!r}: {exc.strerror or exc}") from None
        self._proc = proc
        self._lines = queue.Queue()
        assert proc.stdout is not None and proc.stderr is not None
        threading.Thread(
            target=self._read_stdout, args=(proc.stdout, self._lines), daemon=True
        ).start()
        threading.Thread(target=self._read_stderr, args=(proc.stderr,), daemon=True).start()
        self._seq = 0
        try:
            reply = self._exchange(
                {"seq": 0, "op": "hello", "protocol": PROTOCOL, "suite": self.suite}, _HELLO_TIMEOUT
            )
        except AdapterFault as fault:
            self.stop()
            raise HelloError(f"no valid hello reply: {fault.detail}") from None
        self.hello = _hello(reply)
        return self.hello

    def restart(self) -> Hello:
        self.restarts += 1
        return self.start()

    def stop(self, *, graceful: bool = False) -> None:
        """Close standard input; when ``graceful`` (the end of a run) wait up to 5 s
        for the adapter to exit (ADAPTER.md §1); then kill it."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(_EXIT_GRACE if graceful else 0.05)
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stderr_tail(self, limit: int = 4000) -> str:
        text = b"".join(self._stderr).decode("utf-8", "replace")
        return text[-limit:]

    # ------------------------------------------------------------ requests

    def request(self, op: str, case: str, inp: dict[str, Any], timeout: float) -> Reply:
        """Send one request; the reply, or AdapterFault (the adapter is then stopped)."""
        if not self.alive:
            self.restart()
        self._seq += 1
        message = {"seq": self._seq, "op": op, "case": case, "input": inp}
        try:
            return self._exchange(message, timeout)
        except AdapterFault:
            self.stop()
            raise

    def _exchange(self, message: dict[str, Any], timeout: float) -> Reply:
        proc = self._proc
        assert proc is not None and proc.stdin is not None
        line = json.dumps(message, ensure_ascii=False, separators=(",", ":")) + "\n"
        try:
            proc.stdin.write(line.encode("utf-8"))
            proc.stdin.flush()
        except OSError:
            raise AdapterFault("crash", self._exit_detail()) from None
        deadline = time.monotonic() + timeout
        try:
            raw = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise AdapterFault("timeout", f"no reply within {timeout:g} s") from None
        if raw is None:
            raise AdapterFault("crash", self._exit_detail())
        text = raw.decode("utf-8", "replace").rstrip("\r\n")
        if text.endswith("\r"):
            text = text[:-1]
        return _reply(text, message["seq"])

    def _exit_detail(self) -> str:
        proc = self._proc
        code = proc.poll() if proc is not None else None
        if code is None and proc is not None:
            try:
                code = proc.wait(1.0)
            except subprocess.TimeoutExpired:
                code = None
        return "the adapter exited" + (f" with status {code}" if code is not None else "")

    @staticmethod
    def _read_stdout(stream: IO[bytes], lines: queue.Queue[bytes | None]) -> None:
        for raw in iter(lambda: stream.readline(_MAX_LINE), b""):
            lines.put(raw)
        lines.put(None)

    def _read_stderr(self, stream: IO[bytes]) -> None:
        for chunk in iter(lambda: os.read(stream.fileno(), 4096), b""):
            self._stderr.append(chunk)
            self._stderr_size += len(chunk)
            while self._stderr_size > _STDERR_KEPT and len(self._stderr) > 1:
                self._stderr_size -= len(self._stderr.popleft())


def _hello(reply: Reply) -> Hello:
    if reply.status != "ok":
        raise HelloError(f"hello answered with status {reply.status!r}")
    r = reply.result
    protocol = r.get("protocol")
    if not isinstance(protocol, str) or protocol.split(".")[0] != PROTOCOL.split(".")[0]:
        raise HelloError(f"the adapter speaks protocol {protocol!r}; this runner speaks {PROTOCOL}")
    impl = r.get("implementation")
    if not isinstance(impl, dict):
        raise HelloError("hello: implementation must be an object")

    def strings(name: str) -> frozenset[str]:
        value = r.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise HelloError(f"hello: {name} must be an array of strings")
        return frozenset(value)

    return Hello(
        protocol=protocol,
        name=str(impl.get("name", "")),
        version=str(impl.get("version", "")),
        language=str(impl.get("language", "")),
        profiles=strings("profiles"),
        operations=strings("operations"),
        capabilities=strings("capabilities"),
    )
