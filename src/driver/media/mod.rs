//! Per-call media tasks: one tokio task per call moves 20 ms frames between the audio ends
//! and the RTP socket (encode → packetise → send; receive → jitter buffer → decode → play).
//!
//! [`MediaManager`] carries out the engine's [`MediaCtl`]s:
//!
//! * `Open` binds an even RTP port in [`MediaConfig::rtp_ports`] (RFC 3550 §11: RTP on an
//!   even port, RTCP on the next odd one, which we bind too so the pair stays ours),
//!   synchronously, skipping ports in use, and answers `Opened` or `OpenFailed`.
//! * `Start` spawns the call's task; a later `Start` for the same call updates it in place
//!   (new remote address, direction or codec after a re-INVITE).
//! * `Stop` ends the task, which finishes its sink (a WAV file gets its header) on the way out.
//!
//! # The task
//!
//! A 20 ms [`tokio::time::interval`] (missed ticks delayed, not bunched) is the clock for
//! everything: file, tone and silence sources and WAV/null sinks have no clock of their own.
//! Each tick reads one frame from the source, resamples it to the codec's PCM rate, encodes,
//! packetises ([`RtpSender`]) and sends it, unless the direction forbids sending (then the
//! RTP timestamp still advances, RFC 3550 §5.1); then it pops one frame from the
//! [`JitterBuffer`], decodes it (or conceals a loss, using Opus FEC when the next packet is
//! already there), resamples to the sink's rate and writes it. When there is nothing to
//! play, or the direction forbids receiving, the sink gets silence, so a recording keeps the
//! call's timeline. Datagrams are validated by [`RtpReceiver`] and pushed into the jitter
//! buffer as they arrive.
//!
//! Symmetric RTP (RFC 4961 §3, and the "comedia" practice behind NATs): the first valid RTP
//! packet after each `Start` fixes where we send; if it came from another address than the
//! SDP named, we send there from then on.
//!
//! Buffers are allocated once per task (or per codec change); the per-packet and per-tick
//! paths reuse them. Logging is `tracing` at debug level, never per packet. Counters are
//! published as [`CallStats`] through a `watch` channel ([`MediaManager::stats`]).
//!
//! Not done here yet: RTCP reports (the odd port is only held), sending RFC 4733 events
//! (see [`RtpSender::packetise_with`]), and playing peers that pack more than 20 ms per
//! packet (cut to 20 ms).

mod task;

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr, UdpSocket as StdUdpSocket};

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tracing::debug;

use crate::api::{AudioCheck, CallHandle};
use crate::media::audio::{AudioInSpec, AudioOutSpec};
use crate::media::dtmf::DtmfTiming;
use crate::media::jitter::JitterStats;
use crate::media::rtp::RtpRecvStats;
use crate::media::{MediaCtl, MediaParams, MediaReport};
use task::{run_task, TaskCtl};

/// A snapshot of one call's media counters, refreshed about once a second and when the
/// task ends.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct CallStats {
    /// Where we send RTP now (after any symmetric-RTP latch); None before the task runs.
    pub remote: Option<SocketAddr>,
    /// RTP packets sent.
    pub sent_packets: u64,
    /// Payload octets sent.
    pub sent_octets: u64,
    /// Frames that could not be encoded or sent.
    pub send_errors: u64,
    /// Validation of incoming datagrams.
    pub rtp: RtpRecvStats,
    /// Playout.
    pub jitter: JitterStats,
    /// Frames the decoder concealed (losses, and up to 100 ms after the stream stops).
    pub concealed_frames: u64,
    /// Frames of silence written because there was nothing to play.
    pub silent_frames: u64,
    /// telephone-event packets received (not played).
    pub dtmf_packets: u64,
    /// Interarrival jitter (RFC 3550 §6.4.1) in milliseconds.
    pub jitter_ms: u32,
    /// Level of what we play, dBFS (smoothed over ~200 ms; -120 for silence).
    pub level_dbfs: i32,
}

impl Default for CallStats {
    /// Nothing sent or heard yet: every counter 0 and the level that of silence (not
    /// 0 dBFS, which would be full scale).
    fn default() -> Self {
        CallStats {
            remote: None,
            sent_packets: 0,
            sent_octets: 0,
            send_errors: 0,
            rtp: RtpRecvStats::default(),
            jitter: JitterStats::default(),
            concealed_frames: 0,
            silent_frames: 0,
            dtmf_packets: 0,
            jitter_ms: 0,
            level_dbfs: crate::media::analysis::MIN_DBFS as i32,
        }
    }
}

