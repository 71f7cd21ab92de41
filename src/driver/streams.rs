//! Stream connections (TCP and TLS) for SIP: one task per connection, framing with
//! [`StreamFramer`] (RFC 3261 §18.3), answering keep-alive pings (RFC 5626 §4.4.1), and
//! reporting messages and failures to the run loop.
//!
//! Connections are named by [`FlowId`]. Outgoing messages name a flow when the engine knows
//! one (responses go back on the connection a request came in on, §18.2.2); otherwise an
//! open connection of the same protocol to the same peer is reused, or a new one is opened.
//! A TLS flow and a TCP flow to the same address are different flows.
//!
//! TLS (see [`super::tls`]) uses the same framing, keep-alives and reuse rules. Two things
//! are particular to it:
//! - A connection accepted on the SIP port may speak TLS or plain SIP: the first byte tells
//!   (0x16 opens a TLS handshake record; SIP starts with a letter or CRLF).
//! - A TLS client usually has no certificate, so nobody can open a connection to it. When a
//!   request arrives on a TLS connection we accepted, and its top Via's sent-by is the
//!   connection's own IP address, that sent-by address becomes an alias of the connection:
//!   requests we later send to it (the peer's Contact, e.g. a BYE) reuse the connection
//!   instead of failing to open a new one (RFC 5923's connection reuse, without its `alias`
//!   parameter, limited to the same IP).

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::CertificateDer;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_rustls::{TlsAcceptor, TlsConnector};

use super::tls;
use crate::sip::engine::MAX_REQUEST_BYTES;
use crate::sip::msg::{Message, SipMessage};
use crate::sip::transport::{host_ip, FlowId, Framed, Protocol, StreamFramer};
use crate::sip::Transmit;

/// How long a connection attempt may take before the peer counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a TLS handshake may take, either way.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// First byte of a TLS record carrying a handshake message (RFC 8446 §5.1: ContentType 22).
const TLS_HANDSHAKE_RECORD: u8 = 0x16;

/// What connection tasks tell the run loop.
#[derive(Debug)]
pub enum StreamEvent {
    /// One framed message.
    Message {
        /// The connection.
        flow: FlowId,
        /// TCP or TLS.
        proto: Protocol,
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
        /// TCP or TLS (TCP for an accepted connection that never said which).
        proto: Protocol,
        /// The peer.
        peer: SocketAddr,
        /// True for a connect or handshake failure, a reset or a framing error.
        failed: bool,
    },
}

/// Which listener a connection came in on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listener {
    /// The SIP port: plain SIP over TCP, or TLS when the first byte opens a handshake.
    Sip,
    /// The dedicated TLS port: TLS only.
    Tls,
}

struct Flow {
    /// Known once the first message arrived (accepted connections) or from the start.
    proto: Option<Protocol>,
    peer: SocketAddr,
    /// True for a connection the peer opened.
    accepted: bool,
    /// True once this flow has an alias (or gave up looking for one).
    aliased: bool,
    tx: mpsc::UnboundedSender<Vec<u8>>,
}

/// TLS state shared by the connection tasks.
struct TlsShared {
    /// Our server identity; `None` without a certificate.
    acceptor: Option<TlsAcceptor>,
    /// Extra trusted CAs for the client side.
    extra_roots: Vec<CertificateDer<'static>>,
    dangerous_skip_verify: bool,
    /// The client side, built on the first outgoing TLS connection.
    connector: Option<Result<TlsConnector, String>>,
    /// "No certificate, no TLS listener" was said.
    told_no_certificate: Arc<AtomicBool>,
}

/// Every open stream connection.
pub struct Streams {
    next: u64,
    flows: HashMap<FlowId, Flow>,
    by_peer: HashMap<(Protocol, SocketAddr), FlowId>,
    events: mpsc::UnboundedSender<StreamEvent>,
    tls: TlsShared,
    /// Every connection task holds a clone; [`Streams::close`] waits until all are gone.
    alive: Option<mpsc::Sender<()>>,
    all_gone: mpsc::Receiver<()>,
}

