//! PUB/SUB/XPUB/XSUB over TCP: filtering, subscription propagation and counting,
//! XPUB's subscription events, XSUB upstream traffic, HWM behaviour, inversion.
//!
//! Subscriptions travel asynchronously, so tests wait for them to take effect:
//! either a publisher sends a probe (a message ending in `#sync`) until the
//! subscriber gets it, or an XPUB reports the subscription. To show that a message
//! was *not* delivered, a test sends a fence message after it on the same
//! connection: messages arrive in order, so the fence arriving first proves it.

use std::time::Duration;

use zocket::{Error, Message, MonitorEvent, Options, Socket, SocketType};

const T: Duration = Duration::from_secs(5);
const LOCAL: &str = "tcp://127.0.0.1:*";

fn socket(t: SocketType) -> Socket {
    Socket::new(t).unwrap()
}

fn configure(s: &Socket, f: impl FnOnce(&mut Options)) {
    let mut o = s.options();
    f(&mut o);
    s.set_options(o).unwrap();
}

async fn recv(s: &Socket) -> Message {
    tokio::time::timeout(T, s.recv())
        .await
        .expect("timed out")
        .unwrap()
}

fn is_probe(m: &Message) -> bool {
    m[0].ends_with(b"#sync")
}

/// Publishes `probe` until `sub` receives it: the subscription that matches it is
/// in place at the publisher.
async fn sync(publisher: &Socket, sub: &Socket, probe: &[u8]) {
    let probe = Message::from(probe.to_vec());
    assert!(is_probe(&probe));
    let wait = async {
        loop {
            publisher.send(probe.clone()).await.unwrap();
            if let Ok(m) = sub.recv_timeout(Some(Duration::from_millis(20))).await {
                if m == probe {
                    return;
                }
            }
        }
    };
    tokio::time::timeout(T, wait)
        .await
        .expect("subscription never took effect");
}

/// The data messages (probes skipped) received before the one whose first frame is
/// `fence`.
async fn until(s: &Socket, fence: &[u8]) -> Vec<Message> {
    let mut got = Vec::new();
    loop {
        let m = recv(s).await;
        if &m[0][..] == fence {
            return got;
        }
        if !is_probe(&m) {
            got.push(m);
        }
    }
}

fn msgs(frames: &[&[u8]]) -> Vec<Message> {
    frames.iter().map(|f| Message::from(f.to_vec())).collect()
}

async fn publish(s: &Socket, frames: &[&[u8]]) {
    for m in msgs(frames) {
        s.send(m).await.unwrap();
    }
}

/// Reserves a port on 127.0.0.1 (free again on return).
fn free_endpoint() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("tcp://127.0.0.1:{port}")
}

async fn wait_for(monitor: &mut zocket::Monitor, want: fn(&MonitorEvent) -> bool) {
    loop {
        let ev = tokio::time::timeout(T, monitor.recv())
            .await
            .expect("no such event")
            .unwrap();
        if want(&ev) {
            return;
        }
    }
}

/// Closes a socket at once, dropping whatever it still queues.
async fn close_now(s: Socket) {
    configure(&s, |o| o.linger = Some(Duration::ZERO));
    tokio::time::timeout(T, s.close()).await.unwrap().unwrap();
}

#[tokio::test]
async fn sub_filters_on_binary_prefixes_and_multipart_passes_whole() {
    let publisher = socket(SocketType::Pub);
    let ep = publisher.bind(LOCAL).await.unwrap();
    let sub = socket(SocketType::Sub);
    sub.connect(&ep).await.unwrap();
    sub.subscribe(b"\x00\xff").unwrap();
    sub.subscribe("ab").unwrap();
    sync(&publisher, &sub, b"ab#sync").await;
    sync(&publisher, &sub, b"\x00\xff#sync").await;
    let multi = Message::from_frames(vec!["ab".into(), "".into(), vec![7u8; 100_000].into()]);
    publish(
        &publisher,
        &[b"abc", b"a", b"\x00\xffx", b"\x00\xfe", b"\xff"],
    )
    .await;
    publisher.send(multi.clone()).await.unwrap();
    publish(&publisher, &[b"", b"zz", b"ab-end"]).await;
    let mut expected = msgs(&[b"abc", b"\x00\xffx"]);
    expected.push(multi);
    assert_eq!(until(&sub, b"ab-end").await, expected);

    // The empty subscription matches everything, the empty frame included.
    sub.subscribe("").unwrap();
    sync(&publisher, &sub, b"anything#sync").await;
    publish(&publisher, &[b"zz", b"\xff", b"", b"end"]).await;
    assert_eq!(until(&sub, b"end").await, msgs(&[b"zz", b"\xff", b""]));
}

