//! Every SDP of `../shared/corpora/sdp/` answered (offers) or processed (answers) as sipline
//! would, with the specific expected outcome: codec and payload type, telephone-event,
//! m-line count and rejected (port 0) lines, direction, remote address.
//!
//! Our side throughout: 192.0.2.10:40000, codecs Opus, PCMU, PCMA, telephone-event on,
//! sendrecv. An `*-answer.sdp` file is processed as the answer to our own offer.
//!
//! RFC 3264 and RFC 4317 write `c=` with domain names; `MediaParams::remote` is a
//! `SocketAddr`, so the plain API gives `NoConnection` for them and the `*_detailed` API
//! gives the full result, which is what most assertions here check. Many RFC 4317 examples
//! offer only iLBC, which we do not have (`NoCommonCodec`); for the hold examples a
//! derived test replaces iLBC by PCMA to check the hold semantics as well.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use sipline::media::codec::CodecKind;
use sipline::media::sdp::{
    answer_offer, answer_offer_detailed, process_answer, process_answer_detailed, LocalMedia,
    Negotiation, RemoteHost, SdpError,
};
use sipline::media::MediaDirection::{self, Inactive, RecvOnly, SendRecv};

use CodecKind::{Pcma, Pcmu};

fn corpus(rel: &str) -> Vec<u8> {
    let shared = std::env::var_os("SIPLINE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let path = shared.join("corpora/sdp").join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn local() -> LocalMedia {
    LocalMedia {
        rtp: "192.0.2.10:40000".parse().expect("address"),
        codecs: CodecKind::ALL.to_vec(),
        telephone_event: true,
        session_id: 1000,
        session_version: 1,
        direction: SendRecv,
    }
}

/// The `m=` lines of an SDP text.
fn m_lines(sdp: &str) -> Vec<&str> {
    sdp.lines().filter(|l| l.starts_with("m=")).collect()
}

/// The direction attributes of an SDP text, in order.
fn directions(sdp: &str) -> Vec<&str> {
    sdp.lines()
        .filter(|l| {
            matches!(
                *l,
                "a=sendrecv" | "a=sendonly" | "a=recvonly" | "a=inactive"
            )
        })
        .collect()
}

struct Want {
    codec: CodecKind,
    pt: u8,
    dtmf: Option<(u8, u32)>,
    host: &'static str,
    port: u16,
    direction: MediaDirection,
}

fn host(h: &str) -> RemoteHost {
    match h.parse::<IpAddr>() {
        Ok(ip) => RemoteHost::Ip(ip),
        Err(_) => RemoteHost::Name(h.to_string()),
    }
}

fn check(n: &Negotiation, w: &Want) {
    assert_eq!(n.codec.kind, w.codec);
    assert_eq!(n.codec.pt, w.pt);
    assert_eq!(n.codec.clock_rate, w.codec.clock_rate());
    assert_eq!(n.dtmf, w.dtmf);
    assert_eq!(n.remote_host, host(w.host));
    assert_eq!(n.remote_port, w.port);
    assert_eq!(n.direction, w.direction);
}

/// Answer the offer in `rel`; check the agreement, the answer's m-lines and direction
/// attribute, and what the plain `answer_offer` gives.
fn offer_ok(rel: &str, l: &LocalMedia, w: Want, mlines: &[&str], dir_attr: &str) -> String {
    let body = corpus(rel);
    let (sdp, n) = answer_offer_detailed(&body, l).expect("answerable");
    check(&n, &w);
    assert_eq!(m_lines(&sdp), mlines, "answer:\n{sdp}");
    assert_eq!(directions(&sdp), [dir_attr], "answer:\n{sdp}");
    assert!(sdp.contains("c=IN IP4 192.0.2.10\r\n"));
    assert!(sdp.contains("a=ptime:20\r\n"));
    match w.host.parse::<IpAddr>() {
        Ok(ip) => {
            let a = answer_offer(&body, l).expect("plain API too");
            assert_eq!(a.sdp, sdp);
            assert_eq!(a.params.remote, SocketAddr::new(ip, w.port));
            assert_eq!(a.params.codec, n.codec);
            assert_eq!(a.params.dtmf, w.dtmf);
            assert_eq!(a.params.direction, w.direction);
            assert_eq!(a.params.ptime, 20);
        }
        Err(_) => assert_eq!(answer_offer(&body, l), Err(SdpError::NoConnection)),
    }
    sdp
}

fn offer_err(rel: &str, e: SdpError) {
    assert_eq!(
        answer_offer_detailed(&corpus(rel), &local()),
        Err(e.clone())
    );
    assert_eq!(answer_offer(&corpus(rel), &local()), Err(e));
}

fn answer_ok(rel: &str, l: &LocalMedia, w: Want) -> Negotiation {
    let body = corpus(rel);
    let n = process_answer_detailed(&body, l).expect("usable answer");
    check(&n, &w);
    match w.host.parse::<IpAddr>() {
        Ok(ip) => {
            let p = process_answer(&body, l).expect("plain API too");
            assert_eq!(p.remote, SocketAddr::new(ip, w.port));
            assert_eq!(p.codec, n.codec);
            assert_eq!(p.direction, w.direction);
        }
        Err(_) => assert_eq!(process_answer(&body, l), Err(SdpError::NoConnection)),
    }
    n
}

fn answer_err(rel: &str, e: SdpError) {
    assert_eq!(
        process_answer_detailed(&corpus(rel), &local()),
        Err(e.clone())
    );
    assert_eq!(process_answer(&corpus(rel), &local()), Err(e));
}

/// The file with iLBC replaced by PCMA (same dynamic payload type 97/99).
fn with_pcma(rel: &str) -> Vec<u8> {
    String::from_utf8(corpus(rel))
        .expect("utf-8")
        .replace("iLBC/8000", "PCMA/8000")
        .into_bytes()
}

// ───────────────────────────── real-world ─────────────────────────────

#[test]
fn asterisk_offer_pcma_first() {
    let n = answer_offer_detailed(
        &corpus("real-world/asterisk-13.23.1_chan_sip_offer.sdp"),
        &local(),
    )
    .expect("answer")
    .1;
    assert_eq!(n.remote_ptime, Some(20));
    offer_ok(
        "real-world/asterisk-13.23.1_chan_sip_offer.sdp",
        &local(),
        Want {
            codec: Pcma,
            pt: 8,
            dtmf: None,
            host: "10.177.94.5",
            port: 59668,
            direction: SendRecv,
        },
        &["m=audio 40000 RTP/AVP 8"],
        "a=sendrecv",
    );
}

#[test]
fn chrome_offer_is_rejected_no_plain_rtp_audio() {
    // Audio only over UDP/TLS/RTP/SAVPF (DTLS-SRTP + ICE), which sipline does not speak.
    offer_err(
        "real-world/chrome-130_webrtc_audio-video_offer.sdp",
        SdpError::NoAudio,
    );
}

#[test]
fn counterpath_offer_first_line_lf() {
    let sdp = offer_ok(
        "real-world/counterpath-eyebeam-1.5_offer_first-line-LF.sdp",
        &local(),
        Want {
            codec: Pcmu,
            pt: 0,
            dtmf: Some((101, 8000)),
            host: "84.209.220.122",
            port: 24484,
            direction: SendRecv,
        },
        &["m=audio 40000 RTP/AVP 0 101", "m=video 0 RTP/AVP 115 34"],
        "a=sendrecv",
    );
    assert!(sdp.contains("a=rtpmap:101 telephone-event/8000\r\n"));
}

#[test]
fn freeswitch_answer_ptime30() {
    let n = answer_ok(
        "real-world/freeswitch_200ok_answer_ptime30.sdp",
        &local(),
        Want {
            codec: Pcma,
            pt: 8,
            dtmf: Some((99, 8000)),
            host: "10.177.94.5",
            port: 17220,
            direction: SendRecv,
        },
    );
    assert_eq!(n.remote_ptime, Some(30));
    let p = process_answer(
        &corpus("real-world/freeswitch_200ok_answer_ptime30.sdp"),
        &local(),
    )
    .expect("params");
    assert_eq!(p.ptime, 20, "we still send 20 ms frames");
}

#[test]
fn linphone_offer_speex_on_111_is_not_opus() {
    // PT 111 is speex/16000 here: matched by rtpmap, never by our default numbers.
    // Session-level c= is IPv4 although o= is IPv6; capneg (acap/tcap) is ignored.
    offer_ok(
        "real-world/linphone-belle-sip_ipv6-origin_capneg.sdp",
        &local(),
        Want {
            codec: Pcmu,
            pt: 0,
            dtmf: Some((101, 8000)),
            host: "192.168.0.18",
            port: 7078,
            direction: SendRecv,
        },
        &["m=audio 40000 RTP/AVP 0 101", "m=video 0 RTP/AVP 99 97 98"],
        "a=sendrecv",
    );
}

#[test]
fn newline_only_lf_offer_media_level_c() {
    offer_ok(
        "real-world/newline-only-LF.sdp",
        &local(),
        Want {
            codec: Pcma,
            pt: 8,
            dtmf: None,
            host: "1.2.3.4",
            port: 16610,
            direction: SendRecv,
        },
        &["m=audio 40000 RTP/AVP 8"],
        "a=sendrecv",
    );
}

#[test]
fn polycom_offer_sdes_on_rtp_avp_answered_plain() {
    let sdp = offer_ok(
        "real-world/polycom-ip-phone_offer_sdes-srtp-on-RTP-AVP.sdp",
        &local(),
        Want {
            codec: Pcma,
            pt: 8,
            dtmf: Some((96, 8000)),
            host: "192.168.9.74",
            port: 49200,
            direction: SendRecv,
        },
        &["m=audio 40000 RTP/AVP 8 96"],
        "a=sendrecv",
    );
    assert!(
        !sdp.contains("a=crypto"),
        "best-effort SRTP offer answered as plain RTP"
    );
}

#[test]
fn t38_image_only_offer_is_rejected() {
    // Only m=image udptl t38: sipline does no fax, nothing to accept.
    offer_err("real-world/t38-fax_image-mline.sdp", SdpError::NoAudio);
}

// ───────────────────────────── RFC 3264 §10 ─────────────────────────────

#[test]
fn rfc3264_10_1_offer() {
    offer_ok(
        "rfc3264/10.1_basic-exchange/1-offer.sdp",
        &local(),
        Want {
            codec: Pcmu,
            pt: 0,
            dtmf: None,
            host: "host.anywhere.com",
            port: 49170,
            direction: SendRecv,
        },
        &[
            "m=audio 40000 RTP/AVP 0",
            "m=video 0 RTP/AVP 31",
            "m=video 0 RTP/AVP 32",
        ],
        "a=sendrecv",
    );
}

#[test]
fn rfc3264_10_1_answer() {
    answer_ok(
        "rfc3264/10.1_basic-exchange/2-answer.sdp",
        &local(),
        Want {
            codec: Pcmu,
            pt: 0,
            dtmf: None,
            host: "host.example.com",
            port: 49920,
            direction: SendRecv,
        },
    );
}

#[test]
fn rfc3264_10_1_second_offer_extra_audio_rejected() {
    offer_ok(
        "rfc3264/10.1_basic-exchange/3-second-offer.sdp",
        &local(),
        Want {
            codec: Pcmu,
            pt: 0,
            dtmf: None,
            host: "host.example.com",
            port: 65422,
            direction: SendRecv,
        },
        &[
            "m=audio 40000 RTP/AVP 0",
            "m=video 0 RTP/AVP 31",
            "m=video 0 RTP/AVP 32",
            "m=audio 0 RTP/AVP 110",
        ],
        "a=sendrecv",
    );
}

#[test]
fn rfc3264_10_1_second_answer() {
    answer_ok(
        "rfc3264/10.1_basic-exchange/4-second-answer.sdp",
        &local(),
        Want {
            codec: Pcmu,
            pt: 0,
            dtmf: None,
            host: "host.anywhere.com",
            port: 49170,
            direction: SendRecv,
        },
    );
}

#[test]
fn rfc3264_10_2_offer_inactive() {
    offer_ok(
        "rfc3264/10.2_one-of-n-codec-selection/1-offer.sdp",
        &local(),
        Want {
            codec: Pcmu,
            pt: 0,
            dtmf: None,
            host: "host.anywhere.com",
            port: 62986,
            direction: Inactive,
        },
        &["m=audio 40000 RTP/AVP 0"],
        "a=inactive",
    );
}

#[test]
fn rfc3264_10_2_answer_inactive() {
    answer_ok(
        "rfc3264/10.2_one-of-n-codec-selection/2-answer.sdp",
        &local(),
        Want {
            codec: Pcmu,
            pt: 0,
            dtmf: None,
            host: "host.example.com",
            port: 54344,
            direction: Inactive,
        },
    );
}

#[test]
fn rfc3264_10_2_second_offer_g723_only() {
    offer_err(
        "rfc3264/10.2_one-of-n-codec-selection/3-second-offer.sdp",
        SdpError::NoCommonCodec,
    );
}

#[test]
fn rfc3264_10_2_second_answer_g723_only() {
    answer_err(
        "rfc3264/10.2_one-of-n-codec-selection/4-second-answer.sdp",
        SdpError::NoCommonCodec,
    );
}

// ───────────────────────────── RFC 4317 ─────────────────────────────

/// RFC 4317 §2.1/2.2/2.3/2.8 share this offer: PCMU, PCMA, iLBC + video.
fn rfc4317_av_offer(rel: &str) {
    offer_ok(
        rel,
        &local(),
        Want {
            codec: Pcmu,
            pt: 0,
            dtmf: None,
            host: "host.atlanta.example.com",
            port: 49170,
            direction: SendRecv,
        },
        &["m=audio 40000 RTP/AVP 0", "m=video 0 RTP/AVP 31 32"],
        "a=sendrecv",
    );
}

fn biloxi_pcmu(port: u16) -> Want {
    Want {
        codec: Pcmu,
        pt: 0,
        dtmf: None,
        host: "host.biloxi.example.com",
        port,
        direction: SendRecv,
    }
}

#[test]
fn rfc4317_2_1_offer() {
    rfc4317_av_offer("rfc4317/2.1_audio-and-video-1/1-offer.sdp");
}

#[test]
fn rfc4317_2_1_answer() {
    answer_ok(
        "rfc4317/2.1_audio-and-video-1/2-answer.sdp",
        &local(),
        biloxi_pcmu(49174),
    );
}

#[test]
fn rfc4317_2_2_offer() {
    rfc4317_av_offer("rfc4317/2.2_audio-and-video-2/1-offer.sdp");
}

#[test]
fn rfc4317_2_2_answer_two_codecs_first_wins() {
    answer_ok(
        "rfc4317/2.2_audio-and-video-2/2-answer.sdp",
        &local(),
        biloxi_pcmu(49172),
    );
}

#[test]
fn rfc4317_2_2_second_offer_video_port_zero() {
    offer_ok(
        "rfc4317/2.2_audio-and-video-2/3-second-offer.sdp",
        &local(),
        Want {
            codec: Pcmu,
            pt: 0,
            dtmf: None,
            host: "host.atlanta.example.com",
            port: 51372,
            direction: SendRecv,
        },
        &["m=audio 40000 RTP/AVP 0", "m=video 0 RTP/AVP 31"],
        "a=sendrecv",
    );
}

#[test]
fn rfc4317_2_2_second_answer() {
    answer_ok(
        "rfc4317/2.2_audio-and-video-2/4-second-answer.sdp",
        &local(),
        biloxi_pcmu(49172),
    );
}

#[test]
fn rfc4317_2_3_offer() {
    rfc4317_av_offer("rfc4317/2.3_audio-and-video-3/1-offer.sdp");
}

#[test]
fn rfc4317_2_3_answer_ilbc_only() {
    answer_err(
        "rfc4317/2.3_audio-and-video-3/2-answer.sdp",
        SdpError::NoCommonCodec,
    );
}

#[test]
fn rfc4317_2_3_answer_renumbered_pt_is_accepted() {
    // The answerer renumbered iLBC 97 → 99; with PCMA in its place we accept 99.
    let n = process_answer_detailed(
        &with_pcma("rfc4317/2.3_audio-and-video-3/2-answer.sdp"),
        &local(),
    )
    .expect("answer");
    assert_eq!((n.codec.kind, n.codec.pt), (Pcma, 99));
}

#[test]
fn rfc4317_2_4_offer_second_audio_rejected() {
    offer_ok(
        "rfc4317/2.4_two-audio-streams/1-offer.sdp",
        &local(),
        Want {
            codec: Pcmu,
            pt: 0,
            dtmf: None,
            host: "host.atlanta.example.com",
            port: 49170,
            direction: SendRecv,
        },
        &["m=audio 40000 RTP/AVP 0", "m=audio 0 RTP/AVP 98"],
        "a=sendrecv",
    );
}

#[test]
fn rfc4317_2_4_answer_ilbc_only() {
    answer_err(
        "rfc4317/2.4_two-audio-streams/2-answer.sdp",
        SdpError::NoCommonCodec,
    );
}

#[test]
fn rfc4317_2_5_offer_ilbc_only() {
    offer_err(
        "rfc4317/2.5_audio-and-video-4/1-offer.sdp",
        SdpError::NoCommonCodec,
    );
}

#[test]
fn rfc4317_2_5_answer_ilbc_only() {
    answer_err(
        "rfc4317/2.5_audio-and-video-4/2-answer.sdp",
        SdpError::NoCommonCodec,
    );
}

#[test]
fn rfc4317_2_5_second_offer_ilbc_only() {
    offer_err(
        "rfc4317/2.5_audio-and-video-4/3-second-offer.sdp",
        SdpError::NoCommonCodec,
    );
}

#[test]
fn rfc4317_2_5_second_answer_ilbc_only() {
    answer_err(
        "rfc4317/2.5_audio-and-video-4/4-second-answer.sdp",
        SdpError::NoCommonCodec,
    );
}

#[test]
fn rfc4317_2_5_second_offer_new_host_with_pcma() {
    let (sdp, n) = answer_offer_detailed(
        &with_pcma("rfc4317/2.5_audio-and-video-4/3-second-offer.sdp"),
        &local(),
    )
    .expect("answer");
    assert_eq!(n.remote_host, host("newhost.biloxi.example.com"));
    assert_eq!((n.codec.kind, n.codec.pt, n.remote_port), (Pcma, 97, 49178));
    assert_eq!(
        m_lines(&sdp),
        ["m=audio 40000 RTP/AVP 97", "m=video 0 RTP/AVP 31"]
    );
    assert!(sdp.contains("a=rtpmap:97 PCMA/8000\r\n"));
}

#[test]
fn rfc4317_2_6_offer_first_audio_taken() {
    offer_ok(
        "rfc4317/2.6_audio-only-1/1-offer.sdp",
        &local(),
        Want {
            codec: Pcmu,
            pt: 0,
            dtmf: None,
            host: "host.atlanta.example.com",
            port: 49170,
            direction: SendRecv,
        },
        &["m=audio 40000 RTP/AVP 0", "m=audio 0 RTP/AVP 97 101"],
        "a=sendrecv",
    );
}

#[test]
fn rfc4317_2_6_answer_first_audio_port_zero() {
    // The answer rejected our first audio stream (port 0): for us that is no audio.
    answer_err("rfc4317/2.6_audio-only-1/2-answer.sdp", SdpError::NoAudio);
}

#[test]
fn rfc4317_2_6_offer_pcmu_disabled_takes_second_audio() {
    // Without PCMU, the first audio line has nothing for us; the second (97 = PCMA here)
    // is accepted with its telephone-event, and the first is rejected.
    let mut l = local();
    l.codecs = vec![CodecKind::Opus, Pcma];
    let (sdp, n) = answer_offer_detailed(&with_pcma("rfc4317/2.6_audio-only-1/1-offer.sdp"), &l)
        .expect("answer");
    assert_eq!(n.audio_index, 1);
    assert_eq!((n.codec.kind, n.codec.pt), (Pcma, 97));
    assert_eq!(n.dtmf, Some((101, 8000)));
    assert_eq!(n.remote_port, 51372);
    assert_eq!(
        m_lines(&sdp),
        ["m=audio 0 RTP/AVP 0", "m=audio 40000 RTP/AVP 97 101"]
    );
}

#[test]
fn rfc4317_2_7_offer_ilbc_only() {
    offer_err(
        "rfc4317/2.7_audio-and-video-5/1-offer.sdp",
        SdpError::NoCommonCodec,
    );
}

#[test]
fn rfc4317_2_7_answer_ilbc_only() {
    answer_err(
        "rfc4317/2.7_audio-and-video-5/2-answer.sdp",
        SdpError::NoCommonCodec,
    );
}

#[test]
fn rfc4317_2_7_second_offer_ilbc_only() {
    offer_err(
        "rfc4317/2.7_audio-and-video-5/3-second-offer.sdp",
        SdpError::NoCommonCodec,
    );
}

#[test]
fn rfc4317_2_7_second_answer_ilbc_only() {
    answer_err(
        "rfc4317/2.7_audio-and-video-5/4-second-answer.sdp",
        SdpError::NoCommonCodec,
    );
}

#[test]
fn rfc4317_2_8_offer() {
    rfc4317_av_offer("rfc4317/2.8_audio-and-video-6/1-offer.sdp");
}

#[test]
fn rfc4317_2_8_answer_video_c_does_not_leak_to_audio() {
    // Only the video section has c=otherhost; audio uses the session-level c=.
    answer_ok(
        "rfc4317/2.8_audio-and-video-6/2-answer.sdp",
        &local(),
        biloxi_pcmu(49174),
    );
}

#[test]
fn rfc4317_3_1_offer() {
    offer_ok(
        "rfc4317/3.1_hold-and-unhold-1/1-offer.sdp",
        &local(),
        Want {
            codec: Pcmu,
            pt: 0,
            dtmf: None,
            host: "host.atlanta.example.com",
            port: 49170,
            direction: SendRecv,
        },
        &["m=audio 40000 RTP/AVP 0"],
        "a=sendrecv",
    );
}

#[test]
fn rfc4317_3_1_answer_ilbc_only() {
    answer_err(
        "rfc4317/3.1_hold-and-unhold-1/2-answer.sdp",
        SdpError::NoCommonCodec,
    );
}

#[test]
fn rfc4317_3_1_answer_sendonly_means_we_only_receive() {
    let n = process_answer_detailed(
        &with_pcma("rfc4317/3.1_hold-and-unhold-1/2-answer.sdp"),
        &local(),
    )
    .expect("answer");
    assert_eq!(n.direction, RecvOnly);
    assert_eq!(n.remote_host, host("placeholder.biloxi.example.com"));
}

#[test]
fn rfc4317_3_1_second_offer_ilbc_only() {
    offer_err(
        "rfc4317/3.1_hold-and-unhold-1/3-second-offer.sdp",
        SdpError::NoCommonCodec,
    );
}

#[test]
fn rfc4317_3_1_second_answer_ilbc_only() {
    answer_err(
        "rfc4317/3.1_hold-and-unhold-1/4-second-answer.sdp",
        SdpError::NoCommonCodec,
    );
}

#[test]
fn rfc4317_3_2_offer_sendonly_second_stream_rejected() {
    offer_ok(
        "rfc4317/3.2_hold-with-two-streams/1-offer.sdp",
        &local(),
        Want {
            codec: Pcmu,
            pt: 0,
            dtmf: None,
            host: "host.atlanta.example.com",
            port: 49170,
            direction: SendRecv,
        },
        &["m=audio 40000 RTP/AVP 0", "m=audio 0 RTP/AVP 98"],
        "a=sendrecv",
    );
}

#[test]
fn rfc4317_3_2_answer_ilbc_only() {
    answer_err(
        "rfc4317/3.2_hold-with-two-streams/2-answer.sdp",
        SdpError::NoCommonCodec,
    );
}

#[test]
fn rfc4317_3_2_second_offer_ilbc_only() {
    offer_err(
        "rfc4317/3.2_hold-with-two-streams/3-second-offer.sdp",
        SdpError::NoCommonCodec,
    );
}

#[test]
fn rfc4317_3_2_second_offer_hold_answered_recvonly() {
    // Bob holds: audio sendonly. With PCMA in place of iLBC we answer recvonly.
    offer_ok_bytes(
        &with_pcma("rfc4317/3.2_hold-with-two-streams/3-second-offer.sdp"),
        &["m=audio 40000 RTP/AVP 97", "m=audio 0 RTP/AVP 98"],
        RecvOnly,
        "a=recvonly",
    );
}

fn offer_ok_bytes(body: &[u8], mlines: &[&str], dir: MediaDirection, attr: &str) {
    let (sdp, n) = answer_offer_detailed(body, &local()).expect("answer");
    assert_eq!(m_lines(&sdp), mlines, "{sdp}");
    assert_eq!(n.direction, dir);
    assert_eq!(directions(&sdp), [attr], "{sdp}");
}

#[test]
fn rfc4317_3_2_second_answer_first_stream_sendrecv() {
    answer_ok(
        "rfc4317/3.2_hold-with-two-streams/4-second-answer.sdp",
        &local(),
        Want {
            codec: Pcmu,
            pt: 0,
            dtmf: None,
            host: "host.atlanta.example.com",
            port: 49170,
            direction: SendRecv,
        },
    );
}

#[test]
fn rfc4317_4_1_offer() {
    offer_ok(
        "rfc4317/4.1_second-audio-stream-added/1-offer.sdp",
        &local(),
        Want {
            codec: Pcmu,
            pt: 0,
            dtmf: None,
            host: "host.atlanta.example.com",
            port: 49170,
            direction: SendRecv,
        },
        &["m=audio 40000 RTP/AVP 0"],
        "a=sendrecv",
    );
}

#[test]
fn rfc4317_4_1_answer_ilbc_only() {
    answer_err(
        "rfc4317/4.1_second-audio-stream-added/2-answer.sdp",
        SdpError::NoCommonCodec,
    );
}

#[test]
fn rfc4317_4_1_second_offer_ilbc_only() {
    offer_err(
        "rfc4317/4.1_second-audio-stream-added/3-second-offer.sdp",
        SdpError::NoCommonCodec,
    );
}

#[test]
fn rfc4317_4_1_second_offer_added_stream_rejected_with_pcma() {
    offer_ok_bytes(
        &with_pcma("rfc4317/4.1_second-audio-stream-added/3-second-offer.sdp"),
        &["m=audio 40000 RTP/AVP 97", "m=audio 0 RTP/AVP 98"],
        SendRecv,
        "a=sendrecv",
    );
}

#[test]
fn rfc4317_4_1_second_answer_ilbc_only() {
    answer_err(
        "rfc4317/4.1_second-audio-stream-added/4-second-answer.sdp",
        SdpError::NoCommonCodec,
    );
}

#[test]
fn rfc4317_4_2_offer() {
    offer_ok(
        "rfc4317/4.2_audio-then-video-added/1-offer.sdp",
        &local(),
        Want {
            codec: Pcmu,
            pt: 0,
            dtmf: None,
            host: "host.atlanta.example.com",
            port: 49170,
            direction: SendRecv,
        },
        &["m=audio 40000 RTP/AVP 0"],
        "a=sendrecv",
    );
}

#[test]
fn rfc4317_4_2_answer() {
    answer_ok(
        "rfc4317/4.2_audio-then-video-added/2-answer.sdp",
        &local(),
        biloxi_pcmu(49172),
    );
}

#[test]
fn rfc4317_4_2_second_offer_video_added_is_rejected() {
    offer_ok(
        "rfc4317/4.2_audio-then-video-added/3-second-offer.sdp",
        &local(),
        Want {
            codec: Pcmu,
            pt: 0,
            dtmf: None,
            host: "host.atlanta.example.com",
            port: 49170,
            direction: SendRecv,
        },
        &["m=audio 40000 RTP/AVP 0", "m=video 0 RTP/AVP 31"],
        "a=sendrecv",
    );
}

#[test]
fn rfc4317_4_2_second_answer() {
    answer_ok(
        "rfc4317/4.2_audio-then-video-added/4-second-answer.sdp",
        &local(),
        biloxi_pcmu(49172),
    );
}

#[test]
fn rfc4317_4_3_offer_ilbc_only() {
    offer_err(
        "rfc4317/4.3_audio-and-video-then-video-deleted/1-offer.sdp",
        SdpError::NoCommonCodec,
    );
}

#[test]
fn rfc4317_4_3_answer_ilbc_only() {
    answer_err(
        "rfc4317/4.3_audio-and-video-then-video-deleted/2-answer.sdp",
        SdpError::NoCommonCodec,
    );
}

#[test]
fn rfc4317_4_3_second_offer_ilbc_only() {
    offer_err(
        "rfc4317/4.3_audio-and-video-then-video-deleted/3-second-offer.sdp",
        SdpError::NoCommonCodec,
    );
}

#[test]
fn rfc4317_4_3_second_offer_deleted_video_stays_port_zero_with_pcma() {
    offer_ok_bytes(
        &with_pcma("rfc4317/4.3_audio-and-video-then-video-deleted/3-second-offer.sdp"),
        &["m=audio 40000 RTP/AVP 97", "m=video 0 RTP/AVP 31"],
        SendRecv,
        "a=sendrecv",
    );
}

#[test]
fn rfc4317_4_3_second_answer_ilbc_only() {
    answer_err(
        "rfc4317/4.3_audio-and-video-then-video-deleted/4-second-answer.sdp",
        SdpError::NoCommonCodec,
    );
}

#[test]
fn rfc4317_5_1_offer_no_media() {
    offer_err(
        "rfc4317/5.1_no-media-then-audio-added/1-offer.sdp",
        SdpError::NoAudio,
    );
}

#[test]
fn rfc4317_5_1_answer_no_media() {
    answer_err(
        "rfc4317/5.1_no-media-then-audio-added/2-answer.sdp",
        SdpError::NoAudio,
    );
}

#[test]
fn rfc4317_5_1_second_offer_ilbc_only() {
    offer_err(
        "rfc4317/5.1_no-media-then-audio-added/3-second-offer.sdp",
        SdpError::NoCommonCodec,
    );
}

#[test]
fn rfc4317_5_1_second_answer_ilbc_only() {
    answer_err(
        "rfc4317/5.1_no-media-then-audio-added/4-second-answer.sdp",
        SdpError::NoCommonCodec,
    );
}

#[test]
fn rfc4317_5_2_offer_ilbc_only() {
    offer_err(
        "rfc4317/5.2_hold-and-unhold-2/1-offer.sdp",
        SdpError::NoCommonCodec,
    );
}

#[test]
fn rfc4317_5_2_offer_zero_address_means_we_do_not_send() {
    // c=IN IP4 0.0.0.0 (RFC 3264 §8.4): the answer text stays sendrecv, but nothing is
    // sent to the offerer until it gives an address.
    let body = with_pcma("rfc4317/5.2_hold-and-unhold-2/1-offer.sdp");
    let a = answer_offer(&body, &local()).expect("IP literal: plain API works");
    assert_eq!(directions(&a.sdp), ["a=sendrecv"]);
    assert_eq!(a.params.direction, RecvOnly);
    assert_eq!(a.params.remote, "0.0.0.0:23442".parse().expect("addr"));
}

#[test]
fn rfc4317_5_2_answer_ilbc_only() {
    answer_err(
        "rfc4317/5.2_hold-and-unhold-2/2-answer.sdp",
        SdpError::NoCommonCodec,
    );
}

#[test]
fn rfc4317_5_2_second_offer_ilbc_only() {
    offer_err(
        "rfc4317/5.2_hold-and-unhold-2/3-second-offer.sdp",
        SdpError::NoCommonCodec,
    );
}

#[test]
fn rfc4317_5_2_second_answer_ilbc_only() {
    answer_err(
        "rfc4317/5.2_hold-and-unhold-2/4-second-answer.sdp",
        SdpError::NoCommonCodec,
    );
}

#[test]
fn rfc4317_5_3_offer_ilbc_only() {
    offer_err(
        "rfc4317/5.3_hold-and-unhold-3/1-offer.sdp",
        SdpError::NoCommonCodec,
    );
}

#[test]
fn rfc4317_5_3_answer_ilbc_only() {
    answer_err(
        "rfc4317/5.3_hold-and-unhold-3/2-answer.sdp",
        SdpError::NoCommonCodec,
    );
}

#[test]
fn rfc4317_5_3_answer_zero_address_means_we_do_not_send() {
    let p = process_answer(
        &with_pcma("rfc4317/5.3_hold-and-unhold-3/2-answer.sdp"),
        &local(),
    )
    .expect("IP literal: plain API works");
    assert_eq!(p.direction, RecvOnly);
    assert_eq!(p.remote, "0.0.0.0:9322".parse().expect("addr"));
    assert_eq!((p.codec.kind, p.codec.pt), (Pcma, 97));
}

#[test]
fn rfc4317_5_3_second_offer_ilbc_only() {
    offer_err(
        "rfc4317/5.3_hold-and-unhold-3/3-second-offer.sdp",
        SdpError::NoCommonCodec,
    );
}

#[test]
fn rfc4317_5_3_second_answer_ilbc_only() {
    answer_err(
        "rfc4317/5.3_hold-and-unhold-3/4-second-answer.sdp",
        SdpError::NoCommonCodec,
    );
}

// ───────────────────────────── the whole folder ─────────────────────────────

/// Every file in the folder is named by a test above (a new corpus file fails this test
/// until it gets its own expectation), and none makes either entry point panic.
#[test]
fn every_corpus_file_is_covered() {
    let covered = include_str!("sdp_corpus.rs");
    let root = std::env::var_os("SIPLINE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"))
        .join("corpora/sdp");
    let mut stack = vec![root.clone()];
    let mut count = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("corpus folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "sdp") {
                let rel = path
                    .strip_prefix(&root)
                    .expect("under root")
                    .to_string_lossy()
                    .replace('\\', "/");
                assert!(covered.contains(&format!("\"{rel}\"")), "no test for {rel}");
                let body = std::fs::read(&path).expect("read");
                let _ = answer_offer(&body, &local());
                let _ = process_answer(&body, &local());
                count += 1;
            }
        }
    }
    assert_eq!(count, 70, "corpus size changed");
}
