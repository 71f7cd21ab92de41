//! Offer/answer between two sipline ends, and against hand-written peers: codec order,
//! hold directions (RFC 3264 §8.4), payload-type mapping, IPv6, SIP-flavoured SDP that
//! webrtc-sdp alone mishandles, and garbage (always an error, never a panic).

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use sipline::media::codec::CodecKind::{self, Opus, Pcma, Pcmu};
use sipline::media::sdp::{
    answer_offer, answer_offer_detailed, create_offer, process_answer, LocalMedia, SdpError,
};
use sipline::media::MediaDirection::{self, Inactive, RecvOnly, SendOnly, SendRecv};

fn end(addr: &str, codecs: &[CodecKind]) -> LocalMedia {
    LocalMedia {
        rtp: addr.parse().expect("address"),
        codecs: codecs.to_vec(),
        telephone_event: true,
        session_id: 7,
        session_version: 1,
        direction: SendRecv,
    }
}

fn alice(codecs: &[CodecKind]) -> LocalMedia {
    end("192.0.2.1:10000", codecs)
}

fn bob(codecs: &[CodecKind]) -> LocalMedia {
    end("198.51.100.2:20000", codecs)
}

fn m_lines(sdp: &str) -> Vec<&str> {
    sdp.lines().filter(|l| l.starts_with("m=")).collect()
}

const ORDERS: [[CodecKind; 3]; 6] = [
    [Opus, Pcmu, Pcma],
    [Opus, Pcma, Pcmu],
    [Pcmu, Opus, Pcma],
    [Pcmu, Pcma, Opus],
    [Pcma, Opus, Pcmu],
    [Pcma, Pcmu, Opus],
];

#[test]
fn round_trip_every_codec_order_and_subset() {
    let subsets: Vec<Vec<CodecKind>> = ORDERS
        .iter()
        .flat_map(|o| (1..=3).map(move |n| o[..n].to_vec()))
        .collect();
    for a_codecs in &subsets {
        for b_codecs in &subsets {
            let a = alice(a_codecs);
            let b = bob(b_codecs);
            let offer = create_offer(&a);
            // RFC 3264 §6.1: the offerer's order decides.
            let expected = a_codecs.iter().find(|k| b_codecs.contains(k)).copied();
            let answered = answer_offer(offer.as_bytes(), &b);
            let Some(kind) = expected else {
                assert_eq!(
                    answered,
                    Err(SdpError::NoCommonCodec),
                    "{a_codecs:?} {b_codecs:?}"
                );
                continue;
            };
            let answer = answered.expect("answer");
            assert_eq!(answer.params.codec.kind, kind, "{a_codecs:?} {b_codecs:?}");
            assert_eq!(answer.params.codec.pt, kind.default_pt());
            assert_eq!(answer.params.codec.clock_rate, kind.clock_rate());
            assert_eq!(answer.params.remote, a.rtp);
            assert_eq!(answer.params.dtmf, Some((101, 8000)));
            assert_eq!(answer.params.direction, SendRecv);
            assert_eq!(answer.params.ptime, 20);

            let at_a = process_answer(answer.sdp.as_bytes(), &a).expect("processed");
            assert_eq!(at_a.codec, answer.params.codec);
            assert_eq!(at_a.remote, b.rtp);
            assert_eq!(at_a.dtmf, Some((101, 8000)));
            assert_eq!(at_a.direction, SendRecv);
        }
    }
}

#[test]
fn opus_answer_carries_rtpmap_and_fec_fmtp() {
    let offer = create_offer(&alice(&[Opus]));
    let answer = answer_offer(offer.as_bytes(), &bob(&[Opus])).expect("answer");
    assert!(
        answer.sdp.contains("m=audio 20000 RTP/AVP 111 101\r\n"),
        "{}",
        answer.sdp
    );
    assert!(answer.sdp.contains("a=rtpmap:111 opus/48000/2\r\n"));
    assert!(answer.sdp.contains("a=fmtp:111 useinbandfec=1\r\n"));
    assert!(answer
        .sdp
        .contains("a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"));
    assert!(answer
        .sdp
        .starts_with("v=0\r\no=sipline 7 1 IN IP4 198.51.100.2\r\ns=sipline\r\n"));
}

#[test]
fn telephone_event_needs_both_sides() {
    for (a_te, b_te) in [(true, false), (false, true), (false, false)] {
        let mut a = alice(&[Pcmu]);
        a.telephone_event = a_te;
        let mut b = bob(&[Pcmu]);
        b.telephone_event = b_te;
        let answer = answer_offer(create_offer(&a).as_bytes(), &b).expect("answer");
        assert_eq!(answer.params.dtmf, None, "{a_te} {b_te}");
        assert!(!answer.sdp.contains("telephone-event"));
        let at_a = process_answer(answer.sdp.as_bytes(), &a).expect("processed");
        assert_eq!(at_a.dtmf, None);
    }
}

