//! `zocket selfcheck`: an in-memory run of the protocol core, no network involved.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use zocket::Message;
use zocket::proto::{Error, Event, Session, SessionConfig, SocketType};

/// Moves bytes between two sessions until neither has anything to send.
fn pump(a: &mut Session, b: &mut Session, now: Instant) -> Result<(), Error> {
    loop {
        let mut moved = false;
        while let Some(chunk) = a.poll_transmit() {
            b.handle_input(&chunk, now)?;
            moved = true;
        }
        while let Some(chunk) = b.poll_transmit() {
            a.handle_input(&chunk, now)?;
            moved = true;
        }
        if !moved {
            return Ok(());
        }
    }
}

fn connected(a: SocketType, b: SocketType, now: Instant) -> Result<(Session, Session), String> {
    let mut x = Session::new(SessionConfig::new(a), now).map_err(|e| e.to_string())?;
    let mut y = Session::new(SessionConfig::new(b), now).map_err(|e| e.to_string())?;
    pump(&mut x, &mut y, now).map_err(|e| e.to_string())?;
    for s in [&mut x, &mut y] {
        match s.poll_event() {
            Some(Event::HandshakeSucceeded(_)) => {}
            other => return Err(format!("expected a handshake, got {other:?}")),
        }
    }
    Ok((x, y))
}

fn transfer(
    from: &mut Session,
    to: &mut Session,
    m: &Message,
    now: Instant,
) -> Result<Event, String> {
    from.send_message(m).map_err(|e| e.to_string())?;
    pump(from, to, now).map_err(|e| e.to_string())?;
    to.poll_event().ok_or_else(|| "nothing arrived".to_string())
}

fn text(m: &Message) -> String {
    m.iter()
        .map(|f| format!("{:?}", String::from_utf8_lossy(f)))
        .collect::<Vec<_>>()
        .join(" | ")
}

fn request_reply(now: Instant) -> Result<String, String> {
    let (mut req, mut rep) = connected(SocketType::Req, SocketType::Rep, now)?;
    let request = Message::from_frames(vec!["".into(), "Hello, server!".into()]);
    let Event::Message(got) = transfer(&mut req, &mut rep, &request, now)? else {
        return Err("REP got no message".into());
    };
    let reply = Message::from_frames(vec!["".into(), "Hello, client!".into()]);
    let Event::Message(back) = transfer(&mut rep, &mut req, &reply, now)? else {
        return Err("REQ got no reply".into());
    };
    Ok(format!(
        "REQ -> REP {}; REP -> REQ {}",
        text(&got),
        text(&back)
    ))
}

fn publish_subscribe(now: Instant) -> Result<String, String> {
    let (mut publisher, mut subscriber) = connected(SocketType::Pub, SocketType::Sub, now)?;
    subscriber
        .send_subscribe(b"weather")
        .map_err(|e| e.to_string())?;
    pump(&mut publisher, &mut subscriber, now).map_err(|e| e.to_string())?;
    let Some(Event::Subscribe(topic)) = publisher.poll_event() else {
        return Err("PUB saw no subscription".into());
    };
    let update = Message::from_frames(vec!["weather".into(), "sunny, 21C".into()]);
    let Event::Message(got) = transfer(&mut publisher, &mut subscriber, &update, now)? else {
        return Err("SUB got no update".into());
    };
    Ok(format!(
        "SUB subscribed {:?}; PUB -> SUB {}",
        String::from_utf8_lossy(&topic),
        text(&got)
    ))
}

fn pipeline(now: Instant) -> Result<String, String> {
    let (mut push, mut pull) = connected(SocketType::Push, SocketType::Pull, now)?;
    let big = Message::single(vec![7u8; 1 << 20]);
    let Event::Message(got) = transfer(&mut push, &mut pull, &big, now)? else {
        return Err("PULL got nothing".into());
    };
    if got != big {
        return Err("1 MiB message corrupted".into());
    }
    Ok("PUSH -> PULL one 1 MiB message intact".into())
}

fn heartbeat(now: Instant) -> Result<String, String> {
    let ivl = Duration::from_millis(100);
    let config = SessionConfig::new(SocketType::Dealer).with_heartbeat_ivl(Some(ivl));
    let mut a = Session::new(config, now).map_err(|e| e.to_string())?;
    let mut b =
        Session::new(SessionConfig::new(SocketType::Router), now).map_err(|e| e.to_string())?;
    pump(&mut a, &mut b, now).map_err(|e| e.to_string())?;
    let later = now + ivl;
    a.handle_timeout(later).map_err(|e| e.to_string())?;
    pump(&mut a, &mut b, later).map_err(|e| e.to_string())?;
    // The PONG arrived, so the heartbeat timeout is disarmed: only the next PING is due.
    a.handle_timeout(later + ivl / 2)
        .map_err(|e| e.to_string())?;
    Ok("DEALER PING answered by ROUTER PONG; connection alive".into())
}

fn hostile(now: Instant) -> Result<String, String> {
    let mut pull =
        Session::new(SessionConfig::new(SocketType::Pull), now).map_err(|e| e.to_string())?;
    match pull.handle_input(b"GET / HTTP/1.1\r\n\r\n", now) {
        Err(e) => Ok(format!(
            "an HTTP request instead of a greeting is refused: {e}"
        )),
        Ok(()) => Err("garbage accepted".into()),
    }
}

/// One named check of the demo.
type Check = (&'static str, fn(Instant) -> Result<String, String>);

/// Runs every check, prints a transcript and a verdict line.
pub(crate) fn run() -> ExitCode {
    let now = Instant::now();
    println!("zocket selfcheck: in-memory run of the ZMTP 3.1 protocol core");
    let checks: [Check; 5] = [
        ("request-response", request_reply),
        ("publish-subscribe", publish_subscribe),
        ("pipeline", pipeline),
        ("heartbeat", heartbeat),
        ("hostile peer", hostile),
    ];
    let mut failed = 0;
    for (name, check) in checks {
        match check(now) {
            Ok(line) => println!("  ok    {name:<18} {line}"),
            Err(e) => {
                failed += 1;
                println!("  FAIL  {name:<18} {e}");
            }
        }
    }
    if failed == 0 {
        println!("verdict: PASS ({} checks)", checks.len());
        ExitCode::SUCCESS
    } else {
        println!("verdict: FAIL ({failed} of {} checks failed)", checks.len());
        ExitCode::FAILURE
    }
}
