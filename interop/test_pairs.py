"""Every compatible pair of socket types, libzmq on one side and zocket on the other,
with each side binding in turn.

A case is (zocket type, libzmq type, who binds). The ordered pairs cover both "which
side is zocket" choices; each case runs the pattern's natural exchange both ways where
the pattern has two ways (requests and replies, PAIR, envelopes, subscriptions).
"""

from __future__ import annotations

import time

import pytest
import zmq

from conftest import WAIT, pump, recv_pumping, start_pair

N = 5

COMPATIBLE = {
    "PAIR": ["PAIR"],
    "PUB": ["SUB", "XSUB"],
    "XPUB": ["SUB", "XSUB"],
    "SUB": ["PUB", "XPUB"],
    "XSUB": ["PUB", "XPUB"],
    "REQ": ["REP", "ROUTER"],
    "REP": ["REQ", "DEALER"],
    "DEALER": ["REP", "DEALER", "ROUTER"],
    "ROUTER": ["REQ", "DEALER", "ROUTER"],
    "PUSH": ["PULL"],
    "PULL": ["PUSH"],
}

CASES = [
    pytest.param(z, l, binds, id=f"zocket-{z}-{'binds' if binds == 'zocket' else 'connects'}-libzmq-{l}",
                 marks=pytest.mark.zocket(z))
    for z, peers in COMPATIBLE.items()
    for l in peers
    for binds in ("zocket", "libzmq")
]


def lz_subscribe(sock, ltype, prefix):
    if ltype == "SUB":
        sock.setsockopt(zmq.SUBSCRIBE, prefix)
    else:  # XSUB subscribes with a message
        sock.send(b"\x01" + prefix)


# -- pipeline -----------------------------------------------------------------


def push_pull_z_sends(zpeer, lz, z, l, binds):
    s = lz(l)
    p = start_pair(zpeer, s, z, "send", binds, ["-n", str(N), "--frame", "push {i}"])
    assert [s.recv() for _ in range(N)] == [b"push %d" % i for i in range(N)]
    p.finish()


def push_pull_z_recvs(zpeer, lz, z, l, binds):
    s = lz(l)
    p = start_pair(zpeer, s, z, "recv", binds, ["-n", str(N)])
    for i in range(N):
        s.send(b"pull %d" % i)
    assert p.messages(N) == [[b"pull %d" % i] for i in range(N)]
    p.finish()


# -- exclusive pair ----------------------------------------------------------


def pair_pair(zpeer, lz, z, l, binds):
    s = lz(l)
    p = start_pair(zpeer, s, z, "echo", binds, ["-n", str(N)])
    for i in range(N):
        s.send(b"pair %d" % i)
        assert s.recv() == b"pair %d" % i
    assert p.messages(N) == [[b"pair %d" % i] for i in range(N)]
    p.finish()


# -- request-reply -----------------------------------------------------------


def req_to_rep(zpeer, lz, z, l, binds):
    # zocket REQ (or DEALER adding the empty delimiter itself) asks libzmq REP.
    s = lz(l)
    frames = ["--frame", "req {i}"] if z == "REQ" else ["--frame", "hex:", "--frame", "req {i}"]
    p = start_pair(zpeer, s, z, "request", binds, ["-n", str(N), *frames])
    for i in range(N):
        assert s.recv_multipart() == [b"req %d" % i]
        s.send(b"rep %d" % i)
    want = [[b"rep %d" % i] if z == "REQ" else [b"", b"rep %d" % i] for i in range(N)]
    assert p.messages(N) == want
    p.finish()


def req_to_router(zpeer, lz, z, l, binds):
    # zocket REQ/DEALER with a routing id asks libzmq ROUTER, which sees the id.
    s = lz(l)
    frames = ["--frame", "req {i}"] if z == "REQ" else ["--frame", "hex:", "--frame", "req {i}"]
    p = start_pair(zpeer, s, z, "request", binds,
                   ["-n", str(N), "--routing-id", "zclient", *frames])
    for i in range(N):
        ident, *rest = s.recv_multipart()
        assert ident == b"zclient"
        assert rest == [b"", b"req %d" % i]
        s.send_multipart([ident, b"", b"rep %d" % i])
    want = [[b"rep %d" % i] if z == "REQ" else [b"", b"rep %d" % i] for i in range(N)]
    assert p.messages(N) == want
    p.finish()


def rep_from_req(zpeer, lz, z, l, binds):
    # libzmq REQ (or DEALER with the delimiter) asks zocket REP, which echoes.
    s = lz(l)
    p = start_pair(zpeer, s, z, "echo", binds, ["-n", str(N)])
    for i in range(N):
        if l == "REQ":
            s.send(b"q %d" % i)
            assert s.recv_multipart() == [b"q %d" % i]
        else:
            s.send_multipart([b"", b"q %d" % i])
            assert s.recv_multipart() == [b"", b"q %d" % i]
    assert p.messages(N) == [[b"q %d" % i] for i in range(N)]
    p.finish()