/// (Alice wants, Bob wants) → (Alice's direction, Bob's direction, Bob's answer attribute).
const HOLD_TABLE: [(
    MediaDirection,
    MediaDirection,
    MediaDirection,
    MediaDirection,
    &str,
); 7] = [
    (SendRecv, SendRecv, SendRecv, SendRecv, "a=sendrecv"),
    // Alice holds Bob (RFC 3264 §8.4: sendonly → recvonly).
    (SendOnly, SendRecv, SendOnly, RecvOnly, "a=recvonly"),
    // Alice holds while Bob holds too: nothing flows.
    (SendOnly, SendOnly, Inactive, Inactive, "a=inactive"),
    (Inactive, SendRecv, Inactive, Inactive, "a=inactive"),
    (RecvOnly, SendRecv, RecvOnly, SendOnly, "a=sendonly"),
    // Bob answers an ordinary offer while he has Alice on hold.
    (SendRecv, SendOnly, RecvOnly, SendOnly, "a=sendonly"),
    (SendRecv, Inactive, Inactive, Inactive, "a=inactive"),
];

#[test]
fn hold_directions() {
    for (a_dir, b_dir, a_got, b_got, attr) in HOLD_TABLE {
        let mut a = alice(&[Pcmu]);
        a.direction = a_dir;
        let mut b = bob(&[Pcmu]);
        b.direction = b_dir;
        let offer = create_offer(&a);
        let answer = answer_offer(offer.as_bytes(), &b).expect("answer");
        assert_eq!(answer.params.direction, b_got, "{a_dir:?} {b_dir:?}");
        assert!(
            answer.sdp.contains(&format!("{attr}\r\n")),
            "{attr}: {}",
            answer.sdp
        );
        let at_a = process_answer(answer.sdp.as_bytes(), &a).expect("processed");
        assert_eq!(at_a.direction, a_got, "{a_dir:?} {b_dir:?}");
    }
}

#[test]
fn hold_reoffer_with_new_version() {
    let mut a = alice(&[Pcmu]);
    let first = create_offer(&a);
    a.session_version += 1;
    a.direction = SendOnly;
    let hold = create_offer(&a);
    assert!(first.contains("o=sipline 7 1 "));
    assert!(hold.contains("o=sipline 7 2 "));
    assert!(hold.contains("a=sendonly\r\n"));
}

const PEER_HEAD: &str =
    "v=0\r\no=peer 1 1 IN IP4 203.0.113.5\r\ns=-\r\nc=IN IP4 203.0.113.5\r\nt=0 0\r\n";

#[test]
fn offerer_dynamic_payload_types_are_used_in_the_answer() {
    let offer = format!(
        "{PEER_HEAD}m=audio 30000 RTP/AVP 96 97 0\r\na=rtpmap:96 OPUS/48000/2\r\n\
         a=rtpmap:97 telephone-event/48000\r\n"
    );
    let (sdp, n) = answer_offer_detailed(offer.as_bytes(), &bob(&CodecKind::ALL)).expect("answer");
    assert_eq!((n.codec.kind, n.codec.pt), (Opus, 96));
    assert_eq!(n.dtmf, Some((97, 48000)));
    assert!(sdp.contains("m=audio 20000 RTP/AVP 96 97\r\n"), "{sdp}");
    assert!(sdp.contains("a=rtpmap:96 opus/48000/2\r\na=fmtp:96 useinbandfec=1\r\n"));
    assert!(sdp.contains("a=rtpmap:97 telephone-event/48000\r\n"));
}

#[test]
fn answerer_may_renumber_dynamic_payload_types() {
    let a = alice(&[Opus, Pcmu]);
    let answer = format!(
        "{PEER_HEAD}m=audio 30000 RTP/AVP 120 102\r\na=rtpmap:120 opus/48000/2\r\n\
         a=rtpmap:102 telephone-event/8000\r\n"
    );
    let p = process_answer(answer.as_bytes(), &a).expect("processed");
    assert_eq!((p.codec.kind, p.codec.pt), (Opus, 120));
    assert_eq!(p.dtmf, Some((102, 8000)));
    assert_eq!(p.remote, "203.0.113.5:30000".parse().expect("addr"));
}

