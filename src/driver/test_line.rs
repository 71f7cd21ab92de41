//! The built-in test line: `invite echo` and `invite tone` work with no server and no
//! account.
//!
//! Each line is a real SIP user agent over the real stack: its own [`Engine`] and run loop
//! (the same [`RunLoop`] as the phone's), bound to 127.0.0.1 on an ephemeral UDP port, with
//! its own media. The phone's driver starts a line the first time it is called
//! ([`TestLines::address`]), turns [`Command::InviteTestLine`] into an ordinary INVITE to
//! `sip:echo@127.0.0.1:PORT` (or `tone`) from no account (so never through an account's
//! outbound proxy; `--account` is ignored), and stops the lines when it stops. So a test-line
//! call goes through the whole stack both ways: SIP over the loopback interface, SDP
//! offer/answer, RTP, codecs, RFC 4733 DTMF.
//!
//! A line answers every INVITE at once (200, no ringing) and never hangs up by itself:
//! - `echo` sends back what it receives, [`ECHO_DELAY_MS`] later (the echo audio end,
//!   [`crate::media::audio::echo`]);
//! - `tone` sends a [`TEST_TONE_HZ`] sine;
//! - both send back every DTMF digit they hear, by the method it came (RFC 4733 or INFO),
//!   so the caller sees its digits as `dtmf` events.
//!
//! A line accepts every codec we have (the caller's offer picks), uses the phone's RTP port
//! range, and has no TLS, no TCP and no account.

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket as StdUdpSocket};
use std::time::{Duration, Instant};

use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::media::{MediaConfig, MediaManager};
use super::streams::Streams;
use super::RunLoop;
use crate::api::{Command, Event, TestLine, TEST_TONE_HZ};
use crate::media::audio::echo::ECHO_DELAY_MS;
use crate::media::audio::{AudioInSpec, AudioOutSpec};
use crate::media::codec::CodecKind;
use crate::sip::timers::TimerValues;
use crate::sip::{Engine, EngineConfig};

/// How long stopping waits for a line's run loop before leaving it.
const STOP_WAIT: Duration = Duration::from_secs(2);

/// One running line.
struct Line {
    line: TestLine,
    addr: SocketAddr,
    commands: mpsc::UnboundedSender<Command>,
    run: JoinHandle<()>,
}

/// The phone's test lines, started on first use.
pub(super) struct TestLines {
    rtp_ports: (u16, u16),
    running: Vec<Line>,
}

impl TestLines {
    /// No line runs yet; lines will use RTP ports in `rtp_ports`.
    pub(super) fn new(rtp_ports: (u16, u16)) -> Self {
        TestLines {
            rtp_ports,
            running: Vec::new(),
        }
    }

    /// The SIP URI that reaches `line`, starting the line when it is not running yet.
    pub(super) fn uri(&mut self, line: TestLine) -> std::io::Result<String> {
        let addr = self.address(line)?;
        Ok(format!("sip:{}@{addr}", line.as_str()))
    }

    /// The address `line` listens on, starting it first when needed.
    pub(super) fn address(&mut self, line: TestLine) -> std::io::Result<SocketAddr> {
        self.running.retain(|l| !l.run.is_finished());
        if let Some(l) = self.running.iter().find(|l| l.line == line) {
            return Ok(l.addr);
        }
        let l = spawn_line(line, self.rtp_ports)?;
        let addr = l.addr;
        self.running.push(l);
        Ok(addr)
    }

    /// Stop every line (each hangs up what is left and stops its media), waiting a bounded
    /// time for each.
    pub(super) async fn stop(self) {
        for l in &self.running {
            let _ = l.commands.send(Command::Shutdown);
        }
        for l in self.running {
            if tokio::time::timeout(STOP_WAIT, l.run).await.is_err() {
                tracing::debug!(line = l.line.as_str(), "test line did not stop in time");
            }
        }
    }
}

