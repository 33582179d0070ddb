"""Harness for the interop suite: libzmq (through pyzmq) on one side, zocket on the other.

The zocket side is the `zocket-interop-peer` binary (interop/peer), built once per run
with cargo and driven as a subprocess; see its --help. Every socket is on 127.0.0.1 and
every wait is bounded (peer --timeout, pyzmq RCVTIMEO/SNDTIMEO, queue timeouts, and
pytest-timeout around each test).

Expected failures are found at run time, not listed by hand: at collection the peer is
asked (`TYPE probe`) which socket types zocket implements, and a case needing a type it
does not gets an xfail mark (strict=False, raising ZocketNotImplemented) with the peer's
own error as the reason. A peer that exits with ENOTSUP "not implemented" during a
case that was not marked also turns into an expected failure, with that reason.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
import time
from pathlib import Path

import pytest
import zmq

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LIBZMQ_VERSION = "4.3.5"

# Default bound on one wait, in seconds (the peer gets the same in ms).
WAIT = 10.0

ALL_TYPES = [
    "PAIR", "PUB", "SUB", "XPUB", "XSUB", "REQ", "REP",
    "DEALER", "ROUTER", "PUSH", "PULL",
]

_state: dict = {"peer": None, "implemented": {}, "build_error": None}


class ZocketNotImplemented(Exception):
    """The zocket peer reported that a socket type (or feature) is not implemented yet."""


class PeerError(AssertionError):
    """The zocket peer failed or misbehaved; the message carries its stderr."""


# ---------------------------------------------------------------------------
# Build and probe, once per run.


def _build_peer() -> Path:
    override = os.environ.get("ZOCKET_INTEROP_PEER")
    if override:
        return Path(override)
    cmd = ["cargo", "build", "-p", "zocket-interop-peer", "--message-format=json-render-diagnostics"]
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=1200)
    if proc.returncode != 0:
        raise RuntimeError(f"cargo build -p zocket-interop-peer failed:\n{proc.stderr[-4000:]}")
    exe = None
    for line in proc.stdout.splitlines():
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if msg.get("reason") == "compiler-artifact" and msg.get("executable") and \
                msg.get("target", {}).get("name") == "zocket-interop-peer":
            exe = msg["executable"]
    if not exe:
        raise RuntimeError("cargo build did not report the zocket-interop-peer executable")
    return Path(exe)


def _probe(peer: Path, stype: str) -> tuple[bool, str]:
    proc = subprocess.run([str(peer), stype.lower(), "probe"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=30)
    if proc.returncode == 0:
        return True, ""
    lines = proc.stderr.strip().splitlines()
    return False, lines[-1].split("error: ", 1)[-1] if lines else f"exit {proc.returncode}"


def pytest_configure(config):
    if zmq.zmq_version() != LIBZMQ_VERSION:
        raise pytest.UsageError(
            f"pyzmq {zmq.pyzmq_version()} carries libzmq {zmq.zmq_version()}, expected {LIBZMQ_VERSION}")
    peer = _build_peer()
    _state["peer"] = peer
    for t in ALL_TYPES:
        _state["implemented"][t] = _probe(peer, t)


def pytest_report_header(config):
    impl = [t for t, (ok, _) in _state["implemented"].items() if ok]
    missing = [t for t, (ok, _) in _state["implemented"].items() if not ok]
    return [
        f"libzmq {zmq.zmq_version()} (pyzmq {zmq.pyzmq_version()}); zocket peer {_state['peer']}",
        f"zocket implements: {' '.join(impl) or '-'}; not yet: {' '.join(missing) or '-'}",
    ]


def not_implemented_reason(stype: str) -> str | None:
    ok, why = _state["implemented"].get(stype.upper(), (True, ""))
    if ok:
        return None
    return f"zocket does not implement {stype.upper()} yet (the peer's Socket::new says {why})"


def pytest_collection_modifyitems(config, items):
    for item in items:
        types = []
        for m in item.iter_markers("zocket"):
            types.extend(m.args)
        reasons = [r for r in (not_implemented_reason(t) for t in types) if r]
        if reasons:
            item.add_marker(pytest.mark.xfail(reason="; ".join(sorted(set(reasons))),
                                              raises=ZocketNotImplemented, strict=False))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if call.excinfo is not None and rep.failed and call.excinfo.errisinstance(ZocketNotImplemented):
        rep.outcome = "skipped"
        rep.wasxfail = f"zocket: {call.excinfo.value}"


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    xfailed = terminalreporter.stats.get("xfailed", [])
    terminalreporter.section("expected failures (zocket not implemented yet)")
    if not xfailed:
        terminalreporter.write_line("none: every case ran against zocket")
        return
    by_reason: dict[str, int] = {}
    for rep in xfailed:
        by_reason[rep.wasxfail] = by_reason.get(rep.wasxfail, 0) + 1
    for reason, n in sorted(by_reason.items()):
        terminalreporter.write_line(f"{n:3d} x {reason}")


# ---------------------------------------------------------------------------
# The zocket peer.


class Peer:
    """One zocket-interop-peer process. Lines on stdout are queued by a reader thread."""

    def __init__(self, exe: Path, stype: str, mode: str, *, bind: bool = False,
                 connect: list[str] | str | None = None, args: list[str] | None = None,
                 timeout: float = WAIT):
        self.stype = stype.upper()
        self.mode = mode
        cmd = [str(exe), stype.lower(), mode, "--timeout", str(int(timeout * 1000)), "--verbose"]
        if bind:
            cmd += ["--bind", "tcp://127.0.0.1:*"]
        if isinstance(connect, str):
            connect = [connect]
        for ep in connect or []:
            cmd += ["--connect", ep]
        cmd += list(args or [])
        self.argv = cmd
        self.proc = subprocess.Popen(
            self.argv, stdin=subprocess.PIPE if mode == "script" else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lines: queue.Queue = queue.Queue()
        self.stderr: list[str] = []
        self.endpoints: list[str] = []
        self._out = threading.Thread(target=self._read_out, daemon=True)
        self._err = threading.Thread(target=self._read_err, daemon=True)
        self._out.start()
        self._err.start()

    def _read_out(self):
        for raw in self.proc.stdout:
            self.lines.put(raw.decode("utf-8", "replace").rstrip("\n"))
        self.lines.put(None)

    def _read_err(self):
        for raw in self.proc.stderr:
            self.stderr.append(raw.decode("utf-8", "replace").rstrip("\n"))

    # -- failure reporting

    def error_line(self) -> str:
        self._err.join(timeout=2)
        errs = [l for l in self.stderr if "error:" in l]
        return errs[-1] if errs else (self.stderr[-1] if self.stderr else "")

    def _died(self, waiting_for: str):
        try:
            rc = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            rc = None
        line = self.error_line()
        if "ENOTSUP" in line and "not implemented" in line:
            raise ZocketNotImplemented(line.split("error: ", 1)[-1])
        raise PeerError(f"zocket peer ({' '.join(self.argv[1:3])}) exited with {rc} while {waiting_for}: "
                        f"{line or '(no stderr)'}\n--- peer stderr ---\n" + "\n".join(self.stderr[-30:]))

    # -- reading

    def line(self, timeout: float = WAIT, waiting_for: str = "waiting for output") -> str:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise PeerError(f"zocket peer said nothing for {timeout} s while {waiting_for}\n--- peer stderr ---\n"
                            + "\n".join(self.stderr[-30:])) from None
        if line is None:
            self.lines.put(None)
            self._died(waiting_for)
        return line

    def ready(self, timeout: float = WAIT) -> "Peer":
        """Reads up to READY; the bound endpoints land in self.endpoints."""
        while True:
            line = self.line(timeout, "setting up")
            if line.startswith("ENDPOINT "):
                self.endpoints.append(line.split(" ", 1)[1])
            elif line == "READY":
                return self

    @property
    def endpoint(self) -> str:
        assert self.endpoints, "the peer bound nothing"
        return self.endpoints[0]

    def json(self, timeout: float = WAIT, waiting_for: str = "waiting for a JSON line") -> dict:
        while True:
            line = self.line(timeout, waiting_for)
            if line.startswith("{"):
                return json.loads(line)

    def poll_json(self, timeout: float) -> dict | None:
        """A JSON line if one comes within `timeout`, else None (raises if the peer died)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                return None
            if line is None:
                self.lines.put(None)
                self._died("polling for a message")
            if line.startswith("{"):
                return json.loads(line)

    def message(self, timeout: float = WAIT) -> list[bytes]:
        obj = self.json(timeout, "waiting for a received message")
        if "frames" not in obj:
            raise PeerError(f"expected a message, got {obj}")
        return [bytes.fromhex(f) for f in obj["frames"]]

    def messages(self, n: int, timeout: float = WAIT) -> list[list[bytes]]:
        return [self.message(timeout) for _ in range(n)]

    # -- script mode

    def cmd_raw(self, line: str, timeout: float = WAIT) -> dict:
        assert self.mode == "script"
        try:
            self.proc.stdin.write((line + "\n").encode())
            self.proc.stdin.flush()
        except BrokenPipeError:
            self._died(f"sending command {line!r}")
        return self.json(timeout + 5, f"answering {line!r}")

    def cmd(self, line: str, timeout: float = WAIT) -> dict:
        """Runs a script command; raises PeerError if it answers with an error."""
        ans = self.cmd_raw(line, timeout)
        if "error" in ans:
            if ans["error"] == "ENOTSUP" and "not implemented" in ans.get("message", ""):
                raise ZocketNotImplemented(f"{line}: {ans['message']}")
            raise PeerError(f"zocket peer: {line!r} failed: {ans['error']}: {ans.get('message')}")
        return ans

    def send(self, *frames: bytes, timeout: float = WAIT) -> None:
        self.cmd("send " + " ".join(spec(f) for f in frames), timeout)

    def recv(self, timeout: float = WAIT) -> list[bytes]:
        ans = self.cmd(f"recv {int(timeout * 1000)}", timeout)
        return [bytes.fromhex(f) for f in ans["frames"]]

    def try_recv(self, timeout: float) -> list[bytes] | None:
        """A message if one comes within `timeout`, else None."""
        ans = self.cmd_raw(f"recv {int(timeout * 1000)}", timeout)
        if ans.get("error") == "EAGAIN":
            return None
        if "error" in ans:
            raise PeerError(f"zocket peer: recv failed: {ans['error']}: {ans.get('message')}")
        return [bytes.fromhex(f) for f in ans["frames"]]

    def events(self) -> list[str]:
        return self.cmd("events")["events"]

    # -- ending

    def finish(self, timeout: float = WAIT) -> None:
        """Waits for a clean exit (closing stdin first in script mode)."""
        if self.mode == "script" and self.proc.stdin and not self.proc.stdin.closed:
            try:
                self.proc.stdin.close()
            except BrokenPipeError:
                pass
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise PeerError(f"zocket peer did not exit within {timeout} s\n--- peer stderr ---\n"
                            + "\n".join(self.stderr[-30:])) from None
        if rc != 0:
            self._died("finishing")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass


