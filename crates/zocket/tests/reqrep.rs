//! Request-reply over TCP: REQ, REP, DEALER and ROUTER, with their envelopes,
//! state machines, routing ids and options.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use zocket::{Error, Message, Monitor, MonitorEvent, Socket, SocketType};

const T: Duration = Duration::from_secs(5);

fn msg(frames: &[&[u8]]) -> Message {
    frames.iter().map(|f| Bytes::copy_from_slice(f)).collect()
}

async fn recv(s: &Socket) -> Message {
    tokio::time::timeout(T, s.recv())
        .await
        .expect("timed out")
        .unwrap()
}

async fn send(s: &Socket, m: Message) {
    tokio::time::timeout(T, s.send(m))
        .await
        .expect("timed out")
        .unwrap();
}

fn socket(t: SocketType, configure: impl FnOnce(&mut zocket::Options)) -> Socket {
    let s = Socket::new(t).unwrap();
    let mut o = s.options();
    configure(&mut o);
    s.set_options(o).unwrap();
    s
}

async fn bound(t: SocketType) -> (Socket, String) {
    let s = Socket::new(t).unwrap();
    let ep = s.bind("tcp://127.0.0.1:*").await.unwrap();
    (s, ep)
}

/// Waits for the first event `pick` accepts.
async fn wait_for(m: &mut Monitor, pick: impl Fn(&MonitorEvent) -> bool) -> MonitorEvent {
    loop {
        let ev = tokio::time::timeout(T, m.recv())
            .await
            .expect("no event")
            .expect("monitor ended");
        if pick(&ev) {
            return ev;
        }
    }
}

async fn handshakes(m: &mut Monitor, n: usize) {
    for _ in 0..n {
        wait_for(m, |e| matches!(e, MonitorEvent::HandshakeSucceeded { .. })).await;
    }
}

/// A port nobody listens on (bound, then released).
fn free_endpoint() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("tcp://127.0.0.1:{port}")
}

async fn round_trips(req: &Socket, rep: &Socket) {
    for i in 0..3u8 {
        send(req, msg(&[b"request", &[i]])).await;
        assert_eq!(recv(rep).await, msg(&[b"request", &[i]]));
        send(rep, msg(&[b"reply", &[i]])).await;
        assert_eq!(recv(req).await, msg(&[b"reply", &[i]]));
    }
}

#[tokio::test]
async fn req_rep_round_trips_when_rep_binds() {
    let (rep, ep) = bound(SocketType::Rep).await;
    let req = Socket::new(SocketType::Req).unwrap();
    req.connect(&ep).await.unwrap();
    round_trips(&req, &rep).await;
}

#[tokio::test]
async fn req_rep_round_trips_when_req_binds() {
    let (req, ep) = bound(SocketType::Req).await;
    let rep = Socket::new(SocketType::Rep).unwrap();
    rep.connect(&ep).await.unwrap();
    // The REQ has no pipe until the REP's connection is accepted: send waits for it.
    round_trips(&req, &rep).await;
}

#[tokio::test]
async fn req_round_robins_over_reps() {
    let req = Socket::new(SocketType::Req).unwrap();
    for name in ["a", "b"] {
        let (rep, ep) = bound(SocketType::Rep).await;
        req.connect(&ep).await.unwrap();
        let rep = Arc::new(rep);
        tokio::spawn(async move {
            while rep.recv().await.is_ok() {
                if rep.send(name).await.is_err() {
                    return;
                }
            }
        });
    }
    let mut got = Vec::new();
    for _ in 0..6 {
        send(&req, msg(&[b"who"])).await;
        got.push(recv(&req).await);
    }
    let got: Vec<&[u8]> = got.iter().map(|m| &m[0][..]).collect();
    assert_eq!(got, [b"a", b"b", b"a", b"b", b"a", b"b"]);
}

