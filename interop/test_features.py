"""Behaviour across the wire with libzmq as the peer: multipart and 1 MiB messages,
binary subscription prefixes, reconnection after the libzmq side restarts, libzmq's
heartbeats, and a refused socket-type mismatch that leaves the zocket socket usable.
"""

from __future__ import annotations

import time

import pytest
import zmq

from conftest import WAIT, LzMonitor, gen, lz_bind, pump, rebind, recv_pumping, start_pair, wait_event

BINDS = ["zocket", "libzmq"]
MIB = 1 << 20


def case(z, l, *rest, marks_types=None):
    ident = "-".join([f"zocket-{z}", f"libzmq-{l}", *map(str, rest)])
    return pytest.param(z, l, *rest, id=ident, marks=pytest.mark.zocket(*(marks_types or [z])))


# ---------------------------------------------------------------------------
# Payloads: multipart (empty, binary, long frames) and 1 MiB messages, both ways.

PAYLOADS = {
    "multipart": [b"", b"\x00\xff", b"multi", b"", gen(300), b"end"],
    "1MiB": [gen(MIB)],
    "1MiB-multipart": [gen(MIB), b"", gen(MIB)[::-1]],
}

PAYLOAD_PAIRS = [("PUSH", "PULL"), ("PULL", "PUSH"), ("PAIR", "PAIR"), ("DEALER", "ROUTER"),
                 ("ROUTER", "DEALER"), ("XPUB", "SUB"), ("SUB", "XPUB")]


def exchange_payload(p, s, z, frames):
    """Sends `frames` each way the pattern allows and checks they arrive intact."""
    back = frames[::-1]
    if z == "PUSH":
        p.send(*frames)
        assert s.recv_multipart() == frames
    elif z == "PULL":
        s.send_multipart(frames)
        assert p.recv() == frames
    elif z == "PAIR":
        s.send_multipart(frames)
        assert p.recv() == frames
        p.send(*back)
        assert s.recv_multipart() == back
    elif z == "DEALER":
        p.send(*frames)
        ident, *got = s.recv_multipart()
        assert got == frames
        s.send_multipart([ident, *back])
        assert p.recv() == back
    elif z == "ROUTER":
        s.send_multipart(frames)
        assert p.recv() == [b"ld", *frames]
        p.send(b"ld", *back)
        assert s.recv_multipart() == back
    elif z == "XPUB":
        assert recv_pumping(p, s) == [b"\x01"]
        p.send(*frames)
        assert s.recv_multipart() == frames
    elif z == "SUB":
        assert s.recv() == b"\x01"
        s.send_multipart(frames)
        assert p.recv() == frames
    else:
        raise AssertionError(z)


@pytest.mark.parametrize("ztype,ltype,binds,payload", [
    case(z, l, b, name) for name in PAYLOADS for z, l in PAYLOAD_PAIRS for b in BINDS])
def test_payload(zpeer, lz, ztype, ltype, binds, payload):
    opts = {"routing_id": b"ld"} if ltype == "DEALER" else {}
    s = lz(ltype, **opts)
    if ltype == "SUB":
        s.setsockopt(zmq.SUBSCRIBE, b"")
    args = ["--subscribe", ""] if ztype == "SUB" else []
    p = start_pair(zpeer, s, ztype, "script", binds, args)
    frames = PAYLOADS[payload]
    exchange_payload(p, s, ztype, frames)
    exchange_payload_again = ztype not in ("XPUB", "SUB")  # subscriptions are consumed once
    if exchange_payload_again:
        exchange_payload(p, s, ztype, frames)
    p.finish()


@pytest.mark.parametrize("ztype,ltype,binds", [
    case("PUSH", "PULL", b) for b in BINDS] + [case("PULL", "PUSH", b) for b in BINDS])
