//! G.711 µ-law and A-law (ITU-T G.711), with our own tables.

use super::{CodecError, Decoder, Encoder};

/// Which companding law.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Law {
    /// µ-law (PCMU).
    Mu,
    /// A-law (PCMA).
    A,
}

/// G.711 encoder.
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
        let _ = (pcm, out, self.law);
        todo!("g711 encode")
    }
}

/// G.711 decoder.
pub struct G711Decoder {
    law: Law,
}

impl G711Decoder {
    /// New decoder.
    pub fn new(law: Law) -> Self {
        G711Decoder { law }
    }
}

impl Decoder for G711Decoder {
    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<usize, CodecError> {
        let _ = (payload, out, self.law);
        todo!("g711 decode")
    }
    fn conceal(&mut self, out: &mut Vec<i16>) -> Result<usize, CodecError> {
        let _ = out;
        todo!("g711 conceal")
    }
}