def spec(frame: bytes) -> str:
    """A frame as the peer's `hex:` spec."""
    return "hex:" + frame.hex()


def gen(n: int) -> bytes:
    """The peer's `size:N` frame: byte j is j % 251."""
    block = bytes(range(251))
    return (block * (n // 251 + 1))[:n]


@pytest.fixture(scope="session")
def peer_exe() -> Path:
    return _state["peer"]


@pytest.fixture
def zpeer(peer_exe):
    """Starts zocket peers; kills whatever is left at the end of the test."""
    started: list[Peer] = []

    def start(stype, mode, **kw) -> Peer:
        p = Peer(peer_exe, stype, mode, **kw)
        started.append(p)
        return p

    yield start
    for p in started:
        p.kill()


# ---------------------------------------------------------------------------
# The libzmq side.

ZTYPE = {t: getattr(zmq, t) for t in ALL_TYPES + ["STREAM"]}


@pytest.fixture
def ctx():
    c = zmq.Context()
    yield c
    c.destroy(linger=0)


@pytest.fixture
def lz(ctx):
    """Makes libzmq sockets with every wait bounded."""

    def make(stype: str, *, timeout: float = WAIT, **opts) -> zmq.Socket:
        s = ctx.socket(ZTYPE[stype.upper()])
        s.setsockopt(zmq.RCVTIMEO, int(timeout * 1000))
        s.setsockopt(zmq.SNDTIMEO, int(timeout * 1000))
        s.setsockopt(zmq.LINGER, 2000)
        for name, value in opts.items():
            s.setsockopt(getattr(zmq, name.upper()), value)
        return s

    return make


def lz_bind(sock: zmq.Socket) -> str:
    port = sock.bind_to_random_port("tcp://127.0.0.1")
    return f"tcp://127.0.0.1:{port}"


def rebind(sock: zmq.Socket, endpoint: str, timeout: float = WAIT) -> None:
    """Binds to a fixed endpoint, retrying while the previous listener is being torn down."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            sock.bind(endpoint)
            return
        except zmq.ZMQError as e:
            if e.errno != zmq.EADDRINUSE or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class LzMonitor:
    """Collects a libzmq socket's monitor events (names) without blocking the test."""

    def __init__(self, sock: zmq.Socket):
        from zmq.utils.monitor import recv_monitor_message
        self._recv = recv_monitor_message
        self.sock = sock.get_monitor_socket()
        self.sock.setsockopt(zmq.RCVTIMEO, 0)
        self.names: dict[int, str] = {
            getattr(zmq, n): n[len("EVENT_"):] for n in dir(zmq)
            if n.startswith("EVENT_") and n not in ("EVENT_ALL", "EVENT_ALL_V1", "EVENT_ALL_V2")
            and isinstance(getattr(zmq, n), int)
        }
        self.events: list[str] = []

    def drain(self) -> list[str]:
        while True:
            try:
                ev = self._recv(self.sock, zmq.NOBLOCK)
            except zmq.Again:
                break
            self.events.append(self.names.get(ev["event"], str(ev["event"])))
        return self.events

    def wait_for(self, name: str, timeout: float = WAIT) -> list[str]:
        deadline = time.monotonic() + timeout
        while name not in self.drain():
            if time.monotonic() > deadline:
                raise AssertionError(f"libzmq monitor: no {name} within {timeout} s; saw {self.events}")
            time.sleep(0.02)
        return self.events


def start_pair(zpeer, lsock: zmq.Socket, ztype: str, mode: str, binds: str, args=()) -> Peer:
    """Starts a zocket peer and wires it to `lsock`; `binds` ("zocket"/"libzmq") says who binds."""
    if binds == "zocket":
        p = zpeer(ztype, mode, bind=True, args=list(args)).ready()
        lsock.connect(p.endpoint)
    else:
        ep = lz_bind(lsock)
        p = zpeer(ztype, mode, connect=ep, args=list(args)).ready()
    return p


def pump(sock: zmq.Socket, seconds: float = 0.0) -> None:
    """Lets a libzmq socket process its pending commands, for `seconds`.

    libzmq attaches the pipe of a connection accepted by a *bound* socket only when
    the application next calls into that socket; a bound SUB/XSUB therefore sends its
    subscriptions to a newly connected publisher only then. ZMQ_EVENTS is such a call.
    """
    deadline = time.monotonic() + seconds
    while True:
        sock.getsockopt(zmq.EVENTS)
        if time.monotonic() >= deadline:
            return
        time.sleep(0.02)


def recv_pumping(peer: Peer, sock: zmq.Socket, timeout: float = WAIT) -> list[bytes]:
    """Receives on a script-mode peer while pumping the libzmq socket (see pump)."""
    deadline = time.monotonic() + timeout
    while True:
        pump(sock)
        msg = peer.try_recv(0.05)
        if msg is not None:
            return msg
        if time.monotonic() > deadline:
            raise PeerError(f"zocket peer received nothing within {timeout} s")


def wait_event(peer: Peer, name: str, timeout: float = WAIT) -> list[str]:
    """Polls a script-mode peer's monitor events until one starts with `name`."""
    deadline = time.monotonic() + timeout
    while True:
        evs = peer.events()
        if any(e.startswith(name) for e in evs):
            return evs
        if time.monotonic() > deadline:
            raise AssertionError(f"zocket monitor: no {name} within {timeout} s; saw {evs}")
        time.sleep(0.05)
