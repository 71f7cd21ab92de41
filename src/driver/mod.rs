//! The tokio driver: the only place with sockets, clocks and `.await` (ARCHITECTURE.md).
//!
//! [`start`] binds the SIP socket and spawns the run loop; front-ends send
//! [`Command`]s and read [`Event`]s through the returned [`Driver`]. The loop follows the
//! engine's contract: one `handle_input`, then drain `poll_output` to empty, then wait for
//! the earliest of a datagram, a command, a media report or the engine's deadline.

pub mod media;
pub mod streams;
pub mod test_line;
pub mod tls;

use std::collections::VecDeque;
use std::io::ErrorKind;
use std::net::{IpAddr, SocketAddr, UdpSocket as StdUdpSocket};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::mpsc;

use crate::api::{AudioCheck, CallHandle, Command, Event, InviteOptions, TestLine};
use crate::media::analysis::Verdict;
use crate::media::codec::CodecKind;
use crate::media::MediaReport;
use crate::sip::timers::TimerValues;
use crate::sip::transport::Protocol;
use crate::sip::{Engine, EngineConfig, Input, Output, Receive};
use media::{MediaConfig, MediaManager};
use streams::{Listener, StreamEvent, Streams};
use test_line::TestLines;
use tls::{TlsConfig, TlsSetupError};

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
    /// Accounts (the first is the default one for calls).
    pub accounts: Vec<crate::sip::account::AccountConfig>,
    /// SIP over TLS: our certificate, trusted CAs, the TLS listener ([`tls`]).
    pub tls: TlsConfig,
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
    /// A TLS certificate, key or CA file cannot be used.
    #[error(transparent)]
    Tls(#[from] TlsSetupError),
}

/// A running driver: send commands, receive events.
pub struct Driver {
    /// Commands to the engine.
    pub commands: mpsc::UnboundedSender<Command>,
    /// Events from the engine, in order.
    pub events: mpsc::UnboundedReceiver<Event>,
    /// The bound SIP address.
    pub local_addr: SocketAddr,
    /// The dedicated TLS listener's address, when there is one (TLS is also accepted on
    /// the SIP port when we have a certificate).
    pub tls_local_addr: Option<SocketAddr>,
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
    let tls_cfg = cfg.tls.clone();
    let tls_server = tls::server_config(&tls_cfg)?;
    let tls_roots = tls::extra_roots(&tls_cfg)?;
    if tls_cfg.listen.is_some() && tls_server.is_none() {
        return Err(TlsSetupError {
            what: "a TLS listen address needs a certificate and key (--tls-cert, --tls-key)".into(),
        }
        .into());
    }
    if tls_cfg.dangerous_skip_verify {
        tracing::warn!(
            "TLS server certificates are NOT verified (dangerous skip): anyone on the path \
             can pose as the peer"
        );
    }
    let std_socket = StdUdpSocket::bind(cfg.listen).map_err(|e| match e.kind() {
        ErrorKind::AddrInUse => DriverError::AddrInUse { addr: cfg.listen },
        _ => DriverError::Bind {
            addr: cfg.listen,
            source: e,
        },
    })?;
    std_socket
        .set_nonblocking(true)
        .map_err(|e| DriverError::Bind {
            addr: cfg.listen,
            source: e,
        })?;
    let socket = UdpSocket::from_std(std_socket).map_err(|e| DriverError::Bind {
        addr: cfg.listen,
        source: e,
    })?;
    let local_addr = socket.local_addr().map_err(|e| DriverError::Bind {
        addr: cfg.listen,
        source: e,
    })?;
    // TCP on the same address and port (§18: a UA listens on both). A taken TCP port is
    // not fatal: UDP still works, and the user is told.
    let listener = match TcpListener::bind(local_addr).await {
        Ok(l) => Some(l),
        Err(e) => {
            eprintln!("sipline: TCP disabled: cannot listen on {local_addr}/tcp: {e}");
            None
        }
    };
    let tls_listener = match &tls_server {
        Some(_) => bind_tls_listener(&tls_cfg, local_addr).await?,
        None => None,
    };
    let tls_local_addr = tls_listener.as_ref().and_then(|l| l.local_addr().ok());
    let advertise = if local_addr.ip().is_unspecified() {
        primary_ip()
    } else {
        None
    };
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
        ^ u64::from(std::process::id()).rotate_left(32);
    let engine = Engine::new(
        EngineConfig {
            local: local_addr,
            advertise,
            user: cfg.user.clone(),
            codecs: cfg.codecs.clone(),
            seed,
            timers: TimerValues::default(),
            accounts: cfg.accounts.clone(),
        },
        Instant::now(),
    );
    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
    let (ev_tx, ev_rx) = mpsc::unbounded_channel();
    let media = MediaManager::new(cfg.media.clone());
    let test_lines = Some(TestLines::new(cfg.media.rtp_ports));
    let (stream_tx, stream_rx) = mpsc::unbounded_channel();
    let run = RunLoop {
        engine,
        socket,
        listener,
        tls_listener,
        streams: Streams::new(
            stream_tx,
            tls_server,
            tls_roots,
            tls_cfg.dangerous_skip_verify,
        ),
        stream_events: stream_rx,
        media,
        commands: cmd_rx,
        events: ev_tx,
        sip_trace: cfg.sip_trace,
        reports: VecDeque::new(),
        test_lines,
    };
    let task = tokio::spawn(run.run());
    Ok(Driver {
        commands: cmd_tx,
        events: ev_rx,
        local_addr,
        tls_local_addr,
        task,
    })
}

