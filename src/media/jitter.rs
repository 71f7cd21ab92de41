//! Jitter buffer: reorders RTP by sequence number and releases one 20 ms frame per tick.
//!
//! Sans-IO: the caller passes `now` into [`JitterBuffer::push`] and [`JitterBuffer::pop`];
//! nothing here reads a clock, so tests run on virtual time.
//!
//! # Model
//!
//! Packets are keyed by their 16-bit RTP sequence number (RFC 3550 §5.1), compared with
//! wrapping arithmetic so 65535 → 0 is just the next packet. They sit in a fixed ring of
//! [`CAPACITY`] slots whose payload buffers are reused, so a warmed-up buffer does not
//! allocate. The playout clock is the caller's 20 ms tick: each tick calls `pop` once.
//!
//! * **Buffering.** After the first packet (or after an underrun) nothing is played until
//!   `target` frames are buffered, or the oldest buffered packet has waited `target` frame
//!   times. `target` starts at [`JitterConfig::initial_depth`] (3 frames = 60 ms).
//! * **Playing.** Each `pop` returns the packet with the next sequence number
//!   ([`Pop::Frame`]); if it is missing while later ones are buffered, the slot is given up
//!   ([`Pop::Lost`], conceal it); if nothing at all is buffered that is an underrun:
//!   [`Pop::Empty`], back to buffering, and `target` grows by one frame (up to
//!   [`JitterConfig::max_depth`]). Sequence numbers skipped when playout resumes count as
//!   lost too (RFC 3550 §5.1: sequence numbers have no gaps in silence, so a gap is loss).
//! * **Adapting down.** After [`SHRINK_AFTER`] frames in a row without an underrun `target`
//!   shrinks by one (down to [`JitterConfig::min_depth`]). When, after a pop, `target` or
//!   more frames stay buffered for [`DRAIN_AFTER`] pops in a row (the sender's clock runs
//!   fast, or a burst arrived), the next frame is dropped to cut the delay. On resuming
//!   after buffering, anything beyond `target` frames is dropped at once.
//! * **Late, duplicate, far-off packets.** A packet whose turn has passed is dropped as late;
//!   one already buffered is a duplicate. A packet more than [`MAX_MISORDER`] behind or
//!   [`CAPACITY`] ahead starts a resynchronisation only if the next packet continues from it
//!   (the `bad_seq` rule of RFC 3550 A.1), so one stray packet cannot flush the buffer.
//!
//! [`JitterStats`] mirrors baresip's `jbuf_stat` and adds the RFC 3550 §6.4.1 interarrival
//! jitter estimate (A.8), in timestamp units.

use std::time::{Duration, Instant};

/// Ring size in packets (1.28 s of 20 ms frames). A power of two.
pub const CAPACITY: usize = 64;
const MASK: usize = CAPACITY - 1;
/// Packets further behind the playout point than this are treated as a possible restart of
/// the sequence rather than as late (RFC 3550 A.1 uses 100 for `MAX_MISORDER`).
pub const MAX_MISORDER: i32 = 100;
/// Frames played in a row without an underrun before `target` shrinks by one (10 s).
pub const SHRINK_AFTER: u32 = 500;
/// Pops in a row with at least `target` frames left before one frame is dropped (1 s).
pub const DRAIN_AFTER: u32 = 50;

/// Tuning for a [`JitterBuffer`]; depths are in frames.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct JitterConfig {
    /// Duration of one frame (the playout tick).
    pub frame: Duration,
    /// RTP clock rate of the stream, for the jitter estimate (8000, 48000).
    pub clock_rate: u32,
    /// Smallest target depth.
    pub min_depth: usize,
    /// Target depth at start.
    pub initial_depth: usize,
    /// Largest target depth (at most [`CAPACITY`] / 2).
    pub max_depth: usize,
}

impl Default for JitterConfig {
    fn default() -> Self {
        JitterConfig {
            frame: Duration::from_millis(20),
            clock_rate: 8000,
            min_depth: 2,
            initial_depth: 3,
            max_depth: 10,
        }
    }
}