#[tokio::test]
async fn alternation_is_enforced_with_efsm() {
    let req = Socket::new(SocketType::Req).unwrap();
    assert_eq!(req.try_recv().unwrap_err().errno_name(), "EFSM");
    let rep = Socket::new(SocketType::Rep).unwrap();
    assert_eq!(rep.try_send("x").unwrap_err().errno_name(), "EFSM");
    let ep = rep.bind("tcp://127.0.0.1:*").await.unwrap();
    req.connect(&ep).await.unwrap();

    send(&req, msg(&[b"one"])).await;
    let err = req.try_send("two").unwrap_err();
    assert!(
        matches!(
            err,
            Error::Fsm {
                operation: "send",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.errno_name(), "EFSM");

    assert_eq!(recv(&rep).await, msg(&[b"one"]));
    // A reply is owed: another request may not be taken yet.
    assert_eq!(rep.try_recv().unwrap_err().errno_name(), "EFSM");
    rep.try_send("reply").unwrap();
    assert_eq!(rep.try_send("again").unwrap_err().errno_name(), "EFSM");
    // Back to waiting for a request.
    assert!(matches!(rep.try_recv(), Err(Error::WouldBlock)));

    assert_eq!(recv(&req).await, msg(&[b"reply"]));
    assert_eq!(req.try_recv().unwrap_err().errno_name(), "EFSM");
    // The reply ended the exchange; the next request is allowed.
    send(&req, msg(&[b"three"])).await;
    assert_eq!(recv(&rep).await, msg(&[b"three"]));
}

#[tokio::test]
async fn req_relaxed_resends_and_correlate_ignores_the_stale_reply() {
    let (rep, ep) = bound(SocketType::Rep).await;
    let req = socket(SocketType::Req, |o| {
        o.req_relaxed = true;
        o.req_correlate = true;
    });
    req.connect(&ep).await.unwrap();
    send(&req, msg(&[b"first"])).await;
    assert_eq!(recv(&rep).await, msg(&[b"first"]));
    // Relaxed: a new request replaces the one still unanswered.
    send(&req, msg(&[b"second"])).await;
    send(&rep, msg(&[b"reply to first"])).await;
    assert_eq!(recv(&rep).await, msg(&[b"second"]));
    send(&rep, msg(&[b"reply to second"])).await;
    assert_eq!(recv(&req).await, msg(&[b"reply to second"]));
    assert_eq!(req.try_recv().unwrap_err().errno_name(), "EFSM");
}

#[tokio::test]
async fn req_correlate_sends_an_id_and_checks_it() {
    let (router, ep) = bound(SocketType::Router).await;
    let req = socket(SocketType::Req, |o| {
        o.req_correlate = true;
        o.routing_id = Bytes::from_static(b"req");
    });
    req.connect(&ep).await.unwrap();
    let mut ids = Vec::new();
    for _ in 0..2 {
        send(&req, msg(&[b"q"])).await;
        let got = recv(&router).await;
        assert_eq!(got.len(), 4, "{got:?}");
        assert_eq!(
            (&got[0][..], &got[2][..], &got[3][..]),
            (&b"req"[..], &b""[..], &b"q"[..])
        );
        let id: [u8; 4] = got[1][..].try_into().expect("a 4-byte request id");
        ids.push(u32::from_ne_bytes(id));
        // A reply with another request id is dropped, the right one accepted.
        let wrong = id.map(|b| !b);
        send(&router, msg(&[b"req", &wrong, b"", b"wrong"])).await;
        send(&router, msg(&[b"req", &id, b"", b"right"])).await;
        assert_eq!(recv(&req).await, msg(&[b"right"]));
    }
    assert_eq!(ids[1], ids[0].wrapping_add(1));
}

/// A REQ (routing id "req") connected to two ROUTERs, both handshakes done.
async fn req_with_two_routers() -> (Socket, [(Socket, String); 2]) {
    let req = socket(SocketType::Req, |o| {
        o.routing_id = Bytes::from_static(b"req")
    });
    let mut mon = req.monitor();
    let routers = [
        bound(SocketType::Router).await,
        bound(SocketType::Router).await,
    ];
    for (_, ep) in &routers {
        req.connect(ep).await.unwrap();
    }
    handshakes(&mut mon, 2).await;
    (req, routers)
}

#[tokio::test]
async fn req_takes_replies_only_from_the_peer_it_asked() {
    let (req, [(r1, _), (r2, _)]) = req_with_two_routers().await;
    send(&req, msg(&[b"q"])).await;
    // Round-robin starts with the first pipe.
    assert_eq!(recv(&r1).await, msg(&[b"req", b"", b"q"]));
    send(&r2, msg(&[b"req", b"", b"impostor"])).await;
    // Give the impostor's reply time to arrive first (the result does not depend on it).
    tokio::time::sleep(Duration::from_millis(50)).await;
    send(&r1, msg(&[b"req", b"", b"genuine"])).await;
    assert_eq!(recv(&req).await, msg(&[b"genuine"]));
}

#[tokio::test]
async fn req_takes_any_reply_once_the_asked_peer_is_gone() {
    let (req, [(r1, ep1), (r2, _)]) = req_with_two_routers().await;
    send(&req, msg(&[b"q"])).await;
    assert_eq!(recv(&r1).await, msg(&[b"req", b"", b"q"]));
    req.disconnect(&ep1).await.unwrap();
    send(&r2, msg(&[b"req", b"", b"stand-in"])).await;
    assert_eq!(recv(&req).await, msg(&[b"stand-in"]));
}

#[tokio::test]
async fn req_drops_the_connection_on_a_malformed_reply() {
    let (router, ep) = bound(SocketType::Router).await;
    let req = socket(SocketType::Req, |o| o.routing_id = Bytes::from_static(b"r"));
    let mut events = req.monitor();
    req.connect(&ep).await.unwrap();
    send(&req, msg(&[b"q"])).await;
    recv(&router).await;
    // No empty delimiter: libzmq's REQ treats this as a protocol error.
    send(&router, msg(&[b"r", b"no delimiter", b"x"])).await;
    send(&router, msg(&[b"r", b"", b"too late"])).await;
    let err = req
        .recv_timeout(Some(Duration::from_millis(300)))
        .await
        .unwrap_err();
    assert_eq!(err.errno_name(), "EAGAIN");
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(5), events.recv())
            .await
            .expect("connection not dropped")
            .unwrap();
        if matches!(ev, MonitorEvent::Disconnected { .. }) {
            break;
        }
    }
}

