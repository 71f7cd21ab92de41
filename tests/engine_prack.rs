//! Reliable provisional responses (RFC 3262): `preaccept` sends a reliable 183 with SDP,
//! the caller PRACKs it, early media flows; the 183 is retransmitted until the PRACK comes
//! and the INVITE is rejected after 64*T1 without one; a PRACK naming nothing gets 481.

mod sim;

use std::time::Duration;

use sim::Net;
use sipline::api::{Command, Event, InviteOptions};
use sipline::media::MediaCtl;

const ALICE: usize = 0;
const BOB: usize = 1;
const S: Duration = Duration::from_secs(1);

/// Alice calls Bob; Bob's call is announced.
fn ringing(seed: u64, options: InviteOptions) -> Net {
    let mut net = Net::new(2, seed);
    let target = net.uri(BOB);
    net.command(ALICE, Command::InviteWith { target, options });
    net.wait_event(BOB, "incoming", S).expect("bob is called");
    net
}

/// The value of header `name` in a message's text.
fn header(msg: &[u8], name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(msg);
    text.lines().take_while(|l| !l.is_empty()).find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_string())
    })
}

fn body(msg: &[u8]) -> String {
    let text = String::from_utf8_lossy(msg);
    text.split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default()
}

/// What UA `i` sent whose text starts with `prefix` and contains `contains`: (time, bytes).
fn sent(net: &Net, i: usize, prefix: &str, contains: &str) -> Vec<(Duration, Vec<u8>)> {
    net.uas[i]
        .sent
        .iter()
        .filter(|(_, _, b)| {
            b.starts_with(prefix.as_bytes()) && String::from_utf8_lossy(b).contains(contains)
        })
        .map(|(t, _, b)| (*t, b.clone()))
        .collect()
}

/// The responses with this code UA `i` sent to requests of `method` (by CSeq).
fn responses(net: &Net, i: usize, code: u16, method: &str) -> Vec<(Duration, Vec<u8>)> {
    sent(net, i, &format!("SIP/2.0 {code} "), "")
        .into_iter()
        .filter(|(_, b)| header(b, "CSeq").is_some_and(|c| c.ends_with(method)))
        .collect()
}

fn errors(net: &Net, ua: usize) -> Vec<String> {
    net.uas[ua]
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::CommandError { message } => Some(message.clone()),
            _ => None,
        })
        .collect()
}

fn media_started(net: &Net, ua: usize) -> bool {
    net.uas[ua]
        .media
        .iter()
        .any(|m| matches!(m, MediaCtl::Start { .. }))
}

#[test]
fn preaccept_is_pracked_early_media_flows_then_accept_confirms() {
    let mut net = ringing(301, InviteOptions::default());
    let invite = sent(&net, ALICE, "INVITE", "");
    let supported = header(&invite[0].1, "Supported").unwrap_or_default();
    assert!(
        supported.contains("100rel"),
        "INVITE Supported: {supported}"
    );
    assert!(supported.contains("timer"), "INVITE Supported: {supported}");

    net.command(BOB, Command::PreAccept { call: None });
    assert!(errors(&net, BOB).is_empty(), "{:?}", errors(&net, BOB));
    // Bob's side of the early media starts with the 183.
    assert!(media_started(&net, BOB));
    let p = net.wait_event(ALICE, "progress", S).expect("183 arrives");
    assert!(
        matches!(
            p,
            Event::Progress {
                code: 183,
                reliable: true,
                ..
            }
        ),
        "{p:?}"
    );
    let sent_event = net.uas[BOB]
        .events
        .iter()
        .find(|(_, e)| e.name() == "progress");
    assert!(
        matches!(
            sent_event,
            Some((
                _,
                Event::Progress {
                    code: 183,
                    reliable: true,
                    ..
                }
            ))
        ),
        "{sent_event:?}"
    );
    net.run_for(S);

    let r183 = sent(&net, BOB, "SIP/2.0 183", "");
    assert_eq!(r183.len(), 1, "PRACKed at once: no retransmission");
    let r183 = &r183[0].1;
    assert_eq!(header(r183, "Require").as_deref(), Some("100rel"));
    let rseq: u32 = header(r183, "RSeq").unwrap().parse().unwrap();
    assert!((1..1 << 31).contains(&rseq));
    assert!(body(r183).starts_with("v=0"), "183 carries the SDP answer");

    let prack = sent(&net, ALICE, "PRACK", "");
    assert_eq!(prack.len(), 1);
    let prack = &prack[0].1;
    assert_eq!(
        header(prack, "RAck").as_deref(),
        Some(format!("{rseq} 1 INVITE").as_str())
    );
    assert_eq!(header(prack, "CSeq").as_deref(), Some("2 PRACK"));
    // In the early dialog: Bob's To-tag from the 183.
    assert_eq!(header(prack, "To"), header(r183, "To"));
    assert_eq!(sent(&net, BOB, "SIP/2.0 200", "CSeq: 2 PRACK").len(), 1);
    // Alice plays the early media before any answer.
    assert!(media_started(&net, ALICE));
    assert!(!net.event_names(ALICE).contains(&"accepted"));

    net.command(BOB, Command::Accept { call: None });
    net.wait_event(ALICE, "accepted", S).expect("answered");
    net.run_for(S);
    assert_eq!(sent(&net, ALICE, "ACK", "").len(), 1);
    let ok = sent(&net, BOB, "SIP/2.0 200", "CSeq: 1 INVITE");
    assert_eq!(ok.len(), 1, "ACKed: no 2xx retransmission");
    assert_eq!(body(&ok[0].1), body(r183), "the 2xx repeats the answer");
    // Still one media session each side (the answer did not change).
    for ua in [ALICE, BOB] {
        let starts = net.uas[ua]
            .media
            .iter()
            .filter(|m| matches!(m, MediaCtl::Start { .. }))
            .count();
        assert_eq!(starts, 1, "ua {ua}");
    }
    net.command(ALICE, Command::Hangup { call: None });
    net.wait_event(BOB, "terminated", S).expect("bye");
}

