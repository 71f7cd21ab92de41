//! The engine: one `handle_input`, then drain `poll_output` (ARCHITECTURE.md rules 1-2).

use std::net::SocketAddr;
use std::time::Instant;

use crate::api::{Command, Event};
use crate::media::codec::CodecKind;
use crate::media::{MediaCtl, MediaReport};

/// Engine settings.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Address our SIP socket is bound to (Via sent-by, Contact).
    pub local: SocketAddr,
    /// User part of our From/Contact.
    pub user: String,
    /// Codecs offered and accepted, in preference order.
    pub codecs: Vec<CodecKind>,
    /// Seed for tags, branches and Call-IDs.
    pub seed: u64,
}

/// One datagram received.
#[derive(Clone, Debug)]
pub struct Receive {
    /// Who sent it.
    pub source: SocketAddr,
    /// The bytes.
    pub contents: Vec<u8>,
}

/// One datagram to send.
#[derive(Clone, Debug)]
pub struct Transmit {
    /// Where to.
    pub destination: SocketAddr,
    /// The bytes.
    pub contents: Vec<u8>,
}

/// Everything that can change the engine.
#[derive(Clone, Debug)]
pub enum Input {
    /// A datagram arrived.
    Receive(Receive),
    /// The deadline from `poll_timeout` passed (spurious calls are harmless).
    Timeout,
    /// A user command.
    Command(Command),
    /// A media-plane report.
    Media(MediaReport),
}

/// Everything the engine asks the outside world to do.
#[derive(Clone, Debug)]
pub enum Output {
    /// Send bytes.
    Transmit(Transmit),
    /// Media instruction.
    Media(MediaCtl),
    /// Something for the front-end.
    Event(Event),
}

/// The sans-IO SIP user agent.
pub struct Engine {
    cfg: EngineConfig,
}

impl Engine {
    /// A new engine; `now` is the time origin.
    pub fn new(cfg: EngineConfig, now: Instant) -> Self {
        let _ = now;
        Engine { cfg }
    }
    /// One mutation.
    pub fn handle_input(&mut self, now: Instant, input: Input) {
        let _ = (now, input, &self.cfg);
        todo!()
    }
    /// Drain.
    #[must_use]
    pub fn poll_output(&mut self) -> Option<Output> {
        todo!()
    }
    /// Earliest deadline.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        todo!()
    }
    /// True after `Command::Shutdown` once every call has ended.
    pub fn is_shut_down(&self) -> bool {
        todo!()
    }
}