impl Streams {
    /// No connections yet; connection tasks report on `events`. `server` is our TLS
    /// identity if we have one; `extra_roots` and `dangerous_skip_verify` shape the client.
    pub fn new(
        events: mpsc::UnboundedSender<StreamEvent>,
        server: Option<Arc<rustls::ServerConfig>>,
        extra_roots: Vec<CertificateDer<'static>>,
        dangerous_skip_verify: bool,
    ) -> Streams {
        let (alive, all_gone) = mpsc::channel(1);
        Streams {
            alive: Some(alive),
            all_gone,
            next: 1,
            flows: HashMap::new(),
            by_peer: HashMap::new(),
            events,
            tls: TlsShared {
                acceptor: server.map(TlsAcceptor::from),
                extra_roots,
                dangerous_skip_verify,
                connector: None,
                told_no_certificate: Arc::new(AtomicBool::new(false)),
            },
        }
    }

    fn new_flow(
        &mut self,
        proto: Option<Protocol>,
        peer: SocketAddr,
        accepted: bool,
    ) -> (FlowId, mpsc::UnboundedReceiver<Vec<u8>>) {
        let flow = FlowId(self.next);
        self.next += 1;
        let (tx, rx) = mpsc::unbounded_channel();
        self.flows.insert(
            flow,
            Flow {
                proto,
                peer,
                accepted,
                aliased: false,
                tx,
            },
        );
        if let Some(proto) = proto {
            self.by_peer.insert((proto, peer), flow);
        }
        (flow, rx)
    }

