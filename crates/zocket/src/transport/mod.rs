//! Transports: how bytes reach a peer. Each one accepts or dials connections and
//! runs an [engine](crate::engine) on each.

pub(crate) mod tcp;
