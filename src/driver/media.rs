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

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr, UdpSocket as StdUdpSocket};
use std::time::{Duration, Instant};

use tokio::net::UdpSocket;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;
use tracing::debug;

use crate::api::CallHandle;
use crate::media::audio::{self, AudioInSpec, AudioOutSpec, AudioSink, AudioSource};
use crate::media::codec::{self, Decoder, Encoder};
use crate::media::dtmf::{DtmfReceiver, DtmfRxEvent, DtmfSender, DtmfTiming};
use crate::media::jitter::{JitterBuffer, JitterConfig, JitterStats, Pop};
use crate::media::resample::Resampler;
use crate::media::rtp::{Ignored, RtpReceiver, RtpRecvStats, RtpSender};
use crate::media::{MediaCtl, MediaDirection, MediaParams, MediaReport, PayloadType};

/// The media clock: one frame per tick.
const TICK: Duration = Duration::from_millis(20);
/// Largest datagram we read; Opus packets are at most 1275 bytes of payload.
const RECV_BUF: usize = 2048;
/// Frames of concealment after the stream stops before we play plain silence (100 ms).
const MAX_CONCEAL: u32 = 5;
/// Ticks between statistics snapshots (1 s).
const STATS_EVERY: u32 = 50;

/// A snapshot of one call's media counters, refreshed about once a second and when the
/// task ends.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
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

enum TaskCtl {
    Update(MediaParams),
    Dtmf(String, DtmfTiming),
    Stop,
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

    /// The local RTP address of a call, once opened.
    pub fn local_addr(&self, call: CallHandle) -> Option<SocketAddr> {
        self.calls.get(&call).map(|c| c.local)
    }

