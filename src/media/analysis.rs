//! Signal analysis: Goertzel tone detection and levels (for tests and `expect-audio`).
//!
//! The Goertzel algorithm (G. Goertzel, "An algorithm for the evaluation of finite
//! trigonometric series", 1958; the detector of ITU-T Q.24-style DTMF receivers) evaluates a
//! single DFT term at any frequency. Here it is normalised so that it reads as mean-square
//! power in full-scale units (a full-scale sample is ±1.0): a pure tone of peak amplitude `A`
//! gives `A²/2`, the same as its mean square. That makes "how much of this block's energy is
//! at `hz`" a simple ratio.

use std::path::Path;

use crate::api::AudioCheck;
use crate::media::audio::AudioError;

const FULL_SCALE: f64 = 32768.0;

/// Level reported for digital silence (and empty input) by [`rms_dbfs`].
pub const MIN_DBFS: f64 = -120.0;

/// Blocks quieter than this are never counted as holding a tone by [`tone_fraction`].
pub const TONE_FLOOR_DBFS: f64 = -60.0;

/// Share of a block's energy that must be at the frequency for [`tone_fraction`] to count it.
pub const TONE_SHARE: f64 = 0.5;

/// Power at `hz` in `samples` (taken at `rate`), as mean-square full-scale units: a pure tone
/// of peak amplitude `A` (1.0 = full scale) at exactly `hz` gives about `A²/2`. The analysis
/// bandwidth is about `rate / samples.len()` Hz either side (50 Hz for a 20 ms block).
pub fn goertzel_power(samples: &[i16], rate: u32, hz: f32) -> f64 {
    if samples.is_empty() || rate == 0 {
        return 0.0;
    }
    let w = 2.0 * std::f64::consts::PI * hz as f64 / rate as f64;
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &x in samples {
        let s0 = x as f64 / FULL_SCALE + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let mag2 = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    let n = samples.len() as f64;
    2.0 * mag2.max(0.0) / (n * n)
}

/// Mean-square power in full-scale units.
/// Mean square of `samples` in full-scale units (0 for empty input).
pub fn mean_square(samples: &[i16]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    samples
        .iter()
        .map(|&s| {
            let x = s as f64 / FULL_SCALE;
            x * x
        })
        .sum::<f64>()
        / samples.len() as f64
}

/// Fraction (0..=1) of 20 ms blocks in which `hz` holds most of the block's energy: at least
/// [`TONE_SHARE`] of it, in a block louder than [`TONE_FLOOR_DBFS`]. A trailing partial block
/// is ignored; input shorter than one block gives 0.
pub fn tone_fraction(samples: &[i16], rate: u32, hz: f32) -> f64 {
    let block = (rate / 50) as usize;
    if block == 0 || samples.len() < block {
        return 0.0;
    }
    let mut blocks = 0usize;
    let mut hits = 0usize;
    for b in samples.chunks_exact(block) {
        blocks += 1;
        if holds_tone(b, mean_square(b), rate, hz) {
            hits += 1;
        }
    }
    hits as f64 / blocks as f64
}

/// One block's tone rule: louder than [`TONE_FLOOR_DBFS`] with at least [`TONE_SHARE`] of
/// its energy (`total`, its mean square) at `hz`.
fn holds_tone(block: &[i16], total: f64, rate: u32, hz: f32) -> bool {
    total > dbfs_to_mean_square(TONE_FLOOR_DBFS)
        && goertzel_power(block, rate, hz) >= TONE_SHARE * total
}

fn dbfs_to_mean_square(dbfs: f64) -> f64 {
    10f64.powf(dbfs / 10.0)
}

/// `expect-audio silence`: every block must be quieter than this.
pub const SILENCE_DBFS: f64 = -50.0;

/// `expect-audio speech`: blocks louder than this count as audible.
pub const SPEECH_DBFS: f64 = -40.0;

/// `expect-audio tone:HZ` passes when at least this share of blocks hold the tone.
pub const TONE_PASS: f64 = 0.7;

/// `expect-audio speech` passes when at least this share of blocks are audible.
pub const SPEECH_PASS: f64 = 0.5;

/// What an [`AudioAnalyzer`] measured over its window.
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct Verdict {
    /// The audio held the check.
    pub passed: bool,
    /// Blocks judged.
    pub blocks: u32,
    /// Share of blocks that fit the check, 0..=1.
    pub fraction: f64,
    /// RMS level of the whole window, dBFS ([`MIN_DBFS`] for silence).
    pub level_dbfs: f64,
}

/// Judges received audio one 20 ms block at a time for `expect-audio`: plain counters, no
/// allocation, so it can sit in the media task's per-frame path.
#[derive(Clone, Copy, Debug)]
pub struct AudioAnalyzer {
    check: AudioCheck,
    /// Blocks fitting the check.
    hits: u32,
    blocks: u32,
    /// Sum of the blocks' mean squares.
    sum_ms: f64,
}

impl AudioAnalyzer {
    /// An analyzer with nothing heard yet.
    pub fn new(check: AudioCheck) -> Self {
        AudioAnalyzer {
            check,
            hits: 0,
            blocks: 0,
            sum_ms: 0.0,
        }
    }

    /// What it checks.
    pub fn check(&self) -> AudioCheck {
        self.check
    }

    /// Blocks judged so far.
    pub fn blocks(&self) -> u32 {
        self.blocks
    }

    /// Judge one block of `samples` taken at `rate` (20 ms of audio).
    pub fn push(&mut self, samples: &[i16], rate: u32) {
        let ms = mean_square(samples);
        let fits = match self.check {
            AudioCheck::Tone(hz) => holds_tone(samples, ms, rate, hz as f32),
            AudioCheck::Silence => ms < dbfs_to_mean_square(SILENCE_DBFS),
            AudioCheck::Speech => ms > dbfs_to_mean_square(SPEECH_DBFS),
        };
        self.count(fits, ms);
    }

    /// A block of digital silence (nothing to play, or not receiving).
    pub fn push_silence(&mut self) {
        self.count(matches!(self.check, AudioCheck::Silence), 0.0);
    }

    fn count(&mut self, fits: bool, ms: f64) {
        self.blocks = self.blocks.saturating_add(1);
        self.hits = self.hits.saturating_add(u32::from(fits));
        self.sum_ms += ms;
    }

    /// The verdict on the blocks so far (none: fails, with fraction 0).
    pub fn verdict(&self) -> Verdict {
        let fraction = if self.blocks == 0 {
            0.0
        } else {
            f64::from(self.hits) / f64::from(self.blocks)
        };
        let passed = self.blocks > 0
            && match self.check {
                AudioCheck::Tone(_) => fraction >= TONE_PASS,
                AudioCheck::Silence => self.hits == self.blocks,
                AudioCheck::Speech => fraction >= SPEECH_PASS,
            };
        let mean = if self.blocks == 0 {
            0.0
        } else {
            self.sum_ms / f64::from(self.blocks)
        };
        Verdict {
            passed,
            blocks: self.blocks,
            fraction,
            level_dbfs: mean_square_dbfs(mean),
        }
    }
}

/// RMS level in dBFS, where a full-scale square wave is 0 dBFS (so a full-scale sine is about
/// -3 dBFS). Silence and empty input give [`MIN_DBFS`].
pub fn rms_dbfs(samples: &[i16]) -> f64 {
    mean_square_dbfs(mean_square(samples))
}

/// A mean square (full-scale units) in dBFS, floored at [`MIN_DBFS`].
pub fn mean_square_dbfs(ms: f64) -> f64 {
    if ms <= 0.0 {
        return MIN_DBFS;
    }
    (10.0 * ms.log10()).max(MIN_DBFS)
}

/// Read a WAV file (any rate; 8/16/24/32-bit integer or 32-bit float; mono or the first
/// channel) → (samples as `i16`, rate). For tests and `expect-audio`.
pub fn read_wav(path: &Path) -> Result<(Vec<i16>, u32), AudioError> {
    crate::media::audio::wav::read_all(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(rate: u32, hz: f64, amp: f64, n: usize) -> Vec<i16> {
        (0..n)
            .map(|i| {
                (amp * 32767.0 * (2.0 * std::f64::consts::PI * hz * i as f64 / rate as f64).sin())
                    as i16
            })
            .collect()
    }

    #[test]
    fn goertzel_reads_as_mean_square() {
        let t = tone(8000, 440.0, 0.5, 8000);
        let p = goertzel_power(&t, 8000, 440.0);
        assert!((p - 0.125).abs() < 0.002, "{p}");
        assert!(goertzel_power(&t, 8000, 1000.0) < 1e-5);
        assert_eq!(goertzel_power(&[], 8000, 440.0), 0.0);
    }

    #[test]
    fn fraction_of_blocks() {
        let mut s = tone(8000, 440.0, 0.3, 4000); // 25 blocks of tone
        s.extend(vec![0i16; 4000]); // 25 blocks of silence
        let f = tone_fraction(&s, 8000, 440.0);
        assert!((f - 0.5).abs() < 0.03, "{f}");
        assert!(tone_fraction(&s, 8000, 600.0) < 0.01);
        // Shorter than one block: nothing to judge.
        assert_eq!(tone_fraction(&s[..100], 8000, 440.0), 0.0);
    }

    #[test]
    fn fraction_rejects_noise_and_near_tones() {
        let mut x: u32 = 12345;
        let noise: Vec<i16> = (0..16000)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                ((x >> 16) as i16) / 4
            })
            .collect();
        assert!(tone_fraction(&noise, 16000, 440.0) < 0.05);
        let t = tone(16000, 350.0, 0.3, 16000);
        assert!(tone_fraction(&t, 16000, 440.0) < 0.05);
    }

    fn judge(check: AudioCheck, samples: &[i16], rate: u32) -> Verdict {
        let mut a = AudioAnalyzer::new(check);
        for b in samples.chunks_exact((rate / 50) as usize) {
            a.push(b, rate);
        }
        a.verdict()
    }

    #[test]
    fn analyzer_hears_the_right_tone() {
        let t = tone(8000, 440.0, 0.3, 8000); // 50 blocks
        let v = judge(AudioCheck::Tone(440), &t, 8000);
        assert!(v.passed, "{v:?}");
        assert_eq!(v.blocks, 50);
        assert!(v.fraction > 0.95, "{v:?}");
        assert!((v.level_dbfs - (-13.5)).abs() < 0.5, "{v:?}");
        let v = judge(AudioCheck::Tone(1000), &t, 8000);
        assert!(!v.passed, "{v:?}");
        assert!(v.fraction < 0.05, "{v:?}");
        // Same at 48 kHz (Opus's PCM rate).
        let t = tone(48_000, 440.0, 0.3, 48_000);
        assert!(judge(AudioCheck::Tone(440), &t, 48_000).passed);
        assert!(!judge(AudioCheck::Tone(1000), &t, 48_000).passed);
        // A tone is audible, and not silence.
        assert!(judge(AudioCheck::Speech, &t, 48_000).passed);
        assert!(!judge(AudioCheck::Silence, &t, 48_000).passed);
    }

    #[test]
    fn analyzer_needs_seventy_percent_of_blocks() {
        let mut s = tone(8000, 1000.0, 0.3, 160 * 6); // 6 blocks of tone
        s.extend(vec![0i16; 160 * 4]); // 4 blocks of silence
        let v = judge(AudioCheck::Tone(1000), &s, 8000);
        assert!(!v.passed && (v.fraction - 0.6).abs() < 0.01, "{v:?}");
        let mut a = AudioAnalyzer::new(AudioCheck::Tone(1000));
        for b in tone(8000, 1000.0, 0.3, 160 * 7).chunks_exact(160) {
            a.push(b, 8000);
        }
        a.push_silence();
        a.push_silence();
        a.push_silence();
        let v = a.verdict();
        assert!(v.passed && (v.fraction - 0.7).abs() < 0.01, "{v:?}");
    }

    #[test]
    fn analyzer_silence_and_speech() {
        let zeros = vec![0i16; 8000];
        let v = judge(AudioCheck::Silence, &zeros, 8000);
        assert!(v.passed, "{v:?}");
        assert_eq!(v.level_dbfs, MIN_DBFS);
        assert!(!judge(AudioCheck::Speech, &zeros, 8000).passed);
        assert!(!judge(AudioCheck::Tone(440), &zeros, 8000).passed);
        let mut a = AudioAnalyzer::new(AudioCheck::Silence);
        a.push_silence();
        assert!(a.verdict().passed);
        // One loud block among quiet ones breaks silence.
        let mut s = zeros.clone();
        s[..160].copy_from_slice(&tone(8000, 440.0, 0.1, 160));
        let v = judge(AudioCheck::Silence, &s, 8000);
        assert!(!v.passed && (v.fraction - 0.98).abs() < 0.001, "{v:?}");
        // Noise at about -30 dBFS is audible; at about -60 dBFS it is silence.
        let noise = |amp: i32| -> Vec<i16> {
            let mut x: u32 = 7;
            (0..8000)
                .map(|_| {
                    x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    (((x >> 16) as i32 % (2 * amp + 1)) - amp) as i16
                })
                .collect()
        };
        assert!(judge(AudioCheck::Speech, &noise(1800), 8000).passed);
        assert!(judge(AudioCheck::Silence, &noise(50), 8000).passed);
        // Nothing heard: no verdict can pass.
        let v = AudioAnalyzer::new(AudioCheck::Silence).verdict();
        assert!(!v.passed && v.blocks == 0);
    }

    #[test]
    fn levels() {
        assert_eq!(rms_dbfs(&[]), MIN_DBFS);
        assert_eq!(rms_dbfs(&[0; 100]), MIN_DBFS);
        let sq: Vec<i16> = (0..100)
            .map(|i| if i % 2 == 0 { i16::MAX } else { i16::MIN })
            .collect();
        assert!(rms_dbfs(&sq).abs() < 0.01);
        let t = tone(48_000, 1000.0, 1.0, 48_000);
        assert!((rms_dbfs(&t) + 3.01).abs() < 0.05);
    }
}
