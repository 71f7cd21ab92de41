//! RTP packetisation and parsing (RFC 3550 §5) on top of rtp-rs.
//!
//! Sans-IO: no sockets, no clock, no randomness. The caller picks the random starting
//! SSRC, sequence number and timestamp (RFC 3550 §5.1: "The initial value of the sequence
//! number SHOULD be random"; the same holds for the timestamp) and hands bytes in and out.
//!
//! * [`RtpSender`] writes one packet per 20 ms frame. The sequence number goes up by one per
//!   packet *sent* (§5.1); the timestamp goes up by the frame's sampling ticks per frame of
//!   *time*, whether or not that frame was sent ([`RtpSender::skip`]), so silence or a held
//!   stream leaves a timestamp gap but no sequence gap. The marker bit is set on the first
//!   packet of each talkspurt (RFC 3551 §4.1), which includes the first packet of the stream.
//! * [`RtpReceiver`] validates incoming datagrams: version 2 and well-formed headers (rtp-rs,
//!   RFC 3550 §5.1 and A.1), a payload type we negotiated, and a single synchronisation
//!   source. RTCP that shows up on the RTP port (RFC 5761 §4: packet types 192–223) is
//!   reported as such, not parsed as RTP. A new SSRC in mid-stream takes over only after two
//!   packets in sequence from it (the probation idea of RFC 3550 A.1), so a stray packet
//!   from an old source cannot flip the stream back and forth; the packet that completes
//!   the switch carries [`RtpPacket::new_source`] so the caller resets its jitter buffer.
//!
//! Nothing here panics on input bytes; every rejection is a value of [`Ignored`].

use rtp_rs::{RtpPacketBuilder, RtpReader, Seq};

use crate::media::PayloadType;

/// Size of the fixed RTP header without CSRCs or extension (RFC 3550 §5.1).
pub const RTP_HEADER_LEN: usize = 12;

/// Writes outgoing RTP packets for one synchronisation source.
#[derive(Clone, Debug)]
pub struct RtpSender {
    ssrc: u32,
    seq: u16,
    ts: u32,
    pt: PayloadType,
    ticks_per_frame: u32,
    /// The next packet starts a talkspurt (RFC 3551 §4.1).
    marker_next: bool,
    sent_packets: u64,
    sent_octets: u64,
}

impl RtpSender {
    /// A sender whose first packet has sequence number `first_seq` and timestamp
    /// `first_ts`; every frame advances the timestamp by `ticks_per_frame` (160 for 20 ms of
    /// G.711, 960 for 20 ms of Opus). `pt` must be below 128.
    pub fn new(
        ssrc: u32,
        first_seq: u16,
        first_ts: u32,
        pt: PayloadType,
        ticks_per_frame: u32,
    ) -> Self {
        RtpSender {
            ssrc,
            seq: first_seq,
            ts: first_ts,
            pt: pt & 0x7f,
            ticks_per_frame,
            marker_next: true,
            sent_packets: 0,
            sent_octets: 0,
        }
    }

    /// Our SSRC.
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// Sequence number the next packet will carry.
    pub fn next_seq(&self) -> u16 {
        self.seq
    }

    /// Timestamp the next frame will carry.
    pub fn next_ts(&self) -> u32 {
        self.ts
    }

    /// Packets and payload octets sent so far (for RTCP SR, RFC 3550 §6.4.1).
    pub fn counts(&self) -> (u64, u64) {
        (self.sent_packets, self.sent_octets)
    }

    /// Switch payload type and frame size (a re-negotiated codec). The next packet is
    /// marked, since the receiver has to treat it as a new talkspurt.
    pub fn set_format(&mut self, pt: PayloadType, ticks_per_frame: u32) {
        self.pt = pt & 0x7f;
        self.ticks_per_frame = ticks_per_frame;
        self.marker_next = true;
    }

    /// Write the packet for the next frame into `out` (cleared first) and advance the
    /// sequence number by one and the timestamp by one frame.
    pub fn packetise(&mut self, payload: &[u8], out: &mut Vec<u8>) {
        out.clear();
        let b = RtpPacketBuilder::new()
            .payload_type(self.pt)
            .marked(self.marker_next)
            .sequence(Seq::from(self.seq))
            .timestamp(self.ts)
            .ssrc(self.ssrc)
            .payload(payload);
        out.resize(b.target_length(), 0);
        // invariant: `out` has exactly target_length() bytes, `pt` < 128 (masked in new and
        // set_format) and there is no extension, so none of build_into's checks can fail.
        let n = b.build_into(out).unwrap_or(0);
        out.truncate(n);
        self.seq = self.seq.wrapping_add(1);
        self.ts = self.ts.wrapping_add(self.ticks_per_frame);
        self.marker_next = false;
        self.sent_packets += 1;
        self.sent_octets += payload.len() as u64;
    }

    /// Write a packet with its own payload type, marker and timestamp in this source's
    /// sequence space, for telephone-events (RFC 4733 §2.3: an event keeps the timestamp of
    /// its start across its packets; the marker starts a new event). Advances only the
    /// sequence number; the audio timestamp and talkspurt state are untouched.
    pub fn packetise_with(
        &mut self,
        pt: PayloadType,
        marker: bool,
        ts: u32,
        payload: &[u8],
        out: &mut Vec<u8>,
    ) {
        let (saved_pt, saved_marker, saved_ts) = (self.pt, self.marker_next, self.ts);
        let saved_ticks = self.ticks_per_frame;
        self.pt = pt & 0x7f;
        self.marker_next = marker;
        self.ts = ts;
        self.ticks_per_frame = 0;
        self.packetise(payload, out);
        self.pt = saved_pt;
        self.marker_next = saved_marker;
        self.ts = saved_ts;
        self.ticks_per_frame = saved_ticks;
    }