#[tokio::test]
async fn each_subscriber_gets_only_its_topics() {
    let publisher = socket(SocketType::Pub);
    let ep = publisher.bind(LOCAL).await.unwrap();
    let (a, b, all) = (
        socket(SocketType::Sub),
        socket(SocketType::Sub),
        socket(SocketType::Sub),
    );
    for (s, topic) in [(&a, "a"), (&b, "b"), (&all, "")] {
        s.subscribe(topic).unwrap();
        s.connect(&ep).await.unwrap();
    }
    sync(&publisher, &a, b"a#sync").await;
    sync(&publisher, &b, b"b#sync").await;
    sync(&publisher, &all, b"#sync").await;
    publish(&publisher, &[b"a1", b"b1", b"c1", b"a-end", b"b-end"]).await;
    assert_eq!(until(&a, b"a-end").await, msgs(&[b"a1"]));
    assert_eq!(until(&b, b"b-end").await, msgs(&[b"b1"]));
    assert_eq!(
        until(&all, b"b-end").await,
        msgs(&[b"a1", b"b1", b"c1", b"a-end"])
    );
}

#[tokio::test]
async fn subscriptions_before_and_after_connecting() {
    let publisher = socket(SocketType::Pub);
    let ep = publisher.bind(LOCAL).await.unwrap();
    let sub = socket(SocketType::Sub);
    sub.subscribe("early").unwrap();
    sub.connect(&ep).await.unwrap();
    sync(&publisher, &sub, b"early#sync").await;
    sub.subscribe("late").unwrap();
    sync(&publisher, &sub, b"late#sync").await;
    publish(&publisher, &[b"other", b"late1", b"early1", b"early-end"]).await;
    assert_eq!(
        until(&sub, b"early-end").await,
        msgs(&[b"late1", b"early1"])
    );
}

#[tokio::test(flavor = "current_thread")]
async fn subscription_made_while_connecting_is_sent_once() {
    let xpub = socket(SocketType::XPub);
    configure(&xpub, |o| o.xpub_verbose = true);
    let ep = xpub.bind(LOCAL).await.unwrap();
    let sub = socket(SocketType::Sub);
    sub.connect(&ep).await.unwrap();
    // On this single-threaded runtime the handshake cannot have completed yet.
    sub.subscribe("x").unwrap();
    assert_eq!(&recv(&xpub).await[0][..], b"\x01x");
    sub.subscribe("y").unwrap();
    assert_eq!(&recv(&xpub).await[0][..], b"\x01y");
}

#[tokio::test]
async fn pub_connecting_to_a_bound_sub() {
    let sub = socket(SocketType::Sub);
    sub.subscribe("t").unwrap();
    let ep = sub.bind(LOCAL).await.unwrap();
    let publisher = socket(SocketType::Pub);
    publisher.connect(&ep).await.unwrap();
    sync(&publisher, &sub, b"t#sync").await;
    publish(&publisher, &[b"u1", b"t1", b"t-end"]).await;
    assert_eq!(until(&sub, b"t-end").await, msgs(&[b"t1"]));
}

#[tokio::test]
async fn unsubscribe_is_counted_and_unknown_topics_are_ignored() {
    let publisher = socket(SocketType::Pub);
    let ep = publisher.bind(LOCAL).await.unwrap();
    let sub = socket(SocketType::Sub);
    sub.connect(&ep).await.unwrap();
    sub.subscribe("t").unwrap();
    sub.subscribe("t").unwrap();
    sub.subscribe("f").unwrap();
    sync(&publisher, &sub, b"t#sync").await;
    sync(&publisher, &sub, b"f#sync").await;
    sub.unsubscribe("t").unwrap();
    publish(&publisher, &[b"t1", b"f-end"]).await;
    assert_eq!(until(&sub, b"f-end").await, msgs(&[b"t1"]));
    sub.unsubscribe("t").unwrap();
    sub.unsubscribe("never").unwrap();
    publish(&publisher, &[b"t2", b"f-end"]).await;
    assert_eq!(until(&sub, b"f-end").await, msgs(&[]));
}

