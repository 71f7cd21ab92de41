//! Offer/answer rules for the one audio stream (RFC 3264 §5–§7) and the SDP text we write
//! (RFC 4566 §5). Reading remote text is `facade.rs`'s job; this file never sees raw input.

use std::fmt::Write as _;
use std::net::IpAddr;

use super::facade::{is_unspecified, Description, RtpSection};
use super::{LocalMedia, Negotiation, SdpError};
use crate::media::codec::CodecKind;
use crate::media::{MediaDirection, NegotiatedCodec, PayloadType};

/// Payload type we offer for telephone-event (RFC 4733 §7.1.1: dynamic).
pub(super) const TELEPHONE_EVENT_PT: PayloadType = 101;
/// Clock rate we offer for telephone-event.
pub(super) const TELEPHONE_EVENT_RATE: u32 = 8_000;
/// Packetization time we send and ask for (`a=ptime:20`, RFC 4566 §6).
pub(super) const PTIME_MS: u32 = 20;

/// Our codecs in preference order, without duplicates. An empty list (which config should
/// not produce) means all codecs, so an offer always has at least one format.
fn our_codecs(local: &LocalMedia) -> Vec<CodecKind> {
    let mut out: Vec<CodecKind> = Vec::new();
    for &k in &local.codecs {
        if !out.contains(&k) {
            out.push(k);
        }
    }
    if out.is_empty() {
        out.extend(CodecKind::ALL);
    }
    out
}

/// `IN IP4 <addr>` / `IN IP6 <addr>` (RFC 4566 §5.7).
fn net_addr(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => format!("IN IP4 {v4}"),
        IpAddr::V6(v6) => format!("IN IP6 {v6}"),
    }
}

fn direction_attr(d: MediaDirection) -> &'static str {
    match d {
        MediaDirection::SendRecv => "sendrecv",
        MediaDirection::SendOnly => "sendonly",
        MediaDirection::RecvOnly => "recvonly",
        MediaDirection::Inactive => "inactive",
    }
}

/// (send, receive) of a direction, from the point of view of whoever wrote it.
fn bits(d: MediaDirection) -> (bool, bool) {
    match d {
        MediaDirection::SendRecv => (true, true),
        MediaDirection::SendOnly => (true, false),
        MediaDirection::RecvOnly => (false, true),
        MediaDirection::Inactive => (false, false),
    }
}

fn from_bits(send: bool, recv: bool) -> MediaDirection {
    match (send, recv) {
        (true, true) => MediaDirection::SendRecv,
        (true, false) => MediaDirection::SendOnly,
        (false, true) => MediaDirection::RecvOnly,
        (false, false) => MediaDirection::Inactive,
    }
}

/// `v=` … `t=` of a description we write. Writing into a `String` cannot fail, so the
/// `fmt::Result`s are ignored throughout this file.
fn write_session(out: &mut String, local: &LocalMedia) {
    let addr = net_addr(local.rtp.ip());
    let _ = write!(
        out,
        "v=0\r\no=sipline {} {} {addr}\r\ns=sipline\r\nc={addr}\r\nt=0 0\r\n",
        local.session_id, local.session_version
    );
}

/// `a=rtpmap` (and for Opus the RFC 7587 §7 `a=fmtp`) of one codec.
fn write_codec(out: &mut String, kind: CodecKind, pt: PayloadType) {
    let _ = write!(
        out,
        "a=rtpmap:{pt} {}/{}",
        kind.encoding_name(),
        kind.clock_rate()
    );
    if let Some(ch) = kind.sdp_channels() {
        let _ = write!(out, "/{ch}");
    }
    out.push_str("\r\n");
    if kind == CodecKind::Opus {
        // RFC 7587 §6.1: we can decode in-band FEC, so ask the peer to send it.
        let _ = write!(out, "a=fmtp:{pt} useinbandfec=1\r\n");
    }
}

/// `a=rtpmap` + `a=fmtp` of telephone-event (RFC 4733 §7.1.1: events 0-16 = DTMF + flash).
fn write_telephone_event(out: &mut String, pt: PayloadType, rate: u32) {
    let _ = write!(
        out,
        "a=rtpmap:{pt} telephone-event/{rate}\r\na=fmtp:{pt} 0-16\r\n"
    );
}

