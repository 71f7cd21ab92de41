//! G.711 µ-law and A-law (ITU-T Recommendation G.711, 11/88, tables 1a/1b and 2a/2b; RTP
//! payload formats PCMU and PCMA, RFC 3551 §4.5.14), with our own arithmetic.
//!
//! # Which reference we match
//!
//! Encoding and decoding are bit-exact with the ITU-T G.191 Software Tool Library (STL)
//! `g711.c` on every one of the 65 536 16-bit inputs and all 256 codes (see
//! `tests/g711_itu.rs`, which checks the STL `sweep` vectors and full tables in
//! `shared/corpora/g711/`). Like the STL, the magnitude of a negative sample is taken as its
//! one's complement (`!x`, i.e. `-x - 1`), so e.g. µ-law encodes -1..=-3 as `0x7F`. The
//! widespread Sun `g711.c` (and Python's `audioop`) use the two's complement for µ-law and
//! differ from the STL on 508 negative inputs that sit exactly on decision thresholds; A-law
//! and all decoding agree between the two. We follow the ITU reference.
//!
//! Linear samples are 16-bit, left-justified: the 14-bit (µ-law) or 13-bit (A-law) G.711
//! linear range is scaled by 4 or 8 on decode, and the extra low bits are ignored on encode.
//!
//! # Loss concealment
//!
//! [`G711Decoder::conceal`] follows the method of G.711 Appendix I (our own code, not the
//! reference implementation, and without its 3.75 ms output delay): estimate the pitch
//! period from the last 48.75 ms by normalised cross-correlation, repeat the last pitch
//! period (two, then three periods as the gap passes 10 and 20 ms) with a quarter-period
//! cross-fade at the wrap, hold the level for 10 ms and fade it linearly to silence at
//! 60 ms; when packets return, cross-fade from the concealment into the decoded audio over
//! 4–10 ms.

use super::{CodecError, Decoder, Encoder};

/// Which companding law.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Law {
    /// µ-law (PCMU).
    Mu,
    /// A-law (PCMA).
    A,
}

/// Samples in one 20 ms G.711 frame (8 kHz).
pub const FRAME_SAMPLES: usize = 160;

/// µ-law bias (G.711 table 2a: decision values are offset by 33 in 14-bit units).
const MU_BIAS: i32 = 33;
/// Largest biased 14-bit µ-law magnitude (the top of segment 7).
const MU_CLIP: i32 = 0x1FFF;

/// Encode one 16-bit linear sample to a µ-law code (G.711 table 2a, STL-exact).
#[inline]
pub const fn linear_to_ulaw(x: i16) -> u8 {
    // One's-complement magnitude in 14-bit units (0..=8191).
    let mag = if x < 0 { (!x) >> 2 } else { x >> 2 } as i32;
    let mut biased = mag + MU_BIAS;
    if biased > MU_CLIP {
        biased = MU_CLIP;
    }
    // biased >= 33, so its top set bit is at position 5..=12; segment = position - 5.
    let seg = (31 - (biased as u32).leading_zeros()) - 5;
    let mant = (biased >> (seg + 1)) & 0x0F;
    // Codes are transmitted with all bits inverted; the sign bit is 1 for x >= 0.
    let code = !(((seg as i32) << 4) | mant) & 0x7F;
    if x >= 0 {
        (code | 0x80) as u8
    } else {
        code as u8
    }
}

/// Decode one µ-law code to a 16-bit linear sample (G.711 table 2a, STL-exact).
#[inline]
pub const fn ulaw_to_linear(code: u8) -> i16 {
    let c = !code;
    let seg = ((c >> 4) & 0x07) as i32;
    let mant = (c & 0x0F) as i32;
    // Reconstruction value in 16-bit units: ((2·mant + 33) · 2^seg − 33) · 4.
    let mag = (((mant << 3) + (MU_BIAS << 2)) << seg) - (MU_BIAS << 2);
    if c & 0x80 != 0 {
        -mag as i16
    } else {
        mag as i16
    }
}