def dealer_dealer(zpeer, lz, z, l, binds):
    s = lz(l)
    p = start_pair(zpeer, s, z, "request", binds, ["-n", str(N), "--frame", "d {i}", "--frame", "x"])
    for i in range(N):
        assert s.recv_multipart() == [b"d %d" % i, b"x"]
        s.send_multipart([b"back %d" % i, b"y"])
    assert p.messages(N) == [[b"back %d" % i, b"y"] for i in range(N)]
    p.finish()


def router_from_client(zpeer, lz, z, l, binds):
    # libzmq REQ/DEALER with a routing id asks zocket ROUTER, which echoes the envelope.
    s = lz(l, routing_id=b"lclient")
    p = start_pair(zpeer, s, z, "echo", binds, ["-n", str(N)])
    for i in range(N):
        if l == "REQ":
            s.send(b"r %d" % i)
            assert s.recv_multipart() == [b"r %d" % i]
        else:
            s.send_multipart([b"r %d" % i, b"tail"])
            assert s.recv_multipart() == [b"r %d" % i, b"tail"]
    want = [[b"lclient", b"", b"r %d" % i] if l == "REQ" else [b"lclient", b"r %d" % i, b"tail"]
            for i in range(N)]
    assert p.messages(N) == want
    p.finish()


def router_router(zpeer, lz, z, l, binds):
    # Both sides name themselves; zocket speaks first, once the handshake is done.
    s = lz(l, routing_id=b"L", router_mandatory=1)
    p = start_pair(zpeer, s, z, "request", binds,
                   ["-n", str(N), "--routing-id", "Z", "--router-mandatory", "--wait-handshake", "1",
                    "--frame", "L", "--frame", "rr {i}"])
    for i in range(N):
        assert s.recv_multipart() == [b"Z", b"rr %d" % i]
        s.send_multipart([b"Z", b"ok %d" % i])
    assert p.messages(N) == [[b"L", b"ok %d" % i] for i in range(N)]
    p.finish()


# -- publish-subscribe -------------------------------------------------------


def pub_to_sub(zpeer, lz, z, l, binds):
    s = lz(l)
    lz_subscribe(s, l, b"t")
    p = start_pair(zpeer, s, z, "script", binds)
    if z == "PUB":
        # A PUB cannot see subscriptions: wait for the handshake, then a moment for
        # the subscription that follows it on the wire.
        p.cmd("wait-handshake 1")
        pump(s, 0.3)
    else:
        assert recv_pumping(p, s) == [b"\x01t"]  # XPUB passes the subscription up
    for i in range(N):
        p.send(b"u %d" % i)  # matches nothing: filtered out by zocket
        p.send(b"t %d" % i)
    assert [s.recv() for _ in range(N)] == [b"t %d" % i for i in range(N)]
    p.finish()


def sub_from_pub(zpeer, lz, z, l, binds):
    s = lz(l)
    p = start_pair(zpeer, s, z, "recv", binds, ["-n", str(N), "--subscribe", "t"])
    if l == "XPUB":
        assert s.recv() == b"\x01t"
        for i in range(N):
            s.send(b"u %d" % i)
            s.send(b"t %d" % i)
        assert p.messages(N) == [[b"t %d" % i] for i in range(N)]
    else:
        # libzmq PUB: publish until the subscription has arrived and N got through.
        got, k = [], 0
        deadline = time.monotonic() + WAIT
        while len(got) < N:
            assert time.monotonic() < deadline, f"zocket {z} received only {got}"
            s.send(b"u %d" % k)
            s.send(b"t %d" % k)
            k += 1
            m = p.poll_json(0.02)
            if m:
                got.append(bytes.fromhex(m["frames"][0]))
        first = int(got[0].split()[1])
        assert got == [b"t %d" % (first + i) for i in range(N)], "lost or unfiltered messages"
    p.finish()


SCENARIOS = {
    ("PUSH", "PULL"): push_pull_z_sends,
    ("PULL", "PUSH"): push_pull_z_recvs,
    ("PAIR", "PAIR"): pair_pair,
    ("REQ", "REP"): req_to_rep,
    ("DEALER", "REP"): req_to_rep,
    ("REQ", "ROUTER"): req_to_router,
    ("DEALER", "ROUTER"): req_to_router,
    ("REP", "REQ"): rep_from_req,
    ("REP", "DEALER"): rep_from_req,
    ("DEALER", "DEALER"): dealer_dealer,
    ("ROUTER", "REQ"): router_from_client,
    ("ROUTER", "DEALER"): router_from_client,
    ("ROUTER", "ROUTER"): router_router,
    ("PUB", "SUB"): pub_to_sub,
    ("PUB", "XSUB"): pub_to_sub,
    ("XPUB", "SUB"): pub_to_sub,
    ("XPUB", "XSUB"): pub_to_sub,
    ("SUB", "PUB"): sub_from_pub,
    ("SUB", "XPUB"): sub_from_pub,
    ("XSUB", "PUB"): sub_from_pub,
    ("XSUB", "XPUB"): sub_from_pub,
}


def test_scenarios_cover_every_pair():
    assert set(SCENARIOS) == {(z, l) for z, ls in COMPATIBLE.items() for l in ls}


@pytest.mark.parametrize("ztype,ltype,binds", CASES)
def test_pair(zpeer, lz, ztype, ltype, binds):
    SCENARIOS[(ztype, ltype)](zpeer, lz, ztype, ltype, binds)
