//! Opus over RTP (RFC 7587) through the `opus` crate (libopus, RFC 6716): mono, 48 kHz,
//! 20 ms frames.
//!
//! RFC 7587 §7 makes the SDP say `opus/48000/2` whatever is sent; we always encode mono
//! (`OPUS_APPLICATION_VOIP`, in-band FEC on, RFC 6716 §2.1.7) and decode to mono, which
//! libopus does for any packet, stereo or not (it downmixes). Lost packets are hidden by the
//! decoder's own PLC, or rebuilt from the next packet's in-band FEC data when the caller has
//! it ([`Decoder::recover`]).

use super::{CodecError, Decoder, Encoder};

/// PCM sample rate of the Opus encoder/decoder.
pub const RATE: u32 = 48_000;
/// Samples in one 20 ms frame at 48 kHz.
pub const FRAME_SAMPLES: usize = 960;
/// Largest Opus packet duration (120 ms, RFC 6716 §3.2.5) in samples at 48 kHz.
pub const MAX_PACKET_SAMPLES: usize = 5760;
/// Output buffer for one encoded frame: RFC 6716 §3.4 recommends at most 1275 bytes per
/// frame; 1500 leaves room and fits a single MTU.
pub const MAX_PAYLOAD: usize = 1500;
/// Expected loss we tell the encoder, so that it actually spends bits on in-band FEC.
pub const EXPECTED_LOSS_PERCENT: i32 = 10;

fn opus_err(e: opus::Error) -> CodecError {
    CodecError::Opus(e.to_string())
}

/// Opus encoder.
pub struct OpusEncoder {
    inner: opus::Encoder,
    scratch: Vec<u8>,
}

impl OpusEncoder {
    /// New VoIP-tuned encoder: mono, 48 kHz, in-band FEC on.
    pub fn new() -> Result<Self, CodecError> {
        let mut inner = opus::Encoder::new(RATE, opus::Channels::Mono, opus::Application::Voip)
            .map_err(opus_err)?;
        inner.set_inband_fec(true).map_err(opus_err)?;
        inner
            .set_packet_loss_perc(EXPECTED_LOSS_PERCENT)
            .map_err(opus_err)?;
        Ok(OpusEncoder {
            inner,
            scratch: vec![0; MAX_PAYLOAD],
        })
    }
}

impl Encoder for OpusEncoder {
    /// Encode one 20 ms frame (960 samples); any other legal Opus frame size (2.5, 5, 10, 40
    /// or 60 ms) is accepted too.
    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) -> Result<(), CodecError> {
        if !matches!(pcm.len(), 120 | 240 | 480 | 960 | 1920 | 2880) {
            return Err(CodecError::FrameSize {
                got: pcm.len(),
                expected: FRAME_SAMPLES,
            });
        }
        let n = self
            .inner
            .encode(pcm, &mut self.scratch)
            .map_err(opus_err)?;
        out.extend_from_slice(&self.scratch[..n]);
        Ok(())
    }
}

/// Opus decoder (mono output at 48 kHz).
pub struct OpusDecoder {
    inner: opus::Decoder,
}

impl OpusDecoder {
    /// New decoder.
    pub fn new() -> Result<Self, CodecError> {
        let inner = opus::Decoder::new(RATE, opus::Channels::Mono).map_err(opus_err)?;
        Ok(OpusDecoder { inner })
    }

    fn run(
        &mut self,
        input: &[u8],
        fec: bool,
        len: usize,
        out: &mut Vec<i16>,
    ) -> Result<usize, CodecError> {
        out.clear();
        out.resize(len, 0);
        let n = self.inner.decode(input, out, fec).map_err(opus_err)?;
        out.truncate(n);
        Ok(n)
    }
}

impl Decoder for OpusDecoder {
    /// Decode one packet (any duration up to 120 ms; stereo packets are downmixed).
    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<usize, CodecError> {
        if payload.is_empty() {
            // An empty payload would mean "lost" to libopus; treat it as such.
            return self.conceal(out);
        }
        self.run(payload, false, MAX_PACKET_SAMPLES, out)
    }

    /// 20 ms of libopus packet-loss concealment.
    fn conceal(&mut self, out: &mut Vec<i16>) -> Result<usize, CodecError> {
        self.run(&[], false, FRAME_SAMPLES, out)
    }

    /// Rebuild the lost 20 ms frame from the in-band FEC data carried in the packet that
    /// follows it (RFC 6716 §2.1.7); falls back to PLC when that packet has none.
    fn recover(&mut self, next_payload: &[u8], out: &mut Vec<i16>) -> Result<usize, CodecError> {
        if next_payload.is_empty() {
            return self.conceal(out);
        }
        self.run(next_payload, true, FRAME_SAMPLES, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(n: usize, start: usize) -> Vec<i16> {
        (start..start + n)
            .map(|i| {
                (10_000.0 * (2.0 * std::f64::consts::PI * 440.0 * i as f64 / 48_000.0).sin()) as i16
            })
            .collect()
    }

    #[test]
    fn round_trip_sizes() {
        let mut enc = OpusEncoder::new().unwrap();
        let mut dec = OpusDecoder::new().unwrap();
        let mut payload = Vec::new();
        let mut pcm = vec![1i16; 7];
        for f in 0..10 {
            payload.clear();
            enc.encode(&tone(960, f * 960), &mut payload).unwrap();
            assert!(!payload.is_empty() && payload.len() < 400);
            assert_eq!(dec.decode(&payload, &mut pcm).unwrap(), 960);
            assert_eq!(pcm.len(), 960);
        }
        assert_eq!(dec.conceal(&mut pcm).unwrap(), 960);
        assert_eq!(pcm.len(), 960);
        assert_eq!(dec.recover(&payload, &mut pcm).unwrap(), 960);
    }

    #[test]
    fn encode_appends() {
        let mut enc = OpusEncoder::new().unwrap();
        let mut payload = vec![0xAB];
        enc.encode(&tone(960, 0), &mut payload).unwrap();
        assert_eq!(payload[0], 0xAB);
        assert!(payload.len() > 1);
    }

    #[test]
    fn wrong_frame_size_is_an_error() {
        let mut enc = OpusEncoder::new().unwrap();
        let mut payload = Vec::new();
        assert!(matches!(
            enc.encode(&[0; 100], &mut payload),
            Err(CodecError::FrameSize { got: 100, .. })
        ));
    }

    #[test]
    fn stereo_packets_decode_to_mono() {
        let mut enc =
            opus::Encoder::new(RATE, opus::Channels::Stereo, opus::Application::Audio).unwrap();
        let interleaved: Vec<i16> = tone(960, 0).iter().flat_map(|&s| [s, s]).collect();
        let mut packet = vec![0u8; MAX_PAYLOAD];
        let mut dec = OpusDecoder::new().unwrap();
        let mut pcm = Vec::new();
        for _ in 0..5 {
            let n = enc.encode(&interleaved, &mut packet).unwrap();
            assert_eq!(dec.decode(&packet[..n], &mut pcm).unwrap(), 960);
        }
        let peak = pcm.iter().map(|s| s.unsigned_abs()).max().unwrap();
        assert!(peak > 5000, "{peak}");
    }

    #[test]
    fn garbage_is_an_opus_error_not_a_panic() {
        let mut dec = OpusDecoder::new().unwrap();
        let mut pcm = Vec::new();
        // TOC code 3 with a frame count of 0 is invalid (RFC 6716 §3.2.5).
        let r = dec.decode(&[0x03, 0x00], &mut pcm);
        assert!(matches!(r, Err(CodecError::Opus(_))), "{r:?}");
    }
}
