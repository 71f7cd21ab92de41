//! The echo end (`--audio-in echo`, and the built-in test line's `echo`): what a call
//! receives is sent back to the peer [`ECHO_DELAY_MS`] later.
//!
//! [`echo_pair`] makes a source and a sink joined by a delay line: a lock-free SPSC ring
//! (rtrb), allocated once when the call's media starts and filled with the delay's worth of
//! silence. Each 20 ms tick the media task reads one frame from the source (to send) and then
//! writes the frame it played to the sink, so the ring holds the delay before every read and
//! a sample played in tick *k* is sent in tick *k* + delay / 20 ms. Neither end allocates,
//! blocks or locks per frame (ARCHITECTURE.md rule 7): a frame that does not fit is dropped
//! and a frame that is missing is read as silence, both counted as underruns.

use rtrb::{Consumer, Producer, RingBuffer};

use super::{AudioError, AudioSink, AudioSource};

/// How long the echo end holds what it hears before sending it back: long enough for a
/// person to hear their own voice as an echo, short enough to keep a test quick.
pub const ECHO_DELAY_MS: u32 = 160;

/// Where the echo end's sink puts what the call receives, and, when `--audio-out` names
/// another end as well, that end too ([`EchoSink::with_inner`]).
pub struct EchoSink {
    rate: u32,
    ring: Producer<i16>,
    inner: Option<Box<dyn AudioSink>>,
    dropped: u64,
}

/// Gives back, one frame at a time, what [`EchoSink`] took [`ECHO_DELAY_MS`] earlier.
pub struct EchoSource {
    rate: u32,
    ring: Consumer<i16>,
    missing: u64,
}

/// A source and a sink at `rate` joined by a delay line of `delay_ms` (rounded down to whole
/// 20 ms frames). `rate` must be a multiple of 50 (checked by the caller, like every end).
pub fn echo_pair(rate: u32, delay_ms: u32) -> (EchoSource, EchoSink) {
    let frame = (rate / 50) as usize;
    let delay = frame * (delay_ms / 20) as usize;
    // The sink writes after the source has read, so the ring holds at most delay + 1 frame;
    // one frame more of room absorbs a tick whose order is reversed.
    let (mut tx, rx) = RingBuffer::new(delay + 2 * frame);
    for _ in 0..delay {
        // invariant: the ring was just made with room for more than `delay` samples.
        let _ = tx.push(0);
    }
    (
        EchoSource {
            rate,
            ring: rx,
            missing: 0,
        },
        EchoSink {
            rate,
            ring: tx,
            inner: None,
            dropped: 0,
        },
    )
}

impl EchoSink {
    /// Also pass every frame to `inner` (e.g. a WAV recording of what the call heard).
    pub fn with_inner(mut self, inner: Box<dyn AudioSink>) -> Self {
        self.inner = Some(inner);
        self
    }
}

impl AudioSink for EchoSink {
    fn rate(&self) -> u32 {
        self.rate
    }

    fn write_frame(&mut self, pcm: &[i16]) {
        if self.ring.slots() < pcm.len() {
            self.dropped += 1;
        } else {
            for &s in pcm {
                // invariant: slots() >= pcm.len() was checked and only this end pushes.
                let _ = self.ring.push(s);
            }
        }
        if let Some(inner) = &mut self.inner {
            inner.write_frame(pcm);
        }
    }

    fn finish(&mut self) -> Result<(), AudioError> {
        match &mut self.inner {
            Some(inner) => inner.finish(),
            None => Ok(()),
        }
    }

    fn underruns(&self) -> u64 {
        self.dropped + self.inner.as_ref().map_or(0, |i| i.underruns())
    }
}

impl AudioSource for EchoSource {
    fn rate(&self) -> u32 {
        self.rate
    }

    fn read_frame(&mut self, out: &mut [i16]) {
        if self.ring.slots() < out.len() {
            self.missing += 1;
            out.fill(0);
            return;
        }
        for s in out.iter_mut() {
            // invariant: slots() >= out.len() was checked and only this end pops.
            *s = self.ring.pop().unwrap_or(0);
        }
    }

