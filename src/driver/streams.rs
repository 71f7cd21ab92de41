//! Stream connections (TCP) for SIP: one task per connection, framing with
//! [`StreamFramer`] (RFC 3261 §18.3), answering keep-alive pings (RFC 5626 §4.4.1), and
//! reporting messages and failures to the run loop.
//!
//! Connections are named by [`FlowId`]. Outgoing messages name a flow when the engine knows
//! one (responses go back on the connection a request came in on, §18.2.2); otherwise an
//! open connection to the same peer is reused, or a new one is opened.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use crate::sip::engine::MAX_REQUEST_BYTES;
use crate::sip::transport::{FlowId, Framed, Protocol, StreamFramer};
use crate::sip::Transmit;

/// How long a connection attempt may take before the peer counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// What connection tasks tell the run loop.
#[derive(Debug)]
pub enum StreamEvent {
    /// One framed message.
    Message {
        /// The connection.
        flow: FlowId,
        /// The peer.
        peer: SocketAddr,
        /// The message bytes.
        bytes: Vec<u8>,
    },
    /// The connection ended. `failed` when it could not be opened or broke (not a clean
    /// close by the peer): the engine then ends what was waiting on it (§8.1.3.1).
    Closed {
        /// The connection.
        flow: FlowId,
        /// The peer.
        peer: SocketAddr,
        /// True for a connect failure, a reset or a framing error.
        failed: bool,
    },
}

struct Flow {
    peer: SocketAddr,
    tx: mpsc::UnboundedSender<Vec<u8>>,
}

/// Every open stream connection.
pub struct Streams {
    next: u64,
    flows: HashMap<FlowId, Flow>,
    by_peer: HashMap<SocketAddr, FlowId>,
    events: mpsc::UnboundedSender<StreamEvent>,
}

impl Streams {
    /// No connections yet; connection tasks report on `events`.
    pub fn new(events: mpsc::UnboundedSender<StreamEvent>) -> Streams {
        Streams {
            next: 1,
            flows: HashMap::new(),
            by_peer: HashMap::new(),
            events,
        }
    }

    fn new_flow(&mut self, peer: SocketAddr) -> (FlowId, mpsc::UnboundedReceiver<Vec<u8>>) {
        let flow = FlowId(self.next);
        self.next += 1;
        let (tx, rx) = mpsc::unbounded_channel();
        self.flows.insert(flow, Flow { peer, tx });
        self.by_peer.insert(peer, flow);
        (flow, rx)
    }

    /// Take over a connection a peer opened to us.
    pub fn accept(&mut self, stream: TcpStream, peer: SocketAddr) {
        let (flow, rx) = self.new_flow(peer);
        let events = self.events.clone();
        tokio::spawn(run_connection(flow, peer, Some(stream), rx, events));
    }

    /// Send a message over a stream: on its flow if still open, else on an open connection
    /// to the same peer, else on a new connection.
    pub fn send(&mut self, t: &Transmit) {
        debug_assert!(t.proto == Protocol::Tcp);
        let known = t
            .flow
            .filter(|f| self.flows.contains_key(f))
            .or_else(|| self.by_peer.get(&t.destination).copied());
        if let Some(flow) = known {
            if let Some(f) = self.flows.get(&flow) {
                if f.tx.send(t.contents.clone()).is_ok() {
                    return;
                }
            }
        }
        let (flow, rx) = self.new_flow(t.destination);
        if let Some(f) = self.flows.get(&flow) {
            let _ = f.tx.send(t.contents.clone());
        }
        let events = self.events.clone();
        tokio::spawn(run_connection(flow, t.destination, None, rx, events));
    }

    /// Forget a connection its task reported closed.
    pub fn closed(&mut self, flow: FlowId) {
        if let Some(f) = self.flows.remove(&flow) {
            if self.by_peer.get(&f.peer) == Some(&flow) {
                self.by_peer.remove(&f.peer);
            }
        }
    }

    /// Number of open connections.
    pub fn len(&self) -> usize {
        self.flows.len()
    }

    /// True when no connection is open.
    pub fn is_empty(&self) -> bool {
        self.flows.is_empty()
    }
}

/// One connection: open it if needed, then move bytes both ways until either side ends.
async fn run_connection(
    flow: FlowId,
    peer: SocketAddr,
    stream: Option<TcpStream>,
    mut outgoing: mpsc::UnboundedReceiver<Vec<u8>>,
    events: mpsc::UnboundedSender<StreamEvent>,
) {
    let stream = match stream {
        Some(s) => s,
        None => match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(peer)).await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => {
                tracing::debug!(%peer, error = %e, "TCP connect failed");
                let _ = events.send(StreamEvent::Closed {
                    flow,
                    peer,
                    failed: true,
                });
                return;
            }
            Err(_) => {
                tracing::debug!(%peer, "TCP connect timed out");
                let _ = events.send(StreamEvent::Closed {
                    flow,
                    peer,
                    failed: true,
                });
                return;
            }
        },
    };
    let _ = stream.set_nodelay(true);
    let (mut reader, mut writer) = stream.into_split();
    // Room for the largest request we accept plus its framing; larger is a framing error.
    let mut framer = StreamFramer::new(2 * MAX_REQUEST_BYTES);
    let mut buf = vec![0u8; 16 * 1024];
    let failed = loop {
        tokio::select! {
            read = reader.read(&mut buf) => match read {
                Ok(0) => break false,
                Ok(n) => {
                    framer.push(&buf[..n]);
                    let mut broken = false;
                    loop {
                        match framer.poll() {
                            Ok(Some(Framed::Message(bytes))) => {
                                let _ = events.send(StreamEvent::Message { flow, peer, bytes });
                            }
                            Ok(Some(Framed::Ping)) => {
                                if writer.write_all(b"\r\n").await.is_err() {
                                    broken = true;
                                    break;
                                }
                            }
                            Ok(Some(Framed::Pong)) => {}
                            Ok(None) => break,
                            Err(e) => {
                                // RFC 4475 §3.1.2.3: framing lost; close the connection.
                                tracing::info!(%peer, error = %e, "closing SIP connection");
                                broken = true;
                                break;
                            }
                        }
                    }
                    if broken {
                        break true;
                    }
                }
                Err(_) => break true,
            },
            msg = outgoing.recv() => match msg {
                Some(bytes) => {
                    if writer.write_all(&bytes).await.is_err() {
                        break true;
                    }
                }
                None => break false,
            },
        }
    };
    let _ = events.send(StreamEvent::Closed { flow, peer, failed });
}
