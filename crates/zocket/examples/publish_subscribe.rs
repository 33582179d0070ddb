//! Publish-subscribe over TCP: a publisher sends weather and sports updates; a
//! subscriber receives only the weather.

use std::time::Duration;

use zocket::Message;
use zocket::blocking::{Pub, Sub};

fn main() -> zocket::Result<()> {
    let publisher = Pub::new()?;
    let endpoint = publisher.bind("tcp://127.0.0.1:*")?;
    let subscriber = Sub::new()?;
    subscriber.subscribe("weather")?;
    subscriber.connect(&endpoint)?;
    let mut received = 0;
    // Subscriptions reach the publisher asynchronously ("slow joiner"): keep
    // publishing until the subscriber has heard three updates.
    for n in 0..1000 {
        publisher.send(Message::from_frames(vec![
            "sports".into(),
            format!("score {n}").into(),
        ]))?;
        publisher.send(Message::from_frames(vec![
            "weather".into(),
            format!("{}C", 15 + n % 10).into(),
        ]))?;
        if let Ok(update) = subscriber.recv_timeout(Duration::from_millis(10)) {
            println!(
                "{}: {}",
                String::from_utf8_lossy(&update[0]),
                String::from_utf8_lossy(&update[1])
            );
            received += 1;
            if received == 3 {
                return Ok(());
            }
        }
    }
    Err(zocket::Error::Timeout)
}