#[tokio::test]
async fn req_ignores_well_formed_replies_from_other_peers() {
    let (r1, ep1) = bound(SocketType::Router).await;
    let (r2, ep2) = bound(SocketType::Router).await;
    let req = socket(SocketType::Req, |o| o.routing_id = Bytes::from_static(b"r"));
    req.connect(&ep1).await.unwrap();
    req.connect(&ep2).await.unwrap();
    send(&req, msg(&[b"q"])).await;
    // Round-robin picked one of the two; the other answers too, uninvited.
    let (asked, other) = tokio::select! {
        m = r1.recv() => { m.unwrap(); (&r1, &r2) }
        m = r2.recv() => { m.unwrap(); (&r2, &r1) }
    };
    send(other, msg(&[b"r", b"", b"uninvited"])).await;
    send(asked, msg(&[b"r", b"", b"ok"])).await;
    assert_eq!(recv(&req).await, msg(&[b"ok"]));
}

#[tokio::test]
async fn dealer_router_with_chosen_routing_ids() {
    let (router, ep) = bound(SocketType::Router).await;
    let dealer = socket(SocketType::Dealer, |o| {
        o.routing_id = Bytes::from_static(b"alice")
    });
    dealer.connect(&ep).await.unwrap();
    send(&dealer, msg(&[b"hi", b"there"])).await;
    assert_eq!(recv(&router).await, msg(&[b"alice", b"hi", b"there"]));
    send(&router, msg(&[b"alice", b"back"])).await;
    assert_eq!(recv(&dealer).await, msg(&[b"back"]));
}