/// One frame released for playout, borrowed from the buffer until the next call.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Frame<'a> {
    /// Its sequence number.
    pub seq: u16,
    /// Its RTP timestamp.
    pub ts: u32,
    /// The payload to decode.
    pub payload: &'a [u8],
}

/// What one tick of playout gets.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Pop<'a> {
    /// Decode and play this.
    Frame(Frame<'a>),
    /// The packet with this sequence number is missing: conceal one frame.
    Lost {
        /// The missing sequence number.
        seq: u16,
    },
    /// Nothing to play: not started, buffering, or underrun.
    Empty,
}

/// What happened to a pushed packet.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PushOutcome {
    /// Buffered for playout.
    Stored,
    /// Already buffered; dropped.
    Duplicate,
    /// Its turn has passed; dropped.
    Late,
    /// Far outside the window; dropped, but remembered as a possible resync point.
    Dropped,
    /// Continued a far-off packet: the buffer was flushed and restarted at this packet.
    Resync,
}

/// Counters, as in baresip's `jbuf_stat`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct JitterStats {
    /// Every packet pushed.
    pub received: u64,
    /// Frames released by `pop`.
    pub played: u64,
    /// Sequence numbers given up: `Pop::Lost` results plus gaps skipped on resume.
    pub lost: u64,
    /// Packets that arrived after their turn.
    pub late: u64,
    /// Packets already buffered.
    pub duplicates: u64,
    /// Packets discarded to cut the delay, flushed by a reset or resync, or far off.
    pub dropped: u64,
    /// Times playout ran dry.
    pub underruns: u64,
    /// Times the buffer restarted on a new sequence.
    pub resyncs: u64,
    /// Frames buffered now.
    pub depth: usize,
    /// Current target depth in frames.
    pub target: usize,
    /// Interarrival jitter, RFC 3550 §6.4.1, in timestamp units.
    pub jitter: u32,
}

#[derive(Clone, Debug, Default)]
struct Slot {
    full: bool,
    seq: u16,
    ts: u32,
    data: Vec<u8>,
}

/// An adaptive jitter buffer for one RTP stream (see the module docs).
#[derive(Clone, Debug)]
pub struct JitterBuffer {
    cfg: JitterConfig,
    slots: Vec<Slot>,
    buffered: usize,
    /// Lowest sequence number still wanted; None before the first packet.
    next_seq: Option<u16>,
    /// Highest sequence number stored since the last (re)start.
    highest: u16,
    playing: bool,
    /// Playout has passed `next_seq`, so it cannot move back for a reordered packet.
    floor_fixed: bool,
    waiting_since: Option<Instant>,
    target: usize,
    pending_resync: Option<u16>,
    high_run: u32,
    calm_run: u32,
    epoch: Option<Instant>,
    last_transit: Option<u32>,
    jitter: f64,
    stats: JitterStats,
}

impl JitterBuffer {
    /// An empty buffer.
    pub fn new(cfg: JitterConfig) -> Self {
        let max = cfg.max_depth.clamp(1, CAPACITY / 2);
        let min = cfg.min_depth.clamp(1, max);
        let cfg = JitterConfig {
            min_depth: min,
            max_depth: max,
            initial_depth: cfg.initial_depth.clamp(min, max),
            ..cfg
        };
        JitterBuffer {
            cfg,
            slots: vec![Slot::default(); CAPACITY],
            buffered: 0,
            next_seq: None,
            highest: 0,
            playing: false,
            floor_fixed: false,
            waiting_since: None,
            target: cfg.initial_depth,
            pending_resync: None,
            high_run: 0,
            calm_run: 0,
            epoch: None,
            last_transit: None,
            jitter: 0.0,
            stats: JitterStats::default(),
        }
    }

    /// Counters and current depth.
    pub fn stats(&self) -> JitterStats {
        JitterStats {
            depth: self.buffered,
            target: self.target,
            jitter: self.jitter as u32,
            ..self.stats
        }
    }

