//! The inproc:// transport: sockets of one process joined directly. Messages move
//! between the two sockets' pipes as they are (no copy), except the smallest,
//! which their sender encodes into runs as for a ZMTP engine and the receiving
//! socket decodes (see [`Pipe::for_inproc`]); subscriptions (and DISH's joins)
//! travel as events, as they would after a ZMTP decode.
//!
//! Names live in one process-wide namespace (libzmq scopes them per context; zocket
//! has no context object). A connect may come before the bind: the connecter's pipe
//! queues messages until a socket binds the name, and links again if the binder
//! goes away and another binds the same name.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, LazyLock, Mutex, Weak};

use tokio::sync::Notify;
use zocket_proto::session::Delivery;
use zocket_proto::{Message, Metadata, PeerInfo, Version, WireRun};

use crate::core::Core;
use crate::error::Error;
use crate::monitor::MonitorEvent;
use crate::pipe::{Outbound, Pipe};

/// Bound names, and a signal for connecters waiting for one.
struct Registry {
    bound: Mutex<HashMap<String, Weak<Core>>>,
    changed: Notify,
}

static REGISTRY: LazyLock<Registry> = LazyLock::new(|| Registry {
    bound: Mutex::new(HashMap::new()),
    changed: Notify::new(),
});

fn bound() -> std::sync::MutexGuard<'static, HashMap<String, Weak<Core>>> {
    REGISTRY.bound.lock().unwrap_or_else(|e| e.into_inner())
}

/// Removes the name when the bind's task ends (unbind aborts it, close ends it).
struct Unregister {
    name: String,
    core: Weak<Core>,
}

impl Drop for Unregister {
    fn drop(&mut self) {
        let mut map = bound();
        if map.get(&self.name).is_some_and(|w| w.ptr_eq(&self.core)) {
            map.remove(&self.name);
        }
    }
}

/// Binds `name`; a second live bind of the same name is EADDRINUSE.
pub(crate) fn bind(core: &Arc<Core>, name: &str, given: &str) -> Result<String, Error> {
    {
        let mut map = bound();
        if map
            .get(name)
            .is_some_and(|w| w.upgrade().is_some_and(|c| !c.is_closed()))
        {
            return Err(Error::AddrInUse {
                endpoint: given.to_string(),
            });
        }
        map.insert(name.to_string(), Arc::downgrade(core));
    }
    REGISTRY.changed.notify_waiters();
    let endpoint = format!("inproc://{name}");
    let guard = Unregister {
        name: name.to_string(),
        core: Arc::downgrade(core),
    };
    let mut closing = core.closing();
    let task = core.spawn(async move {
        let _guard = guard;
        while !*closing.borrow() {
            if closing.changed().await.is_err() {
                break;
            }
        }
    });
    core.add_endpoint(endpoint.clone(), true, task, None);
    core.emit(MonitorEvent::Listening {
        endpoint: endpoint.clone(),
    });
    Ok(endpoint)
}

/// Starts connecting to `name` (returns at once).
pub(crate) fn connect(core: &Arc<Core>, name: &str, given: String) {
    let options = core.options();
    let pipe = Arc::new(new_pipe(core, &options));
    core.take_connect_routing_id(&pipe);
    core.attach(&pipe);
    let task = core.spawn(connect_loop(core.clone(), name.to_string(), pipe.clone()));
    core.add_endpoint(given, false, task, Some(pipe));
}

/// A pipe for one side of a link: small messages encoded by their sender (see
/// [`Pipe::for_inproc`]), except from the types that send each message to many
/// pipes (PUB, XPUB, RADIO), for which one shared message per pipe costs less
/// than one copy per pipe.
fn new_pipe(core: &Core, options: &crate::options::Options) -> Pipe {
    if crate::pattern::fans_out(core.socket_type) {
        Pipe::for_options(options)
    } else {
        Pipe::for_inproc(options)
    }
}

fn peer_of(core: &Core) -> PeerInfo {
    let options = core.options();
    PeerInfo {
        version: Version::V3_1,
        socket_type: Some(core.socket_type),
        identity: if core.socket_type.sends_identity() {
            options.routing_id
        } else {
            Default::default()
        },
        metadata: Metadata::new(),
    }
}

async fn connect_loop(core: Arc<Core>, name: String, pipe: Arc<Pipe>) {
    let mut closing = core.closing();
    loop {
        let notified = REGISTRY.changed.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let binder = bound()
            .get(&name)
            .and_then(Weak::upgrade)
            .filter(|c| !c.is_closed());
        match binder {
            Some(binder) => {
                // Not driven by a waiting receive (see `engine::drive`): moving
                // the traffic on the receiving thread, 4M x 16 B on a one-worker
                // runtime, 6 alternating runs: 4.4-5.3M msg/s against 5.7-6.9M
                // from the link's own task.
                if !link(&core, &pipe, &binder).await {
                    return;
                }
            }
            None => {
                if *closing.borrow() {
                    return;
                }
                tokio::select! {
                    () = notified => {}
                    _ = closing.changed() => {}
                }
            }
        }
        if pipe.is_terminated() {
            return;
        }
    }
}