/// Encode one 16-bit linear sample to an A-law code (G.711 table 1a, STL-exact).
#[inline]
pub const fn linear_to_alaw(x: i16) -> u8 {
    // One's-complement magnitude, 12 bits with the segment-0 LSB already dropped (0..=2047).
    let mag = (if x < 0 { (!x) >> 4 } else { x >> 4 }) as i32;
    let code = if mag < 16 {
        mag
    } else {
        // mag in [16·2^(s-1), 32·2^(s-1)) for segment s in 1..=7.
        let seg = (31 - (mag as u32).leading_zeros()) - 3;
        ((seg as i32) << 4) | ((mag >> (seg - 1)) & 0x0F)
    };
    let signed = if x >= 0 { code | 0x80 } else { code };
    // Even bits are inverted on the line (G.711 §2: "alternate digit inversion").
    (signed ^ 0x55) as u8
}

/// Decode one A-law code to a 16-bit linear sample (G.711 table 1a, STL-exact).
#[inline]
pub const fn alaw_to_linear(code: u8) -> i16 {
    let c = code ^ 0x55;
    let seg = ((c >> 4) & 0x07) as i32;
    let mant = (c & 0x0F) as i32;
    // Reconstruction at the middle of the interval, in 16-bit units.
    let mag = if seg == 0 {
        (mant << 4) + 8
    } else {
        ((mant << 4) + 0x108) << (seg - 1)
    };
    if c & 0x80 != 0 {
        mag as i16
    } else {
        -mag as i16
    }
}

const fn build_table(law: Law) -> [i16; 256] {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = match law {
            Law::Mu => ulaw_to_linear(i as u8),
            Law::A => alaw_to_linear(i as u8),
        };
        i += 1;
    }
    t
}

/// µ-law decode table, code → linear (built at compile time from [`ulaw_to_linear`]).
pub static ULAW_DECODE: [i16; 256] = build_table(Law::Mu);
/// A-law decode table, code → linear (built at compile time from [`alaw_to_linear`]).
pub static ALAW_DECODE: [i16; 256] = build_table(Law::A);

impl Law {
    /// Encode one sample.
    #[inline]
    pub fn encode_sample(self, x: i16) -> u8 {
        match self {
            Law::Mu => linear_to_ulaw(x),
            Law::A => linear_to_alaw(x),
        }
    }

    /// Decode one code.
    #[inline]
    pub fn decode_sample(self, code: u8) -> i16 {
        match self {
            Law::Mu => ULAW_DECODE[code as usize],
            Law::A => ALAW_DECODE[code as usize],
        }
    }

    /// The code for digital silence (what 0 encodes to).
    pub fn silence_code(self) -> u8 {
        self.encode_sample(0)
    }
}

/// G.711 encoder. Stateless: G.711 is sample-by-sample, so any number of samples is accepted
/// (the media task sends 160 = 20 ms).
pub struct G711Encoder {
    law: Law,
}

impl G711Encoder {
    /// New encoder.
    pub fn new(law: Law) -> Self {
        G711Encoder { law }
    }
}

impl Encoder for G711Encoder {
    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) -> Result<(), CodecError> {
        let law = self.law;
        out.extend(pcm.iter().map(|&x| law.encode_sample(x)));
        Ok(())
    }
}

/// History kept for concealment: 48.75 ms at 8 kHz, enough for three periods of the
/// longest pitch plus the overlap (the figure G.711 Appendix I uses).
pub const HISTORY: usize = 390;
/// Pitch search range in samples (66–200 Hz at 8 kHz).
const MIN_PITCH: usize = 40;
const MAX_PITCH: usize = 120;
/// Window over which the pitch correlation is taken (20 ms).
const CORR_WINDOW: usize = 160;
/// Erasure after which the output has faded to silence (60 ms); the fade starts at 10 ms.
const FADE_START: usize = 80;
const FADE_END: usize = 480;

