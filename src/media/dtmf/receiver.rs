//! Receiving telephone-events, RFC 4733 §2.5.2: one detection per key press.
//!
//! An event is named by its RTP timestamp (§2.2.1): every packet of one event (or of one
//! segment of a long event, §2.5.1.3) carries the timestamp of its start, and the duration
//! field grows (§2.5.1.2). So:
//!
//! * a packet with the timestamp of the event being received is an update, a duplicate or a
//!   repeat of the final packet (§2.5.1.4; SIPp even repeats it with the same sequence
//!   number): it only raises the duration;
//! * a packet with a new, later timestamp starts a new event, even without the marker bit,
//!   since the first packets may be lost (§2.5.2 asks receivers to cope with that);
//!   if the previous event had not seen its E bit it ends there, at the longest duration
//!   heard;
//! * a packet without the marker, with the same event code and a timestamp 0xFFFF later than
//!   the current segment's, continues a long event in a new segment (§2.5.1.3);
//! * a packet whose timestamp is older than the current or last event's is late (reordered or
//!   duplicated) and is dropped, as is anything for an event that has already ended;
//! * an event that has not ended and goes quiet for the timeout ends then (all its end
//!   packets lost): [`DtmfReceiver::on_timeout`].
//!
//! Limits: an event whose every packet arrives after the first packet of the next event is
//! dropped as late (counted in [`DtmfRxStats::stale`]) rather than reported out of order;
//! that takes reordering longer than the tone plus the gap. A long event whose packets
//! around a segment boundary are all lost, and whose next segment does not start exactly
//! 0xFFFF after the last, may be reported as two presses.
//!
//! Each key press gives one [`DtmfRxEvent::Started`] as soon as it is heard and one
//! [`DtmfRxEvent::Ended`] with its duration when it ends. Events other than the DTMF digits
//! 0–15 (§3.2) are counted and otherwise ignored. Nothing here panics on input bytes.

use std::collections::VecDeque;

use super::payload::{event_to_digit, EventPayload, PayloadError};
use super::ticks_to_ms;

/// Default silence after which an event without its E bit is taken as ended.
pub const DEFAULT_TIMEOUT_MS: u64 = 1000;
/// Most reports held for [`DtmfReceiver::poll_event`]; older ones are dropped beyond this.
const MAX_PENDING: usize = 64;
/// Longest duration a segment can report (§2.5.1.3).
const SEGMENT_MAX: u64 = 0xFFFF;

/// A key press that has ended.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct DtmfDetected {
    /// The digit (0–9 * # A–D).
    pub digit: char,
    /// The longest duration heard, over all segments, in ms.
    pub duration_ms: u32,
    /// RTP timestamp of the event's start (its first segment).
    pub timestamp: u32,
    /// What ended it.
    pub ended_by: DtmfEndReason,
}

/// What told the receiver that an event was over.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DtmfEndReason {
    /// A packet with the E bit (§2.3.2).
    EndBit,
    /// A packet of a later event arrived first (the end packets were lost or late).
    NextEvent,
    /// Nothing was heard for the timeout.
    Timeout,
    /// [`DtmfReceiver::reset`] (the RTP source changed).
    Reset,
    /// [`DtmfReceiver::end_open_event`]: the media stopped (the call ended) first.
    Stopped,
}

/// What the receiver reports, in order.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DtmfRxEvent {
    /// A key press was first heard (an early signal; its [`Ended`](Self::Ended) follows).
    Started {
        /// The digit.
        digit: char,
        /// RTP timestamp of the event's start.
        timestamp: u32,
    },
    /// A key press ended: report this one.
    Ended(DtmfDetected),
}

/// Counters kept by [`DtmfReceiver`].
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct DtmfRxStats {
    /// Event blocks read.
    pub blocks: u64,
    /// Payloads too short to hold an event block.
    pub malformed: u64,
    /// Blocks for events other than DTMF digits (flash, tones, …).
    pub other_events: u64,
    /// Blocks that only repeated or updated an event already known.
    pub updates: u64,
    /// Blocks dropped as late or for an event that had already ended.
    pub stale: u64,
    /// Key presses detected (reported as ended).
    pub detected: u64,
    /// Reports dropped because nobody drained [`DtmfReceiver::poll_event`].
    pub overflow: u64,
}