/// Build our offer (RFC 3264 §5): one audio stream over RTP/AVP.
pub(super) fn offer(local: &LocalMedia) -> String {
    let codecs = our_codecs(local);
    let mut out = String::with_capacity(512);
    write_session(&mut out, local);
    let _ = write!(out, "m=audio {} RTP/AVP", local.rtp.port());
    for k in &codecs {
        let _ = write!(out, " {}", k.default_pt());
    }
    if local.telephone_event {
        let _ = write!(out, " {TELEPHONE_EVENT_PT}");
    }
    out.push_str("\r\n");
    for &k in &codecs {
        write_codec(&mut out, k, k.default_pt());
    }
    if local.telephone_event {
        write_telephone_event(&mut out, TELEPHONE_EVENT_PT, TELEPHONE_EVENT_RATE);
    }
    let _ = write!(
        out,
        "a=ptime:{PTIME_MS}\r\na={}\r\n",
        direction_attr(local.direction)
    );
    out
}

/// The codec a payload type of `section` stands for: by `a=rtpmap` (name compared
/// case-insensitively, clock rate and channels must match, RFC 4566 §6), or by the static
/// RFC 3551 table for PT 0 and 8 without an `a=rtpmap`.
fn codec_of(section: &RtpSection, pt: PayloadType) -> Option<CodecKind> {
    match section.rtpmaps.iter().find(|r| r.pt == pt) {
        Some(r) => CodecKind::ALL.into_iter().find(|k| {
            r.name.eq_ignore_ascii_case(k.encoding_name())
                && r.rate == k.clock_rate()
                && match k.sdp_channels() {
                    // RFC 7587 §7 requires `/2`; a missing count is tolerated.
                    Some(n) => r.channels.is_none_or(|c| c == n),
                    None => r.channels.is_none_or(|c| c == 1),
                }
        }),
        None => match pt {
            0 => Some(CodecKind::Pcmu),
            8 => Some(CodecKind::Pcma),
            _ => None,
        },
    }
}

/// The first payload type of `section` (in its order) that is one of `ours`.
fn pick_codec(section: &RtpSection, ours: &[CodecKind]) -> Option<NegotiatedCodec> {
    section.payload_types.iter().find_map(|&pt| {
        codec_of(section, pt)
            .filter(|k| ours.contains(k))
            .map(|kind| NegotiatedCodec {
                kind,
                pt,
                clock_rate: kind.clock_rate(),
            })
    })
}

/// telephone-event in `section` (RFC 4733 §7.1.1): the one at the audio clock rate if
/// present, else the first listed.
fn pick_telephone_event(section: &RtpSection, clock_rate: u32) -> Option<(PayloadType, u32)> {
    let events: Vec<(PayloadType, u32)> = section
        .payload_types
        .iter()
        .filter_map(|&pt| {
            section
                .rtpmaps
                .iter()
                .find(|r| r.pt == pt && r.name.eq_ignore_ascii_case("telephone-event"))
                .map(|r| (pt, r.rate))
        })
        .collect();
    events
        .iter()
        .find(|(_, rate)| *rate == clock_rate)
        .or_else(|| events.first())
        .copied()
}

/// Our direction once the peer's view is known: we send only if they receive, receive only
/// if they send, and never beyond what we asked for. A peer at 0.0.0.0 must not be sent to
/// (RFC 3264 §8.4).
fn our_direction(
    peer: MediaDirection,
    local: MediaDirection,
    peer_unspecified: bool,
) -> MediaDirection {
    let (peer_send, peer_recv) = bits(peer);
    let (want_send, want_recv) = bits(local);
    from_bits(
        peer_recv && want_send && !peer_unspecified,
        peer_send && want_recv,
    )
}

