//! Generated sources (a sine tone, silence) and the null sink.

use super::{AudioError, AudioSink, AudioSource};

/// Peak amplitude of generated tones: -10 dBFS peak (about -13 dBFS RMS), loud enough to
/// detect through any codec and far from clipping.
pub const TONE_PEAK: f64 = 0.316_227_766 * 32767.0;

/// A continuous sine tone (`--audio-in tone:HZ`); the phase carries across frames.
pub struct ToneSource {
    rate: u32,
    /// Phase advance per sample, in cycles.
    step: f64,
    /// Current phase, in cycles, kept in `[0, 1)`.
    phase: f64,
}

impl ToneSource {
    /// A tone of `hz` at `rate`.
    pub fn new(hz: f32, rate: u32) -> Self {
        ToneSource {
            rate,
            step: hz as f64 / rate.max(1) as f64,
            phase: 0.0,
        }
    }
}

impl AudioSource for ToneSource {
    fn rate(&self) -> u32 {
        self.rate
    }

    fn read_frame(&mut self, out: &mut [i16]) {
        for s in out.iter_mut() {
            *s = (TONE_PEAK * (std::f64::consts::TAU * self.phase).sin()).round() as i16;
            self.phase += self.step;
            self.phase -= self.phase.floor();
        }
    }
}

/// Digital silence (`--audio-in silence`).
pub struct SilenceSource {
    rate: u32,
}

impl SilenceSource {
    /// Silence at `rate`.
    pub fn new(rate: u32) -> Self {
        SilenceSource { rate }
    }
}

impl AudioSource for SilenceSource {
    fn rate(&self) -> u32 {
        self.rate
    }

    fn read_frame(&mut self, out: &mut [i16]) {
        out.fill(0);
    }
}

/// Discards everything (`--audio-out null`).
pub struct NullSink {
    rate: u32,
}

impl NullSink {
    /// A null sink that claims `rate`.
    pub fn new(rate: u32) -> Self {
        NullSink { rate }
    }
}

impl AudioSink for NullSink {
    fn rate(&self) -> u32 {
        self.rate
    }

    fn write_frame(&mut self, _pcm: &[i16]) {}

    fn finish(&mut self) -> Result<(), AudioError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::analysis::{rms_dbfs, tone_fraction};

    #[test]
    fn tone_is_continuous_across_frames() {
        let mut t = ToneSource::new(440.0, 8000);
        let mut whole = Vec::new();
        let mut frame = [0i16; 160];
        for _ in 0..50 {
            t.read_frame(&mut frame);
            whole.extend_from_slice(&frame);
        }
        assert!(tone_fraction(&whole, 8000, 440.0) > 0.99);
        // No jump larger than one step of a 440 Hz sine at this level anywhere.
        let max_step = TONE_PEAK * std::f64::consts::TAU * 440.0 / 8000.0 + 2.0;
        assert!(whole
            .windows(2)
            .all(|w| ((w[1] - w[0]) as f64).abs() <= max_step));
        assert!((rms_dbfs(&whole) + 13.0).abs() < 0.2);
    }

    #[test]
    fn silence_and_null() {
        let mut s = SilenceSource::new(16_000);
        let mut frame = [5i16; 320];
        s.read_frame(&mut frame);
        assert!(frame.iter().all(|&x| x == 0));
        assert_eq!(s.rate(), 16_000);
        let mut n = NullSink::new(8000);
        n.write_frame(&frame);
        n.finish().unwrap();
    }
}