def test_1mib_stream(zpeer, lz, ztype, ltype, binds):
    """Several 1 MiB messages in a row through the peer's send/recv modes."""
    n = 4
    s = lz(ltype)
    big = gen(MIB)
    if ztype == "PUSH":
        p = start_pair(zpeer, s, ztype, "send", binds, ["-n", str(n), "--frame", f"size:{MIB}"])
        for _ in range(n):
            assert s.recv() == big
    else:
        p = start_pair(zpeer, s, ztype, "recv", binds, ["-n", str(n)])
        for _ in range(n):
            s.send(big)
        assert p.messages(n) == [[big]] * n
    p.finish()


# ---------------------------------------------------------------------------
# Binary subscription prefixes (0x00 and 0xFF bytes, prefixes of each other).

PREFIXES = [b"\x00", b"\xff\x00", b"\x01\x02\x03\xff", b"\xff\xff", b"END"]
TOPICS = [b"\x00", b"\x00abc", b"\x01", b"\xff", b"\xff\x00", b"\xff\x00\x00\xff", b"\xff\x01", b"",
          b"\x01\x02\x03", b"\x01\x02\x03\xff\x00", b"\xff\xff\xff", b"\xfe\xff", b"EN"]


def matching(topics, prefixes):
    return [t for t in topics if any(t.startswith(p) for p in prefixes)]


def z_subscribe(p, z, prefix, on=True):
    if z == "SUB":
        p.cmd(("subscribe " if on else "unsubscribe ") + "hex:" + prefix.hex())
    else:
        p.send((b"\x01" if on else b"\x00") + prefix)


def l_subscribe(s, l, prefix, on=True):
    if l == "SUB":
        s.setsockopt(zmq.SUBSCRIBE if on else zmq.UNSUBSCRIBE, prefix)
    else:
        s.send((b"\x01" if on else b"\x00") + prefix)


def recv_until_end(recv):
    got = []
    while True:
        frames = recv()
        if frames[0] == b"END":
            return got
        assert frames[1:] == [b"payload"], frames
        got.append(frames[0])


@pytest.mark.parametrize("ztype,ltype,binds", [
    case(z, l, b) for z, l in [("SUB", "XPUB"), ("XSUB", "XPUB"), ("PUB", "SUB"), ("PUB", "XSUB"),
                               ("XPUB", "SUB"), ("XPUB", "XSUB")] for b in BINDS])
def test_binary_prefixes(zpeer, lz, ztype, ltype, binds):
    s = lz(ltype)
    p = start_pair(zpeer, s, ztype, "script", binds)
    if ztype in ("SUB", "XSUB"):
        for pre in PREFIXES:
            z_subscribe(p, ztype, pre)
        seen = {s.recv() for _ in PREFIXES}
        assert seen == {b"\x01" + pre for pre in PREFIXES}

        def publish():
            for t in TOPICS:
                s.send_multipart([t, b"payload"])
            s.send(b"END")

        publish()
        assert recv_until_end(p.recv) == matching(TOPICS, PREFIXES)
        z_subscribe(p, ztype, b"\x00", on=False)
        assert s.recv() == b"\x00\x00"  # the cancel reaches libzmq's XPUB
        publish()
        assert recv_until_end(p.recv) == matching(TOPICS, PREFIXES[1:])
    else:
        for pre in PREFIXES:
            l_subscribe(s, ltype, pre)
        if ztype == "XPUB":
            seen = {recv_pumping(p, s)[0] for _ in PREFIXES}
            assert seen == {b"\x01" + pre for pre in PREFIXES}
        else:
            p.cmd("wait-handshake 1")
            pump(s, 0.3)

        def publish():
            for t in TOPICS:
                p.send(t, b"payload")
            p.send(b"END")

        publish()
        assert recv_until_end(s.recv_multipart) == matching(TOPICS, PREFIXES)
        l_subscribe(s, ltype, b"\x00", on=False)
        if ztype == "XPUB":
            assert recv_pumping(p, s) == [b"\x00\x00"]
        else:
            pump(s, 0.3)
        publish()
        assert recv_until_end(s.recv_multipart) == matching(TOPICS, PREFIXES[1:])
    p.finish()


