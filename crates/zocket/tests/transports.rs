//! The same pattern scenarios over every transport: tcp, ipc (path, abstract name,
//! private `ipc://*`) and inproc.

use bytes::Bytes;
use std::time::Duration;

use zocket::{Message, Socket, SocketType};

const T: Duration = Duration::from_secs(5);

async fn recv(s: &Socket) -> Message {
    tokio::time::timeout(T, s.recv())
        .await
        .expect("timed out")
        .unwrap()
}

async fn pair(a: SocketType, b: SocketType, bind: &str) -> (Socket, Socket) {
    let x = Socket::new(a).unwrap();
    let ep = x.bind(bind).await.unwrap();
    let y = Socket::new(b).unwrap();
    y.connect(&ep).await.unwrap();
    (x, y)
}

fn unique(tag: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

async fn pipeline(bind: &str) {
    let (pull, push) = pair(SocketType::Pull, SocketType::Push, bind).await;
    for i in 0..200u32 {
        push.send(i.to_be_bytes().to_vec()).await.unwrap();
    }
    let big = Message::from_frames(vec!["big".into(), vec![3u8; 300_000].into()]);
    push.send(big.clone()).await.unwrap();
    for i in 0..200u32 {
        assert_eq!(&recv(&pull).await[0][..], &i.to_be_bytes());
    }
    assert_eq!(recv(&pull).await, big);
}

async fn request_reply(bind: &str) {
    let (rep, req) = pair(SocketType::Rep, SocketType::Req, bind).await;
    for i in 0..20u32 {
        req.send(format!("q{i}")).await.unwrap();
        let q = recv(&rep).await;
        rep.send(Message::from_frames(vec![q[0].clone(), "answer".into()]))
            .await
            .unwrap();
        let a = recv(&req).await;
        assert_eq!(a.frames(), &[q[0].clone(), bytes::Bytes::from("answer")]);
    }
}

async fn dealer_router(bind: &str) {
    let (router, dealer) = pair(SocketType::Router, SocketType::Dealer, bind).await;
    dealer.send("hi").await.unwrap();
    let m = recv(&router).await;
    assert_eq!(&m[1][..], b"hi");
    router
        .send(Message::from_frames(vec![m[0].clone(), "back".into()]))
        .await
        .unwrap();
    assert_eq!(&recv(&dealer).await[0][..], b"back");
}

async fn publish_subscribe(bind: &str) {
    let (publisher, sub) = pair(SocketType::Pub, SocketType::Sub, bind).await;
    sub.subscribe("a").unwrap();
    let deadline = tokio::time::Instant::now() + T;
    loop {
        publisher.send("b-ignored").await.unwrap();
        publisher.send("a-wanted").await.unwrap();
        if let Ok(m) = sub.recv_timeout(Some(Duration::from_millis(20))).await {
            assert_eq!(&m[0][..], b"a-wanted");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "subscription never arrived"
        );
    }
}

async fn exclusive_pair(bind: &str) {
    let (a, b) = pair(SocketType::Pair, SocketType::Pair, bind).await;
    b.send("ping").await.unwrap();
    assert_eq!(&recv(&a).await[0][..], b"ping");
    a.send("pong").await.unwrap();
    assert_eq!(&recv(&b).await[0][..], b"pong");
}

macro_rules! over {
    ($transport:ident, $bind:expr) => {
        mod $transport {
            #[tokio::test]
            async fn pipeline() {
                super::pipeline(&$bind).await;
            }
            #[tokio::test]
            async fn request_reply() {
                super::request_reply(&$bind).await;
            }
            #[tokio::test]
            async fn dealer_router() {
                super::dealer_router(&$bind).await;
            }
            #[tokio::test]
            async fn publish_subscribe() {
                super::publish_subscribe(&$bind).await;
            }
            #[tokio::test]
            async fn exclusive_pair() {
                super::exclusive_pair(&$bind).await;
            }
        }
    };
}

over!(tcp, String::from("tcp://127.0.0.1:*"));
over!(
    ipc_path,
    format!(
        "ipc://{}/{}.sock",
        std::env::temp_dir().display(),
        super::unique("zocket-test")
    )
);
over!(
    ipc_abstract,
    format!("ipc://@{}", super::unique("zocket-test"))
);
over!(ipc_private, String::from("ipc://*"));
over!(inproc, format!("inproc://{}", super::unique("zocket-test")));

#[tokio::test]
async fn ipc_bind_replaces_a_stale_socket_file_and_cleans_up() {
    let path = std::env::temp_dir().join(format!("{}.sock", unique("zocket-stale")));
    let stale = std::os::unix::net::UnixListener::bind(&path).unwrap();
    drop(stale);
    assert!(path.exists());
    let ep = format!("ipc://{}", path.display());
    let pull = Socket::new(SocketType::Pull).unwrap();
    assert_eq!(pull.bind(&ep).await.unwrap(), ep);
    let push = Socket::new(SocketType::Push).unwrap();
    push.connect(&ep).await.unwrap();
    push.send("x").await.unwrap();
    assert_eq!(&recv(&pull).await[0][..], b"x");
    pull.close().await.unwrap();
    assert!(!path.exists(), "socket file removed on close");
}

#[tokio::test]
async fn ipc_private_endpoint_is_resolved() {
    let pull = Socket::new(SocketType::Pull).unwrap();
    let ep = pull.bind("ipc://*").await.unwrap();
    assert!(ep.starts_with("ipc://") && ep.ends_with("/socket"), "{ep}");
    assert_eq!(pull.last_endpoint().as_deref(), Some(ep.as_str()));
    let push = Socket::new(SocketType::Push).unwrap();
    assert_eq!(
        push.connect("ipc://*").await.unwrap_err().errno_name(),
        "EINVAL"
    );
}

#[tokio::test]
async fn inproc_connect_before_bind_and_relink_after_rebind() {
    let ep = format!("inproc://{}", unique("zocket-early"));
    let push = Socket::new(SocketType::Push).unwrap();
    push.connect(&ep).await.unwrap();
    push.send("early").await.unwrap();
    let pull = Socket::new(SocketType::Pull).unwrap();
    assert_eq!(pull.bind(&ep).await.unwrap(), ep);
    assert_eq!(&recv(&pull).await[0][..], b"early");
    let again = Socket::new(SocketType::Pull).unwrap();
    assert_eq!(
        again.bind(&ep).await.unwrap_err().errno_name(),
        "EADDRINUSE"
    );
    pull.close().await.unwrap();
    let pull = Socket::new(SocketType::Pull).unwrap();
    pull.bind(&ep).await.unwrap();
    push.send("late").await.unwrap();
    assert_eq!(&recv(&pull).await[0][..], b"late");
}

#[tokio::test]
async fn inproc_refuses_incompatible_types() {
    let ep = format!("inproc://{}", unique("zocket-mismatch"));
    let pull = Socket::new(SocketType::Pull).unwrap();
    pull.bind(&ep).await.unwrap();
    let other = Socket::new(SocketType::Pull).unwrap();
    let mut m = other.monitor();
    other.connect(&ep).await.unwrap();
    let ev = tokio::time::timeout(T, m.recv()).await.unwrap().unwrap();
    assert_eq!(ev.zmq_name(), "HANDSHAKE_FAILED_NO_DETAIL", "{ev:?}");
}

/// Small messages cross an inproc link encoded in runs, large ones as they are:
/// every message arrives once, whole and in order, whatever its size and frames.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inproc_messages_of_every_size_keep_their_order() {
    let ep = format!("inproc://{}", unique("zocket-order"));
    let router = Socket::new(SocketType::Router).unwrap();
    router.bind(&ep).await.unwrap();
    let dealer = Socket::new(SocketType::Dealer).unwrap();
    dealer.connect(&ep).await.unwrap();
    let sizes = [0usize, 1, 16, 255, 256, 511, 512, 513, 4096, 70_000];
    let sent: Vec<Message> = (0..600)
        .map(|i: usize| {
            let body = vec![(i % 251) as u8; sizes[i % sizes.len()]];
            if i % 3 == 0 {
                Message::from_frames(vec![Bytes::from(i.to_string()), Bytes::from(body)])
            } else {
                Message::from(body)
            }
        })
        .collect();
    for (i, m) in sent.iter().enumerate() {
        if i % 2 == 0 {
            dealer.send(m.clone()).await.unwrap();
        } else if m.len() == 1 {
            dealer.send_copy(&m[0]).await.unwrap();
        } else {
            dealer.send(m.clone()).await.unwrap();
        }
    }
    for want in &sent {
        let got = recv(&router).await;
        assert_eq!(&got.frames()[1..], want.frames());
    }
}

