//! One call's media task: 20 ms ticks move frames between the audio ends and RTP (encode,
//! packetise, send; receive, jitter buffer, decode or conceal, play), with RFC 4733
//! telephone-events in and out and symmetric RTP (RFC 4961). While an `expect-audio`
//! window is open ([`TaskCtl::Analyze`]), every frame played (or silence written) is also
//! judged by an [`AudioAnalyzer`] (plain counters, no allocation) and the verdict goes back
//! as `MediaReport::AudioChecked` once the window has all its blocks, or with what it
//! has (and failed) when the media stops first.

use std::net::{SocketAddr, UdpSocket as StdUdpSocket};
use std::time::{Duration, Instant};

use tokio::net::UdpSocket;
use tokio::sync::{mpsc, watch};
use tokio::time::MissedTickBehavior;
use tracing::debug;

use crate::api::{AudioCheck, CallHandle};
use crate::media::analysis::{mean_square, mean_square_dbfs, AudioAnalyzer};
use crate::media::audio::{self, AudioSink, AudioSource};
use crate::media::codec::{self, Decoder, Encoder};
use crate::media::dtmf::{DtmfReceiver, DtmfRxEvent, DtmfSender, DtmfTiming};
use crate::media::jitter::{JitterBuffer, JitterConfig, Pop};
use crate::media::resample::Resampler;
use crate::media::rtp::{Ignored, RtpReceiver, RtpSender};
use crate::media::{MediaDirection, MediaParams, MediaReport, PayloadType};

use super::{CallStats, MediaConfig};

/// The media clock: one frame per tick.
const TICK: Duration = Duration::from_millis(20);
/// Largest datagram we read; Opus packets are at most 1275 bytes of payload.
const RECV_BUF: usize = 2048;
/// Frames of concealment after the stream stops before we play plain silence (100 ms).
const MAX_CONCEAL: u32 = 5;
/// Ticks between statistics snapshots (1 s).
const STATS_EVERY: u32 = 50;
/// Weight of the newest frame in the smoothed level (about a 200 ms time constant).
const LEVEL_WEIGHT: f64 = 0.1;

pub(super) enum TaskCtl {
    Update(MediaParams),
    Dtmf(String, DtmfTiming),
    /// `expect-audio`: judge the next `blocks` frames we receive (replaces one under way).
    Analyze {
        check: AudioCheck,
        blocks: u32,
    },
    Stop,
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
    /// Mean square of what we play, smoothed over ~10 frames (for `stats`).
    level_ms: f64,
    /// Something worth a fresh statistics snapshot happened (latch, new source).
    publish: bool,
    /// An `expect-audio` window under way, and how many blocks it wants.
    analysis: Option<(AudioAnalyzer, u32)>,
    /// RFC 4733 telephone-events out and in.
    dtmf_tx: DtmfSender,
    dtmf_rx: DtmfReceiver,
    /// When the task started (the DTMF receiver's millisecond clock).
    epoch: Instant,
    reports: mpsc::UnboundedSender<MediaReport>,
}

#[allow(clippy::too_many_arguments)] // one task's whole world, handed over once
pub(super) async fn run_task(
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
    let ends =
        tokio::task::spawn_blocking(move || audio::open_ends(&audio_in, &audio_out, rate)).await;
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
                Some(TaskCtl::Analyze { check, blocks }) => {
                    media.analysis = Some((AudioAnalyzer::new(check), blocks.max(1)));
                }
                Some(TaskCtl::Stop) | None => {
                    media.finish_receiving(&sock);
                    break;
                }
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
    media.cut_analysis();
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
            level_ms: 0.0,
            publish: false,
            analysis: None,
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
        self.finish_analysis();
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

    /// The call ended: read what already arrived (a BYE can overtake the last RTP packets,
    /// e.g. the end packets of a digit sent just before it) and report the digit still
    /// open, so the last digit is not lost.
    fn finish_receiving(&mut self, sock: &UdpSocket) {
        let mut buf = [0u8; RECV_BUF];
        let mut left = 64;
        while let Ok((n, from)) = sock.try_recv_from(&mut buf) {
            self.on_datagram(Instant::now(), buf.get(..n).unwrap_or(&[]), from);
            left -= 1;
            if left == 0 {
                break;
            }
        }
        self.dtmf_rx.end_open_event();
        self.drain_dtmf();
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
            self.level_ms *= 1.0 - LEVEL_WEIGHT;
            if let Some((a, _)) = &mut self.analysis {
                a.push_silence();
            }
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
                self.level_ms *= 1.0 - LEVEL_WEIGHT;
                if let Some((a, _)) = &mut self.analysis {
                    a.push_silence();
                }
                self.sink.write_frame(&self.silence);
                return;
            }
        };
        if res.is_err() {
            out.clear();
        }
        // A peer packing more than 20 ms per packet is cut to 20 ms here (we offer ptime 20).
        out.resize(self.codec.frame, 0);
        self.level_ms += LEVEL_WEIGHT * (mean_square(out) - self.level_ms);
        if let Some((a, _)) = &mut self.analysis {
            a.push(out, self.params.codec.kind.pcm_rate());
        }
        self.codec.down.process(out, &mut self.out_pcm);
        self.sink.write_frame(&self.out_pcm);
    }

    /// Report an `expect-audio` window once it has all its blocks.
    fn finish_analysis(&mut self) {
        let Some((a, want)) = &self.analysis else {
            return;
        };
        if a.blocks() < *want {
            return;
        }
        let (check, verdict, window_blocks) = (a.check(), a.verdict(), *want);
        self.analysis = None;
        let _ = self.reports.send(MediaReport::AudioChecked {
            call: self.call,
            check,
            verdict,
            window_blocks,
        });
    }

    /// The media stops with an `expect-audio` window still open: report what it heard, as
    /// failed, rather than leave the script waiting for a verdict that never comes.
    fn cut_analysis(&mut self) {
        let Some((a, want)) = self.analysis.take() else {
            return;
        };
        let mut verdict = a.verdict();
        verdict.passed = false;
        let _ = self.reports.send(MediaReport::AudioChecked {
            call: self.call,
            check: a.check(),
            verdict,
            window_blocks: want,
        });
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
            jitter_ms: self
                .jitter
                .stats()
                .jitter
                .saturating_mul(1000)
                .checked_div(self.params.codec.clock_rate)
                .unwrap_or(0),
            level_dbfs: mean_square_dbfs(self.level_ms).round() as i32,
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
