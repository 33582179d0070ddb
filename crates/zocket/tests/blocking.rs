//! The blocking API: round trips per pattern, timeouts, non-blocking calls, sharing
//! sockets between std threads, close with linger, refusal inside a tokio runtime,
//! blocking monitors and contexts.
//!
//! Every wait is bounded (receives use `recv_timeout`, loops have deadlines), and no
//! test asserts on how long something took.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use zocket::blocking::{
    self, Context, Dealer, Monitor, Pair, Pub, Pull, Push, Rep, Req, Router, Socket, Sub, XPub,
    XSub, is_inside_runtime,
};
use zocket::{Error, Message, MonitorEvent, SocketType};

const T: Duration = Duration::from_secs(5);
const LOCAL: &str = "tcp://127.0.0.1:*";

fn text(m: &Message, i: usize) -> &str {
    std::str::from_utf8(&m[i]).unwrap()
}

/// The next event, waiting at most [`T`].
fn next(m: &Monitor) -> MonitorEvent {
    m.recv_timeout(T)
        .expect("no event in time")
        .expect("monitor ended")
}

/// Events up to and including the first named `name`.
fn until(m: &Monitor, name: &str) -> Vec<MonitorEvent> {
    let mut seen = Vec::new();
    loop {
        let ev = next(m);
        let done = ev.zmq_name() == name;
        seen.push(ev);
        if done {
            return seen;
        }
    }
}

/// Publishes `probe` until `sub` receives it, so that the matching subscription is
/// known to be in place at the publisher.
fn sync(publisher: &Pub, sub: &Sub, probe: &'static str) {
    let deadline = Instant::now() + T;
    loop {
        assert!(Instant::now() < deadline, "subscription never took effect");
        publisher.send(probe).unwrap();
        if let Ok(m) = sub.recv_timeout(Duration::from_millis(20)) {
            if &m[0][..] == probe.as_bytes() {
                return;
            }
        }
    }
}

#[test]
fn push_pull_round_trip() {
    let pull = Pull::new().unwrap();
    let ep = pull.bind(LOCAL).unwrap();
    assert!(
        ep.starts_with("tcp://127.0.0.1:") && !ep.ends_with(":*"),
        "{ep}"
    );
    assert_eq!(pull.last_endpoint().as_deref(), Some(ep.as_str()));
    let push = Push::new().unwrap();
    push.connect(&ep).unwrap();
    assert_eq!(push.last_endpoint().as_deref(), Some(ep.as_str()));
    for i in 0..100 {
        // Every other message copied from a borrowed buffer.
        let m = format!("msg {i}");
        if i % 2 == 0 {
            push.send(m).unwrap();
        } else {
            push.send_copy(m.as_bytes()).unwrap();
        }
    }
    let mut multipart = Message::single("a");
    multipart.push_back("b");
    push.send(multipart.clone()).unwrap();
    for i in 0..100 {
        assert_eq!(text(&pull.recv_timeout(T).unwrap(), 0), format!("msg {i}"));
    }
    assert_eq!(pull.recv_timeout(T).unwrap(), multipart);
}

#[test]
fn req_rep_round_trips() {
    let rep = Rep::new().unwrap();
    let ep = rep.bind(LOCAL).unwrap();
    let req = Req::new().unwrap();
    req.connect(&ep).unwrap();
    for i in 0..10 {
        req.send(format!("request {i}")).unwrap();
        let got = rep.recv_timeout(T).unwrap();
        assert_eq!(text(&got, 0), format!("request {i}"));
        rep.send(format!("reply {i}")).unwrap();
        assert_eq!(text(&req.recv_timeout(T).unwrap(), 0), format!("reply {i}"));
    }
    // REQ alternates strictly: a second request before the reply is refused.
    req.send("one").unwrap();
    assert!(matches!(req.send("two"), Err(Error::Fsm { .. })));
}