/// Audio ends used for every call.
#[derive(Clone, Debug)]
pub struct MediaConfig {
    /// Where our audio comes from.
    pub audio_in: AudioInSpec,
    /// Where the far end's audio goes.
    pub audio_out: AudioOutSpec,
    /// IP address to bind RTP sockets on.
    pub bind_ip: IpAddr,
    /// RTP port range to bind in (inclusive); even ports are used (RFC 3550 §11).
    pub rtp_ports: (u16, u16),
}

enum CallState {
    /// `Open` done, waiting for `Start`.
    Bound {
        rtp: StdUdpSocket,
        rtcp: StdUdpSocket,
    },
    /// The task runs.
    Running {
        ctl: mpsc::UnboundedSender<TaskCtl>,
        join: JoinHandle<()>,
        stats: watch::Receiver<CallStats>,
    },
}

struct CallEntry {
    local: SocketAddr,
    state: CallState,
}

/// Owns every call's RTP socket and media task.
pub struct MediaManager {
    cfg: MediaConfig,
    calls: HashMap<CallHandle, CallEntry>,
    /// Tasks told to stop, still flushing their sinks.
    stopping: Vec<JoinHandle<()>>,
    /// Index of the even port to try first on the next `Open` (rotates through the range,
    /// so a new call does not reuse the port a finished call's peer may still send to).
    next_port: usize,
    /// Reports from the tasks (DTMF), read by the run loop through `next_report`.
    reports_tx: mpsc::UnboundedSender<MediaReport>,
    reports_rx: mpsc::UnboundedReceiver<MediaReport>,
}

impl MediaManager {
    /// A manager with no calls.
    pub fn new(cfg: MediaConfig) -> Self {
        let (reports_tx, reports_rx) = mpsc::unbounded_channel();
        MediaManager {
            cfg,
            calls: HashMap::new(),
            stopping: Vec::new(),
            next_port: 0,
            reports_tx,
            reports_rx,
        }
    }

    /// The next report from a media task (a DTMF digit heard or sent). Pending forever
    /// while there is none.
    pub async fn next_report(&mut self) -> MediaReport {
        match self.reports_rx.recv().await {
            Some(r) => r,
            // invariant: the manager holds a sender, so the channel never closes.
            None => std::future::pending().await,
        }
    }

    /// A report already waiting, if any (after [`shutdown`](Self::shutdown): the tasks'
    /// last words).
    pub fn try_next_report(&mut self) -> Option<MediaReport> {
        self.reports_rx.try_recv().ok()
    }

    /// The local RTP address of a call, once opened.
    pub fn local_addr(&self, call: CallHandle) -> Option<SocketAddr> {
        self.calls.get(&call).map(|c| c.local)
    }

    /// Calls whose media task runs, in call order.
    pub fn running(&self) -> Vec<CallHandle> {
        let mut calls: Vec<CallHandle> = self
            .calls
            .iter()
            .filter(|(_, c)| matches!(c.state, CallState::Running { .. }))
            .map(|(h, _)| *h)
            .collect();
        calls.sort_unstable_by_key(|h| h.0);
        calls
    }

    /// The latest counters of a started call. Refreshed about once a second (and on a
    /// symmetric-RTP latch or new source), so up to a second old.
    pub fn stats(&self, call: CallHandle) -> Option<CallStats> {
        match &self.calls.get(&call)?.state {
            CallState::Running { stats, .. } => Some(*stats.borrow()),
            CallState::Bound { .. } => None,
        }
    }

    /// Start an `expect-audio` window on a running call: its task judges the next
    /// `duration_ms` of received audio and answers with [`MediaReport::AudioChecked`].
    /// False when the call has no running media.
    pub fn analyze(&self, call: CallHandle, check: AudioCheck, duration_ms: u32) -> bool {
        match self.calls.get(&call).map(|c| &c.state) {
            Some(CallState::Running { ctl, .. }) => ctl
                .send(TaskCtl::Analyze {
                    check,
                    blocks: duration_ms.div_ceil(20),
                })
                .is_ok(),
            _ => false,
        }
    }

    /// Carry out one instruction from the engine. `Open` binds at once and returns the
    /// report the engine must get as its next input; the others return None.
    pub fn handle(&mut self, ctl: MediaCtl) -> Option<MediaReport> {
        self.stopping.retain(|j| !j.is_finished());
        match ctl {
            MediaCtl::Open { call } => Some(self.open(call)),
            MediaCtl::Start { call, params } => {
                self.start(call, params);
                None
            }
            MediaCtl::Stop { call } => {
                self.stop(call);
                None
            }
            MediaCtl::SendDtmf {
                call,
                digits,
                duration_ms,
                gap_ms,
            } => {
                let timing = DtmfTiming {
                    duration_ms,
                    gap_ms,
                    ..DtmfTiming::default()
                };
                match self.calls.get(&call).map(|c| &c.state) {
                    Some(CallState::Running { ctl, .. }) => {
                        let _ = ctl.send(TaskCtl::Dtmf(digits, timing));
                    }
                    _ => debug!(%call, "media: DTMF for a call without running media; ignored"),
                }
                None
            }
        }
    }