#[test]
fn reliable_183_is_retransmitted_doubling_and_the_invite_rejected_after_64_t1() {
    let mut net = ringing(302, InviteOptions::default());
    net.hold(ALICE, "PRACK");
    net.command(BOB, Command::PreAccept { call: None });
    let start = net.elapsed();
    net.run_for(40 * S);
    let r183 = sent(&net, BOB, "SIP/2.0 183", "");
    let times: Vec<u64> = r183
        .iter()
        .map(|(t, _)| (*t - start).as_millis() as u64)
        .collect();
    // T1 = 500 ms, doubling each time (RFC 3262 §3 has no T2 cap), until 64*T1 = 32 s.
    assert_eq!(times, vec![0, 500, 1500, 3500, 7500, 15500, 31500]);
    let rseqs: Vec<String> = r183
        .iter()
        .map(|(_, b)| header(b, "RSeq").unwrap())
        .collect();
    assert!(rseqs.iter().all(|r| *r == rseqs[0]), "{rseqs:?}");
    // Then the INVITE is rejected with a 5xx.
    let fail = sent(&net, BOB, "SIP/2.0 500", "CSeq: 1 INVITE");
    assert_eq!(fail.len(), 1);
    assert_eq!((fail[0].0 - start).as_millis(), 32_000);
    assert!(net.uas[BOB]
        .events
        .iter()
        .any(|(_, e)| matches!(e, Event::Rejected { code: 500, .. })));
    assert!(net.uas[ALICE]
        .events
        .iter()
        .any(|(_, e)| matches!(e, Event::Rejected { code: 500, .. })));
    // Alice reported the 183 once and dropped its retransmissions (§4).
    let progress = net
        .event_names(ALICE)
        .iter()
        .filter(|n| **n == "progress")
        .count();
    assert_eq!(progress, 1);
    assert_eq!(net.uas[BOB].engine.call_count(), 0);
}

#[test]
fn retransmissions_stop_at_the_prack_and_accept_waits_for_it() {
    let mut net = ringing(303, InviteOptions::default());
    net.hold(ALICE, "PRACK");
    net.command(BOB, Command::PreAccept { call: None });
    // §3: no 2xx while a 1xx with SDP waits for its PRACK; the accept is kept.
    net.command(BOB, Command::Accept { call: None });
    net.run_for(2 * S);
    assert!(sent(&net, BOB, "SIP/2.0 200", "").is_empty());
    assert!(!net.event_names(BOB).contains(&"accepted"));
    let before = sent(&net, BOB, "SIP/2.0 183", "").len();
    assert_eq!(before, 3, "0, 0.5 and 1.5 s");
    net.release();
    net.wait_event(ALICE, "accepted", S)
        .expect("answered after PRACK");
    net.run_for(10 * S);
    assert_eq!(sent(&net, BOB, "SIP/2.0 183", "").len(), before);
    // The first PRACK is answered, then the kept 2xx goes; the held PRACK copies (Timer E)
    // only get the 200 again.
    let oks: Vec<String> = sent(&net, BOB, "SIP/2.0 200", "")
        .iter()
        .map(|(_, b)| header(b, "CSeq").unwrap())
        .collect();
    assert_eq!(oks[..2], ["2 PRACK", "1 INVITE"], "{oks:?}");
    assert!(oks[2..].iter().all(|c| c == "2 PRACK"), "{oks:?}");
    assert!(net.event_names(BOB).contains(&"accepted"));
}