/// A ROUTER maps whole batches of a connection's messages at once: each keeps
/// its own peer's routing id, single- and multi-frame alike, in the order sent.
#[tokio::test]
async fn router_receives_bursts_from_two_dealers_in_order_under_their_ids() {
    let (router, ep) = bound(SocketType::Router).await;
    let mut dealers = Vec::new();
    for id in [&b"alice"[..], b"bob"] {
        let d = socket(SocketType::Dealer, |o| o.routing_id = Bytes::from(id));
        d.connect(&ep).await.unwrap();
        dealers.push(d);
    }
    const N: u32 = 2000;
    for i in 0..N {
        for d in &dealers {
            let n = i.to_be_bytes();
            let m = if i % 3 == 0 {
                msg(&[&n, b"tail"])
            } else {
                msg(&[&n])
            };
            send(d, m).await;
        }
    }
    let mut next = [0u32; 2];
    for _ in 0..2 * N {
        let m = recv(&router).await;
        let who = match &m[0][..] {
            b"alice" => 0,
            b"bob" => 1,
            other => panic!("unknown routing id {other:?}"),
        };
        let i = next[who];
        assert_eq!(&m[1][..], &i.to_be_bytes()[..], "{m:?}");
        assert_eq!(m.len(), if i % 3 == 0 { 3 } else { 2 }, "{m:?}");
        next[who] += 1;
    }
    assert_eq!(next, [N, N]);
}

#[tokio::test]
async fn router_generates_ids_for_anonymous_peers() {
    let (router, ep) = bound(SocketType::Router).await;
    let d1 = Socket::new(SocketType::Dealer).unwrap();
    let d2 = Socket::new(SocketType::Dealer).unwrap();
    d1.connect(&ep).await.unwrap();
    d2.connect(&ep).await.unwrap();
    send(&d1, msg(&[b"one"])).await;
    let m1 = recv(&router).await;
    send(&d2, msg(&[b"two"])).await;
    let m2 = recv(&router).await;
    for (m, body) in [(&m1, b"one"), (&m2, b"two")] {
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].len(), 5, "{m:?}");
        assert_eq!(m[0][0], 0);
        assert_eq!(&m[1][..], body);
    }
    assert_ne!(m1[0], m2[0]);
    send(&router, msg(&[&m2[0], b"for two"])).await;
    send(&router, msg(&[&m1[0], b"for one"])).await;
    assert_eq!(recv(&d1).await, msg(&[b"for one"]));
    assert_eq!(recv(&d2).await, msg(&[b"for two"]));
}

#[tokio::test]
async fn router_routes_each_reply_to_its_peer() {
    let (router, ep) = bound(SocketType::Router).await;
    let names: [&[u8]; 3] = [b"a", b"b", b"c"];
    let mut dealers = Vec::new();
    for name in names {
        let d = socket(SocketType::Dealer, |o| {
            o.routing_id = Bytes::copy_from_slice(name)
        });
        d.connect(&ep).await.unwrap();
        send(&d, msg(&[b"hello"])).await;
        dealers.push(d);
    }
    let mut seen = Vec::new();
    for _ in names {
        let m = recv(&router).await;
        assert_eq!(&m[1][..], b"hello");
        seen.push(m[0].clone());
    }
    seen.sort();
    assert_eq!(seen, names.map(Bytes::copy_from_slice));
    for name in names.iter().rev() {
        send(&router, msg(&[name, b"to", name])).await;
    }
    for (d, name) in dealers.iter().zip(names) {
        assert_eq!(recv(d).await, msg(&[b"to", name]));
    }
}

#[tokio::test]
async fn router_drops_unroutable_messages_silently() {
    let (router, ep) = bound(SocketType::Router).await;
    let dealer = socket(SocketType::Dealer, |o| {
        o.routing_id = Bytes::from_static(b"d")
    });
    dealer.connect(&ep).await.unwrap();
    send(&dealer, msg(&[b"hi"])).await;
    recv(&router).await;
    router.try_send(msg(&[b"nobody", b"lost"])).unwrap();
    // A lone routing id, without a body, is dropped too.
    router.try_send(msg(&[b"d"])).unwrap();
    router.try_send(msg(&[b"d", b"delivered"])).unwrap();
    assert_eq!(recv(&dealer).await, msg(&[b"delivered"]));
    assert!(matches!(dealer.try_recv(), Err(Error::WouldBlock)));
}