    fn open(&mut self, call: CallHandle) -> MediaReport {
        if let Some(c) = self.calls.get(&call) {
            return MediaReport::Opened {
                call,
                local: c.local,
            };
        }
        match self.bind_pair() {
            Ok((rtp, rtcp, local)) => {
                debug!(%call, %local, "media: RTP socket bound");
                self.calls.insert(
                    call,
                    CallEntry {
                        local,
                        state: CallState::Bound { rtp, rtcp },
                    },
                );
                MediaReport::Opened { call, local }
            }
            Err(e) => {
                debug!(%call, error = %e, "media: no RTP port could be bound");
                MediaReport::OpenFailed { call }
            }
        }
    }

    /// Bind an even RTP port and the odd RTCP port after it (RFC 3550 §11).
    fn bind_pair(&mut self) -> io::Result<(StdUdpSocket, StdUdpSocket, SocketAddr)> {
        let (lo, hi) = self.cfg.rtp_ports;
        let first = lo.saturating_add(lo % 2);
        if first > hi || first == 0 || first == u16::MAX {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("RTP port range {lo}-{hi} holds no even port above 0"),
            ));
        }
        let count = usize::from((hi - first) / 2) + 1;
        let mut last_err = io::Error::new(io::ErrorKind::AddrInUse, "every RTP port is in use");
        for i in 0..count {
            let idx = (self.next_port + i) % count;
            // invariant: idx < count, so first + 2 * idx <= hi <= u16::MAX.
            let port = first + 2 * idx as u16;
            let Some(rtcp_port) = port.checked_add(1) else {
                continue;
            };
            let rtp = match StdUdpSocket::bind(SocketAddr::new(self.cfg.bind_ip, port)) {
                Ok(s) => s,
                Err(e) if is_port_busy(&e) => {
                    last_err = e;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let rtcp = match StdUdpSocket::bind(SocketAddr::new(self.cfg.bind_ip, rtcp_port)) {
                Ok(s) => s,
                Err(e) if is_port_busy(&e) => {
                    last_err = e;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let local = rtp.local_addr()?;
            self.next_port = (idx + 1) % count;
            return Ok((rtp, rtcp, local));
        }
        Err(last_err)
    }

    fn start(&mut self, call: CallHandle, params: MediaParams) {
        let Some(entry) = self.calls.remove(&call) else {
            debug!(%call, "media: Start for a call without an RTP socket; ignored");
            return;
        };
        let state = match entry.state {
            CallState::Running { ctl, join, stats } => {
                debug!(%call, ?params, "media: updating");
                if ctl.send(TaskCtl::Update(params)).is_err() {
                    debug!(%call, "media: task had already ended");
                }
                CallState::Running { ctl, join, stats }
            }
            CallState::Bound { rtp, rtcp } => {
                debug!(%call, ?params, "media: starting");
                let (tx, rx) = mpsc::unbounded_channel();
                let (stats_tx, stats) = watch::channel(CallStats::default());
                let cfg = self.cfg.clone();
                let reports = self.reports_tx.clone();
                let join = tokio::spawn(run_task(
                    call, rtp, rtcp, cfg, params, rx, stats_tx, reports,
                ));
                CallState::Running {
                    ctl: tx,
                    join,
                    stats,
                }
            }
        };
        self.calls.insert(
            call,
            CallEntry {
                local: entry.local,
                state,
            },
        );
    }

    fn stop(&mut self, call: CallHandle) {
        match self.calls.remove(&call).map(|e| e.state) {
            None => debug!(%call, "media: Stop for an unknown call; ignored"),
            Some(CallState::Bound { .. }) => debug!(%call, "media: closed before start"),
            Some(CallState::Running { ctl, join, .. }) => {
                debug!(%call, "media: stopping");
                let _ = ctl.send(TaskCtl::Stop);
                self.stopping.push(join);
            }
        }
    }

    /// Stop every task and wait until each has flushed its sink (WAV headers written).
    pub async fn shutdown(&mut self) {
        let calls: Vec<CallHandle> = self.calls.keys().copied().collect();
        for call in calls {
            self.stop(call);
        }
        for join in self.stopping.drain(..) {
            if let Err(e) = join.await {
                debug!(error = %e, "media: task failed");
            }
        }
    }
}

fn is_port_busy(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::AddrInUse | io::ErrorKind::PermissionDenied
    )
}

#[cfg(test)]
mod stats_tests {
    use super::*;

    #[test]
    fn stats_before_any_audio_read_as_silence() {
        assert_eq!(CallStats::default().level_dbfs, -120);
        assert_eq!(CallStats::default().sent_packets, 0);
    }
}
