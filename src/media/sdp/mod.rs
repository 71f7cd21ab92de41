//! SDP offer/answer for the audio stream (RFC 3264, RFC 4566, RFC 7587 for Opus).
//!
//! The SIP layer sees SDP as an opaque body; this module alone decides what is offered and
//! what was agreed. Only `facade.rs` imports `webrtc_sdp`.

use std::net::SocketAddr;

use super::codec::CodecKind;
use super::{MediaDirection, MediaParams};

/// What we can do, as put into our offer or answer.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct LocalMedia {
    /// Our RTP address (c= and m= port).
    pub rtp: SocketAddr,
    /// Codecs in preference order (`--codecs`).
    pub codecs: Vec<CodecKind>,
    /// Offer/accept telephone-event/8000 (RFC 4733).
    pub telephone_event: bool,
    /// o= sess-id.
    pub session_id: u64,
    /// o= sess-version (incremented on each new offer/answer we produce).
    pub session_version: u64,
    /// Direction we want.
    pub direction: MediaDirection,
}

/// Our answer to a remote offer, and what it agreed.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Answer {
    /// The answer body.
    pub sdp: String,
    /// Parameters for the media task.
    pub params: MediaParams,
}

/// Why an offer or answer could not be used (a remote offer gets 488, RFC 3261 §13.3.1.3).
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SdpError {
    /// The body is not SDP we can read.
    #[error("unreadable SDP: {0}")]
    Parse(String),
    /// No audio m-line with a usable port.
    #[error("no audio stream offered")]
    NoAudio,
    /// No codec in common.
    #[error("no codec in common")]
    NoCommonCodec,
    /// The connection address is missing or unusable.
    #[error("no usable connection address")]
    NoConnection,
}

/// Build an SDP offer for one audio stream.
pub fn create_offer(local: &LocalMedia) -> String {
    let _ = local;
    todo!("media::sdp::create_offer")
}

/// Answer a remote offer (RFC 3264 §6): same m-line count and order, first offered codec we
/// support, other streams rejected with port 0.
pub fn answer_offer(offer: &[u8], local: &LocalMedia) -> Result<Answer, SdpError> {
    let _ = (offer, local);
    todo!("media::sdp::answer_offer")
}

/// Read the answer to our offer (RFC 3264 §7).
pub fn process_answer(answer: &[u8], local: &LocalMedia) -> Result<MediaParams, SdpError> {
    let _ = (answer, local);
    todo!("media::sdp::process_answer")
}