/// State of an ongoing erasure.
#[derive(Clone, Copy, Debug)]
struct Erasure {
    /// Estimated pitch period, samples.
    pitch: usize,
    /// Periods currently being repeated (1, 2 or 3; more as the erasure lengthens).
    periods: usize,
    /// Position inside the repeated stretch `hist[HISTORY - periods·pitch ..]`.
    pos: usize,
    /// Samples concealed so far in this erasure.
    elapsed: usize,
}

/// G.711 decoder with pitch-repetition concealment (after the method of G.711 Appendix I).
pub struct G711Decoder {
    law: Law,
    /// The last [`HISTORY`] samples really decoded (zeros before the first packet).
    hist: [i16; HISTORY],
    /// Whether any packet was decoded yet.
    primed: bool,
    /// Some while packets are being concealed.
    erasure: Option<Erasure>,
}

impl G711Decoder {
    /// New decoder.
    pub fn new(law: Law) -> Self {
        G711Decoder {
            law,
            hist: [0; HISTORY],
            primed: false,
            erasure: None,
        }
    }

    fn push_history(&mut self, pcm: &[i16]) {
        let n = pcm.len().min(HISTORY);
        self.hist.copy_within(n.., 0);
        self.hist[HISTORY - n..].copy_from_slice(&pcm[pcm.len() - n..]);
    }

    /// The lag in `MIN_PITCH..=MAX_PITCH` that best predicts the last 20 ms from the audio
    /// one lag earlier (normalised cross-correlation).
    fn estimate_pitch(&self) -> usize {
        let x = &self.hist;
        let end = HISTORY;
        let win = &x[end - CORR_WINDOW..end];
        let mut best = (MAX_PITCH, f64::MIN);
        for lag in MIN_PITCH..=MAX_PITCH {
            let past = &x[end - CORR_WINDOW - lag..end - lag];
            let (mut xy, mut yy) = (0f64, 0f64);
            for (&a, &b) in win.iter().zip(past) {
                xy += a as f64 * b as f64;
                yy += b as f64 * b as f64;
            }
            let score = if yy > 0.0 { xy / yy.sqrt() } else { 0.0 };
            if score > best.1 {
                best = (lag, score);
            }
        }
        best.0
    }

    /// Sample `pos` of the stretch being repeated: the last `len` samples of history, with the
    /// last quarter-pitch cross-faded into what preceded the stretch so that the wrap from
    /// its end back to its start is smooth.
    fn stretch_sample(&self, len: usize, overlap: usize, pos: usize) -> f32 {
        let base = HISTORY - len;
        let s = self.hist[base + pos] as f32;
        let into_tail = pos + overlap;
        if into_tail < len {
            return s;
        }
        // pos is within the last `overlap` samples: blend towards the samples that precede
        // the stretch, which lead naturally into its first sample.
        let m = into_tail - len; // 0..overlap
        let w = (m + 1) as f32 / (overlap + 1) as f32;
        let before = self.hist[base - overlap + m] as f32;
        s * (1.0 - w) + before * w
    }

    /// The next concealment sample (advances the erasure state), gain applied.
    fn next_concealed(&self, e: &mut Erasure) -> f32 {
        // Repeat more periods as the erasure grows (1 for the first 10 ms, then 2, then 3),
        // which keeps long gaps from sounding buzzy. The longer stretch ends with the same
        // samples, so the current position maps across without a jump.
        let want = (1 + e.elapsed / 80).min(3);
        if want > e.periods {
            e.pos += (want - e.periods) * e.pitch;
            e.periods = want;
        }
        let len = e.periods * e.pitch;
        let v = self.stretch_sample(len, e.pitch / 4, e.pos);
        e.pos += 1;
        if e.pos >= len {
            e.pos = 0;
        }
        let gain = if e.elapsed < FADE_START {
            1.0
        } else if e.elapsed >= FADE_END {
            0.0
        } else {
            1.0 - (e.elapsed - FADE_START) as f32 / (FADE_END - FADE_START) as f32
        };
        e.elapsed += 1;
        v * gain
    }
}