/// The event answering `expect-audio`.
fn audio_checked(call: CallHandle, check: AudioCheck, v: &Verdict, window_blocks: u32) -> Event {
    Event::AudioChecked {
        call,
        check: check.to_string(),
        passed: v.passed,
        percent: (v.fraction * 100.0 + 1e-9).floor().clamp(0.0, 100.0) as u32,
        level_dbfs: v.level_dbfs.round() as i32,
        window_ms: window_blocks.saturating_mul(20),
        heard_ms: v.blocks.saturating_mul(20),
    }
}

/// The dedicated TLS listener: the configured address, else the SIP address with port + 1
/// (RFC 3263's 5061 beside 5060). A configured address that cannot be bound stops the
/// start; the default one only costs a line on stderr, since TLS is accepted on the SIP
/// port as well.
async fn bind_tls_listener(
    cfg: &TlsConfig,
    sip: SocketAddr,
) -> Result<Option<TcpListener>, DriverError> {
    if let Some(addr) = cfg.listen {
        // Not AddrInUse: its message points at --listen, which is not this address.
        return TcpListener::bind(addr)
            .await
            .map(Some)
            .map_err(|e| DriverError::Bind { addr, source: e });
    }
    let Some(port) = sip.port().checked_add(1) else {
        return Ok(None);
    };
    let addr = SocketAddr::new(sip.ip(), port);
    match TcpListener::bind(addr).await {
        Ok(l) => Ok(Some(l)),
        Err(e) => {
            eprintln!(
                "sipline: no TLS listener on {addr}: {e} (TLS is still accepted on {sip}/tcp)"
            );
            Ok(None)
        }
    }
}

/// The IP the routing table would use for outside traffic, found with an unconnected
/// UDP `connect` (which sends nothing) to a documentation address (RFC 5737).
fn primary_ip() -> Option<IpAddr> {
    let s = StdUdpSocket::bind("0.0.0.0:0").ok()?;
    s.connect("192.0.2.1:9").ok()?;
    let ip = s.local_addr().ok()?.ip();
    (!ip.is_unspecified()).then_some(ip)
}

/// At quit, how long the connection tasks get to write what is queued (the 200 to a BYE
/// that just arrived) and close.
const STREAM_CLOSE_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

struct RunLoop {
    engine: Engine,
    socket: UdpSocket,
    listener: Option<TcpListener>,
    tls_listener: Option<TcpListener>,
    streams: Streams,
    stream_events: mpsc::UnboundedReceiver<StreamEvent>,
    media: MediaManager,
    commands: mpsc::UnboundedReceiver<Command>,
    events: mpsc::UnboundedSender<Event>,
    sip_trace: bool,
    /// Media reports waiting to be fed to the engine, one mutation at a time.
    reports: VecDeque<MediaReport>,
    /// The built-in test line (the phone's own loop only; a line has none).
    test_lines: Option<TestLines>,
}

