//! SDP offer/answer for the audio stream (RFC 3264, RFC 4566, RFC 7587 for Opus, RFC 4733
//! for telephone-event).
//!
//! The SIP layer sees SDP as an opaque body; this module alone decides what is offered and
//! what was agreed. Only `facade.rs` imports `webrtc_sdp` (its module doc lists exactly how
//! the text is prepared for that JSEP-first crate); `negotiate.rs` holds the rules.
//!
//! - **Offer** (RFC 3264 §5): one `m=audio <port> RTP/AVP` line with our codecs in
//!   [`LocalMedia::codecs`] order: Opus as `a=rtpmap:111 opus/48000/2` with
//!   `a=fmtp:111 useinbandfec=1` (RFC 7587 §7, §6.1), PCMU as 0, PCMA as 8 (RFC 3551 §6),
//!   and `a=rtpmap:101 telephone-event/8000`, `a=fmtp:101 0-16` (RFC 4733 §7.1.1) when
//!   asked; `a=ptime:20` and an explicit direction attribute (RFC 4566 §6). IPv6 addresses
//!   are written `IN IP6` (RFC 4566 §5.7).
//! - **Answer** (RFC 3264 §6): as many m-lines as the offer, in its order. The first audio
//!   m-line over RTP/AVP or RTP/AVPF with a non-zero port and a codec we support is
//!   accepted with the first such codec *in the offer's order*, under the offerer's payload
//!   type (§6.1; dynamic types matched by `a=rtpmap` name, rate and channels, static 0 and 8
//!   also without one), plus telephone-event at the offered type and rate. Every other
//!   m-line (video, T.38 `image`, SRTP/DTLS profiles, further audio, port 0) is answered with
//!   port 0 and the same media, proto and formats. Direction follows §6.1 (offer sendonly →
//!   answer recvonly, recvonly → sendonly, inactive → inactive, sendrecv → what we want).
//! - **Answer processing** (RFC 3264 §7): the first audio m-line of the answer; the answerer
//!   may renumber dynamic payload types and we use what it says.
//! - The remote address is the media-level `c=` over the session-level one (RFC 4566 §5.7).
//!   `c=IN IP4 0.0.0.0` means "send nothing to me" (RFC 3264 §8.4): the negotiated
//!   direction then loses its sending half. A domain name in `c=` is legal SDP but cannot
//!   become a [`MediaParams::remote`] `SocketAddr` in this sans-IO layer, so
//!   [`answer_offer`] and [`process_answer`] report [`SdpError::NoConnection`] for it;
//!   [`answer_offer_detailed`] and [`process_answer_detailed`] still give the full result.
//! - [`MediaParams::ptime`] is what we send (always 20 ms; our codecs work on 20 ms frames);
//!   the peer's `a=ptime` is reported in [`Negotiation::remote_ptime`]. Per RFC 4566 §6 it
//!   is a hint, and receivers must cope with any packet length.

mod facade;
mod negotiate;

use std::net::{IpAddr, SocketAddr};

use super::codec::CodecKind;
use super::{MediaDirection, MediaParams, NegotiatedCodec, PayloadType};

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

/// A connection address from `c=` (RFC 4566 §5.7): an IP literal or a domain name.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum RemoteHost {
    /// An IPv4 or IPv6 literal (possibly unspecified, RFC 3264 §8.4).
    Ip(IpAddr),
    /// A fully qualified domain name, not resolved here.
    Name(String),
}

/// Everything one offer/answer exchange agreed, including what [`MediaParams`] cannot carry
/// (a domain-name address, the peer's `a=ptime`, which m-line was used).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Negotiation {
    /// Chosen codec and its payload type on the wire.
    pub codec: NegotiatedCodec,
    /// telephone-event payload type and clock rate, if both sides have it.
    pub dtmf: Option<(PayloadType, u32)>,
    /// The peer's connection address (media-level `c=` over session-level).
    pub remote_host: RemoteHost,
    /// The peer's RTP port.
    pub remote_port: u16,
    /// The peer's `a=ptime`, if given.
    pub remote_ptime: Option<u32>,
    /// Direction from our point of view.
    pub direction: MediaDirection,
    /// Index of the m-line that carries the audio stream.
    pub audio_index: usize,
}

impl Negotiation {
    /// The parameters for the media task; [`SdpError::NoConnection`] if the peer's address
    /// is a domain name.
    pub fn media_params(&self) -> Result<MediaParams, SdpError> {
        let ip = match &self.remote_host {
            RemoteHost::Ip(ip) => *ip,
            RemoteHost::Name(_) => return Err(SdpError::NoConnection),
        };
        Ok(MediaParams {
            codec: self.codec,
            dtmf: self.dtmf,
            remote: SocketAddr::new(ip, self.remote_port),
            ptime: negotiate::PTIME_MS,
            direction: self.direction,
        })
    }
}

/// Build an SDP offer for one audio stream (RFC 3264 §5). Use [`LocalMedia::direction`]
/// `SendOnly` (or `Inactive`) for a hold offer (RFC 3264 §8.4).
pub fn create_offer(local: &LocalMedia) -> String {
    negotiate::offer(local)
}

/// Answer a remote offer (RFC 3264 §6): same m-line count and order, first offered codec we
/// support, other streams rejected with port 0.
pub fn answer_offer(offer: &[u8], local: &LocalMedia) -> Result<Answer, SdpError> {
    let (sdp, negotiation) = answer_offer_detailed(offer, local)?;
    Ok(Answer {
        sdp,
        params: negotiation.media_params()?,
    })
}

/// Like [`answer_offer`], but also succeeds for a domain-name `c=`: returns the answer text
/// and the full [`Negotiation`].
pub fn answer_offer_detailed(
    offer: &[u8],
    local: &LocalMedia,
) -> Result<(String, Negotiation), SdpError> {
    let description = facade::parse(offer)?;
    negotiate::answer(&description, local)
}

/// Read the answer to our offer (RFC 3264 §7).
pub fn process_answer(answer: &[u8], local: &LocalMedia) -> Result<MediaParams, SdpError> {
    process_answer_detailed(answer, local)?.media_params()
}

/// Like [`process_answer`], but also succeeds for a domain-name `c=`.
pub fn process_answer_detailed(answer: &[u8], local: &LocalMedia) -> Result<Negotiation, SdpError> {
    let description = facade::parse(answer)?;
    negotiate::read_answer(&description, local)
}