# ---------------------------------------------------------------------------
# Reconnection after the libzmq side restarts (closes its socket, a new one comes).


def restart_connecting(zpeer, lz, ztype, ltype, zargs, first, second):
    """zocket connects to a libzmq socket bound at a fixed port, which is restarted."""
    s1 = lz(ltype, **LOPTS.get(ltype, {}))
    ep = lz_bind(s1)
    p = zpeer(ztype, "script", connect=ep, args=zargs).ready()
    first(p, s1)
    s1.close(linger=0)
    s2 = lz(ltype, **LOPTS.get(ltype, {}))
    rebind(s2, ep)
    second(p, s2)
    p.finish()


LOPTS = {"DEALER": {"routing_id": b"ld"}}


def push_round(tag):
    def run(p, s):
        p.cmd("wait-handshake %d" % (1 if tag == b"a" else 2))
        p.send(tag)
        assert s.recv() == tag
    return run


def pull_round(tag):
    def run(p, s):
        s.send(tag)
        assert p.recv() == [tag]
    return run


def sub_round(tag):
    def run(p, s):
        assert s.recv() == b"\x01t"  # the subscription, re-sent on every new connection
        s.send(b"t" + tag)
        assert p.recv() == [b"t" + tag]
    return run


def dealer_round(tag):
    def run(p, s):
        p.cmd("wait-handshake %d" % (1 if tag == b"a" else 2))
        p.send(tag)
        assert s.recv_multipart() == [b"zd", tag]
        s.send_multipart([b"zd", b"re " + tag])
        assert p.recv() == [b"re " + tag]
    return run


def req_round(tag):
    def run(p, s):
        p.cmd("wait-handshake %d" % (1 if tag == b"a" else 2))
        p.send(tag)
        assert s.recv() == tag
        s.send(b"re " + tag)
        assert p.recv() == [b"re " + tag]
    return run


def pair_round(tag):
    def run(p, s):
        p.cmd("wait-handshake %d" % (1 if tag == b"a" else 2))
        s.send(tag)
        assert p.recv() == [tag]
        p.send(b"re " + tag)
        assert s.recv() == b"re " + tag
    return run


CONNECTING_RESTARTS = {
    ("PUSH", "PULL"): ([], push_round),
    ("PULL", "PUSH"): ([], pull_round),
    ("SUB", "XPUB"): (["--subscribe", "t"], sub_round),
    ("XSUB", "XPUB"): (["--subscribe", "t"], sub_round),
    ("DEALER", "ROUTER"): (["--routing-id", "zd"], dealer_round),
    ("REQ", "REP"): ([], req_round),
    ("PAIR", "PAIR"): ([], pair_round),
}


@pytest.mark.parametrize("ztype,ltype", [case(z, l) for z, l in CONNECTING_RESTARTS])
def test_reconnect_after_libzmq_restart_zocket_connects(zpeer, lz, ztype, ltype):
    zargs, make = CONNECTING_RESTARTS[(ztype, ltype)]
    restart_connecting(zpeer, lz, ztype, ltype, zargs, make(b"a"), make(b"b"))


@pytest.mark.parametrize("ztype,ltype", [
    case("PULL", "PUSH"), case("ROUTER", "DEALER"), case("XPUB", "SUB"), case("PAIR", "PAIR")])