#[tokio::test]
async fn router_mandatory_reports_unknown_and_departed_peers() {
    let (router, ep) = bound(SocketType::Router).await;
    let mut o = router.options();
    o.router_mandatory = true;
    router.set_options(o).unwrap();
    let err = router.try_send(msg(&[b"nobody", b"x"])).unwrap_err();
    assert!(matches!(err, Error::HostUnreachable), "{err:?}");
    assert_eq!(err.errno_name(), "EHOSTUNREACH");
    // A lone frame is not a routing id: dropped without complaint, as in libzmq.
    router.try_send(msg(&[b"nobody"])).unwrap();

    let dealer = socket(SocketType::Dealer, |o| {
        o.routing_id = Bytes::from_static(b"d");
        o.linger = Some(Duration::ZERO);
    });
    dealer.connect(&ep).await.unwrap();
    send(&dealer, msg(&[b"hi"])).await;
    recv(&router).await;
    router.try_send(msg(&[b"d", b"x"])).unwrap();
    assert_eq!(recv(&dealer).await, msg(&[b"x"]));
    dealer.close().await.unwrap();
    // The peer's departure is noticed asynchronously.
    tokio::time::timeout(T, async {
        loop {
            match router.try_send(msg(&[b"d", b"x"])) {
                Err(Error::HostUnreachable) => break,
                Ok(()) => tokio::time::sleep(Duration::from_millis(10)).await,
                Err(e) => panic!("{e:?}"),
            }
        }
    })
    .await
    .expect("the departed peer stays routable");
}

#[tokio::test]
async fn router_at_a_full_peer_drops_or_would_block_with_mandatory() {
    let dead = free_endpoint();
    for mandatory in [false, true] {
        let router = socket(SocketType::Router, |o| {
            o.sndhwm = 1;
            o.router_mandatory = mandatory;
            o.connect_routing_id = Some(Bytes::from_static(b"peer"));
        });
        router.connect(&dead).await.unwrap();
        // The connect-time routing id is routable at once; messages queue on the pipe.
        router.try_send(msg(&[b"peer", b"1"])).unwrap();
        let second = router.try_send(msg(&[b"peer", b"2"]));
        if mandatory {
            assert!(matches!(second, Err(Error::WouldBlock)), "{second:?}");
            let r = router
                .send_timeout(msg(&[b"peer", b"2"]), Some(Duration::from_millis(20)))
                .await;
            assert!(matches!(r, Err(Error::Timeout)), "{r:?}");
        } else {
            second.unwrap();
        }
    }
}

#[tokio::test]
async fn connect_routing_id_names_the_peer_and_is_consumed() {
    let server = socket(SocketType::Router, |o| {
        o.routing_id = Bytes::from_static(b"srv-own")
    });
    let ep = server.bind("tcp://127.0.0.1:*").await.unwrap();
    let client = socket(SocketType::Router, |o| {
        o.routing_id = Bytes::from_static(b"cli");
        o.connect_routing_id = Some(Bytes::from_static(b"srv"));
    });
    client.connect(&ep).await.unwrap();
    assert_eq!(client.options().connect_routing_id, None);
    // Routable before the connection is even up.
    send(&client, msg(&[b"srv", b"hello"])).await;
    assert_eq!(recv(&server).await, msg(&[b"cli", b"hello"]));
    send(&server, msg(&[b"cli", b"world"])).await;
    assert_eq!(recv(&client).await, msg(&[b"srv", b"world"]));
}

#[tokio::test]
async fn duplicate_routing_id_is_refused() {
    let (router, ep) = bound(SocketType::Router).await;
    let mut mon = router.monitor();
    let first = socket(SocketType::Dealer, |o| {
        o.routing_id = Bytes::from_static(b"dup")
    });
    first.connect(&ep).await.unwrap();
    send(&first, msg(&[b"one"])).await;
    assert_eq!(recv(&router).await, msg(&[b"dup", b"one"]));

    let second = socket(SocketType::Dealer, |o| {
        o.routing_id = Bytes::from_static(b"dup")
    });
    second.connect(&ep).await.unwrap();
    send(&second, msg(&[b"two"])).await;
    let ev = wait_for(&mut mon, |e| matches!(e, MonitorEvent::Disconnected { .. })).await;
    let MonitorEvent::Disconnected { reason, .. } = ev else {
        unreachable!()
    };
    assert!(reason.contains("routing id"), "{reason}");

    send(&first, msg(&[b"three"])).await;
    assert_eq!(recv(&router).await, msg(&[b"dup", b"three"]));
    send(&router, msg(&[b"dup", b"x"])).await;
    assert_eq!(recv(&first).await, msg(&[b"x"]));
}