/// The event being received.
#[derive(Clone, Copy, Debug)]
struct Current {
    code: u8,
    digit: char,
    /// Timestamp of the first segment seen.
    first_ts: u32,
    /// Timestamp of the current segment.
    seg_ts: u32,
    /// Ticks of the event before the current segment.
    seg_base: u64,
    /// Longest duration heard in the current segment.
    seg_dur: u16,
    /// Newest sequence number heard for it.
    max_seq: u16,
    /// When it was last heard, in the caller's ms.
    heard_ms: u64,
}

/// The event that ended last, to recognise its late packets.
#[derive(Clone, Copy, Debug)]
struct Finished {
    code: u8,
    first_ts: u32,
    seg_ts: u32,
    max_seq: u16,
}

/// `a` is earlier than `b` in serial-number arithmetic (RFC 1982 style, for u32).
fn ts_before(a: u32, b: u32) -> bool {
    a != b && b.wrapping_sub(a) < 0x8000_0000
}

/// `a` is later than `b` in 16-bit sequence number arithmetic.
fn seq_after(a: u16, b: u16) -> bool {
    a != b && a.wrapping_sub(b) < 0x8000
}

/// Detects DTMF key presses in incoming telephone-event packets.
#[derive(Clone, Debug)]
pub struct DtmfReceiver {
    clock_rate: u32,
    timeout_ms: u64,
    /// How far back (in ticks) a timestamp still counts as "late" rather than a new time
    /// line: 60 s of clock.
    stale_window: u32,
    current: Option<Current>,
    last: Option<Finished>,
    pending: VecDeque<DtmfRxEvent>,
    stats: DtmfRxStats,
}

impl DtmfReceiver {
    /// A receiver for a telephone-event clock of `clock_rate` Hz (0 is taken as 8000).
    pub fn new(clock_rate: u32) -> Self {
        let clock_rate = if clock_rate == 0 { 8000 } else { clock_rate };
        DtmfReceiver {
            clock_rate,
            timeout_ms: DEFAULT_TIMEOUT_MS,
            stale_window: clock_rate.saturating_mul(60),
            current: None,
            last: None,
            pending: VecDeque::new(),
            stats: DtmfRxStats::default(),
        }
    }

    /// Change the silence after which an unfinished event ends (default 1000 ms).
    pub fn set_timeout_ms(&mut self, ms: u64) {
        self.timeout_ms = ms;
    }

    /// Change the telephone-event clock rate (a re-negotiation); zero is ignored.
    pub fn set_clock_rate(&mut self, clock_rate: u32) {
        if clock_rate != 0 {
            self.clock_rate = clock_rate;
            self.stale_window = clock_rate.saturating_mul(60);
        }
    }

    /// The telephone-event clock rate.
    pub fn clock_rate(&self) -> u32 {
        self.clock_rate
    }

    /// Counters so far.
    pub fn stats(&self) -> DtmfRxStats {
        self.stats
    }

    /// A key press is being heard now (started, not yet ended).
    pub fn in_event(&self) -> bool {
        self.current.is_some()
    }

    /// One telephone-event packet: its RTP sequence number, timestamp, marker bit and
    /// payload, received at `now_ms` (any monotonic millisecond count). Afterwards drain
    /// [`poll_event`](Self::poll_event). A payload too short for an event block is an error
    /// and changes nothing.
    pub fn on_packet(
        &mut self,
        now_ms: u64,
        seq: u16,
        timestamp: u32,
        marker: bool,
        payload: &[u8],
    ) -> Result<(), PayloadError> {
        let blocks = match EventPayload::blocks(payload) {
            Ok(b) => b,
            Err(e) => {
                self.stats.malformed += 1;
                return Err(e);
            }
        };
        // §2.5.1.5: events packed into one packet follow each other without gaps, the first
        // at the packet's timestamp, each next one where the previous ended.
        let mut ts = timestamp;
        let mut first = true;
        for b in blocks {
            self.on_block(now_ms, seq, ts, marker && first, b);
            ts = ts.wrapping_add(u32::from(b.duration));
            first = false;
        }
        Ok(())
    }

    /// End the current event if nothing has been heard of it for the timeout.
    pub fn on_timeout(&mut self, now_ms: u64) {
        if let Some(cur) = self.current {
            if now_ms >= cur.heard_ms.saturating_add(self.timeout_ms) {
                self.finish(DtmfEndReason::Timeout);
            }
        }
    }

