//! DTMF as RFC 4733 telephone-events: the payload codec, a sender and a receiver.
//!
//! Sans-IO like the rest of `media`: no sockets, no clock reads, no threads. Time comes in as
//! arguments (the media task's 20 ms frame ticks for the sender, milliseconds for the
//! receiver), and RTP framing is left to [`crate::media::rtp`].
//!
//! * [`payload`]: the four-octet event block of RFC 4733 §2.3 (event, E bit, R bit, volume,
//!   duration) and the DTMF event codes of §3.2 (0–9, `*` = 10, `#` = 11, A–D = 12–15).
//! * [`DtmfSender`]: a queue of digits played as events per §2.5.1: a first packet with the
//!   marker bit (§2.2.2), an update every frame with the growing duration and the event's
//!   start timestamp (§2.5.1.2), the final packet with the E bit sent three times (§2.5.1.4),
//!   long events split into segments at duration 0xFFFF (§2.5.1.3). It tells the caller when
//!   to suppress audio frames and reports each digit's start and end.
//! * [`DtmfReceiver`]: turns incoming event packets into exactly one detection per key press
//!   (§2.5.2), whatever duplicates, repeated end packets, losses and reordering the network
//!   adds.
//!
//! # Wiring into the per-call media task
//!
//! Sending, once per 20 ms frame, before the audio frame:
//!
//! ```
//! use sipline::media::dtmf::{DtmfSender, DtmfTiming};
//! use sipline::media::rtp::RtpSender;
//!
//! let (dtmf_pt, rate) = (101, 8000);
//! let mut rtp = RtpSender::new(0x1234, 1, 1000, 0, 160);
//! let mut dtmf = DtmfSender::new(rate, 20);
//! dtmf.enqueue("1#", DtmfTiming::default()).expect("valid digits");
//! let mut buf = Vec::new();
//! for _tick in 0..100 {
//!     let t = dtmf.tick(rtp.next_ts());
//!     for p in t.packets() {
//!         rtp.packetise_with(dtmf_pt, p.marker, p.timestamp, &p.payload.to_bytes(), &mut buf);
//!         // socket.send_to(&buf, peer)
//!     }
//!     if t.suppress_audio {
//!         rtp.skip(); // the timestamp keeps time, no audio packet
//!     } else {
//!         rtp.packetise(&[0xff; 160], &mut buf); // the audio frame
//!     }
//! }
//! assert!(dtmf.is_idle());
//! ```
//!
//! Receiving: hand every packet with the telephone-event payload type to
//! [`DtmfReceiver::on_packet`], call [`DtmfReceiver::on_timeout`] when
//! [`DtmfReceiver::poll_timeout`] passes (or simply on every tick), and after each call drain
//! [`DtmfReceiver::poll_event`] to empty. Call [`DtmfReceiver::reset`] when the RTP source
//! changes ([`crate::media::rtp::RtpPacket::new_source`]).

pub mod payload;
mod receiver;
mod sender;

pub use payload::{digit_to_event, event_to_digit, EventPayload, PayloadError};
pub use receiver::{DtmfDetected, DtmfEndReason, DtmfReceiver, DtmfRxEvent, DtmfRxStats};
pub use sender::{
    DtmfQueueError, DtmfSender, DtmfTick, DtmfTiming, EventPacket, SentDigit, DEFAULT_DURATION_MS,
    DEFAULT_GAP_MS, DEFAULT_PAUSE_MS, DEFAULT_VOLUME, MAX_QUEUE,
};

/// Milliseconds → ticks of a `clock_rate` Hz clock (rounded down), in u64 to avoid overflow.
pub(crate) fn ms_to_ticks(ms: u64, clock_rate: u32) -> u64 {
    ms * u64::from(clock_rate) / 1000
}

/// Ticks of a `clock_rate` Hz clock → milliseconds (rounded to nearest). A zero rate gives 0.
pub(crate) fn ticks_to_ms(ticks: u64, clock_rate: u32) -> u32 {
    if clock_rate == 0 {
        return 0;
    }
    let rate = u64::from(clock_rate);
    u32::try_from((ticks * 1000 + rate / 2) / rate).unwrap_or(u32::MAX)
}
