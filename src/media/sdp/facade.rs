//! The only file in sipline that imports `webrtc_sdp`.
//!
//! # Why a facade, and what it does around the crate
//!
//! webrtc-sdp is a JSEP (WebRTC) parser. Its maintainers say it "may not be a good choice for
//! a general purpose SDP library" (mozilla/webrtc-sdp issue #96), and SIP-flavoured SDP
//! (RFC 4566 / RFC 3264) trips it in several ways. We therefore split the text into sections
//! ourselves and hand the crate only the part it reads correctly:
//!
//! 1. **Line endings and sections.** The text is split on CR, LF or CRLF (LF-only bodies are
//!    common), empty lines are skipped, and the description is cut into the session part
//!    and one section per `m=` line (RFC 4566 §5). The section structure is decided here,
//!    not by the crate, because the crate drops an `m=` line whose transport it does not
//!    know (`m=image 33802 udptl t38`, T.38) and then *folds that section's attributes into
//!    the section before it*, which would also change the m-line count an answer must keep
//!    (RFC 3264 §6).
//! 2. **Only audio over RTP/AVP or RTP/AVPF with a non-zero port goes to the crate.** Every
//!    other section (video, T.38 image, SRTP/DTLS profiles, port 0) keeps only its `m=` line
//!    tokens, which is all an answer needs to reject it (port 0, same media/proto/formats).
//! 3. **Only the attributes we use are passed on:** `a=rtpmap`, `a=ptime` and the direction
//!    attributes (`sendrecv`, `sendonly`, `recvonly`, `inactive`, RFC 4566 §6). The crate
//!    drops unknown attributes with a warning (`a=crypto`, `a=alt`, `a=acap`, `a=T38…`) and
//!    fails the whole parse on some it knows but finds malformed (e.g. a placeholder
//!    `a=fingerprint` in a Chrome offer), and checks JSEP rules (extmap, rid, rtcp-mux-only)
//!    we do not need. `a=crypto` on `RTP/AVP` (best-effort SDES-SRTP, e.g. Polycom) is thus
//!    ignored: we answer plain RTP/AVP without it, which such offers allow.
//! 4. **Session-level `a=ptime`** is legal SDP (RFC 4566 §6) but the crate rejects it
//!    ("not allowed at session level") and fails the parse; we copy it into each audio
//!    section that has no `a=ptime` of its own. Session-level direction attributes are
//!    passed on unchanged (the crate accepts them).
//! 5. Only `v=`, `o=`, `s=`, `c=` and `t=` of the session part are passed on; `b=`, `i=`,
//!    `e=`, `p=`, `u=`, `k=`, `r=`, `z=` are dropped (the crate rejects several of them and
//!    we use none).
//! 6. We call `parse_sdp(text, false)` (warnings do not fail). If the crate still rejects a
//!    line, it names the line: a rejected `a=` line is dropped and the parse retried
//!    (at most 64 times, over at most 512 lines); a rejected `o=` line is replaced by a neutral one
//!    (we never use the origin of a remote description); a rejected `v=`, `c=`, `m=` or
//!    `t=` line makes the whole body unreadable ([`SdpError::Parse`]).
//!
//! So the crate parses every value we rely on (`c=` addresses including IPv6 and FQDNs,
//! `m=` ports, protocols and payload-type lists, `a=rtpmap`, `a=ptime`, direction), and
//! this file only does line splitting, section bookkeeping and the tokens of `m=` lines
//! for sections we reject. No hand-written fallback parser was needed for the corpus.

use webrtc_sdp::address::ExplicitlyTypedAddress;
use webrtc_sdp::attribute_type::SdpAttribute;
use webrtc_sdp::error::SdpParserError;
use webrtc_sdp::media_type::SdpFormatList;
use webrtc_sdp::{parse_sdp, SdpConnection};

use super::{RemoteHost, SdpError};
use crate::media::{MediaDirection, PayloadType};

