//! Sample-rate conversion between audio ends and codecs, one 20 ms frame at a time.
//!
//! [`Resampler`] wraps rubato's synchronous FFT resampler (`FftFixedInOut`: overlap-add of
//! FFT blocks with a Blackman-Harris windowed-sinc anti-aliasing filter). Because both rates
//! are whole multiples of 50 Hz, one 20 ms block in (`from_rate / 50` samples) gives exactly
//! one 20 ms block out (`to_rate / 50` samples), so the media task's frame clock stays
//! intact. The latency is fixed at half an output frame (10 ms, [`Resampler::delay`]).
//!
//! [`resample_buffer`] converts a whole buffer at once for any pair of rates (used when a WAV
//! file is loaded at a rate that has no whole 20 ms frames, e.g. 11025 Hz).

use rubato::Resampler as _;

/// Rates that cannot be converted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResampleError {
    /// A rate of zero, or one without a whole number of samples in 20 ms.
    #[error("sample rate {0} Hz is not supported (it must be a positive multiple of 50 Hz)")]
    BadRate(u32),
    /// rubato refused the pair of rates.
    #[error("cannot resample from {from} Hz to {to} Hz: {reason}")]
    Construction {
        /// Input rate.
        from: u32,
        /// Output rate.
        to: u32,
        /// What rubato said.
        reason: String,
    },
}

enum Inner {
    Passthrough,
    Fft {
        fft: Box<rubato::FftFixedInOut<f32>>,
        input: Vec<f32>,
        output: Vec<f32>,
    },
}

/// Converts 20 ms frames of mono `i16` from one rate to another (passthrough when equal).
pub struct Resampler {
    from_rate: u32,
    to_rate: u32,
    inner: Inner,
}

const SCALE: f32 = 32768.0;

#[inline]
fn to_i16(x: f32) -> i16 {
    (x * SCALE).round().clamp(i16::MIN as f32, i16::MAX as f32) as i16
}

impl Resampler {
    /// A resampler from `from_rate` to `to_rate`; both must be positive multiples of 50 Hz.
    pub fn new(from_rate: u32, to_rate: u32) -> Result<Resampler, ResampleError> {
        for r in [from_rate, to_rate] {
            if r == 0 || r % 50 != 0 {
                return Err(ResampleError::BadRate(r));
            }
        }
        let inner = if from_rate == to_rate {
            Inner::Passthrough
        } else {
            let in_len = (from_rate / 50) as usize;
            let fft =
                rubato::FftFixedInOut::<f32>::new(from_rate as usize, to_rate as usize, in_len, 1)
                    .map_err(|e| ResampleError::Construction {
                        from: from_rate,
                        to: to_rate,
                        reason: e.to_string(),
                    })?;
            // With both rates multiples of 50, gcd(from, to) is too, so the FFT block is
            // exactly one 20 ms frame on each side.
            debug_assert_eq!(fft.input_frames_next(), in_len);
            debug_assert_eq!(fft.output_frames_next(), (to_rate / 50) as usize);
            Inner::Fft {
                input: vec![0.0; fft.input_frames_next()],
                output: vec![0.0; fft.output_frames_next()],
                fft: Box::new(fft),
            }
        };
        Ok(Resampler {
            from_rate,
            to_rate,
            inner,
        })
    }

    /// Input rate.
    pub fn from_rate(&self) -> u32 {
        self.from_rate
    }

    /// Output rate.
    pub fn to_rate(&self) -> u32 {
        self.to_rate
    }

    /// Fixed delay added, in output samples (0 for passthrough, else half an output frame).
    pub fn delay(&self) -> usize {
        match &self.inner {
            Inner::Passthrough => 0,
            Inner::Fft { fft, .. } => fft.output_delay(),
        }
    }

    /// Convert one 20 ms frame: `input` should hold `from_rate / 50` samples (a shorter one
    /// is padded with silence, a longer one cut). `out` is cleared, then receives exactly
    /// `to_rate / 50` samples. Does not allocate once `out` has grown to a frame.
    pub fn process(&mut self, input: &[i16], out: &mut Vec<i16>) {
        out.clear();
        match &mut self.inner {
            Inner::Passthrough => {
                let n = (self.to_rate / 50) as usize;
                out.extend_from_slice(&input[..input.len().min(n)]);
                out.resize(n, 0);
            }
            Inner::Fft {
                fft,
                input: buf_in,
                output: buf_out,
            } => {
                let n = input.len().min(buf_in.len());
                for (d, &s) in buf_in.iter_mut().zip(&input[..n]) {
                    *d = s as f32 / SCALE;
                }
                buf_in[n..].fill(0.0);
                let res = fft.process_into_buffer(
                    std::slice::from_ref(buf_in),
                    std::slice::from_mut(buf_out),
                    None,
                );
                // invariant: the buffers were sized from the resampler itself at construction
                // and never change, so rubato's size checks cannot fail.
                if res.is_err() {
                    buf_out.fill(0.0);
                }
                out.extend(buf_out.iter().map(|&x| to_i16(x)));
            }
        }
    }
}

