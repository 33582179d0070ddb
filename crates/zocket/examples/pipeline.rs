//! Pipeline (PUSH/PULL), one-to-many: a ventilator hands tasks to three workers in
//! turn, each worker pushes results to one sink.

use std::time::Duration;

use zocket::MonitorEvent;
use zocket::blocking::{Pull, Push};

fn main() -> zocket::Result<()> {
    let ventilator = Push::new()?;
    let tasks = ventilator.bind("tcp://127.0.0.1:*")?;
    let sink = Pull::new()?;
    let results = sink.bind("tcp://127.0.0.1:*")?;
    let events = ventilator.monitor();
    let mut workers = Vec::new();
    for id in 0..3 {
        let (tasks, results) = (tasks.clone(), results.clone());
        workers.push(std::thread::spawn(move || -> zocket::Result<()> {
            let input = Pull::new()?;
            input.connect(&tasks)?;
            let output = Push::new()?;
            output.connect(&results)?;
            while let Ok(task) = input.recv_timeout(Duration::from_millis(500)) {
                output.send(format!(
                    "worker {id} did {}",
                    String::from_utf8_lossy(&task[0])
                ))?;
            }
            output.close()
        }));
    }
    // Hand out work once all three workers are connected, so each gets a share.
    let mut connected = 0;
    while connected < 3 {
        match events.recv_timeout(Duration::from_secs(5))? {
            Some(MonitorEvent::HandshakeSucceeded { .. }) => connected += 1,
            Some(_) => {}
            None => break,
        }
    }
    for n in 0..9 {
        ventilator.send(format!("task {n}"))?;
    }
    let mut lines = Vec::new();
    for _ in 0..9 {
        let result = sink.recv_timeout(Duration::from_secs(5))?;
        lines.push(String::from_utf8_lossy(&result[0]).into_owned());
    }
    lines.sort();
    for line in lines {
        println!("{line}");
    }
    for w in workers {
        w.join().expect("worker thread")?;
    }
    Ok(())
}
