//! Sending DTMF as telephone-events, RFC 4733 §2.5.1, driven by the media task's frame ticks.
//!
//! One [`DtmfSender::tick`] per audio frame (20 ms), with the RTP timestamp that frame's
//! audio would carry. For each digit:
//!
//! * the first tick starts the event: its timestamp is that frame's (§2.2.1), the marker bit
//!   is set (§2.2.2) and the duration is one frame;
//! * every later tick sends an update with the same timestamp and the duration so far
//!   (§2.5.1.2);
//! * the tick at which the duration is reached sends the final packet with the E bit, and the
//!   next two ticks send it again, unchanged but for the sequence number, so it goes out three
//!   times in all (§2.5.1.4);
//! * an event longer than 0xFFFF timestamp units is cut into segments (§2.5.1.3): the
//!   segment's last packet reports 0xFFFF without the E bit (and is also sent three times,
//!   §2.5.1.4), and the next segment carries the timestamp at which the previous one reached
//!   0xFFFF, without the marker bit (the marker starts events, not segments, §2.2.2).
//!
//! While a tone plays ([`DtmfTick::suppress_audio`]) the caller sends no audio but lets the
//! audio timestamp advance (`RtpSender::skip`). After a tone the sender rests for the
//! inter-tone gap (and at least the two ticks of the end retransmissions); a `,` in the
//! digits is a pause. Defaults follow SIP.js `sendDTMF`: 100 ms tones, 500 ms gap, 2 s pause.
//!
//! Durations are in units of the telephone-event clock (`telephone-event/8000` usually; 48000
//! works the same). The event shares the audio stream's timestamp space, so the clock rate
//! given here must be the one the telephone-event payload type was negotiated at, which
//! `sdp::negotiate` picks equal to the audio rate whenever the peer offers that.

use std::collections::VecDeque;

use super::payload::{digit_to_event, EventPayload};
use super::ticks_to_ms;

/// SIP.js `sendDTMF` default tone duration.
pub const DEFAULT_DURATION_MS: u32 = 100;
/// SIP.js `sendDTMF` default inter-tone gap.
pub const DEFAULT_GAP_MS: u32 = 500;
/// The pause a `,` stands for (SIP.js: two seconds).
pub const DEFAULT_PAUSE_MS: u32 = 2000;
/// Volume written into events: -10 dBm0, a common DTMF level (RFC 4733 §2.3.4).
pub const DEFAULT_VOLUME: u8 = 10;
/// Most digits and pauses queued at once.
pub const MAX_QUEUE: usize = 256;

/// Longest duration a segment can report (RFC 4733 §2.3.5, §2.5.1.3).
const SEGMENT_MAX: u64 = 0xFFFF;
/// Times the final packet of an event or segment is sent (RFC 4733 §2.5.1.4).
const FINAL_SENDS: u8 = 3;

/// How long tones, gaps and pauses last.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct DtmfTiming {
    /// Tone length in ms; at least one frame is always sent.
    pub duration_ms: u32,
    /// Silence after each tone before the next one, in ms (SIP.js `interToneGap`).
    pub gap_ms: u32,
    /// Length of the pause a `,` stands for, in ms.
    pub pause_ms: u32,
}

impl Default for DtmfTiming {
    fn default() -> Self {
        DtmfTiming {
            duration_ms: DEFAULT_DURATION_MS,
            gap_ms: DEFAULT_GAP_MS,
            pause_ms: DEFAULT_PAUSE_MS,
        }
    }
}

/// Why digits were not queued. Nothing is queued when this is returned.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum DtmfQueueError {
    /// A character that is neither a DTMF digit (0–9 * # A–D) nor `,`.
    #[error("'{ch}' is not a DTMF digit (0-9 * # A-D, ',' for a pause)")]
    InvalidDigit {
        /// The character.
        ch: char,
        /// Its position in the string, in characters.
        index: usize,
    },
    /// The queue would hold more than [`MAX_QUEUE`] digits and pauses.
    #[error("too many DTMF digits queued (at most {MAX_QUEUE})")]
    QueueFull,
}