#[tokio::test]
async fn cancellation_reaches_the_publisher() {
    let xpub = socket(SocketType::XPub);
    let ep = xpub.bind(LOCAL).await.unwrap();
    let sub = socket(SocketType::Sub);
    sub.connect(&ep).await.unwrap();
    sub.subscribe("a").unwrap();
    sub.subscribe("a").unwrap();
    assert_eq!(&recv(&xpub).await[0][..], b"\x01a");
    sub.unsubscribe("a").unwrap();
    sub.subscribe("c").unwrap();
    // Still subscribed once to "a": nothing about it before the fence.
    assert_eq!(&recv(&xpub).await[0][..], b"\x01c");
    sub.unsubscribe("a").unwrap();
    assert_eq!(&recv(&xpub).await[0][..], b"\x00a");
}

#[tokio::test]
async fn sub_resubscribes_after_the_publisher_restarts() {
    let ep = free_endpoint();
    let sub = socket(SocketType::Sub);
    sub.connect(&ep).await.unwrap();
    sub.subscribe("x").unwrap();
    let publisher = socket(SocketType::Pub);
    publisher.bind(&ep).await.unwrap();
    sync(&publisher, &sub, b"x#sync").await;
    let mut mon = sub.monitor();
    close_now(publisher).await;
    wait_for(&mut mon, |ev| {
        matches!(ev, MonitorEvent::Disconnected { .. })
    })
    .await;

    // The new publisher is an XPUB, to see what arrives: the subscription, once.
    let xpub = socket(SocketType::XPub);
    configure(&xpub, |o| o.xpub_verbose = true);
    xpub.bind(&ep).await.unwrap();
    assert_eq!(&recv(&xpub).await[0][..], b"\x01x");
    sub.subscribe("z").unwrap();
    assert_eq!(&recv(&xpub).await[0][..], b"\x01z");
    publish(&xpub, &[b"y", b"x1"]).await;
    assert_eq!(&recv(&sub).await[0][..], b"x1");
}

#[tokio::test]
async fn xpub_reports_first_subscription_and_last_cancellation() {
    let xpub = socket(SocketType::XPub);
    let ep = xpub.bind(LOCAL).await.unwrap();
    let (s1, s2) = (socket(SocketType::Sub), socket(SocketType::Sub));
    s1.connect(&ep).await.unwrap();
    s2.connect(&ep).await.unwrap();
    s1.subscribe("t").unwrap();
    assert_eq!(&recv(&xpub).await[0][..], b"\x01t");
    s2.subscribe("t").unwrap();
    s2.subscribe("u").unwrap();
    assert_eq!(&recv(&xpub).await[0][..], b"\x01u");
    s1.unsubscribe("t").unwrap();
    s1.subscribe("v").unwrap();
    assert_eq!(&recv(&xpub).await[0][..], b"\x01v");
    s2.unsubscribe("t").unwrap();
    assert_eq!(&recv(&xpub).await[0][..], b"\x00t");
}

#[tokio::test]
async fn xpub_verbose_and_verboser() {
    let xpub = socket(SocketType::XPub);
    configure(&xpub, |o| o.xpub_verbose = true);
    let ep = xpub.bind(LOCAL).await.unwrap();
    let (s1, s2) = (socket(SocketType::Sub), socket(SocketType::Sub));
    s1.connect(&ep).await.unwrap();
    s2.connect(&ep).await.unwrap();
    s1.subscribe("t").unwrap();
    assert_eq!(&recv(&xpub).await[0][..], b"\x01t");
    s2.subscribe("t").unwrap();
    assert_eq!(&recv(&xpub).await[0][..], b"\x01t");
    // Verbose: cancellations still only when the topic's last one goes.
    s1.unsubscribe("t").unwrap();
    s1.subscribe("v").unwrap();
    assert_eq!(&recv(&xpub).await[0][..], b"\x01v");

    configure(&xpub, |o| o.xpub_verboser = true);
    s1.subscribe("t").unwrap();
    assert_eq!(&recv(&xpub).await[0][..], b"\x01t");
    s1.unsubscribe("t").unwrap();
    assert_eq!(&recv(&xpub).await[0][..], b"\x00t");
    // A departing subscriber: every topic it had, though "t" still has s2.
    close_now(s2).await;
    assert_eq!(&recv(&xpub).await[0][..], b"\x00t");
    close_now(s1).await;
    assert_eq!(&recv(&xpub).await[0][..], b"\x00v");
}