#[test]
fn dealer_router_round_trip() {
    let router = Router::new().unwrap();
    let ep = router.bind(LOCAL).unwrap();
    let dealer = Dealer::new().unwrap();
    let mut o = dealer.options();
    o.routing_id = "worker-1".into();
    dealer.set_options(o).unwrap();
    dealer.connect(&ep).unwrap();
    dealer.send("job").unwrap();
    let m = router.recv_timeout(T).unwrap();
    assert_eq!((text(&m, 0), text(&m, 1)), ("worker-1", "job"));
    let mut reply = Message::single("worker-1");
    reply.push_back("done");
    router.send(reply).unwrap();
    assert_eq!(text(&dealer.recv_timeout(T).unwrap(), 0), "done");
}

#[test]
fn pair_both_directions() {
    let a = Pair::new().unwrap();
    let ep = a.bind(LOCAL).unwrap();
    let b = Pair::new().unwrap();
    b.connect(&ep).unwrap();
    b.send("ping").unwrap();
    assert_eq!(text(&a.recv_timeout(T).unwrap(), 0), "ping");
    a.send("pong").unwrap();
    assert_eq!(text(&b.recv_timeout(T).unwrap(), 0), "pong");
}

#[test]
fn pub_sub_filters_by_prefix() {
    let publisher = Pub::new().unwrap();
    let ep = publisher.bind(LOCAL).unwrap();
    let sub = Sub::new().unwrap();
    sub.subscribe("weather").unwrap();
    sub.connect(&ep).unwrap();
    sync(&publisher, &sub, "weather#sync");
    publisher.send("sports: 3-1").unwrap();
    publisher.send("weather: sunny").unwrap();
    // Messages arrive in order, so the non-matching one was filtered out if the
    // next one received (probes skipped) is the weather report.
    let got = loop {
        let m = sub.recv_timeout(T).unwrap();
        if &m[0][..] != b"weather#sync" {
            break m;
        }
    };
    assert_eq!(text(&got, 0), "weather: sunny");
}

#[test]
fn xpub_sees_subscriptions_and_xsub_subscribes() {
    let xpub = XPub::new().unwrap();
    let ep = xpub.bind(LOCAL).unwrap();
    let xsub = XSub::new().unwrap();
    xsub.subscribe("news").unwrap();
    xsub.connect(&ep).unwrap();
    assert_eq!(&xpub.recv_timeout(T).unwrap()[0][..], b"\x01news");
    xpub.send("news: hello").unwrap();
    assert_eq!(text(&xsub.recv_timeout(T).unwrap(), 0), "news: hello");
    // An XSUB can also subscribe by sending.
    xsub.send(&b"\x01sport"[..]).unwrap();
    assert_eq!(&xpub.recv_timeout(T).unwrap()[0][..], b"\x01sport");
}

/// A receive sleeps on the sockets of its connections in a poller of its own:
/// replies over tcp and ipc wake it, one round trip after another.
#[test]
fn receives_sleeping_on_their_connection_get_every_reply() {
    let ipc = format!(
        "ipc:///tmp/zocket-blocking-poller-{}.ipc",
        std::process::id()
    );
    for endpoint in [LOCAL, ipc.as_str()] {
        let rep = Rep::new().unwrap();
        let ep = rep.bind(endpoint).unwrap();
        let server = thread::spawn(move || {
            for _ in 0..200 {
                let m = rep.recv_timeout(T).unwrap();
                rep.send(m).unwrap();
            }
        });
        let req = Req::new().unwrap();
        req.connect(&ep).unwrap();
        for i in 0..200 {
            req.send(format!("{i}")).unwrap();
            assert_eq!(text(&req.recv_timeout(T).unwrap(), 0), format!("{i}"));
        }
        server.join().unwrap();
    }
}

