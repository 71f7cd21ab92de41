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
//! [`G711Decoder::conceal`] is deliberately simple (not the pitch-based PLC of G.711
//! Appendix I): it repeats the last decoded 20 ms frame with a gain that falls linearly from
//! 1 to 0 over [`FADE_FRAMES`] consecutive lost frames, then gives silence.

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

/// Consecutive concealed frames over which the repeated frame fades to silence (100 ms).
pub const FADE_FRAMES: u32 = 5;

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

/// G.711 decoder with repeat-and-fade concealment.
pub struct G711Decoder {
    law: Law,
    /// The last 20 ms that was decoded (zeros before the first packet).
    last: [i16; FRAME_SAMPLES],
    /// Consecutive frames concealed since the last real packet.
    lost_run: u32,
}

impl G711Decoder {
    /// New decoder.
    pub fn new(law: Law) -> Self {
        G711Decoder {
            law,
            last: [0; FRAME_SAMPLES],
            lost_run: 0,
        }
    }
}

impl Decoder for G711Decoder {
    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<usize, CodecError> {
        let law = self.law;
        out.clear();
        out.extend(payload.iter().map(|&c| law.decode_sample(c)));
        // Remember the most recent 20 ms for concealment (zero-padded at the front if the
        // packet was shorter than a frame).
        let n = out.len().min(FRAME_SAMPLES);
        if n < FRAME_SAMPLES {
            self.last.copy_within(n.., 0);
        }
        self.last[FRAME_SAMPLES - n..].copy_from_slice(&out[out.len() - n..]);
        self.lost_run = 0;
        Ok(out.len())
    }

    fn conceal(&mut self, out: &mut Vec<i16>) -> Result<usize, CodecError> {
        out.clear();
        let k = self.lost_run;
        self.lost_run = self.lost_run.saturating_add(1);
        if k >= FADE_FRAMES {
            out.resize(FRAME_SAMPLES, 0);
            return Ok(FRAME_SAMPLES);
        }
        // Gain falls linearly from (F-k)/F to (F-k-1)/F across this frame.
        let fade = FADE_FRAMES as f32;
        let g0 = (FADE_FRAMES - k) as f32 / fade;
        let step = 1.0 / (fade * FRAME_SAMPLES as f32);
        out.extend(
            self.last
                .iter()
                .enumerate()
                .map(|(i, &s)| (s as f32 * (g0 - step * i as f32)).round() as i16),
        );
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

    #[test]
    fn conceal_repeats_then_fades_to_silence() {
        let mut dec = G711Decoder::new(Law::A);
        let mut pcm = Vec::new();
        // Before any packet: silence.
        assert_eq!(dec.conceal(&mut pcm).unwrap(), 160);
        assert!(pcm.iter().all(|&s| s == 0));
        let mut dec = G711Decoder::new(Law::A);
        let frame: Vec<u8> = (0..160).map(|_| linear_to_alaw(10_000)).collect();
        dec.decode(&frame, &mut pcm).unwrap();
        let level = pcm[0] as f32;
        dec.conceal(&mut pcm).unwrap();
        assert_eq!(pcm.len(), 160);
        assert_eq!(pcm[0] as f32, level);
        let mut prev_end = pcm[159];
        for _ in 1..FADE_FRAMES {
            dec.conceal(&mut pcm).unwrap();
            assert!(pcm[0] <= prev_end + 100 && pcm[159] < pcm[0]);
            prev_end = pcm[159];
        }
        dec.conceal(&mut pcm).unwrap();
        assert!(pcm.iter().all(|&s| s == 0));
        // A real packet resets the fade.
        dec.decode(&frame, &mut pcm).unwrap();
        dec.conceal(&mut pcm).unwrap();
        assert_eq!(pcm[0] as f32, level);
    }

    #[test]
    fn short_packets_keep_the_latest_samples_for_plc() {
        let mut dec = G711Decoder::new(Law::Mu);
        let mut pcm = Vec::new();
        let a: Vec<u8> = vec![linear_to_ulaw(1000); 160];
        let b: Vec<u8> = vec![linear_to_ulaw(-1000); 80];
        dec.decode(&a, &mut pcm).unwrap();
        dec.decode(&b, &mut pcm).unwrap();
        dec.conceal(&mut pcm).unwrap();
        assert!(pcm[0] > 0 && pcm[100] < 0);
    }
}
