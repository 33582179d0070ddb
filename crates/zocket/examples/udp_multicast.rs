//! Publish-subscribe over UDP multicast: a RADIO sends weather and sports updates to
//! a multicast group; a DISH that joined the group "weather" receives only those.
//!
//! Usage: `udp_multicast [ENDPOINT]`. The default, `udp://127.0.0.1;239.255.77.77:*`,
//! is the group 239.255.77.77 on the loopback interface (so the example stays on this
//! host) and a port the DISH picks. Across hosts, give a fixed port and the interface
//! to use on each, e.g. `udp://eth0;239.255.77.77:5555`: every DISH binding it joins
//! the group, and several may share the port.

use std::time::Duration;

use zocket::blocking::{Dish, Radio};

fn main() -> zocket::Result<()> {
    let endpoint = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "udp://127.0.0.1;239.255.77.77:*".to_string());
    let dish = Dish::new()?;
    // A DISH binds the group (and joins it on the interface); a RADIO connects.
    let endpoint = dish.bind(&endpoint)?;
    dish.join("weather")?;

    let radio = Radio::new()?;
    let mut options = radio.options();
    options.multicast_hops = 1; // stay on the local network
    options.multicast_loop = true; // deliver to the DISH on this host too
    radio.set_options(options)?;
    radio.connect(&endpoint)?;

    // UDP delivers nothing twice and may lose datagrams: keep publishing until the
    // DISH has heard three weather updates. Sports updates reach the DISH's host
    // too, and the DISH drops them: it did not join "sports".
    let mut received = 0;
    for n in 0..1000 {
        radio.send("sports", format!("score {n}"))?;
        radio.send("weather", format!("{}C", 15 + n % 10))?;
        while let Ok((group, body)) = dish.recv_timeout(Duration::from_millis(10)) {
            println!(
                "{}: {}",
                String::from_utf8_lossy(&group),
                String::from_utf8_lossy(&body)
            );
            received += 1;
            if received == 3 {
                return Ok(());
            }
        }
    }
    eprintln!("no multicast datagram arrived: is multicast routed on this interface?");
    Err(zocket::Error::Timeout)
}