impl RunLoop {
    async fn run(mut self) {
        let mut buf = vec![0u8; 65_535];
        let mut commands_open = true;
        loop {
            self.drain().await;
            if let Some(report) = self.reports.pop_front() {
                self.engine
                    .handle_input(Instant::now(), Input::Media(report));
                continue;
            }
            if self.engine.is_shut_down() {
                break;
            }
            let deadline = self.engine.poll_timeout();
            let input = tokio::select! {
                biased;
                cmd = self.commands.recv(), if commands_open => match cmd {
                    Some(Command::Stats { call }) => {
                        self.report_stats(call);
                        continue;
                    }
                    Some(Command::ExpectAudio { call, check, duration_ms }) => {
                        self.expect_audio(call, check, duration_ms);
                        continue;
                    }
                    Some(Command::InviteTestLine { line, options }) => {
                        match self.test_line_invite(line, options) {
                            Some(invite) => Input::Command(invite),
                            None => continue,
                        }
                    }
                    Some(c) => Input::Command(c),
                    None => {
                        // Every front-end handle is gone: hang up and stop.
                        commands_open = false;
                        Input::Command(Command::Shutdown)
                    }
                },
                r = self.socket.recv_from(&mut buf) => match r {
                    Ok((n, source)) => {
                        let contents = buf[..n].to_vec();
                        if self.sip_trace {
                            trace_message("received from", source, &contents);
                        }
                        Input::Receive(Receive::udp(source, contents))
                    }
                    Err(e) => {
                        // ICMP errors surface here on some systems; the engine's timers
                        // deal with the silence that follows.
                        tracing::debug!(error = %e, "recv_from failed");
                        continue;
                    }
                },
                rep = self.media.next_report() => match self.media_input(rep) {
                    Some(input) => input,
                    None => continue,
                },
                ev = self.stream_events.recv() => match ev {
                    Some(StreamEvent::Message { flow, proto, peer, bytes }) => {
                        if self.sip_trace {
                            trace_message(received_label(proto), peer, &bytes);
                        }
                        self.streams.received(flow, proto, &bytes);
                        Input::Receive(Receive {
                            source: peer,
                            contents: bytes,
                            proto,
                            flow: Some(flow),
                        })
                    }
                    Some(StreamEvent::Closed { flow, proto, peer, failed }) => {
                        self.streams.closed(flow);
                        if !failed {
                            continue;
                        }
                        Input::TransportError { proto, remote: peer }
                    }
                    // invariant: RunLoop holds a sender (inside `streams`), so the channel
                    // never closes while the loop runs.
                    None => continue,
                },
                conn = accept(self.listener.as_ref()) => {
                    match conn {
                        Ok((stream, peer)) => self.streams.accept(stream, peer, Listener::Sip),
                        Err(e) => tracing::debug!(error = %e, "TCP accept failed"),
                    }
                    continue;
                },
                conn = accept(self.tls_listener.as_ref()) => {
                    match conn {
                        Ok((stream, peer)) => self.streams.accept(stream, peer, Listener::Tls),
                        Err(e) => tracing::debug!(error = %e, "TLS accept failed"),
                    }
                    continue;
                },
                _ = sleep_until(deadline) => Input::Timeout,
            };
            // Read the clock after waking (quinn drive_timer): the sleep does not decide expiry.
            self.engine.handle_input(Instant::now(), input);
        }
        self.drain().await;
        self.streams.close(STREAM_CLOSE_WAIT).await;
        self.media.shutdown().await;
        // What the media tasks said on the way out (a digit still held when a call ended)
        // still becomes events: the front-end prints them until the channel closes.
        while let Some(report) = self.media.try_next_report() {
            if let Some(input) = self.media_input(report) {
                self.engine.handle_input(Instant::now(), input);
            }
        }
        self.drain().await;
        if let Some(lines) = self.test_lines.take() {
            lines.stop().await;
        }
    }

    /// Resolve [`Command::InviteTestLine`] to an INVITE to the line's address, starting the
    /// line first when needed; None (and a command error) when it cannot start.
    fn test_line_invite(&mut self, line: TestLine, options: InviteOptions) -> Option<Command> {
        let uri = match &mut self.test_lines {
            Some(lines) => lines.uri(line),
            None => Err(std::io::Error::other("a test line cannot call test lines")),
        };
        match uri {
            // The line is on this machine: never through an account's proxy.
            Ok(target) => Some(Command::InviteWith {
                target,
                options: InviteOptions {
                    account: None,
                    without_account: true,
                    ..options
                },
            }),
            Err(e) => {
                let _ = self.events.send(Event::CommandError {
                    message: format!("invite: the {} test line cannot start: {e}", line.as_str()),
                });
                None
            }
        }
    }

    /// Answer [`Command::Stats`] from the media tasks' latest snapshots.
    fn report_stats(&mut self, call: Option<CallHandle>) {
        let calls = match call {
            Some(c) => vec![c],
            None => self.media.running(),
        };
        if calls.is_empty() {
            let _ = self.events.send(Event::CommandError {
                message: "stats: no call has media yet".into(),
            });
        }
        for call in calls {
            let ev = match self.media.stats(call) {
                Some(s) => Event::Stats {
                    call,
                    sent_packets: s.sent_packets,
                    received_packets: s.jitter.received,
                    lost: s.jitter.lost,
                    late: s.jitter.late,
                    jitter_ms: s.jitter_ms,
                    level_dbfs: s.level_dbfs,
                },
                None => Event::CommandError {
                    message: format!("stats: call {call} has no media"),
                },
            };
            let _ = self.events.send(ev);
        }
    }