/// A sleeping receive wakes for any connection: more than it sleeps on itself
/// (the others wake it through the engines' workers), and connections that come
/// and go one after another (their descriptors are reused).
#[test]
fn a_sleeping_receive_wakes_for_connections_coming_and_going() {
    let pull = Pull::new().unwrap();
    let ep = pull.bind(LOCAL).unwrap();
    let many: Vec<Push> = (0..10)
        .map(|_| {
            let p = Push::new().unwrap();
            p.connect(&ep).unwrap();
            p
        })
        .collect();
    for (i, p) in many.iter().enumerate() {
        p.send(format!("many {i}")).unwrap();
    }
    let got: HashSet<String> = (0..10)
        .map(|_| text(&pull.recv_timeout(T).unwrap(), 0).to_string())
        .collect();
    assert_eq!(got.len(), 10);
    drop(many);
    for i in 0..20 {
        let p = Push::new().unwrap();
        p.connect(&ep).unwrap();
        // Sent once the receive is likely asleep.
        let sender = thread::spawn(move || {
            thread::sleep(Duration::from_millis(5));
            p.send(format!("one {i}")).unwrap();
            p.close().unwrap();
        });
        assert_eq!(text(&pull.recv_timeout(T).unwrap(), 0), format!("one {i}"));
        sender.join().unwrap();
    }
    // A receive that sleeps on a connection still times out.
    let p = Push::new().unwrap();
    p.connect(&ep).unwrap();
    p.send("last").unwrap();
    assert_eq!(text(&pull.recv_timeout(T).unwrap(), 0), "last");
    let err = pull.recv_timeout(Duration::from_millis(20)).unwrap_err();
    assert!(matches!(err, Error::Timeout), "{err:?}");
}

#[test]
fn timeouts_return_timeout_with_eagain() {
    let pull = Pull::new().unwrap();
    let ep = pull.bind(LOCAL).unwrap();
    let err = pull.recv_timeout(Duration::from_millis(20)).unwrap_err();
    assert!(matches!(err, Error::Timeout), "{err:?}");
    assert_eq!(err.errno_name(), "EAGAIN");
    assert_eq!(err.errno(), 11);

    // A PUSH with no peer has nowhere to put a message.
    let push = Push::new().unwrap();
    let err = push
        .send_timeout("nowhere", Duration::from_millis(20))
        .unwrap_err();
    assert!(matches!(err, Error::Timeout), "{err:?}");
    assert_eq!(err.errno_name(), "EAGAIN");

    // RCVTIMEO and SNDTIMEO bound the plain calls.
    let mut o = pull.options();
    o.rcvtimeo = Some(Duration::from_millis(20));
    pull.set_options(o).unwrap();
    assert!(matches!(pull.recv(), Err(Error::Timeout)));
    let mut o = push.options();
    o.sndtimeo = Some(Duration::from_millis(20));
    push.set_options(o).unwrap();
    assert!(matches!(push.send("nowhere"), Err(Error::Timeout)));

    // The sockets still work after timing out.
    push.connect(&ep).unwrap();
    push.send_timeout("late", T).unwrap();
    assert_eq!(text(&pull.recv_timeout(T).unwrap(), 0), "late");
}