/// Bind `line`'s SIP socket and spawn its run loop and its answering task.
fn spawn_line(line: TestLine, rtp_ports: (u16, u16)) -> std::io::Result<Line> {
    let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let std_socket = StdUdpSocket::bind(SocketAddr::new(loopback, 0))?;
    std_socket.set_nonblocking(true)?;
    let socket = UdpSocket::from_std(std_socket)?;
    let addr = socket.local_addr()?;
    let engine = Engine::new(
        EngineConfig {
            local: addr,
            advertise: None,
            user: line.as_str().to_string(),
            codecs: CodecKind::ALL.to_vec(),
            seed: rand::random(),
            timers: TimerValues::default(),
            accounts: Vec::new(),
        },
        Instant::now(),
    );
    let audio_in = match line {
        TestLine::Echo => AudioInSpec::Echo,
        TestLine::Tone => AudioInSpec::Tone(TEST_TONE_HZ as f32),
    };
    let media = MediaManager::new(MediaConfig {
        audio_in,
        audio_out: AudioOutSpec::Null,
        bind_ip: loopback,
        rtp_ports,
    });
    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
    let (ev_tx, ev_rx) = mpsc::unbounded_channel();
    let (stream_tx, stream_rx) = mpsc::unbounded_channel();
    let run = RunLoop {
        engine,
        socket,
        listener: None,
        tls_listener: None,
        streams: Streams::new(stream_tx, None, Vec::new(), false),
        stream_events: stream_rx,
        media,
        commands: cmd_rx,
        events: ev_tx,
        sip_trace: false,
        reports: VecDeque::new(),
        test_lines: None,
    };
    let run = tokio::spawn(run.run());
    tokio::spawn(answer(cmd_tx.clone(), ev_rx));
    tracing::debug!(line = line.as_str(), %addr, echo_delay_ms = ECHO_DELAY_MS, "test line started");
    Ok(Line {
        line,
        addr,
        commands: cmd_tx,
        run,
    })
}

/// What a line does with its events: answer every call, send back every digit.
async fn answer(
    commands: mpsc::UnboundedSender<Command>,
    mut events: mpsc::UnboundedReceiver<Event>,
) {
    while let Some(ev) = events.recv().await {
        if let Some(cmd) = reaction(&ev) {
            let _ = commands.send(cmd);
        }
    }
}

/// The command a line sends in answer to `ev`, if any.
fn reaction(ev: &Event) -> Option<Command> {
    match ev {
        Event::Incoming { call, .. } => Some(Command::Accept { call: Some(*call) }),
        Event::Dtmf {
            call,
            digit,
            duration_ms,
            method,
        } => {
            tracing::debug!(%call, %digit, "test line heard a DTMF digit");
            Some(Command::SendDtmf {
                call: Some(*call),
                digits: digit.clone(),
                mode: *method,
                // As long as it was held (within what a digit may last), so a caller's
                // `--duration` comes back too.
                duration_ms: Some((*duration_ms).clamp(40, 2000)),
                gap_ms: None,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{CallHandle, DtmfMode};

    #[test]
    fn a_line_answers_calls_and_sends_digits_back_by_their_method() {
        let call = CallHandle(4);
        let incoming = Event::Incoming {
            call,
            from: "<sip:a@127.0.0.1>".into(),
            to: "<sip:echo@127.0.0.1>".into(),
        };
        assert_eq!(
            reaction(&incoming),
            Some(Command::Accept { call: Some(call) })
        );
        for method in [DtmfMode::Rfc4733, DtmfMode::Info] {
            let dtmf = Event::Dtmf {
                call,
                digit: "#".into(),
                duration_ms: 5000,
                method,
            };
            assert_eq!(
                reaction(&dtmf),
                Some(Command::SendDtmf {
                    call: Some(call),
                    digits: "#".into(),
                    mode: method,
                    duration_ms: Some(2000),
                    gap_ms: None,
                })
            );
        }
        let ended = Event::Terminated {
            call,
            by: crate::api::Party::Remote,
            cause: "bye".into(),
            duration_ms: 5_000,
        };
        assert_eq!(reaction(&ended), None);
    }
}