def test_reconnect_after_libzmq_restart_zocket_binds(zpeer, lz, ztype, ltype):
    p = zpeer(ztype, "script", bind=True).ready()
    for round_ in (b"a", b"b"):
        s = lz(ltype, **({"routing_id": b"ld"} if ltype == "DEALER" else {}))
        if ltype == "SUB":
            s.setsockopt(zmq.SUBSCRIBE, b"t")
        s.connect(p.endpoint)
        if ztype == "PULL":
            s.send(round_)
            assert p.recv() == [round_]
        elif ztype == "ROUTER":
            s.send(round_)
            assert p.recv() == [b"ld", round_]
            p.send(b"ld", b"re " + round_)
            assert s.recv() == b"re " + round_
        elif ztype == "XPUB":
            assert p.recv() == [b"\x01t"]
            p.send(b"t" + round_)
            assert s.recv() == b"t" + round_
        else:  # PAIR: the new peer is taken once the old one is gone
            s.send(round_)
            assert p.recv() == [round_]
            p.send(b"re " + round_)
            assert s.recv() == b"re " + round_
        s.close(linger=0)
        if ztype == "XPUB":
            # The departed subscriber's topic has no subscriber left: XPUB passes the
            # cancel up (libzmq's xpipe_terminated). Waiting for it also keeps the next
            # subscriber's "t" from landing while the old one still holds it (then a
            # non-verbose XPUB would rightly not pass it up).
            assert p.recv() == [b"\x00t"]
    p.finish()


# ---------------------------------------------------------------------------
# Heartbeats enabled on the libzmq side: zocket answers the PINGs, the connection
# stays up through idle periods much longer than the heartbeat timeout.

HB_IVL_MS = 100
HB_TIMEOUT_MS = 350


def hb_exchange(p, s, z, i):
    tag = b"hb %d" % i
    if z == "PAIR":
        s.send(tag)
        assert p.recv() == [tag]
        p.send(tag)
        assert s.recv() == tag
    elif z == "DEALER":
        p.send(tag)
        assert s.recv_multipart()[1:] == [tag]
    elif z == "ROUTER":
        s.send(tag)
        assert p.recv() == [b"ld", tag]
        p.send(b"ld", tag)
        assert s.recv() == tag
    elif z == "PULL":
        s.send(tag)
        assert p.recv() == [tag]
    elif z == "PUSH":
        p.send(tag)
        assert s.recv() == tag
    elif z == "SUB":
        if i == 0:
            assert s.recv() == b"\x01"
        s.send(tag)
        assert p.recv() == [tag]
    else:
        raise AssertionError(z)


@pytest.mark.parametrize("ztype,ltype,binds,zocket_hb", [
    case(z, l, b, hb) for z, l, hb in [
        ("PAIR", "PAIR", "zocket-hb-off"), ("PAIR", "PAIR", "zocket-hb-on"),
        ("DEALER", "ROUTER", "zocket-hb-off"), ("ROUTER", "DEALER", "zocket-hb-off"),
        ("PULL", "PUSH", "zocket-hb-off"), ("PUSH", "PULL", "zocket-hb-on"),
        ("SUB", "XPUB", "zocket-hb-off")]
    for b in BINDS])
def test_libzmq_heartbeats(zpeer, lz, ztype, ltype, binds, zocket_hb):
    s = lz(ltype, heartbeat_ivl=HB_IVL_MS, heartbeat_timeout=HB_TIMEOUT_MS, heartbeat_ttl=1000,
           **({"routing_id": b"ld"} if ltype == "DEALER" else {}))
    mon = LzMonitor(s)
    args = []
    if zocket_hb == "zocket-hb-on":
        args += ["--heartbeat-ivl", str(HB_IVL_MS), "--heartbeat-timeout", str(HB_TIMEOUT_MS)]
    if ztype == "SUB":
        args += ["--subscribe", ""]
    p = start_pair(zpeer, s, ztype, "script", binds, args)
    hb_exchange(p, s, ztype, 0)
    # Idle for 12 intervals (over 3 heartbeat timeouts), then traffic every interval.
    time.sleep(12 * HB_IVL_MS / 1000)
    for i in range(1, 8):
        hb_exchange(p, s, ztype, i)
        time.sleep(HB_IVL_MS / 1000)
    time.sleep(6 * HB_IVL_MS / 1000)
    hb_exchange(p, s, ztype, 99)
    lz_events = mon.drain()
    z_events = p.events()
    assert lz_events.count("HANDSHAKE_SUCCEEDED") == 1, lz_events
    assert "DISCONNECTED" not in lz_events, lz_events
    assert sum(e.startswith("HANDSHAKE_SUCCEEDED") for e in z_events) == 1, z_events
    assert not any(e.startswith("DISCONNECTED") for e in z_events), z_events
    p.finish()