#[test]
fn try_calls_would_block() {
    let pull = Pull::new().unwrap();
    let ep = pull.bind(LOCAL).unwrap();
    let err = pull.try_recv().unwrap_err();
    assert!(matches!(err, Error::WouldBlock), "{err:?}");
    assert!(err.is_would_block());
    assert_eq!(err.errno_name(), "EAGAIN");
    let push = Push::new().unwrap();
    assert!(matches!(push.try_send("x"), Err(Error::WouldBlock)));
    // A zero timeout is a non-blocking call too.
    assert!(matches!(
        pull.recv_timeout(Duration::ZERO),
        Err(Error::WouldBlock)
    ));

    // Once a peer is attached, try_send queues and try_recv picks it up.
    push.connect(&ep).unwrap();
    push.try_send("queued").unwrap();
    let deadline = Instant::now() + T;
    let got = loop {
        match pull.try_recv() {
            Ok(m) => break m,
            Err(Error::WouldBlock) => {
                assert!(Instant::now() < deadline, "message never arrived");
                thread::sleep(Duration::from_millis(5));
            }
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(text(&got, 0), "queued");
}

#[test]
fn sockets_shared_between_std_threads() {
    const SENDERS: usize = 4;
    const RECEIVERS: usize = 3;
    const EACH: usize = 250;
    let pull = Arc::new(Pull::new().unwrap());
    let ep = pull.bind(LOCAL).unwrap();
    let push = Arc::new(Push::new().unwrap());
    push.connect(&ep).unwrap();

    let received = Arc::new(Mutex::new(Vec::new()));
    let count = Arc::new(AtomicUsize::new(0));
    let receivers: Vec<_> = (0..RECEIVERS)
        .map(|_| {
            let (pull, received, count) = (pull.clone(), received.clone(), count.clone());
            thread::spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(20);
                while count.load(Ordering::SeqCst) < SENDERS * EACH {
                    assert!(Instant::now() < deadline, "messages missing");
                    match pull.recv_timeout(Duration::from_millis(50)) {
                        Ok(m) => {
                            received.lock().unwrap().push(text(&m, 0).to_string());
                            count.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(Error::Timeout) => {}
                        Err(e) => panic!("{e}"),
                    }
                }
            })
        })
        .collect();
    let senders: Vec<_> = (0..SENDERS)
        .map(|s| {
            let push = push.clone();
            thread::spawn(move || {
                for i in 0..EACH {
                    push.send_timeout(format!("{s}/{i}"), T).unwrap();
                }
            })
        })
        .collect();
    for t in senders.into_iter().chain(receivers) {
        t.join().unwrap();
    }
    let received = received.lock().unwrap();
    assert_eq!(received.len(), SENDERS * EACH);
    let unique: HashSet<&String> = received.iter().collect();
    let expected: HashSet<String> = (0..SENDERS)
        .flat_map(|s| (0..EACH).map(move |i| format!("{s}/{i}")))
        .collect();
    assert_eq!(unique, expected.iter().collect());
}

#[test]
fn req_rep_server_thread_serves_client_threads() {
    let rep = Rep::new().unwrap();
    let ep = rep.bind(LOCAL).unwrap();
    const CLIENTS: usize = 4;
    const EACH: usize = 20;
    let server = thread::spawn(move || {
        for _ in 0..CLIENTS * EACH {
            let m = rep.recv_timeout(T).unwrap();
            let reply = format!("echo {}", text(&m, 0));
            rep.send_timeout(reply, T).unwrap();
        }
    });
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let ep = ep.clone();
            thread::spawn(move || {
                let req = Req::new().unwrap();
                req.connect(&ep).unwrap();
                for i in 0..EACH {
                    req.send(format!("{c}-{i}")).unwrap();
                    let got = req.recv_timeout(T).unwrap();
                    assert_eq!(text(&got, 0), format!("echo {c}-{i}"));
                }
            })
        })
        .collect();
    for c in clients {
        c.join().unwrap();
    }
    server.join().unwrap();
}

#[test]
fn close_lingers_until_everything_is_delivered() {
    // 2000 × 16 KiB is more than the loopback buffers hold, and the puller takes
    // one message at a time (RCVHWM 1), so most of it is still queued at the
    // pusher when close is called.
    const N: usize = 2000;
    let pull = Pull::new().unwrap();
    let mut o = pull.options();
    o.rcvhwm = 1;
    pull.set_options(o).unwrap();
    let ep = pull.bind(LOCAL).unwrap();
    // The pusher runs on a context of its own, stopped right after close: whatever
    // close did not wait for is lost.
    let ctx = Context::builder().build().unwrap();
    let push = Push::with_context(&ctx).unwrap();
    let mut o = push.options();
    o.sndhwm = 0; // unlimited: every message is queued at once
    o.linger = Some(Duration::from_secs(30));
    push.set_options(o).unwrap();
    push.connect(&ep).unwrap();
    let payload = vec![7u8; 16 * 1024];
    for i in 0..N {
        let mut m = Message::single(i.to_string());
        m.push_back(payload.clone());
        push.send(m).unwrap();
    }
    let closer = thread::spawn(move || {
        let closed = push.close();
        drop(ctx);
        closed
    });
    for i in 0..N {
        let m = pull.recv_timeout(T).unwrap();
        assert_eq!(text(&m, 0), i.to_string());
        assert_eq!(&m[1][..], &payload[..]);
    }
    closer.join().unwrap().unwrap();
    assert!(matches!(pull.try_recv(), Err(Error::WouldBlock)));
}