/// Answer a parsed offer (RFC 3264 §6). Returns the answer text and what it agreed.
pub(super) fn answer(
    offer: &Description,
    local: &LocalMedia,
) -> Result<(String, Negotiation), SdpError> {
    let ours = our_codecs(local);
    let mut saw_audio = false;
    let mut chosen = None;
    for (index, section) in offer.sections.iter().enumerate() {
        let Some(rtp) = &section.rtp else { continue };
        saw_audio = true;
        if let Some(codec) = pick_codec(rtp, &ours) {
            chosen = Some((index, rtp, codec));
            break;
        }
    }
    let Some((index, rtp, codec)) = chosen else {
        return Err(if saw_audio {
            SdpError::NoCommonCodec
        } else {
            SdpError::NoAudio
        });
    };
    let dtmf = if local.telephone_event {
        pick_telephone_event(rtp, codec.clock_rate)
    } else {
        None
    };

    // RFC 3264 §6.1: sendonly ↔ recvonly, inactive stays inactive, sendrecv leaves the
    // choice to us. The written attribute follows the attributes only; a 0.0.0.0 peer
    // (§8.4) additionally stops our sending.
    let offered = rtp.direction.unwrap_or_default();
    let answered = our_direction(offered, local.direction, false);
    let direction = our_direction(offered, local.direction, is_unspecified(&rtp.connection));

    let mut out = String::with_capacity(512);
    write_session(&mut out, local);
    for (i, section) in offer.sections.iter().enumerate() {
        if i == index {
            let _ = write!(
                out,
                "m=audio {} {} {}",
                local.rtp.port(),
                section.proto,
                codec.pt
            );
            if let Some((pt, _)) = dtmf {
                let _ = write!(out, " {pt}");
            }
            out.push_str("\r\n");
            write_codec(&mut out, codec.kind, codec.pt);
            if let Some((pt, rate)) = dtmf {
                write_telephone_event(&mut out, pt, rate);
            }
            let _ = write!(
                out,
                "a=ptime:{PTIME_MS}\r\na={}\r\n",
                direction_attr(answered)
            );
        } else {
            // RFC 3264 §6: a rejected stream keeps its media, proto and formats, port 0.
            let _ = write!(out, "m={} 0 {}", section.media, section.proto);
            if !section.formats.is_empty() {
                let _ = write!(out, " {}", section.formats);
            }
            out.push_str("\r\n");
        }
    }
    let negotiation = Negotiation {
        codec,
        dtmf,
        remote_host: rtp.connection.clone(),
        remote_port: offer.sections.get(index).map_or(0, |s| s.port),
        remote_ptime: rtp.ptime,
        direction,
        audio_index: index,
    };
    Ok((out, negotiation))
}