impl Decoder for G711Decoder {
    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<usize, CodecError> {
        let law = self.law;
        out.clear();
        out.extend(payload.iter().map(|&c| law.decode_sample(c)));
        if let Some(mut e) = self.erasure.take() {
            // Cross-fade from the concealment into the real signal: 4 ms after a 10 ms gap,
            // 4 ms more per further 10 ms, at most 10 ms (G.711 Appendix I's schedule).
            let ramp = (32 + 32 * (e.elapsed / 80).saturating_sub(1))
                .min(80)
                .min(out.len());
            for (i, s) in out.iter_mut().take(ramp).enumerate() {
                let w = (i + 1) as f32 / (ramp + 1) as f32;
                let v = self.next_concealed(&mut e) * (1.0 - w) + *s as f32 * w;
                *s = v.round().clamp(i16::MIN as f32, i16::MAX as f32) as i16;
            }
        }
        self.push_history(out);
        self.primed = true;
        Ok(out.len())
    }

    fn conceal(&mut self, out: &mut Vec<i16>) -> Result<usize, CodecError> {
        out.clear();
        if !self.primed {
            out.resize(FRAME_SAMPLES, 0);
            return Ok(FRAME_SAMPLES);
        }
        let mut e = match self.erasure {
            Some(e) => e,
            None => Erasure {
                pitch: self.estimate_pitch(),
                periods: 1,
                pos: 0,
                elapsed: 0,
            },
        };
        for _ in 0..FRAME_SAMPLES {
            let v = self.next_concealed(&mut e);
            out.push(v.round().clamp(i16::MIN as f32, i16::MAX as f32) as i16);
        }
        self.erasure = Some(e);
        Ok(FRAME_SAMPLES)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes() {
        // G.711 table 2a/1a spot checks (and what every PBX sends for silence).
        assert_eq!(linear_to_ulaw(0), 0xFF);
        assert_eq!(linear_to_alaw(0), 0xD5);
        assert_eq!(ulaw_to_linear(0x00), -32124);
        assert_eq!(ulaw_to_linear(0x80), 32124);
        assert_eq!(ulaw_to_linear(0xFF), 0);
        assert_eq!(ulaw_to_linear(0x7F), 0);
        assert_eq!(alaw_to_linear(0x55), -8);
        assert_eq!(alaw_to_linear(0xD5), 8);
        assert_eq!(alaw_to_linear(0x2A), -32256);
        assert_eq!(alaw_to_linear(0xAA), 32256);
        assert_eq!(linear_to_ulaw(i16::MAX), 0x80);
        assert_eq!(linear_to_ulaw(i16::MIN), 0x00);
        assert_eq!(linear_to_alaw(i16::MAX), 0xAA);
        assert_eq!(linear_to_alaw(i16::MIN), 0x2A);
    }

    #[test]
    fn decode_then_encode_is_identity_on_codes() {
        for c in 0..=255u8 {
            // µ-law 0x7F (negative zero) re-encodes as 0xFF (positive zero).
            let want_mu = if c == 0x7F { 0xFF } else { c };
            assert_eq!(linear_to_ulaw(ulaw_to_linear(c)), want_mu, "mu {c:#x}");
            assert_eq!(linear_to_alaw(alaw_to_linear(c)), c, "a {c:#x}");
        }
    }

    #[test]
    fn encoder_appends_and_decoder_clears() {
        let mut enc = G711Encoder::new(Law::Mu);
        let mut out = vec![1u8, 2];
        enc.encode(&[0; 160], &mut out).unwrap();
        assert_eq!(out.len(), 162);
        let mut dec = G711Decoder::new(Law::Mu);
        let mut pcm = vec![7i16; 3];
        assert_eq!(dec.decode(&out[2..], &mut pcm).unwrap(), 160);
        assert_eq!(pcm, vec![0i16; 160]);
    }

    fn sine(hz: f64, from: usize, n: usize) -> Vec<i16> {
        (from..from + n)
            .map(|i| (8000.0 * (std::f64::consts::TAU * hz * i as f64 / 8000.0).sin()) as i16)
            .collect()
    }

    fn encode(law: Law, pcm: &[i16]) -> Vec<u8> {
        pcm.iter().map(|&x| law.encode_sample(x)).collect()
    }

    #[test]
    fn conceal_continues_the_pitch_then_fades_to_silence() {
        let mut dec = G711Decoder::new(Law::A);
        let mut pcm = Vec::new();
        // Before any packet: silence.
        assert_eq!(dec.conceal(&mut pcm).unwrap(), 160);
        assert!(pcm.iter().all(|&s| s == 0));
        // 160 Hz: a pitch period of 50 samples.
        for f in 0..5 {
            dec.decode(&encode(Law::A, &sine(160.0, f * 160, 160)), &mut pcm)
                .unwrap();
        }
        assert_eq!(dec.estimate_pitch() % 50, 0);
        dec.conceal(&mut pcm).unwrap();
        // The first 10 ms follow the true continuation closely.
        let truth = sine(160.0, 800, 160);
        let err = pcm[..80]
            .iter()
            .zip(&truth)
            .map(|(&a, &b)| (a as i32 - b as i32).abs())
            .max()
            .unwrap();
        assert!(err < 600, "max error {err}");
        // Then it fades: 20-40 ms quieter than 0-20 ms, 40-60 ms quieter still, then silence.
        let peak = |p: &[i16]| p.iter().map(|s| s.unsigned_abs()).max().unwrap();
        let p1 = peak(&pcm);
        dec.conceal(&mut pcm).unwrap();
        let p2 = peak(&pcm);
        dec.conceal(&mut pcm).unwrap();
        let p3 = peak(&pcm);
        assert!(p1 > p2 && p2 > p3 && p3 > 0, "{p1} {p2} {p3}");
        dec.conceal(&mut pcm).unwrap();
        assert!(pcm.iter().all(|&s| s == 0));
    }

    #[test]
    fn recovery_cross_fades_without_a_jump() {
        let mut dec = G711Decoder::new(Law::Mu);
        let mut pcm = Vec::new();
        for f in 0..3 {
            dec.decode(&encode(Law::Mu, &sine(200.0, f * 160, 160)), &mut pcm)
                .unwrap();
        }
        dec.conceal(&mut pcm).unwrap();
        let last = *pcm.last().unwrap();
        // Packets resume with a signal in opposite phase: the ramp hides the jump.
        let back = sine(200.0, 640 + 20, 160);
        dec.decode(&encode(Law::Mu, &back), &mut pcm).unwrap();
        assert!(
            (pcm[0] as i32 - last as i32).abs() < 1500,
            "{last} -> {}",
            pcm[0]
        );
        // After the ramp the decoded signal is untouched.
        let tail: Vec<i16> = back[80..]
            .iter()
            .map(|&x| Law::Mu.decode_sample(Law::Mu.encode_sample(x)))
            .collect();
        assert_eq!(&pcm[80..], &tail[..]);
        // And a new loss starts a new erasure at full level.
        dec.conceal(&mut pcm).unwrap();
        assert!(pcm.iter().map(|s| s.unsigned_abs()).max().unwrap() > 6000);
    }

    #[test]
    fn short_packets_keep_the_latest_samples_for_plc() {
        let mut dec = G711Decoder::new(Law::Mu);
        let mut pcm = Vec::new();
        let a: Vec<u8> = vec![linear_to_ulaw(1000); 160];
        let b: Vec<u8> = vec![linear_to_ulaw(-1000); 80];
        dec.decode(&a, &mut pcm).unwrap();
        dec.decode(&b, &mut pcm).unwrap();
        let h = &dec.hist;
        assert!(h[HISTORY - 80..].iter().all(|&x| x < -900));
        assert!(h[HISTORY - 240..HISTORY - 80].iter().all(|&x| x > 900));
        assert!(h[..HISTORY - 240].iter().all(|&x| x == 0));
    }
}