#[test]
fn static_payload_types_without_rtpmap() {
    let offer = format!("{PEER_HEAD}m=audio 30000 RTP/AVP 18 8 0\r\n");
    let a = answer_offer(offer.as_bytes(), &bob(&CodecKind::ALL)).expect("answer");
    assert_eq!((a.params.codec.kind, a.params.codec.pt), (Pcma, 8));
}

#[test]
fn ipv6_both_ends() {
    let a = end("[2001:db8::1]:10000", &[Opus, Pcmu]);
    let b = end("[2001:db8::2]:20000", &[Pcmu]);
    let offer = create_offer(&a);
    assert!(offer.contains("c=IN IP6 2001:db8::1\r\n"));
    let answer = answer_offer(offer.as_bytes(), &b).expect("answer");
    assert!(answer.sdp.contains("c=IN IP6 2001:db8::2\r\n"));
    assert_eq!(answer.params.remote, a.rtp);
    let at_a = process_answer(answer.sdp.as_bytes(), &a).expect("processed");
    assert_eq!(at_a.remote, b.rtp);
    assert_eq!(at_a.codec.kind, Pcmu);
}

#[test]
fn ipv6_offer_to_ipv4_answerer() {
    let a = end("[2001:db8::1]:10000", &[Pcmu]);
    let answer = answer_offer(create_offer(&a).as_bytes(), &bob(&[Pcmu])).expect("answer");
    assert_eq!(answer.params.remote, a.rtp);
}

#[test]
fn lf_only_round_trip() {
    let a = alice(&[Pcma]);
    let offer = create_offer(&a).replace("\r\n", "\n");
    let answer = answer_offer(offer.as_bytes(), &bob(&[Pcma])).expect("answer");
    let at_a = process_answer(answer.sdp.replace("\r\n", "\n").as_bytes(), &a).expect("done");
    assert_eq!(at_a.codec.kind, Pcma);
}

#[test]
fn sip_flavoured_offer_that_webrtc_sdp_rejects_as_is() {
    // Session-level a=ptime and b=TIAS, unknown attributes, a placeholder fingerprint.
    let offer = "v=0\no=- 1 1 IN IP4 203.0.113.5\ns=-\nc=IN IP4 203.0.113.5\nb=TIAS:64000\nt=0 0\n\
                 a=ptime:20\na=fingerprint:sha-256 NOT:A:FINGERPRINT\n\
                 m=audio 30000 RTP/AVP 0 101\na=rtpmap:101 telephone-event/8000\na=fmtp:101 0-15\n\
                 a=x-custom:1\na=sendonly\n";
    let (sdp, n) = answer_offer_detailed(offer.as_bytes(), &bob(&CodecKind::ALL)).expect("answer");
    assert_eq!((n.codec.kind, n.codec.pt), (Pcmu, 0));
    assert_eq!(n.remote_ptime, Some(20));
    assert_eq!(n.direction, RecvOnly);
    assert!(sdp.contains("a=recvonly\r\n"));
}

#[test]
fn t38_after_audio_is_rejected_and_not_folded() {
    let offer = format!(
        "{PEER_HEAD}m=audio 30000 RTP/AVP 0\r\na=sendrecv\r\n\
         m=image 30002 udptl t38\r\na=T38FaxVersion:0\r\na=inactive\r\n"
    );
    let (sdp, n) = answer_offer_detailed(offer.as_bytes(), &bob(&CodecKind::ALL)).expect("answer");
    assert_eq!(
        m_lines(&sdp),
        ["m=audio 20000 RTP/AVP 0", "m=image 0 udptl t38"]
    );
    assert_eq!(
        n.direction, SendRecv,
        "the image section's a=inactive is not ours"
    );
}

#[test]
fn t38_reinvite_with_audio_port_zero_is_488() {
    let offer = format!("{PEER_HEAD}m=audio 0 RTP/AVP 0\r\nm=image 30002 udptl t38\r\n");
    assert_eq!(
        answer_offer(offer.as_bytes(), &bob(&CodecKind::ALL)),
        Err(SdpError::NoAudio)
    );
}

#[test]
fn avpf_audio_is_accepted_and_echoed() {
    let offer = format!("{PEER_HEAD}m=audio 30000 RTP/AVPF 8\r\na=rtcp-fb:* nack\r\n");
    let a = answer_offer(offer.as_bytes(), &bob(&CodecKind::ALL)).expect("answer");
    assert_eq!(m_lines(&a.sdp), ["m=audio 20000 RTP/AVPF 8"]);
}