/// Bodies larger than this are refused outright (a SIP body over UDP is far smaller).
pub(super) const MAX_SDP_LEN: usize = 64 * 1024;
/// At most this many lines are handed to the crate (its parser is quadratic in the line
/// count); real audio sections need a few dozen.
const MAX_FED_LINES: usize = 512;
/// At most this many unreadable lines are dropped before the body counts as unreadable.
const MAX_RETRIES: usize = 64;

/// A remote session description, reduced to what offer/answer needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Description {
    /// One entry per `m=` line, in order.
    pub sections: Vec<Section>,
}

/// One `m=` section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Section {
    /// Media type token as written (`audio`, `video`, `image`, …).
    pub media: String,
    /// Port from the `m=` line (without any `/count`).
    pub port: u16,
    /// Transport protocol token as written (`RTP/AVP`, `udptl`, …).
    pub proto: String,
    /// The format tokens, space-separated, as written.
    pub formats: String,
    /// Parsed details, present for audio over RTP/AVP(F) with a non-zero port.
    pub rtp: Option<RtpSection>,
}

/// An audio section we may use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct RtpSection {
    /// Payload types of the `m=` line, in the offerer's preference order.
    pub payload_types: Vec<PayloadType>,
    /// `a=rtpmap` lines.
    pub rtpmaps: Vec<Rtpmap>,
    /// `a=ptime` (media level, or copied from session level).
    pub ptime: Option<u32>,
    /// Media-level direction attribute, else session-level, else `None` (= sendrecv).
    pub direction: Option<MediaDirection>,
    /// Connection address: media-level `c=` over session-level `c=` (RFC 4566 §5.7).
    pub connection: RemoteHost,
}

/// One `a=rtpmap:<pt> <name>/<rate>[/<channels>]` (RFC 4566 §6).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Rtpmap {
    pub pt: PayloadType,
    pub name: String,
    pub rate: u32,
    pub channels: Option<u32>,
}

impl Section {
    /// Audio over RTP/AVP or RTP/AVPF with a non-zero port and at least one format: the
    /// only kind of section we can accept (and so the only kind handed to the crate).
    pub(super) fn is_usable_audio(&self) -> bool {
        self.media.eq_ignore_ascii_case("audio")
            && (self.proto.eq_ignore_ascii_case("RTP/AVP")
                || self.proto.eq_ignore_ascii_case("RTP/AVPF"))
            && self.port != 0
            && !self.formats.is_empty()
    }
}

/// Split one SDP line into its type letter and value (`"a=ptime:20"` → `('a', "ptime:20")`).
fn split_line(line: &str) -> Option<(char, &str)> {
    let (ty, value) = line.split_once('=')?;
    let mut chars = ty.trim().chars();
    let c = chars.next()?;
    if chars.next().is_some() {
        return None;
    }
    Some((c.to_ascii_lowercase(), value.trim()))
}

/// The attribute name of an `a=` value (`"rtpmap:0 PCMU/8000"` → `"rtpmap"`).
fn attr_name(value: &str) -> &str {
    value.split(':').next().unwrap_or(value).trim()
}

fn is_direction_attr(name: &str) -> bool {
    ["sendrecv", "sendonly", "recvonly", "inactive"]
        .iter()
        .any(|d| name.eq_ignore_ascii_case(d))
}

/// The tokens of an `m=` line (RFC 4566 §5.14: `<media> <port>[/<n>] <proto> <fmt> ...`).
fn parse_m_tokens(value: &str) -> Result<(String, u16, String, String), SdpError> {
    let mut tokens = value.split_whitespace();
    let bad = || SdpError::Parse(format!("malformed m= line: {value}"));
    let media = tokens.next().ok_or_else(bad)?;
    let port_token = tokens.next().ok_or_else(bad)?;
    let proto = tokens.next().ok_or_else(bad)?;
    let port_text = port_token.split('/').next().unwrap_or(port_token);
    let port: u16 = port_text.parse().map_err(|_| bad())?;
    let formats = tokens.collect::<Vec<_>>().join(" ");
    Ok((media.to_string(), port, proto.to_string(), formats))
}

/// Where a line handed to the crate came from, so a rejected line can be dropped.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Fed {
    /// Must be readable, or the body is unreadable.
    Essential,
    /// `o=`: replaced by a neutral origin if the crate rejects it.
    Origin,
    /// `a=`: dropped if the crate rejects it.
    Attribute,
}

