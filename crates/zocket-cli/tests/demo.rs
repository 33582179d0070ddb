//! The README's main job: `zocket demo` and `zocket selfcheck` pass and say so.

use std::process::Command;

fn run(sub: &str) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_zocket"))
        .arg(sub)
        .output()
        .expect("runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn demo_passes_every_model_and_topology() {
    let (ok, stdout) = run("demo");
    assert!(ok, "{stdout}");
    for part in [
        "client-server",
        "request-response",
        "publish-subscribe",
        "point-to-point",
        "one-to-many",
        "many-to-many",
        "pub-sub over udp",
    ] {
        assert!(
            stdout.lines().any(|l| l.contains("ok") && l.contains(part)),
            "{part} missing:\n{stdout}"
        );
    }
    assert!(
        stdout.lines().last().unwrap().starts_with("verdict: PASS"),
        "{stdout}"
    );
}

#[test]
fn selfcheck_passes() {
    let (ok, stdout) = run("selfcheck");
    assert!(ok, "{stdout}");
    assert!(stdout.contains("verdict: PASS"), "{stdout}");
}