#[tokio::test]
async fn xpub_reports_cancellations_when_a_subscriber_leaves() {
    let xpub = socket(SocketType::XPub);
    let ep = xpub.bind(LOCAL).await.unwrap();
    let (s1, s2) = (socket(SocketType::Sub), socket(SocketType::Sub));
    s1.connect(&ep).await.unwrap();
    s2.connect(&ep).await.unwrap();
    s1.subscribe("a").unwrap();
    s1.subscribe("b").unwrap();
    assert_eq!(&recv(&xpub).await[0][..], b"\x01a");
    assert_eq!(&recv(&xpub).await[0][..], b"\x01b");
    s2.subscribe("b").unwrap();
    s2.subscribe("c").unwrap();
    assert_eq!(&recv(&xpub).await[0][..], b"\x01c");
    close_now(s1).await;
    // "b" still has a subscriber.
    assert_eq!(&recv(&xpub).await[0][..], b"\x00a");
    close_now(s2).await;
    let mut last = vec![recv(&xpub).await, recv(&xpub).await];
    last.sort_by(|x, y| x[0].cmp(&y[0]));
    assert_eq!(last, msgs(&[b"\x00b", b"\x00c"]));
}

#[tokio::test]
async fn xpub_connecting_to_a_sub_that_restarts() {
    xpub_reconnects_to_sub(false).await;
}

#[tokio::test]
async fn xpub_connecting_with_immediate_to_a_sub_that_restarts() {
    xpub_reconnects_to_sub(true).await;
}

async fn xpub_reconnects_to_sub(immediate: bool) {
    let sub = socket(SocketType::Sub);
    let ep = sub.bind(LOCAL).await.unwrap();
    let xpub = socket(SocketType::XPub);
    configure(&xpub, |o| o.immediate = immediate);
    xpub.connect(&ep).await.unwrap();
    sub.subscribe("a").unwrap();
    assert_eq!(&recv(&xpub).await[0][..], b"\x01a");
    close_now(sub).await;
    // The connection is gone, and with it the subscriptions it carried.
    assert_eq!(&recv(&xpub).await[0][..], b"\x00a");
    let sub = socket(SocketType::Sub);
    sub.bind(&ep).await.unwrap();
    sub.subscribe("a").unwrap();
    assert_eq!(&recv(&xpub).await[0][..], b"\x01a");
    publish(&xpub, &[b"b1", b"a1"]).await;
    assert_eq!(&recv(&sub).await[0][..], b"a1");
}

#[tokio::test]
async fn xsub_sends_subscriptions_and_messages_upstream() {
    let xpub = socket(SocketType::XPub);
    let ep = xpub.bind(LOCAL).await.unwrap();
    let xsub = socket(SocketType::XSub);
    xsub.connect(&ep).await.unwrap();
    xsub.send(&b"\x01t"[..]).await.unwrap();
    assert_eq!(&recv(&xpub).await[0][..], b"\x01t");
    xsub.subscribe("f").unwrap();
    assert_eq!(&recv(&xpub).await[0][..], b"\x01f");
    xpub.send("t1").await.unwrap();
    assert_eq!(&recv(&xsub).await[0][..], b"t1");

    let upstream = Message::from_frames(vec!["hello".into(), "\x01not a subscription".into()]);
    xsub.send(upstream.clone()).await.unwrap();
    assert_eq!(recv(&xpub).await, upstream);

    xsub.send(&b"\x00never"[..]).await.unwrap();
    xsub.send(&b"\x00t"[..]).await.unwrap();
    assert_eq!(
        &recv(&xpub).await[0][..],
        b"\x00t",
        "no event for an unknown topic"
    );
    // XSUB does not filter: "t2" is missing because the XPUB no longer sends it.
    publish(&xpub, &[b"t2", b"f-end"]).await;
    assert_eq!(until(&xsub, b"f-end").await, msgs(&[]));
}