/// Parse a remote SDP body (RFC 4566) into the sections offer/answer needs.
pub(super) fn parse(body: &[u8]) -> Result<Description, SdpError> {
    if body.len() > MAX_SDP_LEN {
        return Err(SdpError::Parse(format!("body of {} bytes", body.len())));
    }
    let text = String::from_utf8_lossy(body);
    let lines: Vec<&str> = text
        .split(['\r', '\n'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    match lines.first().and_then(|l| split_line(l)) {
        Some(('v', _)) => {}
        _ => return Err(SdpError::Parse("does not start with v=".into())),
    }

    // Session part: lines up to the first m=.
    let first_m = lines
        .iter()
        .position(|l| matches!(split_line(l), Some(('m', _))))
        .unwrap_or(lines.len());
    let mut fed: Vec<(String, Fed)> = Vec::new();
    let mut session_ptime: Option<&str> = None;
    let mut session_has_c = false;
    for line in &lines[..first_m] {
        match split_line(line) {
            Some(('v' | 's' | 't', _)) => fed.push((line.to_string(), Fed::Essential)),
            Some(('o', _)) => fed.push((line.to_string(), Fed::Origin)),
            Some(('c', _)) if !session_has_c => {
                session_has_c = true;
                fed.push((line.to_string(), Fed::Essential));
            }
            Some(('a', v)) if is_direction_attr(attr_name(v)) => {
                fed.push((line.to_string(), Fed::Attribute));
            }
            Some(('a', v)) if attr_name(v).eq_ignore_ascii_case("ptime") => {
                session_ptime = Some(line);
            }
            Some(_) => {}
            None => return Err(SdpError::Parse(format!("not an SDP line: {line}"))),
        }
    }

    // Media sections.
    let mut sections = Vec::new();
    let mut fed_sections = 0usize;
    let mut rest = &lines[first_m..];
    while let Some((m_line, after)) = rest.split_first() {
        let end = after
            .iter()
            .position(|l| matches!(split_line(l), Some(('m', _))))
            .unwrap_or(after.len());
        let body_lines = &after[..end];
        rest = &after[end..];

        let m_value = split_line(m_line).map(|(_, v)| v).unwrap_or_default();
        let (media, port, proto, formats) = parse_m_tokens(m_value)?;
        let section = Section {
            media,
            port,
            proto,
            formats,
            rtp: None,
        };
        if section.is_usable_audio() {
            fed.push((m_line.to_string(), Fed::Essential));
            let mut has_c = false;
            let mut has_ptime = false;
            for line in body_lines {
                match split_line(line) {
                    Some(('c', _)) if !has_c => {
                        has_c = true;
                        fed.push((line.to_string(), Fed::Essential));
                    }
                    None => return Err(SdpError::Parse(format!("not an SDP line: {line}"))),
                    Some(('a', v)) => {
                        let name = attr_name(v);
                        if name.eq_ignore_ascii_case("ptime") {
                            has_ptime = true;
                        }
                        if name.eq_ignore_ascii_case("rtpmap")
                            || name.eq_ignore_ascii_case("ptime")
                            || is_direction_attr(name)
                        {
                            fed.push((line.to_string(), Fed::Attribute));
                        }
                    }
                    _ => {}
                }
            }
            if !has_c && !session_has_c {
                return Err(SdpError::NoConnection);
            }
            if let (false, Some(p)) = (has_ptime, session_ptime) {
                fed.push((p.to_string(), Fed::Attribute));
            }
            fed_sections += 1;
        }
        sections.push(section);
    }

    // Even with no usable section the crate checks the session part (v=, o=, s=, t=), so
    // that garbage is a parse error rather than "no audio".
    if fed.len() > MAX_FED_LINES {
        return Err(SdpError::Parse(format!("{} audio lines", fed.len())));
    }
    let session = parse_with_crate(fed)?;
    if session.media.len() != fed_sections {
        return Err(SdpError::Parse(format!(
            "parser returned {} audio sections, expected {fed_sections}",
            session.media.len()
        )));
    }
    let session_conn = session.get_connection().as_ref().map(host_of);
    let session_dir = direction_of(&session.attribute);
    let mut parsed = session.media.iter();
    for section in sections.iter_mut() {
        if !section.is_usable_audio() {
            continue;
        }
        // Invariant: the crate returned exactly `fed_sections` media sections (checked
        // above), one per usable section, in order.
        let Some(m) = parsed.next() else { break };
        let payload_types = match m.get_formats() {
            SdpFormatList::Integers(v) => v
                .iter()
                .filter_map(|&pt| PayloadType::try_from(pt).ok())
                .filter(|&pt| pt <= 127)
                .collect(),
            _ => Vec::new(),
        };
        let mut rtpmaps = Vec::new();
        let mut ptime = None;
        for attr in m.get_attributes() {
            match attr {
                SdpAttribute::Rtpmap(r) => rtpmaps.push(Rtpmap {
                    pt: r.payload_type,
                    name: r.codec_name.clone(),
                    rate: r.frequency,
                    channels: r.channels,
                }),
                SdpAttribute::Ptime(p) if ptime.is_none() => {
                    ptime = u32::try_from(*p).ok();
                }
                _ => {}
            }
        }
        let connection = match (m.get_connection().as_ref().map(host_of), &session_conn) {
            (Some(c), _) => c,
            (None, Some(c)) => c.clone(),
            (None, None) => return Err(SdpError::NoConnection),
        };
        section.rtp = Some(RtpSection {
            payload_types,
            rtpmaps,
            ptime,
            direction: direction_of(m.get_attributes()).or(session_dir),
            connection,
        });
    }
    Ok(Description { sections })
}

/// Run `parse_sdp(text, false)` on the fed lines, dropping `a=` lines (and neutralising the
/// `o=` line) that the crate names as unreadable.
fn parse_with_crate(mut fed: Vec<(String, Fed)>) -> Result<webrtc_sdp::SdpSession, SdpError> {
    for _ in 0..=MAX_RETRIES {
        let mut text = String::new();
        for (line, _) in &fed {
            text.push_str(line);
            text.push_str("\r\n");
        }
        let err = match parse_sdp(&text, false) {
            Ok(session) => return Ok(session),
            Err(e) => e,
        };
        let line_number = match &err {
            SdpParserError::Line { line_number, .. }
            | SdpParserError::Unsupported { line_number, .. } => Some(*line_number),
            SdpParserError::Sequence { .. } => None,
        };
        match line_number.and_then(|n| fed.get(n).map(|(_, kind)| (n, *kind))) {
            Some((n, Fed::Attribute)) => {
                fed.remove(n);
            }
            Some((n, Fed::Origin)) => {
                if let Some(slot) = fed.get_mut(n) {
                    *slot = ("o=- 0 0 IN IP4 0.0.0.0".to_string(), Fed::Essential);
                }
            }
            _ => return Err(SdpError::Parse(err.to_string())),
        }
    }
    Err(SdpError::Parse("too many unreadable lines".into()))
}

fn host_of(c: &SdpConnection) -> RemoteHost {
    match &c.address {
        ExplicitlyTypedAddress::Ip(ip) => RemoteHost::Ip(*ip),
        ExplicitlyTypedAddress::Fqdn { domain, .. } => RemoteHost::Name(domain.clone()),
    }
}

fn direction_of(attrs: &[SdpAttribute]) -> Option<MediaDirection> {
    attrs.iter().find_map(|a| match a {
        SdpAttribute::Sendrecv => Some(MediaDirection::SendRecv),
        SdpAttribute::Sendonly => Some(MediaDirection::SendOnly),
        SdpAttribute::Recvonly => Some(MediaDirection::RecvOnly),
        SdpAttribute::Inactive => Some(MediaDirection::Inactive),
        _ => None,
    })
}

/// Whether an address means "do not send to me" (RFC 3264 §8.4: `c=IN IP4 0.0.0.0`).
pub(super) fn is_unspecified(host: &RemoteHost) -> bool {
    matches!(host, RemoteHost::Ip(ip) if ip.is_unspecified())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    fn ip(s: &str) -> RemoteHost {
        RemoteHost::Ip(s.parse().expect("test address"))
    }

    fn audio(desc: &Description, i: usize) -> &RtpSection {
        desc.sections[i].rtp.as_ref().expect("usable audio section")
    }

    const BASIC: &str = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
                         m=audio 4000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n";

    #[test]
    fn basic_audio_section() {
        let d = parse(BASIC.as_bytes()).expect("parses");
        assert_eq!(d.sections.len(), 1);
        let a = audio(&d, 0);
        assert_eq!(a.payload_types, vec![0, 8, 101]);
        assert_eq!(a.connection, ip("10.0.0.1"));
        assert_eq!(a.direction, None);
        assert_eq!(
            a.rtpmaps,
            vec![Rtpmap {
                pt: 101,
                name: "telephone-event".into(),
                rate: 8000,
                channels: None
            }]
        );
    }

    #[test]
    fn lf_only_and_cr_only_line_endings() {
        let lf = BASIC.replace("\r\n", "\n");
        let cr = BASIC.replace("\r\n", "\r");
        let want = parse(BASIC.as_bytes()).expect("crlf");
        assert_eq!(parse(lf.as_bytes()).expect("lf"), want);
        assert_eq!(parse(cr.as_bytes()).expect("cr"), want);
    }

    #[test]
    fn session_level_ptime_is_moved_into_the_audio_section() {
        let sdp = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
                   a=ptime:30\r\nm=audio 4000 RTP/AVP 0\r\n\
                   m=audio 4002 RTP/AVP 8\r\na=ptime:40\r\n";
        let d = parse(sdp.as_bytes()).expect("parses despite session-level ptime");
        assert_eq!(audio(&d, 0).ptime, Some(30));
        assert_eq!(audio(&d, 1).ptime, Some(40), "media level wins");
    }

    #[test]
    fn image_section_attributes_are_not_folded_into_audio() {
        let sdp = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
                   m=audio 4000 RTP/AVP 0\r\na=sendrecv\r\n\
                   m=image 4002 udptl t38\r\na=T38FaxVersion:0\r\na=recvonly\r\n";
        let d = parse(sdp.as_bytes()).expect("parses");
        assert_eq!(d.sections.len(), 2);
        assert_eq!(audio(&d, 0).direction, Some(MediaDirection::SendRecv));
        let image = &d.sections[1];
        assert_eq!(
            (
                image.media.as_str(),
                image.port,
                image.proto.as_str(),
                image.formats.as_str()
            ),
            ("image", 4002, "udptl", "t38")
        );
        assert!(image.rtp.is_none());
    }

    #[test]
    fn unreadable_known_attributes_are_dropped_not_fatal() {
        // webrtc-sdp fails the whole parse on this fingerprint; we never feed it.
        let sdp = format!(
            "{BASIC}a=fingerprint:sha-256 XX:YY\r\n\
             a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:abc\r\n"
        );
        let d = parse(sdp.as_bytes()).expect("parses");
        assert_eq!(audio(&d, 0).payload_types, vec![0, 8, 101]);
    }

    #[test]
    fn malformed_rtpmap_is_dropped_by_the_retry_loop() {
        let sdp = format!("{BASIC}a=rtpmap:0 PCMU\r\na=rtpmap:8 PCMA/eight\r\na=ptime:20\r\n");
        let d = parse(sdp.as_bytes()).expect("parses");
        let a = audio(&d, 0);
        assert_eq!(
            a.rtpmaps.len(),
            1,
            "only the telephone-event rtpmap survives"
        );
        assert_eq!(a.ptime, Some(20));
    }

    #[test]
    fn unreadable_origin_is_neutralised() {
        let sdp = BASIC.replace("o=- 1 1 IN IP4 10.0.0.1", "o=- x y IN IP4 10.0.0.1");
        let d = parse(sdp.as_bytes()).expect("origin is not needed");
        assert_eq!(audio(&d, 0).connection, ip("10.0.0.1"));
    }

    #[test]
    fn media_connection_overrides_session_connection() {
        let sdp = format!("{BASIC}c=IN IP6 2001:db8::7\r\n");
        let d = parse(sdp.as_bytes()).expect("parses");
        assert_eq!(audio(&d, 0).connection, ip("2001:db8::7"));
    }

    #[test]
    fn fqdn_connection_is_kept_as_a_name() {
        let sdp = BASIC.replace("c=IN IP4 10.0.0.1", "c=IN IP4 host.example.com");
        let d = parse(sdp.as_bytes()).expect("parses");
        assert_eq!(
            audio(&d, 0).connection,
            RemoteHost::Name("host.example.com".into())
        );
    }

    #[test]
    fn unspecified_address_is_detected() {
        assert!(is_unspecified(&RemoteHost::Ip(IpAddr::V4(
            Ipv4Addr::UNSPECIFIED
        ))));
        assert!(is_unspecified(&ip("::")));
        assert!(!is_unspecified(&ip("10.0.0.1")));
        assert!(!is_unspecified(&RemoteHost::Name("0.0.0.0.example".into())));
    }

    #[test]
    fn session_direction_applies_when_media_has_none() {
        let sdp = BASIC.replace("t=0 0\r\n", "t=0 0\r\na=sendonly\r\n");
        let d = parse(sdp.as_bytes()).expect("parses");
        assert_eq!(audio(&d, 0).direction, Some(MediaDirection::SendOnly));
    }

    #[test]
    fn port_zero_and_other_profiles_are_not_usable() {
        let sdp = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
                   m=audio 0 RTP/AVP 0\r\nm=audio 4000 RTP/SAVP 0\r\nm=audio 4002/2 RTP/AVPF 8\r\n";
        let d = parse(sdp.as_bytes()).expect("parses");
        assert!(d.sections[0].rtp.is_none());
        assert!(d.sections[1].rtp.is_none());
        assert_eq!(d.sections[2].port, 4002);
        assert_eq!(audio(&d, 2).payload_types, vec![8]);
    }

    #[test]
    fn missing_connection_is_reported() {
        let sdp = BASIC.replace("c=IN IP4 10.0.0.1\r\n", "");
        assert_eq!(parse(sdp.as_bytes()), Err(SdpError::NoConnection));
    }

    #[test]
    fn garbage_is_a_parse_error() {
        for body in [
            &b""[..],
            b"hello",
            b"v=0",
            b"\xff\xfe\x00garbage",
            b"v=0\r\nm=audio x RTP/AVP 0\r\n",
            b"v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 not an address\r\nt=0 0\r\n\
              m=audio 1 RTP/AVP 0\r\n",
            b"v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
              m=audio 1 RTP/AVP zero\r\n",
            b"v=0\r\nthis is not sdp\r\n",
        ] {
            assert!(
                matches!(parse(body), Err(SdpError::Parse(_))),
                "{:?}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn too_many_audio_lines_or_unreadable_lines_are_refused() {
        let mut many = BASIC.to_string();
        for _ in 0..MAX_FED_LINES {
            many.push_str("a=sendrecv\r\n");
        }
        assert!(matches!(parse(many.as_bytes()), Err(SdpError::Parse(_))));
        let mut bad = BASIC.to_string();
        for pt in 0..=MAX_RETRIES {
            bad.push_str(&format!("a=rtpmap:{pt} broken\r\n"));
        }
        assert!(matches!(parse(bad.as_bytes()), Err(SdpError::Parse(_))));
        // One fewer unreadable line is still fine.
        let mut ok = BASIC.to_string();
        for pt in 0..MAX_RETRIES {
            ok.push_str(&format!("a=rtpmap:{pt} broken\r\n"));
        }
        assert!(parse(ok.as_bytes()).is_ok());
    }

    #[test]
    fn oversized_body_is_refused() {
        let mut sdp = BASIC.to_string();
        while sdp.len() <= MAX_SDP_LEN {
            sdp.push_str("a=x-filler:0123456789012345678901234567890123456789\r\n");
        }
        assert!(matches!(parse(sdp.as_bytes()), Err(SdpError::Parse(_))));
    }
}
