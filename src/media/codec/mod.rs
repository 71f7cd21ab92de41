//! Audio codecs: Opus (RFC 7587), G.711 µ-law/A-law (ITU-T G.711, RFC 3551 §4.5.14).
//!
//! Every codec works on 20 ms frames of mono `i16` PCM at its own [`CodecKind::pcm_rate`].
//! Encoders and decoders are plain values (no I/O, no clock); the media task owns them.

pub mod g711;
pub mod opus;

use std::fmt;
use std::str::FromStr;

/// The codecs sipline speaks.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum CodecKind {
    /// Opus, `opus/48000/2` in SDP (RFC 7587), sent mono.
    Opus,
    /// G.711 µ-law, static payload type 0.
    Pcmu,
    /// G.711 A-law, static payload type 8.
    Pcma,
}

impl CodecKind {
    /// All codecs in our default preference order.
    pub const ALL: [CodecKind; 3] = [CodecKind::Opus, CodecKind::Pcmu, CodecKind::Pcma];

    /// The encoding name as in `a=rtpmap` (compared case-insensitively).
    pub fn encoding_name(self) -> &'static str {
        match self {
            CodecKind::Opus => "opus",
            CodecKind::Pcmu => "PCMU",
            CodecKind::Pcma => "PCMA",
        }
    }

    /// RTP clock rate (RFC 7587 §4.1: always 48000 for Opus).
    pub fn clock_rate(self) -> u32 {
        match self {
            CodecKind::Opus => 48_000,
            CodecKind::Pcmu | CodecKind::Pcma => 8_000,
        }
    }

    /// Channel count as written in `a=rtpmap` (RFC 7587 §7: Opus is always `/2`).
    pub fn sdp_channels(self) -> Option<u32> {
        match self {
            CodecKind::Opus => Some(2),
            CodecKind::Pcmu | CodecKind::Pcma => None,
        }
    }

    /// Static payload type (RFC 3551 table 4), or the dynamic one we offer.
    pub fn default_pt(self) -> u8 {
        match self {
            CodecKind::Opus => 111,
            CodecKind::Pcmu => 0,
            CodecKind::Pcma => 8,
        }
    }

    /// Sample rate of the PCM the encoder takes and the decoder gives (mono).
    pub fn pcm_rate(self) -> u32 {
        match self {
            CodecKind::Opus => 48_000,
            CodecKind::Pcmu | CodecKind::Pcma => 8_000,
        }
    }

    /// PCM samples in one 20 ms frame.
    pub fn frame_samples(self) -> usize {
        (self.pcm_rate() / 50) as usize
    }

    /// RTP timestamp increment per 20 ms frame.
    pub fn frame_ticks(self) -> u32 {
        self.clock_rate() / 50
    }

    /// Name as shown to users and in events: `opus/48000/2`, `PCMU/8000`.
    pub fn display_name(self) -> &'static str {
        match self {
            CodecKind::Opus => "opus/48000/2",
            CodecKind::Pcmu => "PCMU/8000",
            CodecKind::Pcma => "PCMA/8000",
        }
    }
}

impl fmt::Display for CodecKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display_name())
    }
}

/// An unknown name in `--codecs`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown codec '{0}' (expected opus, pcmu or pcma)")]
pub struct UnknownCodec(pub String);

impl FromStr for CodecKind {
    type Err = UnknownCodec;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "opus" => Ok(CodecKind::Opus),
            "pcmu" | "ulaw" | "g711u" => Ok(CodecKind::Pcmu),
            "pcma" | "alaw" | "g711a" => Ok(CodecKind::Pcma),
            _ => Err(UnknownCodec(s.to_string())),
        }
    }
}

/// A codec could not be set up or failed on a frame.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// libopus reported an error.
    #[error("opus: {0}")]
    Opus(String),
    /// The frame has the wrong number of samples for this codec.
    #[error("frame of {got} samples, expected {expected}")]
    FrameSize {
        /// Samples given.
        got: usize,
        /// Samples expected.
        expected: usize,
    },
}

/// Turns 20 ms PCM frames into RTP payloads.
pub trait Encoder: Send {
    /// Encode exactly [`CodecKind::frame_samples`] samples; append the payload to `out`.
    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) -> Result<(), CodecError>;
}

/// Turns RTP payloads back into PCM, and hides lost packets.
pub trait Decoder: Send {
    /// Decode one payload into `out` (cleared first); returns the samples written.
    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<usize, CodecError>;
    /// Produce one 20 ms frame of concealment for a lost packet (PLC) into `out`.
    fn conceal(&mut self, out: &mut Vec<i16>) -> Result<usize, CodecError>;
    /// Produce the 20 ms frame for a lost packet when the packet after it (`next_payload`)
    /// has already arrived: Opus rebuilds it from in-band FEC (RFC 6716 §2.1.7); codecs
    /// without FEC conceal. Call `decode(next_payload)` afterwards as usual.
    fn recover(&mut self, next_payload: &[u8], out: &mut Vec<i16>) -> Result<usize, CodecError> {
        let _ = next_payload;
        self.conceal(out)
    }
}

/// A new encoder for `kind`.
pub fn new_encoder(kind: CodecKind) -> Result<Box<dyn Encoder>, CodecError> {
    match kind {
        CodecKind::Opus => Ok(Box::new(opus::OpusEncoder::new()?)),
        CodecKind::Pcmu => Ok(Box::new(g711::G711Encoder::new(g711::Law::Mu))),
        CodecKind::Pcma => Ok(Box::new(g711::G711Encoder::new(g711::Law::A))),
    }
}

/// A new decoder for `kind`.
pub fn new_decoder(kind: CodecKind) -> Result<Box<dyn Decoder>, CodecError> {
    match kind {
        CodecKind::Opus => Ok(Box::new(opus::OpusDecoder::new()?)),
        CodecKind::Pcmu => Ok(Box::new(g711::G711Decoder::new(g711::Law::Mu))),
        CodecKind::Pcma => Ok(Box::new(g711::G711Decoder::new(g711::Law::A))),
    }
}