#[tokio::test]
async fn router_handover_gives_the_id_to_the_newcomer() {
    let router = socket(SocketType::Router, |o| o.router_handover = true);
    let ep = router.bind("tcp://127.0.0.1:*").await.unwrap();
    let old = socket(SocketType::Dealer, |o| {
        o.routing_id = Bytes::from_static(b"h")
    });
    old.connect(&ep).await.unwrap();
    send(&old, msg(&[b"old"])).await;
    assert_eq!(recv(&router).await, msg(&[b"h", b"old"]));
    send(&router, msg(&[b"h", b"to old"])).await;
    assert_eq!(recv(&old).await, msg(&[b"to old"]));

    let mut old_events = old.monitor();
    let new = socket(SocketType::Dealer, |o| {
        o.routing_id = Bytes::from_static(b"h")
    });
    new.connect(&ep).await.unwrap();
    send(&new, msg(&[b"new"])).await;
    assert_eq!(recv(&router).await, msg(&[b"h", b"new"]));
    send(&router, msg(&[b"h", b"to new"])).await;
    assert_eq!(recv(&new).await, msg(&[b"to new"]));
    assert!(matches!(old.try_recv(), Err(Error::WouldBlock)));
    // The old connection is closed, as libzmq does.
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(5), old_events.recv())
            .await
            .expect("old connection never closed")
            .unwrap();
        if matches!(ev, MonitorEvent::Disconnected { .. }) {
            break;
        }
    }
}

#[tokio::test]
async fn probe_router_announces_each_connection() {
    let (router, ep) = bound(SocketType::Router).await;
    for (t, id) in [
        (SocketType::Dealer, &b"dealer"[..]),
        (SocketType::Req, b"req"),
        (SocketType::Router, b"router"),
    ] {
        let s = socket(t, |o| {
            o.probe_router = true;
            o.routing_id = Bytes::copy_from_slice(id);
        });
        s.connect(&ep).await.unwrap();
        assert_eq!(recv(&router).await, msg(&[id, b""]), "{t:?}");
    }
}

#[tokio::test]
async fn rep_drops_requests_without_an_envelope() {
    let (rep, ep) = bound(SocketType::Rep).await;
    let dealer = Socket::new(SocketType::Dealer).unwrap();
    dealer.connect(&ep).await.unwrap();
    send(&dealer, msg(&[b"no envelope"])).await;
    send(&dealer, msg(&[b"x", b""])).await;
    send(&dealer, msg(&[b"", b"good"])).await;
    assert_eq!(recv(&rep).await, msg(&[b"good"]));
    send(&rep, msg(&[b"reply"])).await;
    assert_eq!(recv(&dealer).await, msg(&[b"", b"reply"]));
    assert!(matches!(rep.try_recv(), Err(Error::WouldBlock)));
    assert!(matches!(dealer.try_recv(), Err(Error::WouldBlock)));
}

#[tokio::test]
async fn rep_returns_the_whole_envelope_to_a_dealer() {
    let (rep, ep) = bound(SocketType::Rep).await;
    let dealer = Socket::new(SocketType::Dealer).unwrap();
    dealer.connect(&ep).await.unwrap();
    send(
        &dealer,
        msg(&[b"hop1", b"hop2", b"", b"request", b"", b"tail"]),
    )
    .await;
    // Only up to the first delimiter is envelope; the body may hold empty frames.
    assert_eq!(recv(&rep).await, msg(&[b"request", b"", b"tail"]));
    send(&rep, msg(&[b"reply"])).await;
    assert_eq!(recv(&dealer).await, msg(&[b"hop1", b"hop2", b"", b"reply"]));
}

