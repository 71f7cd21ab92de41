//! The tokio driver: the only place with sockets, clocks and `.await` (ARCHITECTURE.md).
//!
//! [`start`] binds the SIP socket and spawns the run loop; front-ends send
//! [`Command`]s and read [`Event`]s through the returned [`Driver`].

pub mod media;

use std::net::SocketAddr;

use tokio::sync::mpsc;

use crate::api::{Command, Event};
use crate::media::codec::CodecKind;
use media::MediaConfig;

/// Everything the driver needs.
#[derive(Clone, Debug)]
pub struct DriverConfig {
    /// SIP listen address (`--listen`, default 0.0.0.0:5060).
    pub listen: SocketAddr,
    /// User part of our From/Contact.
    pub user: String,
    /// Codecs offered and accepted, in order (`--codecs`).
    pub codecs: Vec<CodecKind>,
    /// Audio ends and RTP ports.
    pub media: MediaConfig,
    /// Print every SIP message sent and received (`--sip-trace`) to stderr.
    pub sip_trace: bool,
}

/// Why the driver could not start or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DriverError {
    /// The SIP port is taken.
    #[error("cannot listen on {addr}: the port is already in use (choose another with --listen, e.g. --listen 127.0.0.1:5070)")]
    AddrInUse {
        /// The address asked for.
        addr: SocketAddr,
    },
    /// Another socket error.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
}

/// A running driver: send commands, receive events.
pub struct Driver {
    /// Commands to the engine.
    pub commands: mpsc::UnboundedSender<Command>,
    /// Events from the engine, in order.
    pub events: mpsc::UnboundedReceiver<Event>,
    /// The bound SIP address.
    pub local_addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Driver {
    /// Wait for the run loop to end (after `Command::Shutdown`, once calls are hung up and
    /// recordings flushed).
    pub async fn join(self) {
        let _ = self.task.await;
    }
}

/// Bind the SIP socket and start the run loop on the current tokio runtime.
pub async fn start(cfg: DriverConfig) -> Result<Driver, DriverError> {
    let _ = cfg;
    todo!("driver::start")
}