#[tokio::test(flavor = "current_thread")]
async fn xpub_nodrop_would_block_at_hwm_and_loses_nothing() {
    let xpub = socket(SocketType::XPub);
    configure(&xpub, |o| {
        o.sndhwm = 4;
        o.xpub_nodrop = true;
    });
    let ep = xpub.bind(LOCAL).await.unwrap();
    let sub = socket(SocketType::Sub);
    sub.subscribe("").unwrap();
    sub.connect(&ep).await.unwrap();
    assert_eq!(&recv(&xpub).await[0][..], b"\x01");
    // No await in this loop: on this single-threaded runtime the connection's
    // engine cannot drain the pipe meanwhile.
    let mut sent = 0u32;
    loop {
        match xpub.try_send(sent.to_be_bytes().to_vec()) {
            Ok(()) => sent += 1,
            Err(Error::WouldBlock) => break,
            Err(e) => panic!("{e}"),
        }
        // The idle connection may write the first message at once (a direct
        // write), which then leaves the pipe: SNDHWM counts what is queued.
        assert!(sent <= 5, "more than SNDHWM queued");
    }
    assert!(sent == 4 || sent == 5, "{sent} sent before WouldBlock");
    // A blocking send waits for room instead.
    for i in sent..200 {
        tokio::time::timeout(T, xpub.send(i.to_be_bytes().to_vec()))
            .await
            .unwrap()
            .unwrap();
    }
    for i in 0..200u32 {
        assert_eq!(&recv(&sub).await[0][..], &i.to_be_bytes());
    }
}

#[tokio::test(flavor = "current_thread")]
async fn pub_drops_at_a_slow_subscribers_hwm_without_blocking() {
    let publisher = socket(SocketType::Pub);
    configure(&publisher, |o| o.sndhwm = 4);
    let ep = publisher.bind(LOCAL).await.unwrap();
    let sub = socket(SocketType::Sub);
    sub.subscribe("").unwrap();
    sub.connect(&ep).await.unwrap();
    sync(&publisher, &sub, b"#sync").await;
    // The pipe is empty now, and nothing drains it during this loop.
    for i in 0..1000u32 {
        publisher.try_send(i.to_be_bytes().to_vec()).unwrap();
    }
    // The fence itself may be dropped while the pipe is full: repeat it.
    let mut got = Vec::new();
    let drain = async {
        loop {
            publisher.send("end").await.unwrap();
            while let Ok(m) = sub.recv_timeout(Some(Duration::from_millis(20))).await {
                if &m[0][..] == b"end" {
                    return;
                }
                got.push(m[0].to_vec());
            }
        }
    };
    tokio::time::timeout(T, drain)
        .await
        .expect("fence never arrived");
    let expected: Vec<Vec<u8>> = (0..4u32).map(|i| i.to_be_bytes().to_vec()).collect();
    assert_eq!(got, expected);
}

#[tokio::test]
async fn invert_matching() {
    let xpub = socket(SocketType::XPub);
    configure(&xpub, |o| {
        o.invert_matching = true;
        o.xpub_verbose = true;
    });
    let ep = xpub.bind(LOCAL).await.unwrap();
    let sub = socket(SocketType::Sub);
    configure(&sub, |o| o.invert_matching = true);
    sub.subscribe("a").unwrap();
    sub.connect(&ep).await.unwrap();
    let xsub = socket(SocketType::XSub);
    xsub.subscribe("a").unwrap();
    xsub.connect(&ep).await.unwrap();
    assert_eq!(&recv(&xpub).await[0][..], b"\x01a");
    assert_eq!(&recv(&xpub).await[0][..], b"\x01a");
    publish(&xpub, &[b"a1", b"b1", b"", b"end"]).await;
    // XSUB does not filter: the XPUB left "a1" out.
    assert_eq!(until(&xsub, b"end").await, msgs(&[b"b1", b""]));
    assert_eq!(until(&sub, b"end").await, msgs(&[b"b1", b""]));
}