/// Convert a whole buffer from `from_rate` to `to_rate` (any positive rates), compensating
/// the resampler's delay so the output lines up with the input; the output has
/// `round(len · to / from)` samples. Meant for loading files, not for the real-time path.
pub fn resample_buffer(
    input: &[i16],
    from_rate: u32,
    to_rate: u32,
) -> Result<Vec<i16>, ResampleError> {
    for r in [from_rate, to_rate] {
        if r == 0 {
            return Err(ResampleError::BadRate(r));
        }
    }
    if from_rate == to_rate {
        return Ok(input.to_vec());
    }
    let want =
        ((input.len() as u64 * to_rate as u64 + from_rate as u64 / 2) / from_rate as u64) as usize;
    let chunk = 1024;
    let construction = |reason: String| ResampleError::Construction {
        from: from_rate,
        to: to_rate,
        reason,
    };
    let mut fft = rubato::FftFixedIn::<f32>::new(from_rate as usize, to_rate as usize, chunk, 1, 1)
        .map_err(|e| construction(e.to_string()))?;
    let delay = fft.output_delay();
    let mut out_f = Vec::with_capacity(want + delay + fft.output_frames_max());
    let mut block_in = vec![0.0f32; chunk];
    let mut block_out = vec![0.0f32; fft.output_frames_max()];
    let mut pos = 0;
    while out_f.len() < want + delay {
        let n = input.len().saturating_sub(pos).min(chunk);
        for (d, &s) in block_in.iter_mut().zip(&input[pos..pos + n]) {
            *d = s as f32 / SCALE;
        }
        block_in[n..].fill(0.0);
        pos += n;
        let (_, produced) = fft
            .process_into_buffer(
                std::slice::from_ref(&block_in),
                std::slice::from_mut(&mut block_out),
                None,
            )
            .map_err(|e| construction(e.to_string()))?;
        out_f.extend_from_slice(&block_out[..produced]);
    }
    Ok(out_f[delay..delay + want]
        .iter()
        .map(|&x| to_i16(x))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::analysis::{goertzel_power, rms_dbfs};

    fn tone(rate: u32, hz: f64, n: usize) -> Vec<i16> {
        (0..n)
            .map(|i| {
                (10_000.0 * (2.0 * std::f64::consts::PI * hz * i as f64 / rate as f64).sin()) as i16
            })
            .collect()
    }

    #[test]
    fn frame_sizes_for_common_pairs() {
        let rates = [8_000, 16_000, 22_050, 32_000, 44_100, 48_000];
        for &a in &rates {
            for &b in &rates {
                let mut r = Resampler::new(a, b).unwrap();
                let mut out = Vec::new();
                let input = vec![0i16; (a / 50) as usize];
                for _ in 0..3 {
                    r.process(&input, &mut out);
                    assert_eq!(out.len(), (b / 50) as usize, "{a}->{b}");
                }
            }
        }
    }

    #[test]
    fn bad_rates() {
        assert!(matches!(
            Resampler::new(0, 8000),
            Err(ResampleError::BadRate(0))
        ));
        assert!(matches!(
            Resampler::new(11_025, 8000),
            Err(ResampleError::BadRate(11_025))
        ));
    }

    #[test]
    fn passthrough_is_exact() {
        let mut r = Resampler::new(8000, 8000).unwrap();
        let input = tone(8000, 440.0, 160);
        let mut out = vec![5; 3];
        r.process(&input, &mut out);
        assert_eq!(out, input);
        assert_eq!(r.delay(), 0);
    }

    #[test]
    fn tone_survives_44k1_to_48k_and_level_is_kept() {
        let mut r = Resampler::new(44_100, 48_000).unwrap();
        let input = tone(44_100, 1000.0, 882 * 50);
        let mut all = Vec::new();
        let mut out = Vec::new();
        for f in input.chunks(882) {
            r.process(f, &mut out);
            all.extend_from_slice(&out);
        }
        let tail = &all[4800..];
        let p = goertzel_power(tail, 48_000, 1000.0);
        let total = tail
            .iter()
            .map(|&s| (s as f64 / 32768.0).powi(2))
            .sum::<f64>()
            / tail.len() as f64;
        assert!(p / total > 0.95, "{p} {total}");
        assert!((rms_dbfs(tail) - rms_dbfs(&input)).abs() < 0.5);
    }

    #[test]
    fn whole_buffer_any_rate() {
        let input = tone(11_025, 440.0, 11_025);
        let out = resample_buffer(&input, 11_025, 8000).unwrap();
        assert_eq!(out.len(), 8000);
        let p = goertzel_power(&out[400..7600], 8000, 440.0);
        let total = out[400..7600]
            .iter()
            .map(|&s| (s as f64 / 32768.0).powi(2))
            .sum::<f64>()
            / 7200.0;
        assert!(p / total > 0.95);
        // Aligned: the delay was removed, so the first zero crossing stays near the start.
        assert!(out[0].abs() < 1500, "{}", out[0]);
    }
}
