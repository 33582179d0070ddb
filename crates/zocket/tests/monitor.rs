//! Monitor events: the sequences a listener and a connecter report.

use std::time::Duration;

use zocket::{Monitor, MonitorEvent, Pull, Push, Socket, SocketType};

const T: Duration = Duration::from_secs(5);

async fn next(m: &mut Monitor) -> MonitorEvent {
    tokio::time::timeout(T, m.recv())
        .await
        .expect("no event")
        .expect("monitor ended")
}

async fn until(m: &mut Monitor, name: &str) -> Vec<MonitorEvent> {
    let mut seen = Vec::new();
    loop {
        let ev = next(m).await;
        let done = ev.zmq_name() == name;
        seen.push(ev);
        if done {
            return seen;
        }
    }
}

#[tokio::test]
async fn listener_sequence() {
    let pull = Pull::new().unwrap();
    let mut m = pull.monitor();
    let ep = pull.bind("tcp://127.0.0.1:*").await.unwrap();
    assert_eq!(
        next(&mut m).await,
        MonitorEvent::Listening {
            endpoint: ep.clone()
        }
    );
    let push = Push::new().unwrap();
    push.connect(&ep).await.unwrap();
    let ev = next(&mut m).await;
    assert!(
        matches!(&ev, MonitorEvent::Accepted { endpoint, peer: Some(_) } if *endpoint == ep),
        "{ev:?}"
    );
    assert!(matches!(
        next(&mut m).await,
        MonitorEvent::HandshakeSucceeded { .. }
    ));
    push.close().await.unwrap();
    assert!(matches!(
        next(&mut m).await,
        MonitorEvent::Disconnected { .. }
    ));
    pull.unbind(&ep).await.unwrap();
    assert_eq!(next(&mut m).await, MonitorEvent::Closed { endpoint: ep });
    pull.close().await.unwrap();
    assert_eq!(next(&mut m).await, MonitorEvent::MonitorStopped);
    assert_eq!(m.recv().await, None);
}

#[tokio::test]
async fn connecter_sequence_with_retries() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let ep = format!("tcp://127.0.0.1:{port}");
    let push = Push::new().unwrap();
    let mut m = push.monitor();
    push.connect(&ep).await.unwrap();
    let first = until(&mut m, "CONNECT_RETRIED").await;
    assert_eq!(first[0].zmq_name(), "CONNECT_DELAYED");
    let MonitorEvent::ConnectRetried { interval, .. } = first.last().unwrap() else {
        unreachable!()
    };
    // Default RECONNECT_IVL 100 ms, plus up to 100 ms of jitter.
    assert!(*interval >= Duration::from_millis(100) && *interval < Duration::from_millis(200));
    let pull = Pull::new().unwrap();
    pull.bind(&ep).await.unwrap();
    let seen = until(&mut m, "HANDSHAKE_SUCCEEDED").await;
    let n = seen.len();
    assert_eq!(seen[n - 2].zmq_name(), "CONNECTED");
}

#[tokio::test]
async fn bind_failure_is_an_error_and_an_event() {
    let a = Socket::new(SocketType::Pull).unwrap();
    let ep = a.bind("tcp://127.0.0.1:*").await.unwrap();
    let b = Socket::new(SocketType::Pull).unwrap();
    let mut m = b.monitor();
    let err = b.bind(&ep).await.unwrap_err();
    assert_eq!(err.errno_name(), "EADDRINUSE");
    assert!(err.to_string().contains(&ep), "{err}");
    assert!(matches!(
        next(&mut m).await,
        MonitorEvent::BindFailed { .. }
    ));
}

#[tokio::test]
async fn reconnect_backoff_doubles_up_to_the_maximum() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let push = Push::new().unwrap();
    let mut o = push.options();
    o.reconnect_ivl = Some(Duration::from_millis(10));
    o.reconnect_ivl_max = Some(Duration::from_millis(40));
    push.set_options(o).unwrap();
    let mut m = push.monitor();
    push.connect(&format!("tcp://127.0.0.1:{port}"))
        .await
        .unwrap();
    let mut intervals = Vec::new();
    while intervals.len() < 5 {
        if let MonitorEvent::ConnectRetried { interval, .. } = next(&mut m).await {
            intervals.push(interval.as_millis());
        }
    }
    assert_eq!(intervals, vec![10, 20, 40, 40, 40]);
}

#[tokio::test]
async fn unknown_endpoint_for_unbind_and_disconnect() {
    let s = Socket::new(SocketType::Push).unwrap();
    assert_eq!(
        s.unbind("tcp://127.0.0.1:1")
            .await
            .unwrap_err()
            .errno_name(),
        "ENOENT"
    );
    assert_eq!(
        s.disconnect("tcp://127.0.0.1:1")
            .await
            .unwrap_err()
            .errno_name(),
        "ENOENT"
    );
}

/// Regression: a close issued before the listener task first ran was missed, and
/// `close()` with the default (infinite) linger waited for that task forever.
#[tokio::test]
async fn regression_close_right_after_bind_hung() {
    for _ in 0..50 {
        let s = Socket::new(SocketType::Pull).unwrap();
        s.bind("tcp://127.0.0.1:*").await.unwrap();
        tokio::time::timeout(T, s.close())
            .await
            .expect("close hung")
            .unwrap();
    }
}
