//! Opus over RTP (RFC 7587) through the `opus` crate (libopus): mono, 48 kHz, 20 ms frames.

use super::{CodecError, Decoder, Encoder};

/// Opus encoder.
pub struct OpusEncoder {}

impl OpusEncoder {
    /// New VoIP-tuned encoder.
    pub fn new() -> Result<Self, CodecError> {
        todo!("opus encoder")
    }
}

impl Encoder for OpusEncoder {
    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) -> Result<(), CodecError> {
        let _ = (pcm, out);
        todo!("opus encode")
    }
}

/// Opus decoder.
pub struct OpusDecoder {}

impl OpusDecoder {
    /// New decoder.
    pub fn new() -> Result<Self, CodecError> {
        todo!("opus decoder")
    }
}

impl Decoder for OpusDecoder {
    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<usize, CodecError> {
        let _ = (payload, out);
        todo!("opus decode")
    }
    fn conceal(&mut self, out: &mut Vec<i16>) -> Result<usize, CodecError> {
        let _ = out;
        todo!("opus conceal")
    }
}
