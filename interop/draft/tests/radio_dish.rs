//! zocket's RADIO/DISH against libzmq 4.3.5's draft RADIO/DISH: over tcp (JOIN and
//! the group frame of ZMTP 3.1) and over udp (the datagram layout), each side in each
//! role.

use std::time::{Duration, Instant};

use zocket::blocking::{Dish, Radio};
use zocket_draft_interop::{Context, DISH, RADIO};

const T: Duration = Duration::from_secs(5);
const T_MS: i32 = 5000;

fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Sends with `send` until `recv` gets a message (joins and datagrams may race the
/// first sends), then returns it.
fn until<T>(mut send: impl FnMut(), mut recv: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + T;
    loop {
        send();
        if let Some(got) = recv() {
            return got;
        }
        assert!(Instant::now() < deadline, "nothing arrived");
    }
}

#[test]
fn libzmq_radio_to_zocket_dish_over_tcp() {
    let dish = Dish::new().unwrap();
    let ep = dish.bind("tcp://127.0.0.1:*").unwrap();
    dish.join("weather").unwrap();
    let ctx = Context::new();
    let radio = ctx.socket(RADIO, T_MS).unwrap();
    radio.connect(&ep).unwrap();
    let (group, body) = until(
        || {
            radio.send_group("sports", b"goal").unwrap();
            radio.send_group("weather", b"sunny").unwrap();
        },
        || dish.recv_timeout(Duration::from_millis(20)).ok(),
    );
    assert_eq!((&group[..], &body[..]), (&b"weather"[..], &b"sunny"[..]));
}

#[test]
fn zocket_radio_to_libzmq_dish_over_tcp() {
    let ctx = Context::new();
    let dish = ctx.socket(DISH, 20).unwrap();
    let ep = dish.bind("tcp://127.0.0.1:*").unwrap();
    dish.join("weather").unwrap();
    let radio = Radio::new().unwrap();
    radio.connect(&ep).unwrap();
    let (group, body) = until(
        || {
            radio.send("sports", "goal").unwrap();
            radio.send("weather", "sunny").unwrap();
        },
        || dish.recv_group().ok(),
    );
    assert_eq!((group.as_str(), &body[..]), ("weather", &b"sunny"[..]));
}

#[test]
fn libzmq_radio_to_zocket_dish_over_udp() {
    let ep = format!("udp://127.0.0.1:{}", free_udp_port());
    let dish = Dish::new().unwrap();
    dish.bind(&ep).unwrap();
    dish.join("weather").unwrap();
    let ctx = Context::new();
    let radio = ctx.socket(RADIO, T_MS).unwrap();
    radio.connect(&ep).unwrap();
    let (group, body) = until(
        || {
            radio.send_group("sports", b"goal").unwrap();
            radio.send_group("weather", b"fog").unwrap();
        },
        || dish.recv_timeout(Duration::from_millis(20)).ok(),
    );
    assert_eq!((&group[..], &body[..]), (&b"weather"[..], &b"fog"[..]));
}

#[test]
fn zocket_radio_to_libzmq_dish_over_udp() {
    let ep = format!("udp://127.0.0.1:{}", free_udp_port());
    let ctx = Context::new();
    let dish = ctx.socket(DISH, 20).unwrap();
    dish.bind(&ep).unwrap();
    dish.join("weather").unwrap();
    let radio = Radio::new().unwrap();
    radio.connect(&ep).unwrap();
    let (group, body) = until(
        || {
            radio.send("sports", "goal").unwrap();
            radio.send("weather", "fog").unwrap();
        },
        || dish.recv_group().ok(),
    );
    assert_eq!((group.as_str(), &body[..]), ("weather", &b"fog"[..]));
}