    /// Let one frame of time pass without sending (silence, hold, `recvonly`): the
    /// timestamp advances, the sequence number does not, and the next packet is marked.
    pub fn skip(&mut self) {
        self.ts = self.ts.wrapping_add(self.ticks_per_frame);
        self.marker_next = true;
    }
}

/// A validated RTP packet borrowed from the receive buffer.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct RtpPacket<'a> {
    /// Payload type (7 bits).
    pub pt: PayloadType,
    /// Marker bit (start of a talkspurt for audio, RFC 3551 §4.1).
    pub marker: bool,
    /// Sequence number.
    pub seq: u16,
    /// Timestamp in the payload type's clock.
    pub ts: u32,
    /// Synchronisation source.
    pub ssrc: u32,
    /// The payload without header, CSRCs, extension or padding.
    pub payload: &'a [u8],
    /// This is the first packet of a new synchronisation source (the first packet of the
    /// call, or a source that replaced the previous one): reset the jitter buffer.
    pub new_source: bool,
}

/// Why a datagram was not handed on as media.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Ignored {
    /// Too short, not version 2, or headers/padding do not fit (RFC 3550 A.1 validity).
    Malformed,
    /// An RTCP packet on the RTP port (RFC 5761 §4).
    Rtcp,
    /// A payload type that was not negotiated.
    UnknownPt(PayloadType),
    /// From another SSRC than the current source, and not (yet) taking over.
    OtherSsrc(u32),
}

/// Counters kept by [`RtpReceiver`].
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct RtpRecvStats {
    /// Packets accepted as media.
    pub accepted: u64,
    /// Datagrams that were not valid RTP.
    pub malformed: u64,
    /// RTCP packets seen on the RTP port.
    pub rtcp: u64,
    /// Packets with a payload type we did not negotiate.
    pub unknown_pt: u64,
    /// Packets from a source other than the current one.
    pub other_ssrc: u64,
    /// Times the current source changed after the first.
    pub source_changes: u64,
}

/// Validates incoming RTP for one stream.
#[derive(Clone, Debug)]
pub struct RtpReceiver {
    /// Negotiated payload types (audio codec, telephone-event). Small, so a Vec scan.
    pts: Vec<PayloadType>,
    /// The current synchronisation source.
    ssrc: Option<u32>,
    /// A different SSRC seen last, with the sequence number expected next from it.
    candidate: Option<(u32, u16)>,
    stats: RtpRecvStats,
}

impl RtpReceiver {
    /// A receiver accepting the given payload types.
    pub fn new(pts: &[PayloadType]) -> Self {
        RtpReceiver {
            pts: pts.to_vec(),
            ssrc: None,
            candidate: None,
            stats: RtpRecvStats::default(),
        }
    }

    /// Replace the accepted payload types (after a re-negotiation).
    pub fn set_payload_types(&mut self, pts: &[PayloadType]) {
        self.pts.clear();
        self.pts.extend_from_slice(pts);
    }

    /// Forget the current source: the next valid packet from any SSRC starts a new stream.
    pub fn reset_source(&mut self) {
        self.ssrc = None;
        self.candidate = None;
    }

    /// The current synchronisation source, once one has been seen.
    pub fn ssrc(&self) -> Option<u32> {
        self.ssrc
    }

    /// Counters so far.
    pub fn stats(&self) -> RtpRecvStats {
        self.stats
    }

    /// Validate one datagram. Never panics, whatever the bytes.
    pub fn receive<'a>(&mut self, datagram: &'a [u8]) -> Result<RtpPacket<'a>, Ignored> {
        // RFC 5761 §4: with RTP and RTCP on one port, the second octet of RTCP (the packet
        // type, 200..=204 today) falls in 192..=223, which RTP payload types avoid.
        if datagram.len() >= 2 && datagram[0] >> 6 == 2 && (192..=223).contains(&datagram[1]) {
            self.stats.rtcp += 1;
            return Err(Ignored::Rtcp);
        }
        let r = match RtpReader::new(datagram) {
            Ok(r) => r,
            Err(_) => {
                self.stats.malformed += 1;
                return Err(Ignored::Malformed);
            }
        };
        let pt = r.payload_type();
        if !self.pts.contains(&pt) {
            self.stats.unknown_pt += 1;
            return Err(Ignored::UnknownPt(pt));
        }
        let seq = u16::from(r.sequence_number());
        let ssrc = r.ssrc();
        let new_source = match self.ssrc {
            None => {
                self.ssrc = Some(ssrc);
                self.candidate = None;
                true
            }
            Some(cur) if cur == ssrc => false,
            Some(_) => match self.candidate {
                Some((c, expect)) if c == ssrc && expect == seq => {
                    self.ssrc = Some(ssrc);
                    self.candidate = None;
                    self.stats.source_changes += 1;
                    true
                }
                _ => {
                    self.candidate = Some((ssrc, seq.wrapping_add(1)));
                    self.stats.other_ssrc += 1;
                    return Err(Ignored::OtherSsrc(ssrc));
                }
            },
        };
        self.stats.accepted += 1;
        Ok(RtpPacket {
            pt,
            marker: r.mark(),
            seq,
            ts: r.timestamp(),
            ssrc,
            payload: r.payload(),
            new_source,
        })
    }
}