#[test]
fn close_delivers_to_a_peer_that_binds_later() {
    // Reserve a port, then free it for the late listener.
    let probe = Pull::new().unwrap();
    let ep = probe.bind(LOCAL).unwrap();
    probe.unbind(&ep).unwrap();
    probe.close().unwrap();

    let ctx = Context::builder().build().unwrap();
    let push = Push::with_context(&ctx).unwrap();
    let mut o = push.options();
    o.linger = Some(Duration::from_secs(20));
    push.set_options(o).unwrap();
    push.connect(&ep).unwrap();
    push.send("before the peer existed").unwrap();
    // Closes, then stops the pusher's runtime: only what close waited for arrives.
    let closer = thread::spawn(move || {
        let closed = push.close();
        drop(ctx);
        closed
    });
    let pull = Pull::new().unwrap();
    // The port could have been taken meanwhile; then this test cannot run.
    if pull.bind(&ep).is_err() {
        closer.join().unwrap().unwrap();
        return;
    }
    closer.join().unwrap().unwrap();
    assert_eq!(
        text(&pull.recv_timeout(T).unwrap(), 0),
        "before the peer existed"
    );
}

#[test]
fn drop_returns_without_waiting_for_linger() {
    // A PUSH connected to nobody, holding a message, with infinite linger: close
    // would wait forever, dropping must not.
    let push = Push::new().unwrap();
    assert_eq!(push.options().linger, None);
    push.connect("tcp://127.0.0.1:9").unwrap();
    push.send("stuck").unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    thread::spawn(move || {
        drop(push);
        tx.send(()).unwrap();
    });
    rx.recv_timeout(T).expect("drop hung");

    // The same with a context of its own, whose runtime stops with its last socket.
    let ctx = Context::builder().worker_threads(1).build().unwrap();
    let push = Push::with_context(&ctx).unwrap();
    push.connect("tcp://127.0.0.1:9").unwrap();
    push.send("stuck").unwrap();
    let monitor = push.monitor();
    drop(ctx);
    let (tx, rx) = std::sync::mpsc::channel();
    thread::spawn(move || {
        drop(push);
        tx.send(()).unwrap();
    });
    rx.recv_timeout(T).expect("drop hung");
    // With the runtime gone, the monitor's stream ends after what was queued.
    let deadline = Instant::now() + T;
    while let Some(ev) = monitor.recv_timeout(T).unwrap() {
        assert!(
            Instant::now() < deadline,
            "monitor stream did not end: {ev:?}"
        );
    }
}

#[test]
fn unbind_and_disconnect() {
    let pull = Pull::new().unwrap();
    let ep = pull.bind(LOCAL).unwrap();
    let err = pull.unbind("tcp://127.0.0.1:1").unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    pull.unbind(&ep).unwrap();
    assert!(matches!(pull.unbind(&ep), Err(Error::NotFound { .. })));

    let push = Push::new().unwrap();
    push.connect("tcp://127.0.0.1:9").unwrap();
    push.disconnect("tcp://127.0.0.1:9").unwrap();
    assert!(matches!(
        push.disconnect("tcp://127.0.0.1:9"),
        Err(Error::NotFound { .. })
    ));
}