#[test]
fn a_prack_with_the_wrong_rack_gets_481_and_the_right_one_200() {
    let mut net = ringing(304, InviteOptions::default());
    net.hold(ALICE, "PRACK");
    net.command(BOB, Command::PreAccept { call: None });
    net.run_for(S / 10);
    let prack = sent(&net, ALICE, "PRACK", "").remove(0).1;
    let rack = header(&prack, "RAck").unwrap();
    let rseq: u32 = rack.split_whitespace().next().unwrap().parse().unwrap();
    let text = String::from_utf8_lossy(&prack).to_string();
    let alice = net.uas[ALICE].addr;
    let forge = |i: usize, rack_now: &str| {
        text.replace(&format!("RAck: {rack}"), &format!("RAck: {rack_now}"))
            .replace("branch=z9hG4bK", &format!("branch=z9hG4bKforged{i}"))
            .replace("CSeq: 2 PRACK", &format!("CSeq: {} PRACK", 2 + i))
    };
    let wrong = [
        format!("{} 1 INVITE", rseq + 1),
        format!("{rseq} 7 INVITE"),
        format!("{rseq} 1 UPDATE"),
    ];
    for (i, w) in wrong.iter().enumerate() {
        net.inject(BOB, alice, forge(i, w).as_bytes());
    }
    assert_eq!(responses(&net, BOB, 481, "PRACK").len(), 3);
    assert!(responses(&net, BOB, 200, "PRACK").is_empty());
    // The right RAck (in a later CSeq, as the dialog has seen 4 by now).
    net.inject(BOB, alice, forge(3, &rack).as_bytes());
    assert_eq!(responses(&net, BOB, 200, "PRACK").len(), 1);
    // Acknowledged within T1: never retransmitted.
    net.run_for(10 * S);
    assert_eq!(sent(&net, BOB, "SIP/2.0 183", "").len(), 1);
    net.command(BOB, Command::Accept { call: None });
    net.wait_event(ALICE, "accepted", S).expect("answered");
}

#[test]
fn late_offer_the_183_offers_and_the_prack_answers() {
    let options = InviteOptions {
        no_sdp: true,
        ..Default::default()
    };
    let mut net = ringing(305, options);
    net.command(BOB, Command::PreAccept { call: None });
    // Bob's media waits for the answer in the PRACK.
    assert!(!media_started(&net, BOB));
    net.wait_event(ALICE, "progress", S).expect("183");
    net.run_for(S);
    let r183 = sent(&net, BOB, "SIP/2.0 183", "").remove(0).1;
    assert!(body(&r183).starts_with("v=0"), "183 carries Bob's offer");
    let prack = sent(&net, ALICE, "PRACK", "").remove(0).1;
    assert!(body(&prack).starts_with("v=0"), "PRACK carries the answer");
    assert!(media_started(&net, ALICE));
    assert!(media_started(&net, BOB));
    net.command(BOB, Command::Accept { call: None });
    net.wait_event(ALICE, "accepted", S).expect("answered");
    net.run_for(S);
    let ok = sent(&net, BOB, "SIP/2.0 200", "CSeq: 1 INVITE").remove(0).1;
    assert_eq!(body(&ok), body(&r183), "the 2xx repeats the offer");
    let ack = sent(&net, ALICE, "ACK", "").remove(0).1;
    assert!(
        body(&ack).is_empty(),
        "offer/answer is done: no SDP in the ACK"
    );
    // Nobody hung up over media.
    assert!(!net.event_names(ALICE).contains(&"terminated"));
    assert!(!net.event_names(BOB).contains(&"terminated"));
}

/// Alice's INVITE, rewritten by `edit`, reaches Bob instead of the original.
fn edited_invite(seed: u64, edit: impl Fn(&str) -> String) -> Net {
    let mut net = Net::new(2, seed);
    net.hold(ALICE, "INVITE");
    let target = net.uri(BOB);
    net.command(ALICE, Command::Invite { target });
    net.run_for(S / 10);
    net.discard_held();
    net.release();
    let invite = sent(&net, ALICE, "INVITE", "").remove(0).1;
    let text = edit(&String::from_utf8_lossy(&invite));
    let alice = net.uas[ALICE].addr;
    net.inject(BOB, alice, text.as_bytes());
    net.wait_event(BOB, "incoming", S).expect("bob is called");
    net
}