    fn underruns(&self) -> u64 {
        self.missing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One 20 ms tick as the media task runs it: read what to send, then write what played.
    fn tick(src: &mut EchoSource, sink: &mut EchoSink, played: &[i16]) -> Vec<i16> {
        let mut out = vec![i16::MIN; played.len()];
        src.read_frame(&mut out);
        sink.write_frame(played);
        out
    }

    #[test]
    fn frames_come_back_after_the_delay() {
        let rate = 8000;
        let (mut src, mut sink) = echo_pair(rate, 160);
        let frame = (rate / 50) as usize;
        let delay_frames = 8;
        let mut sent = Vec::new();
        for k in 0..40i16 {
            let played: Vec<i16> = (0..frame).map(|i| k * 100 + i as i16 % 100).collect();
            sent.push(tick(&mut src, &mut sink, &played));
        }
        for (k, out) in sent.iter().enumerate() {
            if k < delay_frames {
                assert!(out.iter().all(|&s| s == 0), "frame {k} should be silence");
            } else {
                let from = (k - delay_frames) as i16;
                let want: Vec<i16> = (0..frame).map(|i| from * 100 + i as i16 % 100).collect();
                assert_eq!(out, &want, "frame {k} should echo frame {from}");
            }
        }
        assert_eq!(src.underruns(), 0);
        assert_eq!(sink.underruns(), 0);
    }

    #[test]
    fn delay_rounds_down_to_whole_frames_at_any_rate() {
        for (rate, delay_ms, frames) in [(48_000, 160, 8), (16_000, 110, 5), (8000, 10, 0)] {
            let (mut src, mut sink) = echo_pair(rate, delay_ms);
            let frame = (rate / 50) as usize;
            let (marked, quiet) = (vec![7i16; frame], vec![0i16; frame]);
            let first = (0..=frames)
                .map(|k| {
                    let played = if k == 0 { &marked } else { &quiet };
                    tick(&mut src, &mut sink, played)
                })
                .position(|out| out.contains(&7));
            // With no delay the frame comes back on the next tick (it is written after the
            // read of its own tick); with a delay of n frames, n ticks later.
            let want = if frames == 0 { None } else { Some(frames) };
            assert_eq!(first, want, "rate {rate} delay {delay_ms}");
        }
    }

    #[test]
    fn a_missing_frame_is_silence_and_an_extra_one_is_dropped() {
        let (mut src, mut sink) = echo_pair(8000, 40);
        let mut out = vec![1i16; 160];
        // Two frames of delay, then the ring is empty: the third read is silence.
        src.read_frame(&mut out);
        src.read_frame(&mut out);
        out.fill(1);
        src.read_frame(&mut out);
        assert!(out.iter().all(|&s| s == 0));
        assert_eq!(src.underruns(), 1);
        // Room for delay + 2 frames = 4 frames: the fifth write in a row is dropped.
        for _ in 0..5 {
            sink.write_frame(&[3; 160]);
        }
        assert_eq!(sink.underruns(), 1);
        // What was kept still comes out in order.
        src.read_frame(&mut out);
        assert!(out.iter().all(|&s| s == 3));
    }

    #[test]
    fn an_inner_sink_gets_every_frame_too() {
        struct Count(u64);
        impl AudioSink for Count {
            fn rate(&self) -> u32 {
                8000
            }
            fn write_frame(&mut self, _pcm: &[i16]) {
                self.0 += 1;
            }
            fn finish(&mut self) -> Result<(), AudioError> {
                Err(AudioError::BadRate(self.0 as u32))
            }
        }
        let (_src, sink) = echo_pair(8000, 160);
        let mut sink = sink.with_inner(Box::new(Count(0)));
        for _ in 0..3 {
            sink.write_frame(&[0; 160]);
        }
        assert!(matches!(sink.finish(), Err(AudioError::BadRate(3))));
    }
}