# ---------------------------------------------------------------------------
# A socket-type mismatch is refused; the zocket socket keeps working with a good peer.


@pytest.mark.zocket("PUSH")
def test_mismatch_libzmq_push_to_zocket_push(zpeer, lz):
    p = zpeer("PUSH", "script", bind=True).ready()
    bad = lz("PUSH")
    bad_mon = LzMonitor(bad)
    bad.connect(p.endpoint)
    wait_event(p, "HANDSHAKE_FAILED")
    good = lz("PULL")
    good.connect(p.endpoint)
    p.cmd("wait-handshake 1")
    for i in range(10):
        p.send(b"m %d" % i)
    assert [good.recv() for _ in range(10)] == [b"m %d" % i for i in range(10)]
    assert "HANDSHAKE_SUCCEEDED" not in bad_mon.drain(), bad_mon.events
    p.finish()


@pytest.mark.zocket("PULL")
def test_mismatch_zocket_pull_connects_to_libzmq_pull(zpeer, lz):
    bad = lz("PULL")
    good = lz("PUSH")
    bad_ep, good_ep = lz_bind(bad), lz_bind(good)
    p = zpeer("PULL", "script", connect=[bad_ep, good_ep]).ready()
    for i in range(10):
        good.send(b"m %d" % i)
    assert [p.recv() for _ in range(10)] == [[b"m %d" % i] for i in range(10)]
    wait_event(p, "HANDSHAKE_FAILED")
    with pytest.raises(zmq.Again):
        bad.recv(flags=zmq.NOBLOCK)
    p.finish()


@pytest.mark.parametrize("ztype,bad_type,good_type", [
    case("PAIR", "PUB", "PAIR"),
    case("PULL", "PULL", "PUSH"),
    case("REP", "REP", "REQ"),
    case("PUB", "PUB", "SUB"),
    case("ROUTER", "PUSH", "DEALER"),
])
def test_mismatch_refused_and_socket_stays_usable(zpeer, lz, ztype, bad_type, good_type):
    p = zpeer(ztype, "script", bind=True).ready()
    bad = lz(bad_type)
    bad_mon = LzMonitor(bad)
    bad.connect(p.endpoint)
    evs = wait_event(p, "HANDSHAKE_FAILED")
    assert not any(e.startswith("HANDSHAKE_SUCCEEDED") for e in evs), evs
    good = lz(good_type, **({"routing_id": b"ld"} if good_type == "DEALER" else {}))
    if good_type == "SUB":
        good.setsockopt(zmq.SUBSCRIBE, b"")
    good.connect(p.endpoint)
    p.cmd("wait-handshake 1")
    if ztype == "PAIR":
        good.send(b"hello")
        assert p.recv() == [b"hello"]
        p.send(b"world")
        assert good.recv() == b"world"
    elif ztype == "PULL":
        good.send(b"hello")
        assert p.recv() == [b"hello"]
    elif ztype == "REP":
        good.send(b"hello")
        assert p.recv() == [b"hello"]
        p.send(b"world")
        assert good.recv() == b"world"
    elif ztype == "PUB":
        time.sleep(0.3)
        p.send(b"hello")
        assert good.recv() == b"hello"
    elif ztype == "ROUTER":
        good.send(b"hello")
        assert p.recv() == [b"ld", b"hello"]
        p.send(b"ld", b"world")
        assert good.recv() == b"world"
    assert "HANDSHAKE_SUCCEEDED" not in bad_mon.drain(), bad_mon.events
    p.finish()