#[tokio::test]
async fn wrong_direction_and_subscriptions_on_publishers() {
    let publisher = socket(SocketType::Pub);
    assert_eq!(publisher.try_recv().unwrap_err().errno_name(), "ENOTSUP");
    assert_eq!(publisher.subscribe("a").unwrap_err().errno_name(), "EINVAL");
    // No subscriber: dropped, not blocked.
    publisher.try_send("nobody").unwrap();
    let sub = socket(SocketType::Sub);
    assert_eq!(sub.try_send("x").unwrap_err().errno_name(), "ENOTSUP");
    sub.unsubscribe("never").unwrap();
    let xpub = socket(SocketType::XPub);
    assert!(matches!(xpub.try_recv(), Err(Error::WouldBlock)));
    assert_eq!(xpub.subscribe("a").unwrap_err().errno_name(), "EINVAL");
    xpub.try_send("nobody").unwrap();
    let xsub = socket(SocketType::XSub);
    xsub.try_send("nobody upstream").unwrap();
}

/// An XSUB connected to `ep`, its handshake done: from now on each subscription and
/// cancellation goes out as it is made (while connecting, the XSUB sends its set of
/// subscriptions once the connection is up instead).
async fn connected_xsub(ep: &str, f: impl FnOnce(&mut Options)) -> Socket {
    let xsub = socket(SocketType::XSub);
    configure(&xsub, f);
    let mut mon = xsub.monitor();
    xsub.connect(ep).await.unwrap();
    wait_for(&mut mon, |ev| {
        matches!(ev, MonitorEvent::HandshakeSucceeded { .. })
    })
    .await;
    xsub
}

/// Receives on `xpub` until `want` arrives; returns what came before it.
async fn events_until(xpub: &Socket, want: &[u8]) -> Vec<Message> {
    let mut before = Vec::new();
    loop {
        let m = recv(xpub).await;
        if &m[0][..] == want {
            return before;
        }
        before.push(m);
    }
}

#[tokio::test]
async fn xpub_welcome_msg_greets_each_new_subscriber() {
    let xpub = socket(SocketType::XPub);
    configure(&xpub, |o| {
        o.xpub_welcome_msg = Some("W".into());
        o.xpub_verbose = true;
    });
    let ep = xpub.bind(LOCAL).await.unwrap();
    // Subscribed to the welcome's prefix, to everything, or (XSUB) not filtering.
    let (a, b, c) = (
        socket(SocketType::Sub),
        socket(SocketType::Sub),
        socket(SocketType::XSub),
    );
    a.subscribe("W").unwrap();
    b.subscribe("").unwrap();
    for s in [&a, &b, &c] {
        s.connect(&ep).await.unwrap();
        assert_eq!(recv(s).await, Message::from("W"));
    }
    // A SUB subscribed to something else filters the welcome out: its first message
    // is one published after its subscription arrived.
    let d = socket(SocketType::Sub);
    d.subscribe("x").unwrap();
    d.connect(&ep).await.unwrap();
    // Every subscription is in place before publishing.
    let mut subscribed = vec![recv(&xpub).await, recv(&xpub).await, recv(&xpub).await];
    subscribed.sort_by(|x, y| x[0].cmp(&y[0]));
    assert_eq!(subscribed, msgs(&[b"\x01", b"\x01W", b"\x01x"]));
    publish(&xpub, &[b"x-end"]).await;
    assert_eq!(recv(&d).await, Message::from("x-end"));
    // The welcome went once per connection, before anything else.
    publish(&xpub, &[b"W-end"]).await;
    assert_eq!(recv(&a).await, Message::from("W-end"));
    assert_eq!(until(&b, b"W-end").await, msgs(&[b"x-end"]));
}

#[tokio::test]
async fn xpub_welcome_msg_on_each_connection_of_a_connecting_xpub() {
    let sub = socket(SocketType::Sub);
    sub.subscribe("").unwrap();
    let ep = sub.bind(LOCAL).await.unwrap();
    let xpub = socket(SocketType::XPub);
    configure(&xpub, |o| o.xpub_welcome_msg = Some("hello".into()));
    xpub.connect(&ep).await.unwrap();
    assert_eq!(recv(&sub).await, Message::from("hello"));
    assert_eq!(&recv(&xpub).await[0][..], b"\x01");
    close_now(sub).await;
    assert_eq!(&recv(&xpub).await[0][..], b"\x00");
    // A new subscriber at the same address is greeted too.
    let sub = socket(SocketType::Sub);
    sub.subscribe("").unwrap();
    sub.bind(&ep).await.unwrap();
    assert_eq!(recv(&sub).await, Message::from("hello"));
}

