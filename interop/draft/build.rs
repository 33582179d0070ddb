//! Builds libzmq 4.3.5 from the source carried by `zeromq-src`, with the draft API
//! (CLIENT, SERVER, SCATTER, GATHER, PEER, CHANNEL, routing ids, `zmq_connect_peer`),
//! and links it statically.

fn main() {
    // libzmq's own compiler warnings are not ours to fix; keep the build output quiet
    // unless the caller chose flags.
    if std::env::var_os("CXXFLAGS").is_none() {
        // SAFETY: the build script is single-threaded until `build()` below starts
        // the compiler threads.
        unsafe { std::env::set_var("CXXFLAGS", "-w") };
    }
    zeromq_src::Build::new().enable_draft(true).build();
}