@pytest.mark.zocket("PAIR")
def test_zocket_heartbeat_detects_a_frozen_libzmq_peer(zpeer, tmp_path):
    """A libzmq process that stops answering (SIGSTOP: TCP stays up, PINGs go
    unanswered) is dropped by zocket's HEARTBEAT_TIMEOUT, and zocket reconnects once
    it runs again."""
    import signal
    import subprocess
    import sys

    script = (
        "import sys, zmq\n"
        "c = zmq.Context(); s = c.socket(zmq.PAIR); s.setsockopt(zmq.LINGER, 0)\n"
        "s.setsockopt(zmq.RCVTIMEO, 20000)\n"
        "print(s.bind_to_random_port('tcp://127.0.0.1'), flush=True)\n"
        "while True:\n"
        "    try:\n"
        "        m = s.recv()\n"
        "    except zmq.Again:\n"
        "        break\n"
        "    s.send(b're ' + m)\n"
    )
    lib = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        port = lib.stdout.readline().strip()
        assert port.isdigit(), port
        p = zpeer("PAIR", "script", connect=f"tcp://127.0.0.1:{port}",
                  args=["--heartbeat-ivl", "100", "--heartbeat-timeout", "300"]).ready()
        p.send(b"one")
        assert p.recv() == [b"re one"]
        lib.send_signal(signal.SIGSTOP)
        evs = wait_event(p, "DISCONNECTED", timeout=5)
        assert sum(e.startswith("HANDSHAKE_SUCCEEDED") for e in evs) == 1, evs
        lib.send_signal(signal.SIGCONT)
        p.cmd("wait-handshake 2")
        p.send(b"two")
        assert p.recv() == [b"re two"]
        p.finish()
    finally:
        lib.send_signal(signal.SIGCONT)
        lib.kill()
        lib.wait(timeout=5)


@pytest.mark.zocket("ROUTER")
def test_zocket_router_refuses_a_duplicate_libzmq_routing_id(zpeer, lz):
    """Without ROUTER_HANDOVER the first peer keeps its routing id; the second one's
    connection is dropped (libzmq's rule), and replies still reach the first."""
    p = zpeer("ROUTER", "script", bind=True).ready()
    a = lz("DEALER", routing_id=b"same")
    a.connect(p.endpoint)
    a.send(b"from a")
    assert p.recv() == [b"same", b"from a"]
    b = lz("DEALER", routing_id=b"same")
    b.connect(p.endpoint)
    b.send(b"from b")
    assert p.try_recv(0.5) is None, "a second peer with the same routing id was accepted"
    p.send(b"same", b"to a")
    assert a.recv() == b"to a"
    with pytest.raises(zmq.Again):
        b.recv(flags=zmq.NOBLOCK)
    p.finish()


@pytest.mark.zocket("XPUB")
def test_zocket_xpub_verbose_passes_every_subscription_up(zpeer, lz):
    p = zpeer("XPUB", "script", bind=True, args=["--xpub-verbose"]).ready()
    subs = [lz("SUB"), lz("SUB")]
    for s in subs:
        s.setsockopt(zmq.SUBSCRIBE, b"\x00dup")
        s.connect(p.endpoint)
    assert [p.recv(), p.recv()] == [[b"\x01\x00dup"]] * 2
    p.send(b"\x00dup!")
    assert [s.recv() for s in subs] == [b"\x00dup!"] * 2
    p.finish()


@pytest.mark.zocket("SUB")
def test_zocket_sub_subscribes_to_every_libzmq_publisher(zpeer, lz):
    pubs = [lz("XPUB"), lz("XPUB")]
    eps = [lz_bind(s) for s in pubs]
    p = zpeer("SUB", "recv", connect=eps, args=["-n", "2", "--subscribe", "hex:ff"]).ready()
    for k, s in enumerate(pubs):
        assert s.recv() == b"\x01\xff"
        s.send(b"\x00no")
        s.send(b"\xffpub %d" % k)
    assert sorted(p.messages(2)) == [[b"\xffpub 0"], [b"\xffpub 1"]]
    p.finish()
