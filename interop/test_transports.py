"""ipc:// (filesystem paths and Linux abstract names) and the STREAM socket (raw TCP)
against libzmq, both sides binding in turn.
"""

from __future__ import annotations

import os
import tempfile
import uuid

import pytest
import zmq

from conftest import WAIT, recv_pumping


def ipc_endpoints():
    path = os.path.join(tempfile.gettempdir(), f"zocket-interop-{uuid.uuid4().hex[:12]}.sock")
    return {"path": f"ipc://{path}", "abstract": f"ipc://@zocket-interop-{uuid.uuid4().hex[:12]}"}


@pytest.mark.zocket("PUSH")
@pytest.mark.parametrize("kind", ["path", "abstract"])
def test_ipc_zocket_binds_libzmq_connects(zpeer, lz, kind):
    ep = ipc_endpoints()[kind]
    p = zpeer("PUSH", "script", args=["--bind", ep]).ready()
    assert p.endpoint == ep
    pull = lz("PULL")
    pull.connect(ep)
    p.cmd("wait-handshake 1")
    for i in range(20):
        p.send(b"over ipc %d" % i)
    assert [pull.recv() for _ in range(20)] == [b"over ipc %d" % i for i in range(20)]
    p.finish()


@pytest.mark.zocket("PULL")
@pytest.mark.parametrize("kind", ["path", "abstract"])
def test_ipc_libzmq_binds_zocket_connects(zpeer, lz, kind):
    ep = ipc_endpoints()[kind]
    push = lz("PUSH")
    push.bind(ep)
    p = zpeer("PULL", "script", connect=ep).ready()
    p.cmd("wait-handshake 1")
    for i in range(20):
        push.send_multipart([b"part", b"%d" % i])
    for i in range(20):
        assert p.recv() == [b"part", b"%d" % i]
    p.finish()


@pytest.mark.zocket("STREAM")
def test_stream_zocket_connects_to_libzmq_stream(zpeer, lz):
    server = lz("STREAM")
    port = server.bind_to_random_port("tcp://127.0.0.1")
    p = zpeer("STREAM", "script", connect=f"tcp://127.0.0.1:{port}").ready()
    # Both sides announce the connection as [id][empty].
    zid, empty = p.recv()
    assert empty == b""
    lid, empty = server.recv_multipart()
    assert empty == b""
    p.send(zid, b"hello libzmq")
    got = b""
    while len(got) < len(b"hello libzmq"):
        frm, data = server.recv_multipart()
        assert frm == lid
        got += data
    assert got == b"hello libzmq"
    server.send_multipart([lid, b"hello zocket"])
    got = b""
    while len(got) < len(b"hello zocket"):
        frm, data = p.recv()
        assert frm == zid
        got += data
    assert got == b"hello zocket"
    # libzmq closes the connection with an empty frame; zocket sees the departure.
    server.send_multipart([lid, b""])
    # libzmq closes it when the application next calls into the socket (pump).
    assert recv_pumping(p, server) == [zid, b""]
    p.finish()


@pytest.mark.zocket("STREAM")
def test_libzmq_stream_connects_to_zocket_stream(zpeer, lz):
    p = zpeer("STREAM", "script", bind=True).ready()
    client = lz("STREAM")
    client.connect(p.endpoint)
    lid, empty = client.recv_multipart()
    assert empty == b""
    zid, empty = p.recv()
    assert empty == b""
    client.send_multipart([lid, b"GET / HTTP/1.0\r\n\r\n"])
    got = b""
    while len(got) < 18:
        frm, data = p.recv()
        assert frm == zid
        got += data
    assert got == b"GET / HTTP/1.0\r\n\r\n"
    p.send(zid, b"HTTP/1.0 200 OK\r\n\r\n")
    got = b""
    while len(got) < 19:
        frm, data = client.recv_multipart()
        assert frm == lid
        got += data
    assert got == b"HTTP/1.0 200 OK\r\n\r\n"
    # zocket closes this peer with an empty frame; libzmq sees the departure.
    p.send(zid, b"")
    assert client.recv_multipart() == [lid, b""]
    p.finish()
