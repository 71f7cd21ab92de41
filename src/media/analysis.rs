//! Signal analysis: Goertzel tone detection and levels (for tests and `expect-audio`).
//!
//! The Goertzel algorithm (G. Goertzel, "An algorithm for the evaluation of finite
//! trigonometric series", 1958; the detector of ITU-T Q.24-style DTMF receivers) evaluates a
//! single DFT term at any frequency. Here it is normalised so that it reads as mean-square
//! power in full-scale units (a full-scale sample is ±1.0): a pure tone of peak amplitude `A`
//! gives `A²/2`, the same as its mean square. That makes "how much of this block's energy is
//! at `hz`" a simple ratio.

use std::path::Path;

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
    let floor = 10f64.powf(TONE_FLOOR_DBFS / 10.0);
    let mut blocks = 0usize;
    let mut hits = 0usize;
    for b in samples.chunks_exact(block) {
        blocks += 1;
        let total = mean_square(b);
        if total > floor && goertzel_power(b, rate, hz) >= TONE_SHARE * total {
            hits += 1;
        }
    }
    hits as f64 / blocks as f64
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