    /// Whether playout is running (false while buffering).
    pub fn is_playing(&self) -> bool {
        self.playing
    }

    /// Forget the stream (a new SSRC): buffered packets are dropped, counters kept, and the
    /// next packet starts buffering afresh.
    pub fn reset(&mut self) {
        self.flush();
        self.next_seq = None;
        self.playing = false;
        self.floor_fixed = false;
        self.waiting_since = None;
        self.pending_resync = None;
        self.high_run = 0;
        self.last_transit = None;
    }

    /// A new codec on the same stream (re-negotiation): [`reset`](Self::reset), and take
    /// the new RTP clock rate for the jitter estimate. Counters and target are kept.
    pub fn reset_for_clock(&mut self, clock_rate: u32) {
        self.reset();
        self.cfg.clock_rate = clock_rate;
        self.jitter = 0.0;
        self.epoch = None;
    }

    fn flush(&mut self) {
        for s in &mut self.slots {
            if s.full {
                s.full = false;
                self.stats.dropped += 1;
            }
        }
        self.buffered = 0;
    }

    /// Hand in one packet that arrived at `now`.
    pub fn push(&mut self, now: Instant, seq: u16, ts: u32, payload: &[u8]) -> PushOutcome {
        self.stats.received += 1;
        let Some(next) = self.next_seq else {
            self.restart_at(seq);
            self.store(now, seq, ts, payload);
            return PushOutcome::Stored;
        };
        let d = i32::from(seq.wrapping_sub(next) as i16);
        if d < 0 {
            if !self.floor_fixed
                && d >= -MAX_MISORDER
                && usize::from(self.highest.wrapping_sub(seq)) < CAPACITY
            {
                // Reordered before playout started: the window can still move back.
                self.next_seq = Some(seq);
                self.store(now, seq, ts, payload);
                return PushOutcome::Stored;
            }
            if d >= -MAX_MISORDER {
                self.stats.late += 1;
                return PushOutcome::Late;
            }
            return self.far_off(now, seq, ts, payload);
        }
        if d as usize >= CAPACITY {
            return self.far_off(now, seq, ts, payload);
        }
        let s = &self.slots[seq as usize & MASK];
        if s.full {
            // invariant: every full slot holds a seq in [next, next + CAPACITY), so a full
            // slot at this index holds this very seq.
            self.stats.duplicates += 1;
            return PushOutcome::Duplicate;
        }
        self.store(now, seq, ts, payload);
        PushOutcome::Stored
    }

    /// RFC 3550 A.1 `bad_seq`: restart only if the packet after a far-off one follows it.
    fn far_off(&mut self, now: Instant, seq: u16, ts: u32, payload: &[u8]) -> PushOutcome {
        if self.pending_resync == Some(seq) {
            self.flush();
            self.stats.resyncs += 1;
            self.restart_at(seq);
            self.store(now, seq, ts, payload);
            return PushOutcome::Resync;
        }
        self.pending_resync = Some(seq.wrapping_add(1));
        self.stats.dropped += 1;
        PushOutcome::Dropped
    }

    fn restart_at(&mut self, seq: u16) {
        self.next_seq = Some(seq);
        self.highest = seq;
        self.playing = false;
        self.floor_fixed = false;
        self.waiting_since = None;
        self.pending_resync = None;
        self.high_run = 0;
    }

    fn store(&mut self, now: Instant, seq: u16, ts: u32, payload: &[u8]) {
        let s = &mut self.slots[seq as usize & MASK];
        s.full = true;
        s.seq = seq;
        s.ts = ts;
        s.data.clear();
        s.data.extend_from_slice(payload);
        self.buffered += 1;
        if self.buffered == 1 || (seq.wrapping_sub(self.highest) as i16) > 0 {
            self.highest = seq;
        }
        if !self.playing && self.waiting_since.is_none() {
            self.waiting_since = Some(now);
        }
        self.update_jitter(now, ts);
    }