#[tokio::test]
async fn inproc_hwm_is_the_sum_of_both_sides() {
    let ep = format!("inproc://{}", unique("zocket-hwm"));
    let pull = Socket::new(SocketType::Pull).unwrap();
    let mut o = pull.options();
    o.rcvhwm = 3;
    pull.set_options(o).unwrap();
    pull.bind(&ep).await.unwrap();
    let push = Socket::new(SocketType::Push).unwrap();
    let mut o = push.options();
    o.sndhwm = 2;
    push.set_options(o).unwrap();
    push.connect(&ep).await.unwrap();
    let mut sent = 0;
    while push
        .send_timeout("x", Some(Duration::from_millis(100)))
        .await
        .is_ok()
    {
        sent += 1;
        assert!(sent <= 10, "never pushed back");
    }
    assert_eq!(sent, 5);
    for _ in 0..5 {
        recv(&pull).await;
    }
}

/// Regression: a second PAIR refused over inproc retried in a loop that never
/// yielded, hanging a current-thread runtime.
#[tokio::test(flavor = "current_thread")]
async fn regression_inproc_refused_pair_spun() {
    let ep = format!("inproc://{}", unique("zocket-pair-refused"));
    let (a, b) = pair(SocketType::Pair, SocketType::Pair, &ep).await;
    b.send("first").await.unwrap();
    assert_eq!(&recv(&a).await[0][..], b"first");
    let extra = Socket::new(SocketType::Pair).unwrap();
    extra.connect(&ep).await.unwrap();
    for i in 0..5u8 {
        a.send(vec![i]).await.unwrap();
        assert_eq!(&recv(&b).await[0][..], &[i]);
    }
}