    /// Take over a connection a peer opened to us on `listener`.
    pub fn accept(&mut self, stream: TcpStream, peer: SocketAddr, listener: Listener) {
        let (flow, rx) = self.new_flow(None, peer, true);
        let events = self.events.clone();
        let acceptor = self.tls.acceptor.clone();
        let told = self.tls.told_no_certificate.clone();
        let alive = self.alive.clone();
        tokio::spawn(async move {
            let _alive = alive;
            let _ = stream.set_nodelay(true);
            let tls = match listener {
                Listener::Tls => true,
                Listener::Sip => {
                    let mut first = [0u8; 1];
                    matches!(stream.peek(&mut first).await, Ok(1) if first[0] == TLS_HANDSHAKE_RECORD)
                }
            };
            if !tls {
                let failed = pump(flow, Protocol::Tcp, peer, stream, rx, &events).await;
                let _ = events.send(StreamEvent::Closed {
                    flow,
                    proto: Protocol::Tcp,
                    peer,
                    failed,
                });
                return;
            }
            let Some(acceptor) = acceptor else {
                if !told.swap(true, Ordering::Relaxed) {
                    eprintln!(
                        "sipline: {peer} opened a TLS connection, but TLS is not accepted here \
                         without a certificate (--tls-cert FILE --tls-key FILE)"
                    );
                }
                let _ = events.send(StreamEvent::Closed {
                    flow,
                    proto: Protocol::Tls,
                    peer,
                    failed: false,
                });
                return;
            };
            let failed =
                match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                    Ok(Ok(s)) => pump(flow, Protocol::Tls, peer, s, rx, &events).await,
                    Ok(Err(e)) => {
                        tracing::info!(%peer, "incoming TLS handshake failed: {e}");
                        false
                    }
                    Err(_) => {
                        tracing::info!(%peer, "incoming TLS handshake timed out");
                        false
                    }
                };
            let _ = events.send(StreamEvent::Closed {
                flow,
                proto: Protocol::Tls,
                peer,
                failed,
            });
        });
    }

    /// A message arrived on `flow` (called by the run loop for every [`StreamEvent::Message`]):
    /// learn the protocol of an accepted connection, and the peer's own address from the
    /// top Via of a request on an accepted TLS connection (see the module docs).
    pub fn received(&mut self, flow: FlowId, proto: Protocol, bytes: &[u8]) {
        let Some(f) = self.flows.get_mut(&flow) else {
            return;
        };
        if f.proto.is_none() {
            f.proto = Some(proto);
            self.by_peer.insert((proto, f.peer), flow);
        }
        if !(proto == Protocol::Tls && f.accepted) || f.aliased {
            return;
        }
        let Ok(Message::Request(req)) = Message::parse(bytes) else {
            return;
        };
        f.aliased = true;
        let Ok(via) = req.top_via() else { return };
        let (Some(ip), Some(port)) = (host_ip(&via.host), via.port) else {
            return;
        };
        if ip != f.peer.ip() || port == f.peer.port() {
            return;
        }
        let alias = SocketAddr::new(ip, port);
        let peer = f.peer;
        if let std::collections::hash_map::Entry::Vacant(slot) =
            self.by_peer.entry((Protocol::Tls, alias))
        {
            tracing::debug!(%peer, %alias, "TLS connection reused for its sent-by");
            slot.insert(flow);
        }
    }

    /// Send a message over a stream: on its flow if still open, else on an open connection
    /// of the same protocol to the same peer, else on a new connection.
    pub fn send(&mut self, t: &Transmit) {
        debug_assert!(t.proto.is_reliable());
        let known = t
            .flow
            .filter(|f| self.flows.contains_key(f))
            .or_else(|| self.by_peer.get(&(t.proto, t.destination)).copied());
        if let Some(flow) = known {
            if let Some(f) = self.flows.get(&flow) {
                if f.tx.send(t.contents.clone()).is_ok() {
                    return;
                }
            }
        }
        let connector = match t.proto {
            Protocol::Tls => Some(self.connector()),
            _ => None,
        };
        let (flow, rx) = self.new_flow(Some(t.proto), t.destination, false);
        if let Some(f) = self.flows.get(&flow) {
            let _ = f.tx.send(t.contents.clone());
        }
        let events = self.events.clone();
        let alive = self.alive.clone();
        let (proto, destination) = (t.proto, t.destination);
        tokio::spawn(async move {
            let _alive = alive;
            connect(flow, proto, destination, connector, rx, events).await;
        });
    }

    /// Close every connection once what was queued on it is written (the last response of a
    /// call, e.g. the 200 to a BYE, must reach the peer before the process exits), waiting
    /// at most `within` for the connection tasks to finish.
    pub async fn close(&mut self, within: Duration) {
        self.flows.clear();
        self.by_peer.clear();
        self.alive = None;
        // recv() gives None once every task's clone of `alive` is dropped.
        let _ = tokio::time::timeout(within, self.all_gone.recv()).await;
    }

    /// The TLS client, built once.
    fn connector(&mut self) -> Result<TlsConnector, String> {
        if self.tls.acceptor.is_none()
            && !self.tls.told_no_certificate.swap(true, Ordering::Relaxed)
        {
            eprintln!(
                "sipline: no TLS certificate (--tls-cert FILE --tls-key FILE), so no TLS \
                 listener: over TLS, peers reach us only on connections we open"
            );
        }
        self.tls
            .connector
            .get_or_insert_with(|| {
                tls::client_config(&self.tls.extra_roots, self.tls.dangerous_skip_verify)
                    .map(TlsConnector::from)
            })
            .clone()
    }

    /// Forget a connection its task reported closed, with its aliases.
    pub fn closed(&mut self, flow: FlowId) {
        if self.flows.remove(&flow).is_some() {
            self.by_peer.retain(|_, f| *f != flow);
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

/// A connection we open: TCP, then for TLS the handshake, then the connection's life.
async fn connect(
    flow: FlowId,
    proto: Protocol,
    peer: SocketAddr,
    connector: Option<Result<TlsConnector, String>>,
    outgoing: mpsc::UnboundedReceiver<Vec<u8>>,
    events: mpsc::UnboundedSender<StreamEvent>,
) {
    let closed = |failed| StreamEvent::Closed {
        flow,
        proto,
        peer,
        failed,
    };
    let connector = match connector {
        Some(Err(why)) => {
            tracing::warn!(%peer, "cannot open a TLS connection: {why}");
            let _ = events.send(closed(true));
            return;
        }
        Some(Ok(c)) => Some(c),
        None => None,
    };
    let stream = match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(peer)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            if proto == Protocol::Tls {
                tracing::info!(%peer, "TLS connection failed: {e}");
            } else {
                tracing::debug!(%peer, error = %e, "TCP connect failed");
            }
            let _ = events.send(closed(true));
            return;
        }
        Err(_) => {
            tracing::info!(%peer, "{} connect timed out", proto.via_token());
            let _ = events.send(closed(true));
            return;
        }
    };
    let _ = stream.set_nodelay(true);
    let failed = match connector {
        None => pump(flow, proto, peer, stream, outgoing, &events).await,
        Some(connector) => {
            let handshake = connector.connect(tls::server_name(peer), stream);
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake).await {
                Ok(Ok(s)) => pump(flow, proto, peer, s, outgoing, &events).await,
                Ok(Err(e)) => {
                    let why = tls::describe_handshake_error(peer.ip(), &e);
                    if tls::is_certificate_error(&e) {
                        // The user's own call fails for this: say it at the default level.
                        tracing::warn!(%peer, "{why}");
                    } else {
                        tracing::info!(%peer, "{why}");
                    }
                    true
                }
                Err(_) => {
                    tracing::info!(%peer, "TLS handshake timed out");
                    true
                }
            }
        }
    };
    let _ = events.send(closed(failed));
}