#[test]
fn bind_errors_are_reported() {
    let a = Pull::new().unwrap();
    let ep = a.bind(LOCAL).unwrap();
    let b = Pull::new().unwrap();
    let err = b.bind(&ep).unwrap_err();
    assert!(matches!(err, Error::AddrInUse { .. }), "{err:?}");
    let err = b.bind("tcp://nowhere").unwrap_err();
    assert!(matches!(err, Error::InvalidEndpoint { .. }), "{err:?}");
}

#[test]
fn dynamic_socket_and_typed_conversions() {
    let s = Socket::new(SocketType::Sub).unwrap();
    assert_eq!(s.socket_type(), SocketType::Sub);
    assert_eq!(s.as_async().socket_type(), SocketType::Sub);
    s.subscribe("a").unwrap();
    s.unsubscribe("a").unwrap();
    // Subscriptions on a type that has none are refused.
    let push = Socket::new(SocketType::Push).unwrap();
    assert!(push.subscribe("a").is_err());
    // Receiving on a PUSH is not supported.
    let err = push.recv_timeout(T).unwrap_err();
    assert!(matches!(err, Error::NotSupported { .. }), "{err:?}");

    let rep = Rep::new().unwrap();
    assert_eq!(rep.as_socket().socket_type(), SocketType::Rep);
    let rep = rep.into_socket();
    assert_eq!(rep.socket_type(), SocketType::Rep);
    let mut o = rep.options();
    o.sndhwm = 10;
    rep.set_options(o).unwrap();
    assert_eq!(rep.options().sndhwm, 10);
}

#[test]
fn inside_a_tokio_runtime_waiting_calls_are_refused() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // A socket made outside, used inside.
    let outside = Pull::new().unwrap();
    let ep = outside.bind(LOCAL).unwrap();
    rt.block_on(async {
        let pull = Pull::new().unwrap(); // creating needs no waiting
        let err = pull.bind(LOCAL).unwrap_err();
        assert!(is_inside_runtime(&err), "{err:?}");
        assert!(matches!(err, Error::Io(_)));
        assert_eq!(err.errno_name(), "ENOTSUP");
        assert!(err.to_string().contains("inside a tokio runtime"), "{err}");
        assert!(is_inside_runtime(&outside.recv().unwrap_err()));
        assert!(is_inside_runtime(
            &outside.recv_timeout(Duration::from_millis(1)).unwrap_err()
        ));
        assert!(is_inside_runtime(&pull.connect(&ep).unwrap_err()));
        assert!(is_inside_runtime(&pull.unbind(&ep).unwrap_err()));
        assert!(is_inside_runtime(&pull.disconnect(&ep).unwrap_err()));
        let push = Push::new().unwrap();
        assert!(is_inside_runtime(&push.send("x").unwrap_err()));
        assert!(is_inside_runtime(&push.send_timeout("x", T).unwrap_err()));
        // Calls that never wait work.
        assert!(matches!(outside.try_recv(), Err(Error::WouldBlock)));
        assert!(matches!(push.try_send("x"), Err(Error::WouldBlock)));
        let _events = push.monitor();
        assert!(is_inside_runtime(&push.close().unwrap_err()));
        // Dropping a socket (and a whole context) there neither blocks nor panics.
        drop(pull);
        let ctx = Context::builder().build().unwrap();
        let own = Rep::with_context(&ctx).unwrap();
        drop(ctx);
        drop(own);
    });
    // tokio's spawn_blocking threads are inside the runtime too.
    let err = rt
        .block_on(rt.spawn_blocking(|| Req::new().unwrap().bind(LOCAL).unwrap_err()))
        .unwrap();
    assert!(is_inside_runtime(&err), "{err:?}");
    // Other errors are not mistaken for it.
    assert!(!is_inside_runtime(&Error::Timeout));
    assert!(!is_inside_runtime(&Error::Io(std::io::Error::other("x"))));
    // Outside, the same socket works.
    outside.unbind(&ep).unwrap();
}