    /// The latest counters of a started call. Refreshed about once a second (and on a
    /// symmetric-RTP latch or new source), so up to a second old.
    pub fn stats(&self, call: CallHandle) -> Option<CallStats> {
        match &self.calls.get(&call)?.state {
            CallState::Running { stats, .. } => Some(*stats.borrow()),
            CallState::Bound { .. } => None,
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

fn sends(d: MediaDirection) -> bool {
    matches!(d, MediaDirection::SendRecv | MediaDirection::SendOnly)
}

fn receives(d: MediaDirection) -> bool {
    matches!(d, MediaDirection::SendRecv | MediaDirection::RecvOnly)
}

fn payload_types(p: &MediaParams) -> Vec<PayloadType> {
    let mut pts = vec![p.codec.pt];
    if let Some((pt, _)) = p.dtmf {
        pts.push(pt);
    }
    pts
}

/// Stands in for an audio end that could not be opened, so RTP keeps flowing.
struct Silence(u32);

impl AudioSource for Silence {
    fn rate(&self) -> u32 {
        self.0
    }
    fn read_frame(&mut self, out: &mut [i16]) {
        out.fill(0);
    }
}

impl AudioSink for Silence {
    fn rate(&self) -> u32 {
        self.0
    }
    fn write_frame(&mut self, _pcm: &[i16]) {}
    fn finish(&mut self) -> Result<(), audio::AudioError> {
        Ok(())
    }
}

/// Codec state; rebuilt when a re-negotiation changes the codec.
struct Codec {
    enc: Box<dyn Encoder>,
    dec: Box<dyn Decoder>,
    /// Source rate → codec PCM rate.
    up: Resampler,
    /// Codec PCM rate → sink rate.
    down: Resampler,
    /// Samples in one 20 ms frame at the codec's PCM rate.
    frame: usize,
}

impl Codec {
    fn new(p: &MediaParams, src_rate: u32, sink_rate: u32) -> Result<Self, String> {
        let kind = p.codec.kind;
        let enc = codec::new_encoder(kind).map_err(|e| e.to_string())?;
        let dec = codec::new_decoder(kind).map_err(|e| e.to_string())?;
        let up = Resampler::new(src_rate, kind.pcm_rate()).map_err(|e| e.to_string())?;
        let down = Resampler::new(kind.pcm_rate(), sink_rate).map_err(|e| e.to_string())?;
        Ok(Codec {
            enc,
            dec,
            up,
            down,
            frame: kind.frame_samples(),
        })
    }
}

/// Everything a call's task owns apart from its socket and receive buffer.
struct CallMedia {
    call: CallHandle,
    params: MediaParams,
    source: Box<dyn AudioSource>,
    sink: Box<dyn AudioSink>,
    codec: Codec,
    sender: RtpSender,
    receiver: RtpReceiver,
    jitter: JitterBuffer,
    /// Where RTP goes: the SDP address until symmetric RTP latches onto the peer's.
    send_to: SocketAddr,
    /// The first valid packet since the last `Start` has been seen.
    latched: bool,
    /// Frames concealed in a row since the stream stopped giving frames.
    conceal_run: u32,
    /// A frame has been decoded since the last reset (so concealment makes sense).
    heard: bool,
    src_pcm: Vec<i16>,
    enc_pcm: Vec<i16>,
    payload: Vec<u8>,
    packet: Vec<u8>,
    dec_pcm: Vec<i16>,
    out_pcm: Vec<i16>,
    silence: Vec<i16>,
    send_errors: u64,
    dtmf_packets: u64,
    concealed_frames: u64,
    silent_frames: u64,
    /// Something worth a fresh statistics snapshot happened (latch, new source).
    publish: bool,
    /// RFC 4733 telephone-events out and in.
    dtmf_tx: DtmfSender,
    dtmf_rx: DtmfReceiver,
    /// When the task started (the DTMF receiver's millisecond clock).
    epoch: Instant,
    reports: mpsc::UnboundedSender<MediaReport>,
}

#[allow(clippy::too_many_arguments)] // one task's whole world, handed over once
async fn run_task(
    call: CallHandle,
    rtp: StdUdpSocket,
    rtcp: StdUdpSocket,
    cfg: MediaConfig,
    params: MediaParams,
    mut ctl: mpsc::UnboundedReceiver<TaskCtl>,
    stats: watch::Sender<CallStats>,
    reports: mpsc::UnboundedSender<MediaReport>,
) {
    let sock = match rtp
        .set_nonblocking(true)
        .and_then(|()| UdpSocket::from_std(rtp))
    {
        Ok(s) => s,
        Err(e) => {
            debug!(%call, error = %e, "media: cannot use the RTP socket");
            return;
        }
    };
    // RTCP (RFC 3550 §6) is not sent or read yet; the socket only holds the port.
    let _rtcp = rtcp;

    let rate = params.codec.kind.pcm_rate();
    let (audio_in, audio_out) = (cfg.audio_in.clone(), cfg.audio_out.clone());
    let ends = tokio::task::spawn_blocking(move || {
        (
            audio::open_source(&audio_in, rate),
            audio::open_sink(&audio_out, rate),
        )
    })
    .await;
    let (source, sink): (Box<dyn AudioSource>, Box<dyn AudioSink>) = match ends {
        Ok((src, snk)) => (
            src.unwrap_or_else(|e| {
                debug!(%call, error = %e, "media: audio input unavailable, sending silence");
                Box::new(Silence(rate))
            }),
            snk.unwrap_or_else(|e| {
                debug!(%call, error = %e, "media: audio output unavailable, discarding");
                Box::new(Silence(rate))
            }),
        ),
        Err(e) => {
            debug!(%call, error = %e, "media: opening audio ends failed");
            (Box::new(Silence(rate)), Box::new(Silence(rate)))
        }
    };

    let mut media = match CallMedia::new(call, params, source, sink, reports) {
        Ok(m) => m,
        Err(e) => {
            debug!(%call, error = %e, "media: codec setup failed; call has no audio");
            return;
        }
    };

    let mut buf = vec![0u8; RECV_BUF];
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut ticks = 0u32;
    stats.send_replace(media.snapshot());
    loop {
        tokio::select! {
            biased;
            c = ctl.recv() => match c {
                Some(TaskCtl::Update(p)) => media.update(p),
                Some(TaskCtl::Dtmf(digits, timing)) => {
                    if let Err(e) = media.dtmf_tx.enqueue(&digits, timing) {
                        debug!(%call, error = ?e, "media: DTMF not queued");
                    }
                }
                Some(TaskCtl::Stop) | None => break,
            },
            _ = tick.tick() => {
                media.on_tick(&sock, Instant::now());
                ticks += 1;
                if ticks % STATS_EVERY == 0 || std::mem::take(&mut media.publish) {
                    stats.send_replace(media.snapshot());
                }
            }
            r = sock.recv_from(&mut buf) => match r {
                Ok((n, from)) => media.on_datagram(Instant::now(), &buf[..n], from),
                // ICMP errors and the like; UDP carries on.
                Err(e) => debug!(%call, error = %e, "media: RTP receive error"),
            },
        }
    }
    media.log_stats();
    stats.send_replace(media.snapshot());
    let mut sink = media.sink;
    let finished = tokio::task::spawn_blocking(move || sink.finish()).await;
    match finished {
        Ok(Ok(())) => debug!(%call, "media: stopped, sink flushed"),
        Ok(Err(e)) => debug!(%call, error = %e, "media: sink could not be flushed"),
        Err(e) => debug!(%call, error = %e, "media: sink flush failed"),
    }
}

impl CallMedia {
    fn new(
        call: CallHandle,
        params: MediaParams,
        source: Box<dyn AudioSource>,
        sink: Box<dyn AudioSink>,
        reports: mpsc::UnboundedSender<MediaReport>,
    ) -> Result<Self, String> {
        let dtmf_rate = params.dtmf.map(|d| d.1).unwrap_or(8000);
        let codec = Codec::new(&params, source.rate(), sink.rate())?;
        let sender = RtpSender::new(
            rand::random(),
            rand::random(),
            rand::random(),
            params.codec.pt,
            params.codec.clock_rate / 50,
        );
        let jitter = JitterBuffer::new(JitterConfig {
            clock_rate: params.codec.clock_rate,
            ..JitterConfig::default()
        });
        let src_frame = (source.rate() / 50) as usize;
        let sink_frame = (sink.rate() / 50) as usize;
        Ok(CallMedia {
            call,
            receiver: RtpReceiver::new(&payload_types(&params)),
            send_to: params.remote,
            latched: false,
            params,
            source,
            sink,
            codec,
            sender,
            jitter,
            conceal_run: 0,
            heard: false,
            src_pcm: vec![0; src_frame],
            enc_pcm: Vec::with_capacity(1920),
            payload: Vec::with_capacity(1500),
            packet: Vec::with_capacity(1500),
            dec_pcm: Vec::with_capacity(5760),
            out_pcm: Vec::with_capacity(sink_frame),
            silence: vec![0; sink_frame],
            send_errors: 0,
            dtmf_packets: 0,
            dtmf_tx: DtmfSender::new(dtmf_rate, 20),
            dtmf_rx: DtmfReceiver::new(dtmf_rate),
            epoch: Instant::now(),
            reports,
            concealed_frames: 0,
            silent_frames: 0,
            publish: false,
        })
    }

    /// A second `Start`: new remote, direction or codec.
    fn update(&mut self, p: MediaParams) {
        if p.remote != self.params.remote {
            debug!(call = %self.call, from = %self.params.remote, to = %p.remote, "media: new remote");
            self.send_to = p.remote;
            self.latched = false;
        }
        if p.codec != self.params.codec {
            match Codec::new(&p, self.source.rate(), self.sink.rate()) {
                Ok(c) => {
                    debug!(call = %self.call, codec = %p.codec.kind, "media: codec changed");
                    self.codec = c;
                    self.sender.set_format(p.codec.pt, p.codec.clock_rate / 50);
                    self.jitter.reset_for_clock(p.codec.clock_rate);
                    self.receiver.reset_source();
                    self.heard = false;
                }
                Err(e) => {
                    debug!(call = %self.call, error = %e, "media: new codec failed; keeping the old one");
                    return;
                }
            }
        }
        self.receiver.set_payload_types(&payload_types(&p));
        if p.direction != self.params.direction {
            debug!(call = %self.call, direction = ?p.direction, "media: direction changed");
            if receives(p.direction) && !receives(self.params.direction) {
                // Whatever is buffered is from before the hold: start afresh.
                self.jitter.reset();
                self.receiver.reset_source();
                self.heard = false;
            }
        }
        self.params = p;
    }

    fn on_datagram(&mut self, now: Instant, bytes: &[u8], from: SocketAddr) {
        let p = match self.receiver.receive(bytes) {
            Ok(p) => p,
            Err(
                Ignored::Rtcp | Ignored::Malformed | Ignored::UnknownPt(_) | Ignored::OtherSsrc(_),
            ) => {
                return;
            }
        };
        if !self.latched {
            self.latched = true;
            if from != self.send_to {
                debug!(call = %self.call, sdp = %self.send_to, actual = %from, "media: symmetric RTP, sending to the source address");
                self.send_to = from;
            }
            self.publish = true;
        }
        if p.new_source {
            self.jitter.reset();
            self.dtmf_rx.reset();
            self.heard = false;
            self.publish = true;
        }
        if Some(p.pt) == self.params.dtmf.map(|d| d.0) {
            // RFC 4733 events: decoded, never played as audio.
            self.dtmf_packets += 1;
            let now_ms = (now - self.epoch).as_millis() as u64;
            let _ = self
                .dtmf_rx
                .on_packet(now_ms, p.seq, p.ts, p.marker, p.payload);
            self.drain_dtmf();
            return;
        }
        if receives(self.params.direction) {
            self.jitter.push(now, p.seq, p.ts, p.payload);
        }
    }

    fn on_tick(&mut self, sock: &UdpSocket, now: Instant) {
        let suppress = self.send_dtmf(sock);
        if suppress {
            // A tone covers this frame: keep the source's time, send no audio.
            self.source.read_frame(&mut self.src_pcm);
            self.sender.skip();
        } else {
            self.send_frame(sock);
        }
        self.play_frame(now);
        self.dtmf_rx
            .on_timeout((now - self.epoch).as_millis() as u64);
        self.drain_dtmf();
    }

    /// RFC 4733 §2.5.1: this frame's telephone-event packets. True when audio must pause.
    fn send_dtmf(&mut self, sock: &UdpSocket) -> bool {
        let Some((pt, _)) = self.params.dtmf else {
            return false;
        };
        if self.dtmf_tx.is_idle() {
            return false;
        }
        let tick = self.dtmf_tx.tick(self.sender.next_ts());
        let can_send = sends(self.params.direction)
            && !self.send_to.ip().is_unspecified()
            && self.send_to.port() != 0;
        for p in tick.packets() {
            self.sender.packetise_with(
                pt,
                p.marker,
                p.timestamp,
                &p.payload.to_bytes(),
                &mut self.packet,
            );
            if can_send {
                let _ = sock.try_send_to(&self.packet, self.send_to);
            }
        }
        if let Some(sent) = tick.ended {
            let _ = self.reports.send(MediaReport::DtmfSent {
                call: self.call,
                digit: sent.digit,
            });
        }
        tick.suppress_audio
    }

    /// Report every digit the receiver finished.
    fn drain_dtmf(&mut self) {
        while let Some(ev) = self.dtmf_rx.poll_event() {
            if let DtmfRxEvent::Ended(d) = ev {
                let _ = self.reports.send(MediaReport::DtmfReceived {
                    call: self.call,
                    digit: d.digit,
                    duration_ms: d.duration_ms,
                });
            }
        }
    }

    fn send_frame(&mut self, sock: &UdpSocket) {
        // The source is read on every tick so files and tones keep time while on hold.
        self.source.read_frame(&mut self.src_pcm);
        // An unspecified address (c=0.0.0.0, RFC 3264 §8.4 legacy hold) or port 0 means
        // "do not send" until symmetric RTP gives us an address.
        if !sends(self.params.direction)
            || self.send_to.ip().is_unspecified()
            || self.send_to.port() == 0
        {
            self.sender.skip();
            return;
        }
        self.codec.up.process(&self.src_pcm, &mut self.enc_pcm);
        self.payload.clear();
        if let Err(e) = self.codec.enc.encode(&self.enc_pcm, &mut self.payload) {
            self.send_errors += 1;
            if self.send_errors == 1 {
                debug!(call = %self.call, error = %e, "media: encode failed");
            }
            self.sender.skip();
            return;
        }
        self.sender.packetise(&self.payload, &mut self.packet);
        if let Err(e) = sock.try_send_to(&self.packet, self.send_to) {
            self.send_errors += 1;
            if self.send_errors == 1 {
                debug!(call = %self.call, to = %self.send_to, error = %e, "media: RTP send failed");
            }
        }
    }

    fn play_frame(&mut self, now: Instant) {
        if !receives(self.params.direction) {
            self.silent_frames += 1;
            self.sink.write_frame(&self.silence);
            return;
        }
        let dec = &mut self.codec.dec;
        let out = &mut self.dec_pcm;
        let res = match self.jitter.pop(now) {
            Pop::Frame(f) => {
                self.heard = true;
                self.conceal_run = 0;
                dec.decode(f.payload, out)
            }
            Pop::Lost { seq } => {
                self.conceal_run = 0;
                self.concealed_frames += 1;
                match self.jitter.peek(seq.wrapping_add(1)) {
                    Some(next) => dec.recover(next, out),
                    None => dec.conceal(out),
                }
            }
            Pop::Empty if self.heard && self.conceal_run < MAX_CONCEAL => {
                self.conceal_run += 1;
                self.concealed_frames += 1;
                dec.conceal(out)
            }
            Pop::Empty => {
                self.silent_frames += 1;
                self.sink.write_frame(&self.silence);
                return;
            }
        };
        if res.is_err() {
            out.clear();
        }
        // A peer packing more than 20 ms per packet is cut to 20 ms here (we offer ptime 20).
        out.resize(self.codec.frame, 0);
        self.codec.down.process(out, &mut self.out_pcm);
        self.sink.write_frame(&self.out_pcm);
    }

    fn snapshot(&self) -> CallStats {
        let (sent_packets, sent_octets) = self.sender.counts();
        CallStats {
            remote: Some(self.send_to),
            sent_packets,
            sent_octets,
            send_errors: self.send_errors,
            rtp: self.receiver.stats(),
            jitter: self.jitter.stats(),
            concealed_frames: self.concealed_frames,
            silent_frames: self.silent_frames,
            dtmf_packets: self.dtmf_packets,
        }
    }

    fn log_stats(&self) {
        let (packets, octets) = self.sender.counts();
        debug!(
            call = %self.call,
            sent_packets = packets,
            sent_octets = octets,
            send_errors = self.send_errors,
            dtmf_packets = self.dtmf_packets,
            rtp = ?self.receiver.stats(),
            jitter = ?self.jitter.stats(),
            "media: call statistics"
        );
    }
}