/// Move bytes both ways until either side ends; true when the connection broke.
async fn pump<S>(
    flow: FlowId,
    proto: Protocol,
    peer: SocketAddr,
    stream: S,
    mut outgoing: mpsc::UnboundedReceiver<Vec<u8>>,
    events: &mpsc::UnboundedSender<StreamEvent>,
) -> bool
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (mut reader, mut writer) = tokio::io::split(stream);
    // Room for the largest request we accept plus its framing; larger is a framing error.
    let mut framer = StreamFramer::new(2 * MAX_REQUEST_BYTES);
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        tokio::select! {
            read = reader.read(&mut buf) => match read {
                Ok(0) => return false,
                Ok(n) => {
                    framer.push(&buf[..n]);
                    loop {
                        match framer.poll() {
                            Ok(Some(Framed::Message(bytes))) => {
                                let _ = events.send(StreamEvent::Message { flow, proto, peer, bytes });
                            }
                            Ok(Some(Framed::Ping)) => {
                                if writer.write_all(b"\r\n").await.is_err() {
                                    return true;
                                }
                                // TLS buffers records until flushed.
                                if writer.flush().await.is_err() {
                                    return true;
                                }
                            }
                            Ok(Some(Framed::Pong)) => {}
                            Ok(None) => break,
                            Err(e) => {
                                // RFC 4475 §3.1.2.3: framing lost; close the connection.
                                tracing::info!(%peer, error = %e, "closing SIP connection");
                                return true;
                            }
                        }
                    }
                }
                // A TLS peer that closes the TCP connection without close_notify (a
                // process that exits) is an end, not a failure, like a TCP FIN.
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return false,
                Err(_) => return true,
            },
            msg = outgoing.recv() => match msg {
                Some(bytes) => {
                    if writer.write_all(&bytes).await.is_err() || writer.flush().await.is_err() {
                        return true;
                    }
                }
                None => {
                    // Closed by us: for TLS this sends close_notify.
                    let _ = writer.shutdown().await;
                    return false;
                }
            },
        }
    }
}