#[test]
fn without_100rel_preaccept_is_refused_and_nothing_is_sent() {
    let mut net = edited_invite(306, |t| {
        t.replace("Supported: 100rel, timer", "Supported: timer")
    });
    net.command(BOB, Command::PreAccept { call: None });
    let errs = errors(&net, BOB);
    assert_eq!(errs.len(), 1);
    assert!(errs[0].starts_with("preaccept: call 1's INVITE does not support 100rel"));
    net.run_for(S);
    assert!(sent(&net, BOB, "SIP/2.0 183", "").is_empty());
    // An unreliable 183 is still possible, and the call can be answered.
    net.command(
        BOB,
        Command::Progress {
            call: None,
            code: 183,
            reason: None,
        },
    );
    net.run_for(S);
    let r183 = sent(&net, BOB, "SIP/2.0 183", "").remove(0).1;
    let p = net.wait_event(ALICE, "progress", S).expect("183");
    assert!(
        matches!(
            p,
            Event::Progress {
                reliable: false,
                ..
            }
        ),
        "{p:?}"
    );
    assert_eq!(header(&r183, "Require"), None);
    assert_eq!(header(&r183, "RSeq"), None);
    assert!(sent(&net, ALICE, "PRACK", "").is_empty());
    net.command(BOB, Command::Accept { call: None });
    net.wait_event(ALICE, "accepted", S).expect("answered");
}

#[test]
fn require_100rel_is_understood_and_one_unacknowledged_at_a_time() {
    // Every option tag we support may be required (§8.2.2.3): no 420 for any of them.
    let mut net = edited_invite(307, |t| {
        t.replace(
            "Supported: 100rel, timer",
            "Require: 100rel, Timer, replaces, norefersub\r\nSupported: timer",
        )
    });
    assert!(sent(&net, BOB, "SIP/2.0 420", "").is_empty());
    net.command(BOB, Command::PreAccept { call: None });
    // Before the PRACK can arrive.
    net.command(BOB, Command::PreAccept { call: None });
    let errs = errors(&net, BOB);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].contains("waits for its PRACK"), "{errs:?}");
    net.run_for(S);
    assert_eq!(responses(&net, BOB, 200, "PRACK").len(), 1);
    // Acknowledged: a second reliable 183 may go, with the next RSeq.
    net.command(BOB, Command::PreAccept { call: None });
    net.run_for(S);
    let rseqs: Vec<u32> = sent(&net, BOB, "SIP/2.0 183", "")
        .iter()
        .map(|(_, b)| header(b, "RSeq").unwrap().parse().unwrap())
        .collect();
    let first = rseqs[0];
    assert_eq!(*rseqs.last().unwrap(), first + 1, "{rseqs:?}");
    assert_eq!(
        sent(&net, ALICE, "PRACK", "").len(),
        2,
        "one PRACK per RSeq"
    );
}

#[test]
fn with_require_100rel_progress_is_sent_reliably_too() {
    let mut net = edited_invite(308, |t| {
        t.replace(
            "Supported: 100rel, timer",
            "Require: 100rel\r\nSupported: timer",
        )
    });
    net.command(
        BOB,
        Command::Progress {
            call: None,
            code: 180,
            reason: None,
        },
    );
    let p = net.wait_event(ALICE, "progress", S).expect("180");
    assert!(
        matches!(
            p,
            Event::Progress {
                code: 180,
                reliable: true,
                ..
            }
        ),
        "{p:?}"
    );
    net.run_for(S);
    let r180 = sent(&net, BOB, "SIP/2.0 180", "");
    assert_eq!(r180.len(), 1, "PRACKed: not retransmitted");
    assert_eq!(header(&r180[0].1, "Require").as_deref(), Some("100rel"));
    assert!(header(&r180[0].1, "RSeq").is_some());
    assert!(body(&r180[0].1).is_empty());
    assert_eq!(responses(&net, BOB, 200, "PRACK").len(), 1);
    // Without SDP in it, the answer need not wait for anything.
    net.command(BOB, Command::Accept { call: None });
    net.wait_event(ALICE, "accepted", S).expect("answered");
}

#[test]
fn a_2xx_may_precede_the_prack_of_a_1xx_without_sdp_and_the_late_prack_gets_200() {
    let mut net = edited_invite(309, |t| {
        t.replace(
            "Supported: 100rel, timer",
            "Require: 100rel\r\nSupported: timer",
        )
    });
    net.hold(ALICE, "PRACK");
    net.command(
        BOB,
        Command::Progress {
            call: None,
            code: 180,
            reason: None,
        },
    );
    net.run_for(S / 10);
    net.command(BOB, Command::Accept { call: None });
    net.wait_event(ALICE, "accepted", S)
        .expect("answered at once");
    net.release();
    net.run_for(10 * S);
    assert_eq!(responses(&net, BOB, 200, "PRACK").len(), 1);
    assert!(sent(&net, BOB, "SIP/2.0 481", "").is_empty());
    // No 180 retransmission after the 2xx.
    assert_eq!(sent(&net, BOB, "SIP/2.0 180", "").len(), 1);
    assert!(!net.event_names(BOB).contains(&"terminated"));
}