    /// When [`on_timeout`](Self::on_timeout) should next be called, if an event is open.
    pub fn poll_timeout(&self) -> Option<u64> {
        self.current
            .map(|c| c.heard_ms.saturating_add(self.timeout_ms))
    }

    /// The next report, oldest first.
    pub fn poll_event(&mut self) -> Option<DtmfRxEvent> {
        self.pending.pop_front()
    }

    /// The media stops (the call ended, e.g. the peer hung up right after a digit): an open
    /// event ends now, reported with [`DtmfEndReason::Stopped`] and the duration heard.
    pub fn end_open_event(&mut self) {
        if self.current.is_some() {
            self.finish(DtmfEndReason::Stopped);
        }
    }

    /// The RTP source changed: an open event ends (reported with [`DtmfEndReason::Reset`])
    /// and timestamps from before are forgotten.
    pub fn reset(&mut self) {
        if self.current.is_some() {
            self.finish(DtmfEndReason::Reset);
        }
        self.last = None;
    }

    fn report(&mut self, e: DtmfRxEvent) {
        if self.pending.len() >= MAX_PENDING {
            self.pending.pop_front();
            self.stats.overflow += 1;
        }
        self.pending.push_back(e);
    }

    fn finish(&mut self, why: DtmfEndReason) {
        let Some(cur) = self.current.take() else {
            return;
        };
        let ticks = cur.seg_base + u64::from(cur.seg_dur);
        self.stats.detected += 1;
        self.report(DtmfRxEvent::Ended(DtmfDetected {
            digit: cur.digit,
            duration_ms: ticks_to_ms(ticks, self.clock_rate),
            timestamp: cur.first_ts,
            ended_by: why,
        }));
        self.last = Some(Finished {
            code: cur.code,
            first_ts: cur.first_ts,
            seg_ts: cur.seg_ts,
            max_seq: cur.max_seq,
        });
    }

    fn start(&mut self, now_ms: u64, seq: u16, ts: u32, digit: char, b: EventPayload) {
        self.current = Some(Current {
            code: b.event,
            digit,
            first_ts: ts,
            seg_ts: ts,
            seg_base: 0,
            seg_dur: b.duration,
            max_seq: seq,
            heard_ms: now_ms,
        });
        self.report(DtmfRxEvent::Started {
            digit,
            timestamp: ts,
        });
        if b.end {
            self.finish(DtmfEndReason::EndBit);
        }
    }

    /// `ts` lies within `window` ticks before (or at) `reference`.
    fn recent_or_same(&self, ts: u32, reference: u32) -> bool {
        ts == reference
            || (ts_before(ts, reference) && reference.wrapping_sub(ts) <= self.stale_window)
    }

