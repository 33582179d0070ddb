"""Several libzmq peers on one zocket socket (load balancing, fair queueing, routing),
bursts that cross the high-water marks, connecting before the peer binds, and
close with LINGER losing nothing.
"""

from __future__ import annotations

import socket

import pytest
import zmq

from conftest import WAIT, lz_bind, start_pair

BINDS = ["zocket", "libzmq"]


def free_endpoint() -> str:
    """An endpoint where nothing listens (yet)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{s.getsockname()[1]}"


@pytest.mark.zocket("PUSH")
def test_push_round_robins_over_libzmq_pulls(zpeer, lz):
    p = zpeer("PUSH", "script", bind=True).ready()
    pulls = [lz("PULL"), lz("PULL")]
    for s in pulls:
        s.connect(p.endpoint)
    p.cmd("wait-handshake 2")
    for i in range(10):
        p.send(b"m %d" % i)
    got = [[s.recv() for _ in range(5)] for s in pulls]
    assert sorted(got[0] + got[1]) == sorted(b"m %d" % i for i in range(10))
    for g in got:  # strict alternation: each pull sees every other message
        idx = [int(m.split()[1]) for m in g]
        assert idx == list(range(idx[0], 10, 2)), got
    p.finish()


@pytest.mark.zocket("DEALER")
def test_dealer_round_robins_over_libzmq_reps(zpeer, lz):
    reps = [lz("REP"), lz("REP")]
    eps = [lz_bind(s) for s in reps]
    p = zpeer("DEALER", "script", connect=eps).ready()
    p.cmd("wait-handshake 2")
    for i in range(4):
        p.send(b"", b"q %d" % i)
    seen = []
    for s in reps:
        for _ in range(2):
            q = s.recv()
            seen.append(q)
            s.send(b"re " + q)
    assert sorted(seen) == [b"q %d" % i for i in range(4)]
    replies = sorted(p.recv()[1] for _ in range(4))
    assert replies == [b"re q %d" % i for i in range(4)]
    p.finish()


@pytest.mark.zocket("PULL")
@pytest.mark.parametrize("binds", BINDS)
def test_pull_fair_queues_libzmq_pushes(zpeer, lz, binds):
    n = 200
    pushes = [lz("PUSH"), lz("PUSH"), lz("PUSH")]
    if binds == "zocket":
        p = zpeer("PULL", "recv", bind=True, args=["-n", str(3 * n)]).ready()
        for s in pushes:
            s.connect(p.endpoint)
    else:
        eps = [lz_bind(s) for s in pushes]
        p = zpeer("PULL", "recv", connect=eps, args=["-n", str(3 * n)]).ready()
    for i in range(n):
        for k, s in enumerate(pushes):
            s.send(b"%d %d" % (k, i))
    got = [m[0] for m in p.messages(3 * n)]
    for k in range(3):
        mine = [int(m.split()[1]) for m in got if m.startswith(b"%d " % k)]
        assert mine == list(range(n)), f"sender {k}: lost or reordered"
    p.finish()


@pytest.mark.zocket("ROUTER")
def test_router_routes_replies_to_each_libzmq_dealer(zpeer, lz):
    p = zpeer("ROUTER", "echo", bind=True, args=["-n", "6"]).ready()
    dealers = []
    for k in range(3):
        d = lz("DEALER", routing_id=b"d%d" % k)
        d.connect(p.endpoint)
        dealers.append(d)
    for r in range(2):
        for k, d in enumerate(dealers):
            d.send_multipart([b"from d%d" % k, b"r%d" % r])
    for k, d in enumerate(dealers):
        for r in range(2):
            assert d.recv_multipart() == [b"from d%d" % k, b"r%d" % r]
    got = p.messages(6)
    assert sorted(m[0] for m in got) == sorted([b"d0", b"d1", b"d2"] * 2)
    assert all(m[1] == b"from " + m[0] for m in got)
    p.finish()


@pytest.mark.parametrize("ztype,ltype,binds", [
    pytest.param(z, l, b, id=f"zocket-{z}-libzmq-{l}-{b}-binds", marks=pytest.mark.zocket(z))
    for z, l in [("PUSH", "PULL"), ("PULL", "PUSH"), ("DEALER", "DEALER")] for b in BINDS])
def test_burst_past_the_hwm(zpeer, lz, ztype, ltype, binds):
    """20 000 messages, far past both sides' HWM of 1000: none lost, order kept, the
    sender held back by the receiver instead of dropping."""
    n = 20_000
    s = lz(ltype, sndhwm=100, rcvhwm=100)
    if ztype in ("PUSH", "DEALER"):
        p = start_pair(zpeer, s, ztype, "send", binds,
                       ["-n", str(n), "--frame", "burst {i}", "--sndhwm", "100"])
        for i in range(n):
            assert s.recv() == b"burst %d" % i
    else:
        p = start_pair(zpeer, s, ztype, "recv", binds, ["-n", str(n), "--rcvhwm", "100"])
        for i in range(n):
            s.send(b"burst %d" % i)
        got = p.messages(n)
        assert got == [[b"burst %d" % i] for i in range(n)]
    p.finish(timeout=2 * WAIT)


@pytest.mark.parametrize("ztype,ltype", [
    pytest.param(z, l, id=f"zocket-{z}-libzmq-{l}", marks=pytest.mark.zocket(z))
    for z, l in [("PUSH", "PULL"), ("DEALER", "ROUTER"), ("PAIR", "PAIR")]])
def test_send_before_the_libzmq_peer_binds_then_close_with_linger(zpeer, lz, ztype, ltype):
    """zocket connects to nothing, queues messages, closes (LINGER = forever) and keeps
    delivering until the libzmq socket binds and has them all."""
    ep = free_endpoint()
    n = 50
    p = zpeer(ztype, "send", connect=ep, args=["-n", str(n), "--frame", "early {i}"])
    p.ready()
    assert p.json(WAIT) == {"sent": n}  # every send returned before any peer existed
    s = lz(ltype)
    s.bind(ep)
    for i in range(n):
        frames = s.recv_multipart()
        assert frames[-1] == b"early %d" % i
    p.finish()


@pytest.mark.zocket("XSUB")
def test_xsub_zmtp30_style_subscription_message_is_understood_by_libzmq(zpeer, lz):
    """An XSUB subscribes by sending \\x01prefix; libzmq's PUB must filter on it."""
    pub = lz("PUB")
    ep = lz_bind(pub)
    p = zpeer("XSUB", "script", connect=ep).ready()
    p.send(b"\x01keep")
    p.cmd("wait-handshake 1")
    got = []
    for _ in range(200):
        pub.send(b"drop me")
        pub.send(b"keep me")
        try:
            got.append(p.recv(timeout=0.02))
        except AssertionError:
            pass
        if got:
            break
    assert got and all(m == [b"keep me"] for m in got), got
    p.finish()


def test_libzmq_version():
    assert zmq.zmq_version() == "4.3.5"