#[test]
fn srtp_only_audio_is_rejected() {
    let offer = format!(
        "{PEER_HEAD}m=audio 30000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:x\r\n"
    );
    assert_eq!(
        answer_offer(offer.as_bytes(), &bob(&CodecKind::ALL)),
        Err(SdpError::NoAudio)
    );
}

#[test]
fn process_answer_errors() {
    let a = alice(&CodecKind::ALL);
    let rejected = format!("{PEER_HEAD}m=audio 0 RTP/AVP 0\r\n");
    assert_eq!(
        process_answer(rejected.as_bytes(), &a),
        Err(SdpError::NoAudio)
    );
    let video_only = format!("{PEER_HEAD}m=video 30000 RTP/AVP 31\r\n");
    assert_eq!(
        process_answer(video_only.as_bytes(), &a),
        Err(SdpError::NoAudio)
    );
    let g729 = format!("{PEER_HEAD}m=audio 30000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n");
    assert_eq!(
        process_answer(g729.as_bytes(), &a),
        Err(SdpError::NoCommonCodec)
    );
    let named = PEER_HEAD.replace("c=IN IP4 203.0.113.5", "c=IN IP4 media.example.net");
    let named = format!("{named}m=audio 30000 RTP/AVP 0\r\n");
    assert_eq!(
        process_answer(named.as_bytes(), &a),
        Err(SdpError::NoConnection)
    );
}

#[test]
fn garbage_is_an_error() {
    let b = bob(&CodecKind::ALL);
    for body in [
        &b""[..],
        b"\0\0\0\0",
        b"INVITE sip:bob@example.com SIP/2.0\r\n\r\n",
        b"v=0\r\n",
        b"m=audio 1 RTP/AVP 0\r\nv=0\r\n",
        b"v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\n\
          m=audio 99999 RTP/AVP 0\r\n",
        b"v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP7 1.2.3.4\r\nt=0 0\r\n\
          m=audio 1 RTP/AVP 0\r\n",
        "v=0\r\no=é 1 1 IN IP4 1.2.3.4\r\ns=ü\r\nc=IN IP4 ::1\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\n"
            .as_bytes(),
    ] {
        assert!(
            answer_offer(body, &b).is_err(),
            "{:?}",
            String::from_utf8_lossy(body)
        );
        assert!(
            process_answer(body, &b).is_err(),
            "{:?}",
            String::from_utf8_lossy(body)
        );
    }
}

/// Seeded mutations of valid offers: truncations, byte flips, dropped and doubled lines.
/// Whatever comes out, it is a value, not a panic; and an accepted offer yields an answer
/// that our own `process_answer` can read.
#[test]
fn mutated_offers_never_panic() {
    let mut rng = SmallRng::seed_from_u64(0x5d9_0ffe);
    let b = bob(&CodecKind::ALL);
    let mut seeds: Vec<Vec<u8>> = vec![create_offer(&alice(&CodecKind::ALL)).into_bytes()];
    seeds.push(
        format!(
            "{PEER_HEAD}a=ptime:20\r\nm=audio 30000 RTP/AVP 96 0 101\r\n\
             a=rtpmap:96 opus/48000/2\r\n\
             a=rtpmap:101 telephone-event/8000\r\nm=video 30002 RTP/AVP 31\r\n\
             m=image 30004 udptl t38\r\na=T38FaxVersion:0\r\n"
        )
        .into_bytes(),
    );
    for seed in &seeds {
        for cut in 0..seed.len() {
            let _ = answer_offer(&seed[..cut], &b);
        }
    }
    for _ in 0..3000 {
        let mut body = seeds[rng.gen_range(0..seeds.len())].clone();
        for _ in 0..rng.gen_range(1..4) {
            match rng.gen_range(0..4) {
                0 if !body.is_empty() => {
                    let i = rng.gen_range(0..body.len());
                    body[i] = rng.gen();
                }
                1 if !body.is_empty() => {
                    let i = rng.gen_range(0..body.len());
                    body.insert(i, b"=: /\r\n0 "[rng.gen_range(0..8)]);
                }
                _ => {
                    let text = String::from_utf8_lossy(&body).into_owned();
                    let mut lines: Vec<&str> = text.split("\r\n").collect();
                    let i = rng.gen_range(0..lines.len());
                    if rng.gen() {
                        lines.remove(i);
                    } else {
                        lines.insert(i, lines[i]);
                    }
                    body = lines.join("\r\n").into_bytes();
                }
            }
        }
        if let Ok(answer) = answer_offer(&body, &b) {
            assert!(answer.sdp.starts_with("v=0\r\n"));
            let _ = process_answer(answer.sdp.as_bytes(), &b);
        }
        let _ = process_answer(&body, &b);
    }
}