#[tokio::test]
async fn an_empty_xpub_welcome_msg_is_none() {
    let xpub = socket(SocketType::XPub);
    configure(&xpub, |o| o.xpub_welcome_msg = Some(bytes::Bytes::new()));
    let ep = xpub.bind(LOCAL).await.unwrap();
    let sub = socket(SocketType::Sub);
    sub.subscribe("").unwrap();
    sub.connect(&ep).await.unwrap();
    assert_eq!(&recv(&xpub).await[0][..], b"\x01");
    publish(&xpub, &[b"first"]).await;
    assert_eq!(recv(&sub).await, Message::from("first"));
}

#[tokio::test]
async fn xpub_manual_passes_everything_up_and_applies_only_what_it_is_told() {
    let xpub = socket(SocketType::XPub);
    configure(&xpub, |o| o.xpub_manual = true);
    let ep = xpub.bind(LOCAL).await.unwrap();
    // An XSUB does not filter: it receives whatever the XPUB sends it.
    let xsub = connected_xsub(&ep, |_| {}).await;
    xsub.subscribe("t").unwrap();
    xsub.subscribe("t").unwrap();
    // Every subscription is passed up, not only a topic's first.
    assert_eq!(&recv(&xpub).await[0][..], b"\x01t");
    assert_eq!(&recv(&xpub).await[0][..], b"\x01t");
    // Nothing applied yet: "t1" goes nowhere.
    publish(&xpub, &[b"t1"]).await;
    xpub.subscribe("t").unwrap();
    publish(&xpub, &[b"t2"]).await;
    assert_eq!(recv(&xsub).await, Message::from("t2"));

    // A cancellation is passed up and applies nothing either.
    xsub.unsubscribe("t").unwrap();
    xsub.unsubscribe("t").unwrap();
    assert_eq!(&recv(&xpub).await[0][..], b"\x00t");
    publish(&xpub, &[b"t3"]).await;
    assert_eq!(recv(&xsub).await, Message::from("t3"));
    // Until the application applies it.
    xpub.unsubscribe("t").unwrap();
    xpub.subscribe("f").unwrap();
    publish(&xpub, &[b"t4", b"f-end"]).await;
    assert_eq!(until(&xsub, b"f-end").await, msgs(&[]));
}

#[tokio::test]
async fn xpub_manual_subscribe_applies_to_the_last_pipe() {
    let xpub = socket(SocketType::XPub);
    configure(&xpub, |o| o.xpub_manual = true);
    let ep = xpub.bind(LOCAL).await.unwrap();
    // Without a subscription received, there is no pipe to apply one to.
    xpub.subscribe("").unwrap();
    let a = connected_xsub(&ep, |_| {}).await;
    let b = connected_xsub(&ep, |_| {}).await;
    a.subscribe("a").unwrap();
    assert_eq!(&recv(&xpub).await[0][..], b"\x01a");
    xpub.subscribe("x").unwrap();
    b.subscribe("b").unwrap();
    assert_eq!(&recv(&xpub).await[0][..], b"\x01b");
    xpub.subscribe("y").unwrap();
    publish(&xpub, &[b"a1", b"b1", b"x1", b"y1", b"x-end", b"y-end"]).await;
    assert_eq!(until(&a, b"x-end").await, msgs(&[b"x1"]));
    assert_eq!(until(&b, b"y-end").await, msgs(&[b"y1"]));

    // Unsubscribing acts on the same pipe.
    xpub.unsubscribe("y").unwrap();
    xpub.subscribe("z").unwrap();
    publish(&xpub, &[b"y2", b"x-end", b"z-end"]).await;
    assert_eq!(until(&b, b"z-end").await, msgs(&[]));
    assert_eq!(until(&a, b"x-end").await, msgs(&[]));
}