    fn on_block(&mut self, now_ms: u64, seq: u16, ts: u32, marker: bool, b: EventPayload) {
        self.stats.blocks += 1;
        let Some(digit) = event_to_digit(b.event) else {
            self.stats.other_events += 1;
            return;
        };
        if let Some(mut cur) = self.current {
            if ts == cur.seg_ts {
                let new_press = b.event != cur.code
                    && (marker || b.duration < cur.seg_dur)
                    && seq_after(seq, cur.max_seq);
                if !new_press {
                    // An update, a duplicate or a repeated end packet of this event.
                    if b.event != cur.code {
                        self.stats.stale += 1;
                        return;
                    }
                    self.stats.updates += 1;
                    cur.seg_dur = cur.seg_dur.max(b.duration);
                    cur.heard_ms = now_ms;
                    if seq_after(seq, cur.max_seq) {
                        cur.max_seq = seq;
                    }
                    self.current = Some(cur);
                    if b.end {
                        self.finish(DtmfEndReason::EndBit);
                    }
                    return;
                }
                // Same timestamp, another digit, newer packet: a sender that reuses
                // timestamps. Take it as the next press.
                self.finish(DtmfEndReason::NextEvent);
                self.start(now_ms, seq, ts, digit, b);
                return;
            }
            let delta = u64::from(ts.wrapping_sub(cur.seg_ts));
            let slack = u64::from(self.clock_rate / 10);
            if b.event == cur.code
                && !marker
                && (delta == SEGMENT_MAX
                    || (delta.abs_diff(SEGMENT_MAX) <= slack
                        && u64::from(cur.seg_dur) + slack >= SEGMENT_MAX))
            {
                // §2.5.1.3: the next segment of a long event.
                self.stats.updates += 1;
                cur.seg_base += delta;
                cur.seg_ts = ts;
                cur.seg_dur = b.duration;
                cur.heard_ms = now_ms;
                if seq_after(seq, cur.max_seq) {
                    cur.max_seq = seq;
                }
                self.current = Some(cur);
                if b.end {
                    self.finish(DtmfEndReason::EndBit);
                }
                return;
            }
            if self.recent_or_same(ts, cur.seg_ts) {
                // A late packet of an earlier segment or event.
                self.stats.stale += 1;
                return;
            }
            self.finish(DtmfEndReason::NextEvent);
            self.start(now_ms, seq, ts, digit, b);
            return;
        }
        if let Some(last) = self.last {
            if ts == last.seg_ts || ts == last.first_ts {
                let new_press = seq_after(seq, last.max_seq)
                    && (b.event != last.code || (marker && ts == last.seg_ts));
                if !new_press {
                    // Repeats of the end packet, or updates that arrived after it.
                    self.stats.stale += 1;
                    return;
                }
            } else if self.recent_or_same(ts, last.seg_ts) {
                self.stats.stale += 1;
                return;
            }
        }
        self.start(now_ms, seq, ts, digit, b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(event: u8, end: bool, duration: u16) -> [u8; 4] {
        EventPayload {
            event,
            end,
            volume: 10,
            duration,
        }
        .to_bytes()
    }

    fn drain(r: &mut DtmfReceiver) -> Vec<DtmfRxEvent> {
        std::iter::from_fn(|| r.poll_event()).collect()
    }

    fn ended(events: &[DtmfRxEvent]) -> Vec<(char, u32, DtmfEndReason)> {
        events
            .iter()
            .filter_map(|e| match e {
                DtmfRxEvent::Ended(d) => Some((d.digit, d.duration_ms, d.ended_by)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn an_event_open_when_the_media_stops_ends_with_what_was_heard() {
        let mut r = DtmfReceiver::new(8000);
        r.end_open_event();
        assert!(drain(&mut r).is_empty(), "nothing open, nothing reported");
        r.on_packet(0, 1, 100, true, &block(7, false, 160)).unwrap();
        r.on_packet(20, 2, 100, false, &block(7, false, 320))
            .unwrap();
        drain(&mut r);
        r.end_open_event();
        assert_eq!(ended(&drain(&mut r)), [('7', 40, DtmfEndReason::Stopped)]);
        r.end_open_event();
        assert!(drain(&mut r).is_empty(), "reported once");
    }

    /// A regular event at 8 kHz: updates every 20 ms, three end packets.
    fn press(
        r: &mut DtmfReceiver,
        t0: u64,
        seq0: u16,
        ts: u32,
        event: u8,
        frames: u16,
    ) -> Vec<DtmfRxEvent> {
        for i in 0..frames {
            let end = i + 1 == frames;
            r.on_packet(
                t0 + 20 * u64::from(i),
                seq0 + i,
                ts,
                i == 0,
                &block(event, end, 160 * (i + 1)),
            )
            .unwrap();
        }
        for k in 0..2 {
            r.on_packet(
                t0 + 20 * u64::from(frames + k),
                seq0 + frames + k,
                ts,
                false,
                &block(event, true, 160 * frames),
            )
            .unwrap();
        }
        drain(r)
    }

    #[test]
    fn one_press_one_detection() {
        let mut r = DtmfReceiver::new(8000);
        let ev = press(&mut r, 0, 100, 4000, 7, 5);
        assert_eq!(
            ev,
            vec![
                DtmfRxEvent::Started {
                    digit: '7',
                    timestamp: 4000
                },
                DtmfRxEvent::Ended(DtmfDetected {
                    digit: '7',
                    duration_ms: 100,
                    timestamp: 4000,
                    ended_by: DtmfEndReason::EndBit
                })
            ]
        );
        assert_eq!(r.poll_timeout(), None);
        assert_eq!(r.stats().stale, 2);
    }

    #[test]
    fn same_digit_twice() {
        let mut r = DtmfReceiver::new(8000);
        let mut all = press(&mut r, 0, 1, 1000, 1, 5);
        all.extend(press(&mut r, 600, 8, 1000 + 4800, 1, 5));
        assert_eq!(
            ended(&all),
            vec![
                ('1', 100, DtmfEndReason::EndBit),
                ('1', 100, DtmfEndReason::EndBit)
            ]
        );
    }

    #[test]
    fn lost_start_begins_mid_event() {
        let mut r = DtmfReceiver::new(8000);
        r.on_packet(40, 3, 900, false, &block(4, false, 480))
            .unwrap();
        r.on_packet(60, 4, 900, false, &block(4, true, 640))
            .unwrap();
        let ev = drain(&mut r);
        assert_eq!(ended(&ev), vec![('4', 80, DtmfEndReason::EndBit)]);
        assert!(matches!(ev[0], DtmfRxEvent::Started { digit: '4', .. }));
    }

    #[test]
    fn lost_end_finishes_on_next_event_or_timeout() {
        let mut r = DtmfReceiver::new(8000);
        r.on_packet(0, 1, 100, true, &block(2, false, 160)).unwrap();
        r.on_packet(20, 2, 100, false, &block(2, false, 320))
            .unwrap();
        assert!(r.in_event());
        assert_eq!(r.poll_timeout(), Some(1020));
        r.on_packet(500, 9, 5000, true, &block(3, false, 160))
            .unwrap();
        r.on_timeout(1499);
        assert!(r.in_event());
        r.on_timeout(1500);
        let ev = drain(&mut r);
        assert_eq!(
            ended(&ev),
            vec![
                ('2', 40, DtmfEndReason::NextEvent),
                ('3', 20, DtmfEndReason::Timeout)
            ]
        );
        // Late end packets of both are dropped.
        r.on_packet(1600, 5, 100, false, &block(2, true, 800))
            .unwrap();
        r.on_packet(1600, 12, 5000, false, &block(3, true, 800))
            .unwrap();
        assert!(drain(&mut r).is_empty());
    }

    #[test]
    fn reordered_updates_and_end_first() {
        let mut r = DtmfReceiver::new(8000);
        r.on_packet(0, 11, 64, false, &block(10, true, 800))
            .unwrap();
        r.on_packet(1, 8, 64, false, &block(10, false, 320))
            .unwrap();
        r.on_packet(2, 7, 64, true, &block(10, false, 160)).unwrap();
        r.on_packet(3, 11, 64, false, &block(10, true, 800))
            .unwrap();
        assert_eq!(
            ended(&drain(&mut r)),
            vec![('*', 100, DtmfEndReason::EndBit)]
        );
    }

    #[test]
    fn late_packet_of_previous_event_after_next_started() {
        let mut r = DtmfReceiver::new(8000);
        r.on_packet(0, 1, 1000, true, &block(1, false, 160))
            .unwrap();
        r.on_packet(20, 3, 2000, true, &block(5, false, 160))
            .unwrap();
        r.on_packet(25, 2, 1000, false, &block(1, true, 320))
            .unwrap();
        r.on_packet(40, 4, 2000, false, &block(5, true, 320))
            .unwrap();
        let ev = drain(&mut r);
        assert_eq!(
            ended(&ev),
            vec![
                ('1', 20, DtmfEndReason::NextEvent),
                ('5', 40, DtmfEndReason::EndBit)
            ]
        );
    }

    #[test]
    fn same_timestamp_reused_for_next_digit() {
        let mut r = DtmfReceiver::new(8000);
        r.on_packet(0, 1, 500, true, &block(1, true, 800)).unwrap();
        r.on_packet(200, 4, 500, true, &block(2, false, 160))
            .unwrap();
        r.on_packet(220, 5, 500, false, &block(2, true, 800))
            .unwrap();
        // An old duplicate of the first with a lower sequence number stays dropped.
        r.on_packet(230, 1, 500, true, &block(1, true, 800))
            .unwrap();
        let digits: Vec<char> = ended(&drain(&mut r)).iter().map(|e| e.0).collect();
        assert_eq!(digits, vec!['1', '2']);
    }

    #[test]
    fn long_event_segments_are_one_press() {
        let mut r = DtmfReceiver::new(8000);
        r.on_packet(0, 1, 10, true, &block(0, false, 160)).unwrap();
        r.on_packet(8000, 2, 10, false, &block(0, false, 65400))
            .unwrap();
        r.on_packet(8020, 3, 10, false, &block(0, false, 0xFFFF))
            .unwrap();
        r.on_packet(8020, 4, 10 + 0xFFFF, false, &block(0, false, 65))
            .unwrap();
        r.on_packet(8040, 5, 10, false, &block(0, false, 0xFFFF))
            .unwrap();
        r.on_packet(10000, 6, 10 + 0xFFFF, false, &block(0, true, 14465))
            .unwrap();
        let ev = drain(&mut r);
        assert_eq!(ended(&ev), vec![('0', 10_000, DtmfEndReason::EndBit)]);
        assert_eq!(ev.len(), 2);
    }

    #[test]
    fn segment_continues_at_exactly_0xffff_despite_loss() {
        let mut r = DtmfReceiver::new(48_000);
        r.on_packet(0, 1, 10, true, &block(3, false, 960)).unwrap();
        // Everything from 20 ms up to the boundary (1.365 s at 48 kHz) is lost.
        r.on_packet(1400, 70, 10 + 0xFFFF, false, &block(3, false, 1000))
            .unwrap();
        r.on_packet(1500, 75, 10 + 0xFFFF, false, &block(3, true, 5000))
            .unwrap();
        let e = ended(&drain(&mut r));
        assert_eq!(e, vec![('3', 1469, DtmfEndReason::EndBit)]);
    }

    #[test]
    fn malformed_and_other_events() {
        let mut r = DtmfReceiver::new(8000);
        assert_eq!(
            r.on_packet(0, 1, 1, true, &[1, 2, 3]),
            Err(PayloadError::Short(3))
        );
        r.on_packet(0, 2, 1, true, &block(16, true, 800)).unwrap();
        assert!(drain(&mut r).is_empty());
        assert_eq!(r.stats().malformed, 1);
        assert_eq!(r.stats().other_events, 1);
    }

    #[test]
    fn packed_events() {
        let mut r = DtmfReceiver::new(8000);
        let mut p = Vec::new();
        p.extend_from_slice(&block(1, true, 800));
        p.extend_from_slice(&block(2, true, 800));
        r.on_packet(0, 1, 0, true, &p).unwrap();
        let digits: Vec<char> = ended(&drain(&mut r)).iter().map(|e| e.0).collect();
        assert_eq!(digits, vec!['1', '2']);
    }

    #[test]
    fn reset_ends_open_event_and_forgets() {
        let mut r = DtmfReceiver::new(8000);
        r.on_packet(0, 1, 100, true, &block(9, false, 160)).unwrap();
        r.reset();
        r.on_packet(10, 1, 100, true, &block(9, true, 800)).unwrap();
        let e = ended(&drain(&mut r));
        assert_eq!(
            e,
            vec![
                ('9', 20, DtmfEndReason::Reset),
                ('9', 100, DtmfEndReason::EndBit)
            ]
        );
    }

    #[test]
    fn timestamp_far_in_the_past_is_a_new_timeline() {
        let mut r = DtmfReceiver::new(8000);
        r.on_packet(0, 1, 10_000_000, true, &block(1, true, 800))
            .unwrap();
        r.on_packet(10, 2, 5, true, &block(2, true, 800)).unwrap();
        r.on_packet(20, 3, 9_999_000, true, &block(3, true, 800))
            .unwrap();
        let digits: Vec<char> = ended(&drain(&mut r)).iter().map(|e| e.0).collect();
        assert_eq!(digits, vec!['1', '2', '3']);
    }

    #[test]
    fn pending_reports_are_bounded() {
        let mut r = DtmfReceiver::new(8000);
        for i in 0..100u16 {
            r.on_packet(0, i, u32::from(i) * 1000, true, &block(1, true, 800))
                .unwrap();
        }
        assert_eq!(drain(&mut r).len(), MAX_PENDING);
        assert!(r.stats().overflow > 0);
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut r = DtmfReceiver::new(48000);
        let mut x: u32 = 1;
        for i in 0..20_000u32 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let len = (x % 12) as usize;
            let bytes: Vec<u8> = (0..len).map(|k| (x >> (k % 4 * 8)) as u8).collect();
            let _ = r.on_packet(u64::from(i), x as u16, x.rotate_left(7), x & 1 == 1, &bytes);
            r.on_timeout(u64::from(i));
            while r.poll_event().is_some() {}
        }
    }
}