/// Read the answer to our offer (RFC 3264 §7): its first audio m-line.
pub(super) fn read_answer(
    answer: &Description,
    local: &LocalMedia,
) -> Result<Negotiation, SdpError> {
    let (index, section) = answer
        .sections
        .iter()
        .enumerate()
        .find(|(_, s)| s.media.eq_ignore_ascii_case("audio"))
        .ok_or(SdpError::NoAudio)?;
    // Port 0 (rejected) or a profile we did not offer.
    let rtp = section.rtp.as_ref().ok_or(SdpError::NoAudio)?;
    // The answerer may renumber dynamic payload types (we accept what it says).
    let codec = pick_codec(rtp, &our_codecs(local)).ok_or(SdpError::NoCommonCodec)?;
    let dtmf = if local.telephone_event {
        pick_telephone_event(rtp, codec.clock_rate)
    } else {
        None
    };
    let direction = our_direction(
        rtp.direction.unwrap_or_default(),
        local.direction,
        is_unspecified(&rtp.connection),
    );
    Ok(Negotiation {
        codec,
        dtmf,
        remote_host: rtp.connection.clone(),
        remote_port: section.port,
        remote_ptime: rtp.ptime,
        direction,
        audio_index: index,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::sdp::facade::Rtpmap;
    use crate::media::sdp::RemoteHost;
    use MediaDirection::{Inactive, RecvOnly, SendOnly, SendRecv};

    fn local(codecs: &[CodecKind], te: bool, addr: &str) -> LocalMedia {
        LocalMedia {
            rtp: addr.parse().expect("test address"),
            codecs: codecs.to_vec(),
            telephone_event: te,
            session_id: 42,
            session_version: 7,
            direction: SendRecv,
        }
    }

    fn section(pts: &[PayloadType], maps: &[(PayloadType, &str, u32, Option<u32>)]) -> RtpSection {
        RtpSection {
            payload_types: pts.to_vec(),
            rtpmaps: maps
                .iter()
                .map(|&(pt, name, rate, channels)| Rtpmap {
                    pt,
                    name: name.into(),
                    rate,
                    channels,
                })
                .collect(),
            ptime: None,
            direction: None,
            connection: RemoteHost::Ip("10.0.0.1".parse().expect("ip")),
        }
    }

    #[test]
    fn offer_text_is_exact() {
        let l = local(&CodecKind::ALL, true, "192.0.2.1:5004");
        assert_eq!(
            offer(&l),
            "v=0\r\no=sipline 42 7 IN IP4 192.0.2.1\r\ns=sipline\r\nc=IN IP4 192.0.2.1\r\n\
             t=0 0\r\nm=audio 5004 RTP/AVP 111 0 8 101\r\na=rtpmap:111 opus/48000/2\r\n\
             a=fmtp:111 useinbandfec=1\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n\
             a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\n\
             a=sendrecv\r\n"
        );
    }

    #[test]
    fn offer_follows_codec_order_and_ipv6() {
        let mut l = local(
            &[CodecKind::Pcma, CodecKind::Opus, CodecKind::Pcma],
            false,
            "[2001:db8::1]:6000",
        );
        l.direction = SendOnly;
        let o = offer(&l);
        assert!(o.contains("o=sipline 42 7 IN IP6 2001:db8::1\r\n"), "{o}");
        assert!(o.contains("c=IN IP6 2001:db8::1\r\n"), "{o}");
        assert!(
            o.contains("m=audio 6000 RTP/AVP 8 111\r\n"),
            "duplicates removed: {o}"
        );
        assert!(!o.contains("telephone-event"), "{o}");
        assert!(o.ends_with("a=sendonly\r\n"), "{o}");
    }

    #[test]
    fn empty_codec_list_offers_all() {
        let o = offer(&local(&[], false, "192.0.2.1:5004"));
        assert!(o.contains("m=audio 5004 RTP/AVP 111 0 8\r\n"), "{o}");
    }

    #[test]
    fn direction_table_rfc3264_6_1() {
        // (offered, what we want, what we end up with)
        let table = [
            (SendRecv, SendRecv, SendRecv),
            (SendOnly, SendRecv, RecvOnly),
            (RecvOnly, SendRecv, SendOnly),
            (Inactive, SendRecv, Inactive),
            (SendRecv, SendOnly, SendOnly),
            (SendRecv, RecvOnly, RecvOnly),
            (SendRecv, Inactive, Inactive),
            (SendOnly, SendOnly, Inactive),
            (RecvOnly, RecvOnly, Inactive),
        ];
        for (offered, want, got) in table {
            assert_eq!(
                our_direction(offered, want, false),
                got,
                "{offered:?} {want:?}"
            );
        }
        // RFC 3264 §8.4: nothing is sent to 0.0.0.0.
        assert_eq!(our_direction(SendRecv, SendRecv, true), RecvOnly);
        assert_eq!(our_direction(RecvOnly, SendRecv, true), Inactive);
    }

    #[test]
    fn codec_matching_by_rtpmap_and_static_type() {
        let s = section(
            &[0, 8, 96, 97, 98, 99, 100],
            &[
                (96, "OPUS", 48000, Some(2)),
                (97, "opus", 48000, Some(1)),
                (98, "opus", 16000, Some(2)),
                (99, "pcmu", 8000, None),
                (100, "opus", 48000, None),
            ],
        );
        assert_eq!(
            codec_of(&s, 0),
            Some(CodecKind::Pcmu),
            "static without rtpmap"
        );
        assert_eq!(
            codec_of(&s, 8),
            Some(CodecKind::Pcma),
            "static without rtpmap"
        );
        assert_eq!(
            codec_of(&s, 96),
            Some(CodecKind::Opus),
            "name is case-insensitive"
        );
        assert_eq!(codec_of(&s, 97), None, "opus must be /2");
        assert_eq!(codec_of(&s, 98), None, "opus is always 48000");
        assert_eq!(
            codec_of(&s, 99),
            Some(CodecKind::Pcmu),
            "dynamic PT for PCMU"
        );
        assert_eq!(
            codec_of(&s, 100),
            Some(CodecKind::Opus),
            "missing channels tolerated"
        );
        // An rtpmap overrides the static table.
        let odd = section(&[0], &[(0, "GSM", 8000, None)]);
        assert_eq!(codec_of(&odd, 0), None);
    }

    #[test]
    fn offer_order_decides_not_ours() {
        let s = section(&[8, 111, 0], &[(111, "opus", 48000, Some(2))]);
        let got = pick_codec(&s, &CodecKind::ALL).expect("common codec");
        assert_eq!(
            (got.kind, got.pt, got.clock_rate),
            (CodecKind::Pcma, 8, 8000)
        );
        let got = pick_codec(&s, &[CodecKind::Opus]).expect("opus");
        assert_eq!(
            (got.kind, got.pt, got.clock_rate),
            (CodecKind::Opus, 111, 48000)
        );
        assert_eq!(pick_codec(&s, &[]), None);
    }

    #[test]
    fn telephone_event_prefers_the_audio_clock_rate() {
        let s = section(
            &[111, 0, 110, 126],
            &[
                (111, "opus", 48000, Some(2)),
                (110, "telephone-event", 48000, None),
                (126, "telephone-event", 8000, None),
            ],
        );
        assert_eq!(pick_telephone_event(&s, 48000), Some((110, 48000)));
        assert_eq!(pick_telephone_event(&s, 8000), Some((126, 8000)));
        assert_eq!(
            pick_telephone_event(&s, 16000),
            Some((110, 48000)),
            "else first"
        );
        // An rtpmap for a type not on the m= line does not count.
        let stray = section(&[0], &[(101, "telephone-event", 8000, None)]);
        assert_eq!(pick_telephone_event(&stray, 8000), None);
    }
}