/// Joins the connecter's `pipe` to a new pipe of the binder and moves traffic both
/// ways until one side goes. Returns whether the connecter should wait for another
/// binder (false when the connecter itself is closing or refused).
async fn link(connecter: &Arc<Core>, pipe: &Arc<Pipe>, binder: &Arc<Core>) -> bool {
    if !connecter.socket_type.is_compatible_with(binder.socket_type) {
        let reason = format!(
            "incompatible socket types: {} cannot talk to {}",
            connecter.socket_type, binder.socket_type
        );
        connecter.emit(MonitorEvent::HandshakeFailed {
            endpoint: String::new(),
            peer: None,
            reason,
            protocol_code: None,
        });
        return false;
    }
    let options = binder.options();
    let theirs = Arc::new(new_pipe(binder, &options));
    let first_ours = match connecter.ready(pipe, &peer_of(binder)) {
        Ok(first) => first,
        Err(_) => return false,
    };
    let first_theirs = match binder.ready(&theirs, &peer_of(connecter)) {
        Ok(first) => first,
        Err(_) => {
            binder.detach(&theirs);
            connecter.disconnected(pipe.id());
            // Refused (a PAIR or CHANNEL that already has its peer): wait before
            // trying again, as a TCP connecter would, instead of spinning.
            let ivl = connecter
                .options()
                .reconnect_ivl
                .unwrap_or(std::time::Duration::from_millis(100));
            let mut closing = connecter.closing();
            tokio::select! {
                () = tokio::time::sleep(ivl) => {}
                _ = closing.wait_for(|c| *c) => {}
            }
            return true;
        }
    };
    let mut carry = Carry::default();
    carry.items.extend(first_ours);
    carry.deliver(binder, &theirs);
    carry.items.extend(first_theirs);
    carry.deliver(connecter, pipe);
    let mut our_closing = connecter.closing();
    let mut their_closing = binder.closing();
    let keep_waiting = loop {
        // Move everything that fits under the receiving side's RCVHWM.
        let moved_ours = carry.shuttle(pipe, binder, &theirs, connecter);
        let moved_theirs = carry.shuttle(&theirs, connecter, pipe, binder);
        let ours_done = *our_closing.borrow() && pipe.queued() == 0;
        let theirs_done = *their_closing.borrow() && theirs.queued() == 0;
        if ours_done || pipe.is_terminated() {
            break false;
        }
        if theirs_done || theirs.is_terminated() {
            break true;
        }
        if moved_ours || moved_theirs {
            continue;
        }
        // Read each side's fullness once: evaluated separately, a receiver taking
        // messages in between could disable both the outbound and the resume branch
        // and leave the link asleep for good (regression_inproc_link_stalled).
        let (theirs_full, ours_full) = (theirs.inbound_full(), pipe.inbound_full());
        tokio::select! {
            () = pipe.wait_outbound(), if !theirs_full => {}
            () = theirs.wait_outbound(), if !ours_full => {}
            () = theirs.wait_read_resume(), if theirs_full => {}
            () = pipe.wait_read_resume(), if ours_full => {}
            _ = our_closing.changed(), if !*our_closing.borrow() => {}
            _ = their_closing.changed(), if !*their_closing.borrow() => {}
        }
    };
    binder.detach(&theirs);
    connecter.disconnected(pipe.id());
    keep_waiting
}

/// What a link moves, in buffers kept from one batch to the next.
#[derive(Default)]
struct Carry {
    /// Taken from the sending side's pipe.
    items: Vec<Outbound>,
    /// Messages that crossed as they are, gathered before the receiving
    /// socket's lock is taken (`Core::push_inbound` hands the queue up whole);
    /// passing them through `Core::deliver` with the runs instead moved each
    /// under that lock: inproc 2M × 256 B, 5 alternating runs, 0.20–0.21 s
    /// against 0.21–0.24 s.
    msgs: VecDeque<Message>,
    /// A run of encoded messages, handed up as a ZMTP engine hands up its reads.
    runs: VecDeque<Delivery>,
}

impl Carry {
    /// Moves queued traffic from `from` (a pipe of `sender`) into `to_core`
    /// through its pipe `to`; returns whether anything moved.
    fn shuttle(
        &mut self,
        from: &Arc<Pipe>,
        to_core: &Arc<Core>,
        to: &Arc<Pipe>,
        sender: &Arc<Core>,
    ) -> bool {
        let room = to.inbound_room().min(512);
        if room == 0 {
            return false;
        }
        if from.drain(&mut self.items, room) {
            sender.notify_send_ready();
        }
        let moved = !self.items.is_empty();
        self.deliver(to_core, to);
        moved
    }

    /// Hands the items taken to `core` in their order: small messages, encoded
    /// by their sender into a run, stay encoded up to the receiving thread (see
    /// [`WireRun`]), so that such a message costs no reference count shared
    /// between the sending and the receiving threads.
    fn deliver(&mut self, core: &Arc<Core>, pipe: &Arc<Pipe>) {
        for out in self.items.drain(..) {
            match out {
                Outbound::Message(m) => self.msgs.push_back(m),
                Outbound::Encoded { frames, .. } => match WireRun::from_frames(frames.freeze()) {
                    Some(run) => {
                        core.push_inbound(pipe, &mut self.msgs);
                        self.runs.push_back(Delivery::Run(run));
                        core.deliver(pipe, &mut self.runs);
                    }
                    None => debug_assert!(false, "a pipe encodes whole messages"),
                },
                Outbound::Subscribe(t) | Outbound::Join(t) => {
                    core.subscription(pipe, &mut self.msgs, true, t);
                }
                Outbound::Cancel(t) | Outbound::Leave(t) => {
                    core.subscription(pipe, &mut self.msgs, false, t);
                }
            }
        }
        core.push_inbound(pipe, &mut self.msgs);
    }
}