    /// RFC 3550 A.8: J += (|D| - J) / 16, D the change in transit time.
    fn update_jitter(&mut self, now: Instant, ts: u32) {
        if self.cfg.clock_rate == 0 {
            return;
        }
        let epoch = *self.epoch.get_or_insert(now);
        let nanos = now.saturating_duration_since(epoch).as_nanos();
        let arrival = (nanos * u128::from(self.cfg.clock_rate) / 1_000_000_000) as u32;
        let transit = arrival.wrapping_sub(ts);
        if let Some(last) = self.last_transit {
            let d = f64::from((transit.wrapping_sub(last) as i32).unsigned_abs());
            self.jitter += (d - self.jitter) / 16.0;
        }
        self.last_transit = Some(transit);
    }

    fn remove_at(&mut self, seq: u16) -> bool {
        let s = &mut self.slots[seq as usize & MASK];
        if s.full && s.seq == seq {
            s.full = false;
            self.buffered -= 1;
            true
        } else {
            false
        }
    }

    /// The buffered payload with sequence number `seq`, if any, without removing it. After
    /// [`Pop::Lost`] for `n`, `peek(n + 1)` gives the packet whose in-band FEC can rebuild
    /// the lost one (Opus, RFC 6716 §2.1.7).
    pub fn peek(&self, seq: u16) -> Option<&[u8]> {
        let s = &self.slots[seq as usize & MASK];
        (s.full && s.seq == seq).then_some(&s.data[..])
    }

    /// Once per tick: the next frame to play.
    pub fn pop(&mut self, now: Instant) -> Pop<'_> {
        let Some(mut next) = self.next_seq else {
            return Pop::Empty;
        };
        if !self.playing {
            if self.buffered == 0 {
                return Pop::Empty;
            }
            let waited = self.waiting_since.is_some_and(|t| {
                now.saturating_duration_since(t) >= self.cfg.frame * self.target as u32
            });
            if self.buffered < self.target && !waited {
                return Pop::Empty;
            }
            self.playing = true;
            self.waiting_since = None;
            // Cut the delay to `target`, then skip any gap up to the first buffered packet.
            // invariant: buffered > 0 and every buffered seq is within CAPACITY of `next`,
            // so both loops end within CAPACITY steps.
            while self.buffered > self.target {
                if self.remove_at(next) {
                    self.stats.dropped += 1;
                } else {
                    self.stats.lost += 1;
                }
                next = next.wrapping_add(1);
            }
            while !self.slots[next as usize & MASK].full {
                if self.floor_fixed {
                    self.stats.lost += 1;
                }
                next = next.wrapping_add(1);
            }
            self.floor_fixed = true;
        }
        if self.buffered == 0 {
            self.playing = false;
            self.stats.underruns += 1;
            self.target = (self.target + 1).min(self.cfg.max_depth);
            self.calm_run = 0;
            self.high_run = 0;
            self.next_seq = Some(next);
            return Pop::Empty;
        }
        self.next_seq = Some(next.wrapping_add(1));
        if !self.remove_at(next) {
            self.stats.lost += 1;
            return Pop::Lost { seq: next };
        }
        self.stats.played += 1;
        self.calm_run += 1;
        if self.calm_run >= SHRINK_AFTER {
            self.calm_run = 0;
            self.target = (self.target.saturating_sub(1)).max(self.cfg.min_depth);
        }
        if self.buffered >= self.target {
            self.high_run += 1;
            if self.high_run >= DRAIN_AFTER {
                self.high_run = 0;
                let after = next.wrapping_add(1);
                if self.remove_at(after) {
                    self.stats.dropped += 1;
                } else {
                    self.stats.lost += 1;
                }
                self.next_seq = Some(after.wrapping_add(1));
            }
        } else {
            self.high_run = 0;
        }
        let s = &self.slots[next as usize & MASK];
        Pop::Frame(Frame {
            seq: next,
            ts: s.ts,
            payload: &s.data,
        })
    }
}