#[test]
fn monitor_reports_events_in_blocking_form() {
    let pull = Pull::new().unwrap();
    let events = pull.monitor();
    assert_eq!(events.try_recv(), None);
    assert!(matches!(
        events.recv_timeout(Duration::from_millis(10)),
        Err(Error::Timeout)
    ));
    let ep = pull.bind(LOCAL).unwrap();
    assert_eq!(
        next(&events),
        MonitorEvent::Listening {
            endpoint: ep.clone()
        }
    );

    let push = Push::new().unwrap();
    let push_events = push.monitor();
    push.connect(&ep).unwrap();
    let seen = until(&push_events, "HANDSHAKE_SUCCEEDED");
    assert!(
        seen.iter()
            .any(|e| matches!(e, MonitorEvent::Connected { .. })),
        "{seen:?}"
    );
    let ev = next(&events);
    assert!(
        matches!(&ev, MonitorEvent::Accepted { endpoint, peer: Some(_) } if *endpoint == ep),
        "{ev:?}"
    );
    assert!(matches!(
        next(&events),
        MonitorEvent::HandshakeSucceeded { .. }
    ));

    push.close().unwrap();
    assert!(matches!(next(&events), MonitorEvent::Disconnected { .. }));
    // The pusher's stream ends with MonitorStopped; the iterator then stops.
    let rest: Vec<MonitorEvent> = push_events.collect();
    assert_eq!(rest.last(), Some(&MonitorEvent::MonitorStopped), "{rest:?}");

    pull.unbind(&ep).unwrap();
    assert_eq!(next(&events), MonitorEvent::Closed { endpoint: ep });
    pull.close().unwrap();
    assert_eq!(next(&events), MonitorEvent::MonitorStopped);
    assert_eq!(events.recv_timeout(T).unwrap(), None);
    assert_eq!(events.recv(), None);
    assert_eq!(events.try_recv(), None);
}

#[test]
fn monitor_can_be_read_from_another_thread() {
    let pull = Pull::new().unwrap();
    let events = pull.monitor();
    let reader = thread::spawn(move || {
        // Iterates until the socket closes.
        events.map(|e| e.zmq_name().to_string()).collect::<Vec<_>>()
    });
    let ep = pull.bind(LOCAL).unwrap();
    pull.unbind(&ep).unwrap();
    pull.close().unwrap();
    let names = reader.join().unwrap();
    assert_eq!(names, ["LISTENING", "CLOSED", "MONITOR_STOPPED"]);
}

#[test]
fn contexts() {
    let global = Context::global().unwrap();
    assert_eq!(global.worker_threads(), blocking::DEFAULT_WORKER_THREADS);
    // Once the default exists it cannot be replaced.
    let err = Context::builder().build_global().unwrap_err();
    assert!(matches!(err, Error::InvalidOption { .. }), "{err:?}");
    let err = Context::builder().worker_threads(0).build().unwrap_err();
    assert!(matches!(err, Error::InvalidOption { .. }), "{err:?}");

    // Sockets on different contexts talk to each other.
    let ctx = Context::builder()
        .worker_threads(3)
        .thread_name("zocket-test")
        .build()
        .unwrap();
    assert_eq!(ctx.worker_threads(), 3);
    let rep = Rep::with_context(&ctx).unwrap();
    assert_eq!(rep.as_socket().context().worker_threads(), 3);
    let ep = rep.bind(LOCAL).unwrap();
    let req = Req::new().unwrap();
    req.connect(&ep).unwrap();
    req.send("across").unwrap();
    assert_eq!(text(&rep.recv_timeout(T).unwrap(), 0), "across");
    rep.send("back").unwrap();
    assert_eq!(text(&req.recv_timeout(T).unwrap(), 0), "back");
    // The context lives as long as its sockets.
    drop(ctx);
    req.send("still there?").unwrap();
    assert_eq!(text(&rep.recv_timeout(T).unwrap(), 0), "still there?");
}