/// The inproc link read the two sides' fullness in two separate `select!`
/// conditions; a receiver draining in between disabled both the outbound and the
/// resume branch, and the link slept for good with messages still to move (seen as
/// a hang after a multiple of RCVHWM messages).
#[test]
fn regression_inproc_link_stalled() {
    const COUNT: usize = 30_000;
    for round in 0..10 {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let name = unique("stall");
            let pull = Socket::new(SocketType::Pull).unwrap();
            // A small RCVHWM makes the link cross its marks often.
            let mut o = pull.options();
            o.rcvhwm = 4;
            pull.set_options(o).unwrap();
            let ep = pull.bind(&format!("inproc://{name}")).await.unwrap();
            let push = Socket::new(SocketType::Push).unwrap();
            push.connect(&ep).await.unwrap();
            let sender = tokio::spawn(async move {
                let body = bytes::Bytes::from_static(b"0123456789abcdef");
                for _ in 0..COUNT {
                    push.send(body.clone()).await.unwrap();
                }
                push.close().await.unwrap();
            });
            let mut received = 0;
            let all = async {
                while received < COUNT {
                    pull.recv().await.unwrap();
                    received += 1;
                }
            };
            if tokio::time::timeout(Duration::from_secs(20), all)
                .await
                .is_err()
            {
                panic!("round {round}: the link stalled after {received} of {COUNT} messages");
            }
            sender.await.unwrap();
            pull.close().await.unwrap();
        });
    }
}
