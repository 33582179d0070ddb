//! The cost of zocket's send path alone: a PUSH connected to a TCP listener
//! that never answers (so no handshake completes and no engine writes), with
//! SNDHWM unlimited, times `count` sends of `size` bytes with `send_copy` on a
//! one-worker multi-thread runtime, as the bench's PUSH peer does. Nothing
//! drains the pipe, so the figure is the sending thread's own work per message
//! (the pipe's run buffers grow meanwhile: ~size+2 bytes per message).
//!
//! ```sh
//! cargo run --release --example send_alone -- 4000000 16
//! ```

use std::time::{Duration, Instant};

use zocket::{Socket, SocketType};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let count: usize = args.next().map_or(Ok(4_000_000), |a| a.parse())?;
    let size: usize = args.next().map_or(Ok(16), |a| a.parse())?;
    // Accepts the connection and never reads from it or writes to it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let endpoint = format!("tcp://{}", listener.local_addr()?);
    let silent = std::thread::spawn(move || listener.accept().map(|(conn, _)| conn));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let s = Socket::new(SocketType::Push)?;
        let mut o = s.options();
        o.sndhwm = 0;
        o.linger = Some(Duration::ZERO);
        s.set_options(o)?;
        s.connect(&endpoint).await?;
        let _conn = silent.join().expect("the listener thread")?;
        let payload = vec![0u8; size];
        let t0 = Instant::now();
        for _ in 0..count {
            s.send_copy(&payload).await?;
        }
        let secs = t0.elapsed().as_secs_f64();
        println!(
            "{count} sends of {size} B in {secs:.3} s: {:.1} ns per send",
            secs * 1e9 / count as f64
        );
        s.close().await?;
        Ok(())
    })
}