#[tokio::test]
async fn rep_replies_to_the_requester_among_several() {
    let (rep, ep) = bound(SocketType::Rep).await;
    let mut reqs = Vec::new();
    for i in 0..3u8 {
        let req = Socket::new(SocketType::Req).unwrap();
        req.connect(&ep).await.unwrap();
        send(&req, msg(&[&[i]])).await;
        reqs.push(req);
    }
    for _ in 0..3 {
        let m = recv(&rep).await;
        let echo = msg(&[b"echo", &m[0]]);
        send(&rep, echo).await;
    }
    for (i, req) in reqs.iter().enumerate() {
        assert_eq!(recv(req).await, msg(&[b"echo", &[i as u8]]));
    }
}

#[tokio::test]
async fn dealer_blocks_at_hwm() {
    let dealer = socket(SocketType::Dealer, |o| o.sndhwm = 2);
    dealer.connect(&free_endpoint()).await.unwrap();
    dealer.try_send("a").unwrap();
    dealer.try_send("b").unwrap();
    assert!(matches!(dealer.try_send("c"), Err(Error::WouldBlock)));
}

#[tokio::test]
async fn req_reconnects_after_rep_restarts() {
    let ep = free_endpoint();
    let req = Socket::new(SocketType::Req).unwrap();
    req.connect(&ep).await.unwrap();
    let rep = Socket::new(SocketType::Rep).unwrap();
    rep.bind(&ep).await.unwrap();
    round_trips(&req, &rep).await;

    let mut mon = req.monitor();
    let mut o = rep.options();
    o.linger = Some(Duration::ZERO);
    rep.set_options(o).unwrap();
    rep.close().await.unwrap();
    wait_for(&mut mon, |e| matches!(e, MonitorEvent::Disconnected { .. })).await;
    let rep = Socket::new(SocketType::Rep).unwrap();
    rep.bind(&ep).await.unwrap();
    handshakes(&mut mon, 1).await;
    round_trips(&req, &rep).await;
}

#[tokio::test]
async fn router_notify_announces_connections_and_disconnections() {
    let router = socket(SocketType::Router, |o| {
        o.router_notify_connect = true;
        o.router_notify_disconnect = true;
    });
    let ep = router.bind("tcp://127.0.0.1:*").await.unwrap();
    let named = socket(SocketType::Dealer, |o| {
        o.routing_id = Bytes::from_static(b"d1")
    });
    named.connect(&ep).await.unwrap();
    assert_eq!(recv(&router).await, msg(&[b"d1", b""]));
    send(&named, msg(&[b"hi"])).await;
    assert_eq!(recv(&router).await, msg(&[b"d1", b"hi"]));

    // An anonymous peer is announced under the id generated for it.
    let anonymous = Socket::new(SocketType::Dealer).unwrap();
    anonymous.connect(&ep).await.unwrap();
    let hello = recv(&router).await;
    assert_eq!((hello.len(), &hello[1][..]), (2, &b""[..]));
    let id = hello[0].clone();
    assert_eq!((id.len(), id[0]), (5, 0));
    send(&anonymous, msg(&[b"yo"])).await;
    assert_eq!(recv(&router).await, msg(&[&id, b"yo"]));

    named.close().await.unwrap();
    assert_eq!(recv(&router).await, msg(&[b"d1", b""]));
    anonymous.close().await.unwrap();
    assert_eq!(recv(&router).await, msg(&[&id, b""]));
}

#[tokio::test]
async fn router_delivers_a_departed_peers_last_messages_before_its_disconnection() {
    let router = socket(SocketType::Router, |o| o.router_notify_disconnect = true);
    let ep = router.bind("tcp://127.0.0.1:*").await.unwrap();
    let mut mon = router.monitor();
    let dealer = socket(SocketType::Dealer, |o| {
        o.routing_id = Bytes::from_static(b"d")
    });
    dealer.connect(&ep).await.unwrap();
    send(&dealer, msg(&[b"last", b"words"])).await;
    dealer.close().await.unwrap();
    // Received only once the connection is gone: the words keep the peer's id.
    wait_for(&mut mon, |e| matches!(e, MonitorEvent::Disconnected { .. })).await;
    assert_eq!(recv(&router).await, msg(&[b"d", b"last", b"words"]));
    assert_eq!(recv(&router).await, msg(&[b"d", b""]));
    assert!(matches!(router.try_recv(), Err(Error::WouldBlock)));
}

