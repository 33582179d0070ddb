//! The cost of zocket's receive path alone: a PUSH sends `count` messages of
//! `size` bytes to a PULL with no receive limit, in this process; once the
//! PUSH has closed (everything written) and the PULL's engine had a second to
//! read it all, the PULL's receives are timed by themselves on the
//! application's thread of a one-worker multi-thread runtime, as the bench's
//! PULL peer receives.
//!
//! ```sh
//! cargo run --release --example recv_alone -- 2000000 16
//! ```

use std::time::{Duration, Instant};

use zocket::{Socket, SocketType};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let count: usize = args.next().map_or(Ok(2_000_000), |a| a.parse())?;
    let size: usize = args.next().map_or(Ok(16), |a| a.parse())?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let pull = Socket::new(SocketType::Pull)?;
        let mut o = pull.options();
        // Neither limit in messages nor zocket's own in bytes (2 MiB by
        // default): the PULL's engine reads everything the PUSH sends.
        o.rcvhwm = 0;
        o.rcvhwm_bytes = None;
        pull.set_options(o)?;
        let endpoint = pull.bind("tcp://127.0.0.1:0").await?;
        let push = Socket::new(SocketType::Push)?;
        let mut o = push.options();
        o.sndhwm = 0;
        push.set_options(o)?;
        push.connect(&endpoint).await?;
        let payload = vec![0u8; size];
        for _ in 0..count {
            push.send_copy(&payload).await?;
        }
        // LINGER is infinite by default: close returns once all is written.
        push.close().await?;
        let first = pull.recv().await?;
        tokio::time::sleep(Duration::from_secs(1)).await;
        let t0 = Instant::now();
        let mut bytes = first.byte_len();
        for _ in 1..count {
            bytes += pull.recv().await?.byte_len();
        }
        let secs = t0.elapsed().as_secs_f64();
        assert_eq!(bytes, count * size);
        println!(
            "{} receives of {size} B in {secs:.3} s: {:.1} ns per receive",
            count - 1,
            secs * 1e9 / (count - 1) as f64
        );
        pull.close().await?;
        Ok(())
    })
}