#[tokio::test]
async fn xpub_manual_cancels_what_a_departed_subscriber_asked_for() {
    let xpub = socket(SocketType::XPub);
    configure(&xpub, |o| o.xpub_manual = true);
    let ep = xpub.bind(LOCAL).await.unwrap();
    let a = connected_xsub(&ep, |_| {}).await;
    let b = connected_xsub(&ep, |_| {}).await;
    a.subscribe("a").unwrap();
    a.subscribe("c").unwrap();
    assert_eq!(&recv(&xpub).await[0][..], b"\x01a");
    assert_eq!(&recv(&xpub).await[0][..], b"\x01c");
    b.subscribe("a").unwrap();
    assert_eq!(&recv(&xpub).await[0][..], b"\x01a");
    xpub.subscribe("b-end").unwrap();

    // Every topic the departed subscriber asked for, though "a" still has b.
    close_now(a).await;
    let mut gone = vec![recv(&xpub).await, recv(&xpub).await];
    gone.sort_by(|x, y| x[0].cmp(&y[0]));
    assert_eq!(gone, msgs(&[b"\x00a", b"\x00c"]));
    // Those cancellations name no pipe: this subscription is not applied to b.
    xpub.subscribe("q").unwrap();
    publish(&xpub, &[b"q1", b"b-end"]).await;
    assert_eq!(until(&b, b"b-end").await, msgs(&[]));
}

#[tokio::test]
async fn xsub_verbose_unsubscribe_forwards_every_cancellation() {
    // A manual XPUB passes up every subscription and cancellation it gets.
    let xpub = socket(SocketType::XPub);
    configure(&xpub, |o| o.xpub_manual = true);
    let ep = xpub.bind(LOCAL).await.unwrap();
    for (verbose, expected) in [
        (
            true,
            msgs(&[
                b"\x01a",
                b"\x01a",
                b"\x00a",
                b"\x00never",
                b"\x00a",
                b"\x00a",
            ]),
        ),
        (false, msgs(&[b"\x01a", b"\x01a", b"\x00a"])),
    ] {
        let xsub = connected_xsub(&ep, |o| o.xsub_verbose_unsubscribe = verbose).await;
        for m in [&b"\x01a"[..], b"\x01a", b"\x00a"] {
            xsub.send(m).await.unwrap();
        }
        xsub.unsubscribe("never").unwrap();
        xsub.send(&b"\x00a"[..]).await.unwrap();
        xsub.send(&b"\x00a"[..]).await.unwrap();
        xsub.subscribe("end").unwrap();
        assert_eq!(events_until(&xpub, b"\x01end").await, expected, "{verbose}");
        close_now(xsub).await;
        // Its departure: the topics it still asked for.
        let mut gone = vec![recv(&xpub).await[0].to_vec()];
        if !verbose {
            gone.push(recv(&xpub).await[0].to_vec());
        }
        gone.sort();
        let want: &[&[u8]] = if verbose {
            &[b"\x00end"]
        } else {
            &[b"\x00a", b"\x00end"]
        };
        assert_eq!(gone, want);
    }
}

/// Regression: on a current-thread runtime (what `#[tokio::test]` runs on) a PUB
/// whose sends all completed at once never let its connection tasks run, so a
/// loop of sends kept only the last SNDHWM messages and dropped the rest.
#[tokio::test(flavor = "current_thread")]
async fn regression_pub_send_loop_starved_its_connections_on_one_thread() {
    let publisher = socket(SocketType::Pub);
    let ep = publisher.bind(LOCAL).await.unwrap();
    let sub = socket(SocketType::Sub);
    sub.subscribe("").unwrap();
    sub.connect(&ep).await.unwrap();
    sync(&publisher, &sub, b"#sync").await;
    const SENT: usize = 100_000;
    let sndhwm = publisher.options().sndhwm;
    for i in 0..SENT {
        publisher
            .send((i as u32).to_be_bytes().to_vec())
            .await
            .unwrap();
    }
    let mut got = 0;
    while sub
        .recv_timeout(Some(Duration::from_millis(300)))
        .await
        .is_ok()
    {
        got += 1;
    }
    // Dropping at SNDHWM is PUB's right when the subscriber is slow, but with the
    // connection tasks running the pipe drains while the loop sends.
    assert!(
        got > 10 * sndhwm,
        "{got} of {SENT} delivered (SNDHWM {sndhwm})"
    );
}
