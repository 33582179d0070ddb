//! STREAM: raw TCP peers (telnet, nc, any byte stream) in both roles.

use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use zocket::{Message, Socket, SocketType};

const T: Duration = Duration::from_secs(5);

async fn recv(s: &Socket) -> Message {
    tokio::time::timeout(T, s.recv())
        .await
        .expect("timed out")
        .unwrap()
}

#[tokio::test]
async fn server_role_talks_to_a_raw_tcp_client() {
    let server = Socket::new(SocketType::Stream).unwrap();
    let ep = server.bind("tcp://127.0.0.1:*").await.unwrap();
    let mut client = TcpStream::connect(ep.trim_start_matches("tcp://"))
        .await
        .unwrap();
    // Connection notification: [id][empty].
    let hello = recv(&server).await;
    assert_eq!(hello.len(), 2);
    let id = hello[0].clone();
    assert_eq!(id.len(), 5);
    assert!(hello[1].is_empty());
    client.write_all(b"Hello, server!\r\n").await.unwrap();
    let mut got = Vec::new();
    while got.len() < 16 {
        let m = recv(&server).await;
        assert_eq!(m[0], id);
        got.extend_from_slice(&m[1]);
    }
    assert_eq!(got, b"Hello, server!\r\n");
    server
        .send(Message::from_frames(vec![
            id.clone(),
            "Hello, client!".into(),
        ]))
        .await
        .unwrap();
    let mut buf = [0u8; 14];
    tokio::time::timeout(T, client.read_exact(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf, b"Hello, client!");
    // An empty frame closes this peer.
    server
        .send(Message::from_frames(vec![id.clone(), Bytes::new()]))
        .await
        .unwrap();
    let mut rest = Vec::new();
    tokio::time::timeout(T, client.read_to_end(&mut rest))
        .await
        .unwrap()
        .unwrap();
    assert!(rest.is_empty());
    // Unknown ids are unroutable.
    let err = server
        .send(Message::from_frames(vec![
            Bytes::from_static(b"nope"),
            "x".into(),
        ]))
        .await;
    assert_eq!(err.unwrap_err().errno_name(), "EHOSTUNREACH");
}

#[tokio::test]
async fn disconnect_is_notified() {
    let server = Socket::new(SocketType::Stream).unwrap();
    let ep = server.bind("tcp://127.0.0.1:*").await.unwrap();
    let client = TcpStream::connect(ep.trim_start_matches("tcp://"))
        .await
        .unwrap();
    let hello = recv(&server).await;
    drop(client);
    let bye = recv(&server).await;
    assert_eq!(bye.frames(), &[hello[0].clone(), Bytes::new()]);
}

#[tokio::test]
async fn client_role_connects_to_a_raw_tcp_server() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let client = Socket::new(SocketType::Stream).unwrap();
    client
        .connect(&format!("tcp://127.0.0.1:{port}"))
        .await
        .unwrap();
    let (mut peer, _) = tokio::time::timeout(T, listener.accept())
        .await
        .unwrap()
        .unwrap();
    let hello = recv(&client).await;
    let id = hello[0].clone();
    client
        .send(Message::from_frames(vec![
            id.clone(),
            "GET / HTTP/1.0\r\n\r\n".into(),
        ]))
        .await
        .unwrap();
    let mut buf = [0u8; 18];
    tokio::time::timeout(T, peer.read_exact(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf, b"GET / HTTP/1.0\r\n\r\n");
    peer.write_all(b"HTTP/1.0 200 OK\r\n").await.unwrap();
    let reply = recv(&client).await;
    assert_eq!(reply[0], id);
    assert!(reply[1].starts_with(b"HTTP/1.0 200"));
}

#[tokio::test]
async fn notifications_can_be_turned_off() {
    let server = Socket::new(SocketType::Stream).unwrap();
    let mut o = server.options();
    o.stream_notify = false;
    server.set_options(o).unwrap();
    let ep = server.bind("tcp://127.0.0.1:*").await.unwrap();
    let mut client = TcpStream::connect(ep.trim_start_matches("tcp://"))
        .await
        .unwrap();
    client.write_all(b"x").await.unwrap();
    let m = recv(&server).await;
    assert_eq!(&m[1][..], b"x");
}

#[tokio::test]
async fn stream_over_ipc() {
    let server = Socket::new(SocketType::Stream).unwrap();
    let ep = server.bind("ipc://*").await.unwrap();
    let path = ep.trim_start_matches("ipc://").to_string();
    let mut client = tokio::net::UnixStream::connect(path).await.unwrap();
    let hello = recv(&server).await;
    client.write_all(b"over ipc").await.unwrap();
    let m = recv(&server).await;
    assert_eq!(m.frames(), &[hello[0].clone(), Bytes::from("over ipc")]);
}

#[tokio::test]
async fn data_sent_just_before_closing_keeps_its_routing_id() {
    let server = Socket::new(SocketType::Stream).unwrap();
    let ep = server.bind("tcp://127.0.0.1:*").await.unwrap();
    let mut client = TcpStream::connect(ep.trim_start_matches("tcp://"))
        .await
        .unwrap();
    client.write_all(b"last words").await.unwrap();
    drop(client);
    // Wait until the departure has been processed before reading anything.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let hello = recv(&server).await;
    let data = recv(&server).await;
    assert_eq!(
        data.frames(),
        &[hello[0].clone(), Bytes::from("last words")]
    );
    let bye = recv(&server).await;
    assert_eq!(bye.frames(), &[hello[0].clone(), Bytes::new()]);
}

#[tokio::test]
async fn client_role_sees_the_server_close() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let client = Socket::new(SocketType::Stream).unwrap();
    client
        .connect(&format!("tcp://127.0.0.1:{port}"))
        .await
        .unwrap();
    let (peer, _) = tokio::time::timeout(T, listener.accept())
        .await
        .unwrap()
        .unwrap();
    let hello = recv(&client).await;
    drop(peer);
    let bye = recv(&client).await;
    assert_eq!(bye.frames(), &[hello[0].clone(), Bytes::new()]);
}
