//! The media plane: SDP offer/answer, RTP, jitter buffer, codecs and audio ends.
//!
//! The SIP engine talks to the media plane only through [`MediaCtl`] (engine → driver) and
//! [`MediaReport`] (driver → engine). Everything in `sdp`, `rtp`, `jitter` and `codec` is
//! sans-IO; `audio` holds the ends (cpal device, WAV file, tone, silence, null) and the
//! per-call task lives in `crate::driver::media`.

pub mod analysis;
pub mod audio;
pub mod codec;
pub mod dtmf;
pub mod jitter;
pub mod resample;
pub mod rtp;
pub mod sdp;

use std::net::SocketAddr;

use crate::api::CallHandle;
use codec::CodecKind;

/// RTP payload type, RFC 3550 §5.1 (7 bits).
pub type PayloadType = u8;

/// Media direction attribute, RFC 3264 §6.1 / RFC 4566 §6.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum MediaDirection {
    /// `a=sendrecv` (the default).
    #[default]
    SendRecv,
    /// `a=sendonly`.
    SendOnly,
    /// `a=recvonly`.
    RecvOnly,
    /// `a=inactive`.
    Inactive,
}

/// The audio codec both sides agreed on, with the payload type to use on the wire.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct NegotiatedCodec {
    /// Which codec.
    pub kind: CodecKind,
    /// Payload type from the offer (RFC 3264 §6.1: the answerer uses the offerer's PT).
    pub pt: PayloadType,
    /// RTP clock rate (48000 for Opus per RFC 7587, 8000 for G.711).
    pub clock_rate: u32,
}

/// Result of a completed offer/answer for the audio stream: what the media task needs.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct MediaParams {
    /// Chosen audio codec.
    pub codec: NegotiatedCodec,
    /// telephone-event payload type and clock rate (RFC 4733), when both sides have it.
    pub dtmf: Option<(PayloadType, u32)>,
    /// Where the peer wants our RTP (its c= address and m= port).
    pub remote: SocketAddr,
    /// Packetization time in milliseconds (we send 20).
    pub ptime: u32,
    /// Negotiated direction from our point of view.
    pub direction: MediaDirection,
}

/// Instructions from the engine to the media plane (ARCHITECTURE.md `Output::Media`).
#[derive(Clone, PartialEq, Debug)]
pub enum MediaCtl {
    /// Bind an RTP socket for this call; answer with [`MediaReport::Opened`] or
    /// [`MediaReport::OpenFailed`] as the very next input.
    Open {
        /// The call.
        call: CallHandle,
    },
    /// Start (or restart with new parameters) sending and receiving.
    Start {
        /// The call.
        call: CallHandle,
        /// What offer/answer agreed.
        params: MediaParams,
    },
    /// Stop the media task and close the socket.
    Stop {
        /// The call.
        call: CallHandle,
    },
    /// Queue digits to send as RFC 4733 telephone-events (`,` = a 2 s pause).
    SendDtmf {
        /// The call.
        call: CallHandle,
        /// Digits 0-9 * # A-D and `,`, already validated.
        digits: String,
        /// Tone length per digit.
        duration_ms: u32,
        /// Silence after each tone.
        gap_ms: u32,
    },
}

/// Reports from the media plane to the engine (ARCHITECTURE.md `Input::Media`).
#[derive(Clone, PartialEq, Debug)]
pub enum MediaReport {
    /// The RTP socket for the call is bound at this address.
    Opened {
        /// The call.
        call: CallHandle,
        /// Local RTP address (put into our SDP).
        local: SocketAddr,
    },
    /// No RTP socket could be bound.
    OpenFailed {
        /// The call.
        call: CallHandle,
    },
    /// One key press decoded from RFC 4733 telephone-events (reported when it ended).
    DtmfReceived {
        /// The call.
        call: CallHandle,
        /// The digit.
        digit: char,
        /// How long it was held, in ms.
        duration_ms: u32,
    },
    /// A queued RFC 4733 digit finished playing (its end packets went out).
    DtmfSent {
        /// The call.
        call: CallHandle,
        /// The digit.
        digit: char,
    },
    /// An `expect-audio` window ended (answered by the driver, not the engine).
    AudioChecked {
        /// The call.
        call: CallHandle,
        /// What was checked.
        check: crate::api::AudioCheck,
        /// What was measured.
        verdict: crate::media::analysis::Verdict,
        /// The window asked for, in 20 ms blocks (more than `verdict.blocks` when the
        /// media stopped first).
        window_blocks: u32,
    },
}