    /// Start [`Command::ExpectAudio`] on the call's media task, which answers through
    /// `MediaReport::AudioChecked`; a call without running media is a command error.
    fn expect_audio(&mut self, call: Option<CallHandle>, check: AudioCheck, duration_ms: u32) {
        let running = self.media.running();
        let call = match (call, running.as_slice()) {
            (Some(c), _) => c,
            (None, [one]) => *one,
            (None, []) => {
                let _ = self.events.send(Event::CommandError {
                    message: "expect-audio: no call has media".into(),
                });
                return;
            }
            (None, several) => {
                let list: Vec<String> = several.iter().map(|c| c.to_string()).collect();
                let _ = self.events.send(Event::CommandError {
                    message: format!(
                        "expect-audio: calls {} have media (say which: expect-audio N ...)",
                        list.join(", ")
                    ),
                });
                return;
            }
        };
        if !self.media.analyze(call, check, duration_ms) {
            let _ = self.events.send(Event::CommandError {
                message: format!("expect-audio: call {call} has no media"),
            });
        }
    }

    /// A media task's report as engine input; an `expect-audio` verdict is an event the
    /// driver emits itself (None).
    fn media_input(&mut self, report: MediaReport) -> Option<Input> {
        match report {
            MediaReport::AudioChecked {
                call,
                check,
                verdict,
                window_blocks,
            } => {
                let _ = self
                    .events
                    .send(audio_checked(call, check, &verdict, window_blocks));
                None
            }
            report => Some(Input::Media(report)),
        }
    }

    /// Carry out everything the engine asked for (rule 2: drain to empty).
    async fn drain(&mut self) {
        while let Some(out) = self.engine.poll_output() {
            match out {
                Output::Transmit(t) if t.proto == Protocol::Udp => {
                    if self.sip_trace {
                        trace_message("sent to", t.destination, &t.contents);
                    }
                    if let Err(e) = self.socket.send_to(&t.contents, t.destination).await {
                        tracing::warn!(destination = %t.destination, error = %e, "send failed");
                    }
                }
                Output::Transmit(t) => {
                    if self.sip_trace {
                        trace_message(sent_label(t.proto), t.destination, &t.contents);
                    }
                    self.streams.send(&t);
                }
                Output::Media(ctl) => {
                    if let Some(report) = self.media.handle(ctl) {
                        self.reports.push_back(report);
                    }
                }
                Output::Event(ev) => {
                    let _ = self.events.send(ev);
                }
            }
        }
    }
}

async fn accept(
    listener: Option<&TcpListener>,
) -> std::io::Result<(tokio::net::TcpStream, SocketAddr)> {
    match listener {
        Some(l) => l.accept().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await,
        None => std::future::pending::<()>().await,
    }
}

fn received_label(proto: Protocol) -> &'static str {
    match proto {
        Protocol::Udp => "received from",
        Protocol::Tcp => "received over TCP from",
        Protocol::Tls => "received over TLS from",
    }
}

fn sent_label(proto: Protocol) -> &'static str {
    match proto {
        Protocol::Udp => "sent to",
        Protocol::Tcp => "sent over TCP to",
        Protocol::Tls => "sent over TLS to",
    }
}

/// `--sip-trace`: the whole message on stderr, with direction and peer.
fn trace_message(what: &str, peer: SocketAddr, bytes: &[u8]) {
    let text = redact_credentials(&String::from_utf8_lossy(bytes));
    eprintln!(
        "----- {what} {peer} ({} bytes)\n{}",
        bytes.len(),
        text.trim_end()
    );
}

/// Mask the digest `response=` of every Authorization / Proxy-Authorization line, so traces
/// never carry anything derived from a password (the password itself is never sent).
fn redact_credentials(text: &str) -> String {
    text.split_inclusive('\n')
        .map(|line| {
            let lower = line.to_ascii_lowercase();
            match line.split_once(':') {
                Some((name, value))
                    if lower.starts_with("authorization:")
                        || lower.starts_with("proxy-authorization:") =>
                {
                    let end = if value.ends_with("\r\n") {
                        "\r\n"
                    } else if value.ends_with('\n') {
                        "\n"
                    } else {
                        ""
                    };
                    let v = value.trim_end_matches(['\r', '\n']);
                    format!("{name}:{}{end}", crate::sip::auth::redact_authorization(v))
                }
                _ => line.to_string(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::redact_credentials;

    #[test]
    fn traces_mask_digest_responses() {
        let msg = "REGISTER sip:r SIP/2.0\r\nAuthorization: Digest username=\"alice\", realm=\"r\", nonce=\"n\", uri=\"sip:r\", response=\"0123456789abcdef0123456789abcdef\"\r\nProxy-Authorization: Digest username=\"alice\", response=\"fedcba9876543210fedcba9876543210\"\r\nContent-Length: 0\r\n\r\n";
        let out = redact_credentials(msg);
        assert!(!out.contains("0123456789abcdef0123456789abcdef"), "{out}");
        assert!(!out.contains("fedcba9876543210fedcba9876543210"), "{out}");
        assert!(out.contains("username=\"alice\""), "{out}");
        assert!(out.ends_with("Content-Length: 0\r\n\r\n"));
    }
}