/// One telephone-event packet to send: the RTP marker and timestamp to use and the payload.
/// Pass them to `RtpSender::packetise_with` with the negotiated telephone-event payload type.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct EventPacket {
    /// RTP marker bit: set on the first packet of an event only (§2.2.2).
    pub marker: bool,
    /// RTP timestamp: the start of the event (or of its current segment, §2.5.1.3).
    pub timestamp: u32,
    /// The event block.
    pub payload: EventPayload,
}

/// A digit whose tone has finished (for `dtmf-sent` progress).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SentDigit {
    /// The digit, upper case.
    pub digit: char,
    /// How long its tone lasted, in ms.
    pub duration_ms: u32,
}

/// What to do in one frame.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct DtmfTick {
    packets: [Option<EventPacket>; 4],
    /// A tone covers this frame: send no audio packet (but let the audio timestamp advance).
    pub suppress_audio: bool,
    /// A digit's tone began in this frame.
    pub started: Option<char>,
    /// A digit's tone ended in this frame (its first end packet went out).
    pub ended: Option<SentDigit>,
}

impl DtmfTick {
    /// Packets to send in this frame, in order (at most four, usually zero or one).
    pub fn packets(&self) -> impl Iterator<Item = &EventPacket> + '_ {
        self.packets.iter().flatten()
    }

    fn push(&mut self, p: EventPacket) {
        if let Some(slot) = self.packets.iter_mut().find(|s| s.is_none()) {
            *slot = Some(p);
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Item {
    Tone {
        event: u8,
        digit: char,
        duration_ms: u32,
        gap_ms: u32,
    },
    Pause {
        ms: u32,
    },
}

/// The tone being played.
#[derive(Clone, Copy, Debug)]
struct Playing {
    event: u8,
    digit: char,
    duration_ms: u32,
    gap_ms: u32,
    /// Whole duration in clock ticks.
    total: u64,
    /// Clock ticks per frame for this event (the rate may change before the next one).
    frame_ticks: u64,
    /// Frames covered so far, this one included.
    frames: u64,
    /// Timestamp of the current segment.
    seg_ts: u32,
    /// Ticks of the event before the current segment (a multiple of 0xFFFF).
    seg_base: u64,
}

/// Plays queued digits as RFC 4733 events, one [`tick`](DtmfSender::tick) per frame.
#[derive(Clone, Debug)]
pub struct DtmfSender {
    clock_rate: u32,
    frame_ms: u32,
    /// Clock ticks per frame (at least 1).
    frame_ticks: u64,
    volume: u8,
    queue: VecDeque<Item>,
    playing: Option<Playing>,
    /// Final packets still to be repeated, with how many repeats are left.
    repeats: [Option<(EventPacket, u8)>; 2],
    /// Frames to wait before the next item may start.
    rest: u64,
}

impl DtmfSender {
    /// A sender for a telephone-event clock of `clock_rate` Hz, ticked every `frame_ms`
    /// milliseconds (20 in sipline). Zero values are taken as 8000 Hz and 20 ms.
    pub fn new(clock_rate: u32, frame_ms: u32) -> Self {
        let clock_rate = if clock_rate == 0 { 8000 } else { clock_rate };
        let frame_ms = if frame_ms == 0 { 20 } else { frame_ms };
        let frame_ticks = (u64::from(clock_rate) * u64::from(frame_ms) / 1000).max(1);
        DtmfSender {
            clock_rate,
            frame_ms,
            frame_ticks,
            volume: DEFAULT_VOLUME,
            queue: VecDeque::new(),
            playing: None,
            repeats: [None; 2],
            rest: 0,
        }
    }

    /// The telephone-event clock rate.
    pub fn clock_rate(&self) -> u32 {
        self.clock_rate
    }

    /// Change the telephone-event clock rate (a re-negotiation). A tone already playing
    /// finishes at the old rate; the next one uses the new rate. Zero is ignored.
    pub fn set_clock_rate(&mut self, clock_rate: u32) {
        if clock_rate != 0 {
            self.clock_rate = clock_rate;
            self.frame_ticks = (u64::from(clock_rate) * u64::from(self.frame_ms) / 1000).max(1);
        }
    }

    /// Stop: drop the queue, and end a tone that is playing at the next tick, with the
    /// duration it has reached (its end packets still go out three times, §2.5.1.4). Use it
    /// when sending must stop (hold, hang-up, a new codec).
    pub fn cancel(&mut self) {
        self.queue.clear();
        if let Some(ev) = &mut self.playing {
            ev.total = ev.total.min(ev.frames * ev.frame_ticks).max(1);
            ev.duration_ms = ticks_to_ms(ev.total, self.clock_rate);
        }
    }

    /// Set the volume written into events (0..=63, -dBm0; values above 63 are clamped).
    pub fn set_volume(&mut self, volume: u8) {
        self.volume = volume.min(63);
    }

    /// Queue `digits` (0–9 * # A–D, lower case a–d too, `,` = pause) with `timing`. All or
    /// nothing: on error nothing is queued. Returns how many digits (not pauses) were queued.
    pub fn enqueue(&mut self, digits: &str, timing: DtmfTiming) -> Result<usize, DtmfQueueError> {
        let mut items = Vec::with_capacity(digits.len());
        for (index, ch) in digits.chars().enumerate() {
            if ch == ',' {
                items.push(Item::Pause {
                    ms: timing.pause_ms,
                });
                continue;
            }
            let event = digit_to_event(ch).ok_or(DtmfQueueError::InvalidDigit { ch, index })?;
            items.push(Item::Tone {
                event,
                digit: ch.to_ascii_uppercase(),
                duration_ms: timing.duration_ms,
                gap_ms: timing.gap_ms,
            });
        }
        if self.queue.len() + items.len() > MAX_QUEUE {
            return Err(DtmfQueueError::QueueFull);
        }
        let tones = items
            .iter()
            .filter(|i| matches!(i, Item::Tone { .. }))
            .count();
        self.queue.extend(items);
        Ok(tones)
    }

    /// Check `digits` as [`enqueue`](Self::enqueue) would, without queuing anything.
    pub fn validate(digits: &str) -> Result<(), DtmfQueueError> {
        match digits
            .chars()
            .enumerate()
            .find(|&(_, c)| c != ',' && digit_to_event(c).is_none())
        {
            Some((index, ch)) => Err(DtmfQueueError::InvalidDigit { ch, index }),
            None => Ok(()),
        }
    }

    /// Drop every queued digit and pause that has not started. A tone already playing
    /// finishes normally, with its end packets.
    pub fn clear_queue(&mut self) {
        self.queue.clear();
    }

    /// Digits and pauses queued and not started yet.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// A tone is playing now (audio is being suppressed).
    pub fn is_playing(&self) -> bool {
        self.playing.is_some()
    }

    /// Nothing is playing, queued or left to repeat: further ticks send nothing until the
    /// next [`enqueue`](Self::enqueue). (A trailing gap may still be counting down; it only
    /// delays a digit queued later.)
    pub fn is_idle(&self) -> bool {
        self.playing.is_none() && self.queue.is_empty() && self.repeats.iter().all(Option::is_none)
    }

    /// Advance one frame. `frame_ts` is the RTP timestamp this frame's audio would carry
    /// (`RtpSender::next_ts()` before the frame is sent or skipped); an event that starts in
    /// this frame takes it as its timestamp.
    pub fn tick(&mut self, frame_ts: u32) -> DtmfTick {
        let mut out = DtmfTick::default();
        // Repeats of final packets first: their timestamps are the oldest.
        for slot in &mut self.repeats {
            if let Some((p, left)) = slot {
                out.push(*p);
                *left -= 1;
                if *left == 0 {
                    *slot = None;
                }
            }
        }
        if let Some(mut ev) = self.playing.take() {
            ev.frames += 1;
            out.suppress_audio = true;
            self.advance(ev, &mut out);
            return out;
        }
        if self.rest > 0 {
            self.rest -= 1;
            return out;
        }
        match self.queue.pop_front() {
            None => {}
            Some(Item::Pause { ms }) => {
                // This frame is the pause's first.
                self.rest = self.frames_for(ms).saturating_sub(1);
            }
            Some(Item::Tone {
                event,
                digit,
                duration_ms,
                gap_ms,
            }) => {
                let total = (super::ms_to_ticks(u64::from(duration_ms), self.clock_rate)).max(1);
                let ev = Playing {
                    event,
                    digit,
                    duration_ms,
                    gap_ms,
                    total,
                    frame_ticks: self.frame_ticks,
                    frames: 1,
                    seg_ts: frame_ts,
                    seg_base: 0,
                };
                out.suppress_audio = true;
                out.started = Some(digit);
                self.advance(ev, &mut out);
            }
        }
        out
    }

    /// Whole frames covering `ms` (rounded up).
    fn frames_for(&self, ms: u32) -> u64 {
        u64::from(ms).div_ceil(u64::from(self.frame_ms))
    }

    fn packet(&self, ev: &Playing, marker: bool, end: bool, duration: u64) -> EventPacket {
        EventPacket {
            marker,
            timestamp: ev.seg_ts,
            payload: EventPayload {
                event: ev.event,
                end,
                volume: self.volume,
                duration: u16::try_from(duration).unwrap_or(u16::MAX),
            },
        }
    }

    fn repeat(&mut self, p: EventPacket) {
        let p = EventPacket { marker: false, ..p };
        // Two slots suffice: final packets are at least 0xFFFF ticks (many frames) apart,
        // except a segment's and the event's own end, which can fall close together.
        // If both are taken, replace the one closest to done.
        let slot = self
            .repeats
            .iter()
            .position(Option::is_none)
            .unwrap_or_else(|| {
                usize::from(self.repeats[1].map(|r| r.1) < self.repeats[0].map(|r| r.1))
            });
        self.repeats[slot] = Some((p, FINAL_SENDS - 1));
    }

    /// Emit this frame's packet(s) for `ev`, whose `frames` counts this frame.
    fn advance(&mut self, mut ev: Playing, out: &mut DtmfTick) {
        let elapsed = (ev.frames * ev.frame_ticks).min(ev.total);
        let first = ev.frames == 1;
        // §2.5.1.3: a segment that reaches 0xFFFF while the event goes on is closed with a
        // 0xFFFF packet without E, and the next segment starts at that point in time.
        let rel = elapsed - ev.seg_base;
        if rel > SEGMENT_MAX || (rel == SEGMENT_MAX && elapsed < ev.total) {
            let last = self.packet(&ev, first, false, SEGMENT_MAX);
            out.push(last);
            self.repeat(last);
            ev.seg_base += SEGMENT_MAX;
            ev.seg_ts = ev.seg_ts.wrapping_add(SEGMENT_MAX as u32);
        }
        let rel = elapsed - ev.seg_base;
        if elapsed >= ev.total {
            let fin = self.packet(&ev, first, true, rel);
            out.push(fin);
            self.repeat(fin);
            out.ended = Some(SentDigit {
                digit: ev.digit,
                duration_ms: ev.duration_ms,
            });
            // The gap runs from the end of the tone; the end repeats need two more frames.
            self.rest = self.frames_for(ev.gap_ms).max(u64::from(FINAL_SENDS - 1));
        } else {
            if rel > 0 {
                out.push(self.packet(&ev, first, false, rel));
            }
            self.playing = Some(ev);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(s: &mut DtmfSender, ticks: usize, ts0: u32, step: u32) -> Vec<(usize, DtmfTick)> {
        (0..ticks)
            .map(|i| (i, s.tick(ts0.wrapping_add(step * i as u32))))
            .collect()
    }

    #[test]
    fn one_digit_at_8k() {
        let mut s = DtmfSender::new(8000, 20);
        assert_eq!(s.enqueue("5", DtmfTiming::default()), Ok(1));
        let ticks = run(&mut s, 40, 1000, 160);
        let pkts: Vec<(usize, EventPacket)> = ticks
            .iter()
            .flat_map(|(i, t)| t.packets().map(move |p| (*i, *p)))
            .collect();
        let summary: Vec<(usize, bool, u32, bool, u16)> = pkts
            .iter()
            .map(|(i, p)| (*i, p.marker, p.timestamp, p.payload.end, p.payload.duration))
            .collect();
        assert_eq!(
            summary,
            vec![
                (0, true, 1000, false, 160),
                (1, false, 1000, false, 320),
                (2, false, 1000, false, 480),
                (3, false, 1000, false, 640),
                (4, false, 1000, true, 800),
                (5, false, 1000, true, 800),
                (6, false, 1000, true, 800),
            ]
        );
        assert!(pkts
            .iter()
            .all(|(_, p)| p.payload.event == 5 && p.payload.volume == DEFAULT_VOLUME));
        let suppressed: Vec<usize> = ticks
            .iter()
            .filter(|(_, t)| t.suppress_audio)
            .map(|(i, _)| *i)
            .collect();
        assert_eq!(suppressed, vec![0, 1, 2, 3, 4]);
        assert_eq!(ticks[0].1.started, Some('5'));
        assert_eq!(
            ticks[4].1.ended,
            Some(SentDigit {
                digit: '5',
                duration_ms: 100
            })
        );
        assert!(s.is_idle());
    }

    #[test]
    fn gap_and_pause_timing() {
        let mut s = DtmfSender::new(8000, 20);
        s.enqueue("1,2", DtmfTiming::default()).unwrap();
        s.enqueue("3", DtmfTiming::default()).unwrap();
        let ticks = run(&mut s, 400, 0, 160);
        let starts: Vec<(usize, char)> = ticks
            .iter()
            .filter_map(|(i, t)| t.started.map(|d| (*i, d)))
            .collect();
        // '1' plays ticks 0-4, 500 ms gap = 25 frames (5..29), pause 2 s = 100 frames
        // (30..129), '2' at 130, ends 134, gap to 159, '3' at 160.
        assert_eq!(starts, vec![(0, '1'), (130, '2'), (160, '3')]);
        let ends: Vec<usize> = ticks
            .iter()
            .filter(|(_, t)| t.ended.is_some())
            .map(|(i, _)| *i)
            .collect();
        assert_eq!(ends, vec![4, 134, 164]);
    }

    #[test]
    fn zero_gap_still_leaves_room_for_end_repeats() {
        let mut s = DtmfSender::new(8000, 20);
        let timing = DtmfTiming {
            duration_ms: 40,
            gap_ms: 0,
            pause_ms: 0,
        };
        s.enqueue("12", timing).unwrap();
        let ticks = run(&mut s, 20, 0, 160);
        let starts: Vec<usize> = ticks
            .iter()
            .filter(|(_, t)| t.started.is_some())
            .map(|(i, _)| *i)
            .collect();
        assert_eq!(starts, vec![0, 4]);
        let per_tick: Vec<usize> = ticks.iter().map(|(_, t)| t.packets().count()).collect();
        assert_eq!(&per_tick[..9], &[1, 1, 1, 1, 1, 1, 1, 1, 0]);
    }

    #[test]
    fn short_tone_is_one_marked_end_packet_sent_thrice() {
        let mut s = DtmfSender::new(8000, 20);
        let timing = DtmfTiming {
            duration_ms: 10,
            ..DtmfTiming::default()
        };
        s.enqueue("#", timing).unwrap();
        let ticks = run(&mut s, 5, 77, 160);
        let pkts: Vec<EventPacket> = ticks
            .iter()
            .flat_map(|(_, t)| t.packets().copied())
            .collect();
        assert_eq!(pkts.len(), 3);
        assert!(pkts[0].marker && !pkts[1].marker && !pkts[2].marker);
        assert!(pkts
            .iter()
            .all(|p| p.payload.end && p.payload.duration == 80 && p.timestamp == 77));
        assert_eq!(ticks[0].1.started, Some('#'));
        assert!(ticks[0].1.ended.is_some());
    }

    #[test]
    fn invalid_digit_queues_nothing() {
        let mut s = DtmfSender::new(8000, 20);
        assert_eq!(
            s.enqueue("12x3", DtmfTiming::default()),
            Err(DtmfQueueError::InvalidDigit { ch: 'x', index: 2 })
        );
        assert_eq!(s.queued(), 0);
        assert_eq!(
            DtmfSender::validate("1,e"),
            Err(DtmfQueueError::InvalidDigit { ch: 'e', index: 2 })
        );
        assert_eq!(DtmfSender::validate("0123456789*#ABCDabcd,"), Ok(()));
        assert_eq!(s.enqueue("a,b", DtmfTiming::default()), Ok(2));
        assert_eq!(s.queued(), 3);
        let t = s.tick(0);
        assert_eq!(t.started, Some('A'));
    }

    #[test]
    fn queue_is_bounded() {
        let mut s = DtmfSender::new(8000, 20);
        let many = "1".repeat(MAX_QUEUE);
        assert_eq!(s.enqueue(&many, DtmfTiming::default()), Ok(MAX_QUEUE));
        assert_eq!(
            s.enqueue("1", DtmfTiming::default()),
            Err(DtmfQueueError::QueueFull)
        );
        s.clear_queue();
        assert!(s.is_idle());
    }

    #[test]
    fn cancel_ends_the_tone_at_the_next_tick() {
        let mut s = DtmfSender::new(8000, 20);
        s.enqueue("12", DtmfTiming::default()).unwrap();
        s.tick(0);
        s.tick(160);
        s.cancel();
        let t = s.tick(320);
        let p: Vec<EventPacket> = t.packets().copied().collect();
        assert_eq!(p.len(), 1);
        assert!(p[0].payload.end && p[0].payload.duration == 320 && p[0].timestamp == 0);
        assert!(t.suppress_audio);
        assert_eq!(
            t.ended,
            Some(SentDigit {
                digit: '1',
                duration_ms: 40
            })
        );
        let rest: Vec<usize> = (0..100)
            .map(|i| s.tick(480 + 160 * i).packets().count())
            .collect();
        assert_eq!(&rest[..3], &[1, 1, 0]);
        assert!(rest[2..].iter().all(|&n| n == 0));
        assert!(s.is_idle());
    }

    #[test]
    fn rate_change_applies_to_the_next_tone() {
        let mut s = DtmfSender::new(8000, 20);
        s.enqueue("12", DtmfTiming::default()).unwrap();
        let first = s.tick(0).packets().next().copied().unwrap();
        s.set_clock_rate(48_000);
        let mut durs = vec![first.payload.duration];
        for i in 1..40 {
            durs.extend(s.tick(i * 160).packets().map(|p| p.payload.duration));
        }
        assert_eq!(&durs[..7], &[160, 320, 480, 640, 800, 800, 800]);
        assert_eq!(&durs[7..], &[960, 1920, 2880, 3840, 4800, 4800, 4800]);
    }

    #[test]
    fn timestamps_wrap() {
        let mut s = DtmfSender::new(8000, 20);
        s.enqueue("9", DtmfTiming::default()).unwrap();
        let t = s.tick(u32::MAX - 10);
        let p = t.packets().next().copied().unwrap();
        assert_eq!(p.timestamp, u32::MAX - 10);
    }

    #[test]
    fn long_event_segments_at_8k() {
        let mut s = DtmfSender::new(8000, 20);
        let timing = DtmfTiming {
            duration_ms: 10_000,
            ..DtmfTiming::default()
        };
        s.enqueue("0", timing).unwrap();
        let ticks = run(&mut s, 520, 5000, 160);
        let pkts: Vec<EventPacket> = ticks
            .iter()
            .flat_map(|(_, t)| t.packets().copied())
            .collect();
        let max: Vec<&EventPacket> = pkts
            .iter()
            .filter(|p| p.payload.duration == 0xFFFF)
            .collect();
        assert_eq!(max.len(), 3);
        assert!(max.iter().all(|p| !p.payload.end && p.timestamp == 5000));
        let second: Vec<&EventPacket> = pkts
            .iter()
            .filter(|p| p.timestamp == 5000 + 65535)
            .collect();
        assert!(second.iter().all(|p| !p.marker));
        let ends: Vec<&&EventPacket> = second.iter().filter(|p| p.payload.end).collect();
        assert_eq!(ends.len(), 3);
        assert!(ends.iter().all(|p| p.payload.duration == 14_465));
        assert_eq!(pkts.iter().filter(|p| p.marker).count(), 1);
        assert_eq!(ticks.iter().filter(|(_, t)| t.suppress_audio).count(), 500);
    }
}