#[tokio::test]
async fn router_notify_connect_only_on_a_connecting_router() {
    router_notify_across_reconnections(true, false).await;
}

#[tokio::test]
async fn router_notify_disconnect_only_on_a_connecting_router() {
    router_notify_across_reconnections(false, true).await;
}

#[tokio::test]
async fn router_notify_both_on_a_connecting_router() {
    router_notify_across_reconnections(true, true).await;
}

/// A connecting ROUTER's peer restarts: notifications come, on the one pipe, in order
/// with the peer's messages, exactly for the flags set.
async fn router_notify_across_reconnections(connect: bool, disconnect: bool) {
    let ep = free_endpoint();
    let router = socket(SocketType::Router, |o| {
        o.router_notify_connect = connect;
        o.router_notify_disconnect = disconnect;
        o.connect_routing_id = Some(Bytes::from_static(b"peer"));
    });
    router.connect(&ep).await.unwrap();
    let notice = msg(&[b"peer", b""]);
    for (i, word) in [&b"first"[..], b"second"].into_iter().enumerate() {
        let dealer = socket(SocketType::Dealer, |o| o.linger = Some(Duration::ZERO));
        dealer.bind(&ep).await.unwrap();
        if connect {
            assert_eq!(recv(&router).await, notice, "connect {i}");
        }
        send(&dealer, msg(&[word])).await;
        assert_eq!(recv(&router).await, msg(&[b"peer", word]));
        tokio::time::timeout(T, dealer.close())
            .await
            .unwrap()
            .unwrap();
        if disconnect {
            assert_eq!(recv(&router).await, notice, "disconnect {i}");
        }
    }
}

/// A current-thread runtime (`workers` 0) or a multi-thread one.
fn runtime(workers: usize) -> tokio::runtime::Runtime {
    if workers == 0 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()
            .unwrap()
    }
}

/// Round trips in a row on each kind of runtime: each receive waits, so each
/// polls its connection's engine itself and takes its wake-ups from the
/// engine's task (`engine::drive`); a wake-up lost between the two would stall
/// a round trip until the timeout.
#[test]
fn round_trips_in_a_row_lose_no_wake_up_on_any_runtime() {
    for workers in [0, 1, 2] {
        runtime(workers).block_on(async {
            let (rep, ep) = bound(SocketType::Rep).await;
            let req = Socket::new(SocketType::Req).unwrap();
            req.connect(&ep).await.unwrap();
            let server = tokio::spawn(async move {
                for _ in 0..2000 {
                    let m = recv(&rep).await;
                    send(&rep, m).await;
                }
                rep
            });
            for i in 0..2000u32 {
                send(&req, msg(&[&i.to_be_bytes()])).await;
                assert_eq!(
                    &recv(&req).await[0][..],
                    &i.to_be_bytes(),
                    "{workers} workers"
                );
            }
            drop(server.await.unwrap());
        });
    }
}

/// A REP with several clients: its waiting receives poll all their engines and
/// take the wake-ups of each.
#[test]
fn a_rep_serving_several_clients_loses_no_wake_up_on_any_runtime() {
    for workers in [0, 1, 2] {
        runtime(workers).block_on(async {
            let (rep, ep) = bound(SocketType::Rep).await;
            let mut clients = Vec::new();
            for c in 0..3u8 {
                let req = Socket::new(SocketType::Req).unwrap();
                req.connect(&ep).await.unwrap();
                clients.push(tokio::spawn(async move {
                    for i in 0..300u32 {
                        let body = [&[c][..], &i.to_be_bytes()].concat();
                        send(&req, msg(&[&body])).await;
                        assert_eq!(&recv(&req).await[0][..], &body[..]);
                    }
                }));
            }
            for _ in 0..900 {
                let m = recv(&rep).await;
                send(&rep, m).await;
            }
            for c in clients {
                c.await.unwrap();
            }
        });
    }
}
