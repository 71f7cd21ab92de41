//! Call transfer with three engines (RFC 3515, 3891, 3892, 5589): alice (0) transfers bob
//! (1) to carol (2).

mod sim;

use std::time::Duration;

use sim::Net;
use sipline::api::{CallHandle, Command, Event, Party, ReferOptions};
use sipline::sip::account::{AccountConfig, ReferPolicy};
use sipline::sip::msg::Uri;

const A: usize = 0;
const B: usize = 1;
const C: usize = 2;
const S: Duration = Duration::from_secs(1);

/// alice calls bob and bob answers.
fn alice_bob(seed: u64) -> Net {
    let mut net = Net::new(3, seed);
    let bob = net.uri(B);
    net.command(A, Command::Invite { target: bob });
    net.wait_event(B, "incoming", S).unwrap();
    net.command(B, Command::Accept { call: None });
    net.wait_event(A, "accepted", S).unwrap();
    net.run_for(S);
    net
}

fn names(net: &Net, ua: usize) -> Vec<&'static str> {
    net.event_names(ua)
}

fn texts(net: &Net, ua: usize, start: &str) -> Vec<String> {
    net.uas[ua]
        .sent
        .iter()
        .map(|(_, _, b)| String::from_utf8_lossy(b).to_string())
        .filter(|t| t.starts_with(start))
        .collect()
}

#[test]
fn blind_transfer_connects_bob_to_carol_and_alice_leaves() {
    let mut net = alice_bob(121);
    let carol = net.uri(C);
    net.command(
        A,
        Command::Refer {
            call: None,
            target: carol.clone(),
            replace: None,
            options: ReferOptions::default(),
        },
    );
    let r = net.wait_event(B, "referred", S).expect("bob is asked");
    assert!(
        matches!(&r, Event::Referred { refer_to, replaces: false, referred_by, .. }
            if *refer_to == carol && referred_by.contains("alice")),
        "{r:?}"
    );
    let refer = &texts(&net, A, "REFER ")[0];
    assert!(
        refer.contains(&format!("Refer-To: <{carol}>\r\n")),
        "{refer}"
    );
    assert!(refer.contains("Referred-By: <sip:alice@"), "{refer}");

    net.command(B, Command::ReferAccept { call: None });
    assert!(
        net.wait_event(C, "incoming", S).is_some(),
        "carol is called"
    );
    let invite = &texts(&net, B, "INVITE ")[0];
    assert!(invite.contains("Referred-By: <sip:alice@"), "{invite}");
    net.command(
        C,
        Command::Progress {
            call: None,
            code: 180,
            reason: None,
        },
    );
    net.command(C, Command::Accept { call: None });
    assert!(net.wait_event(A, "refer-accepted", S * 2).is_some());
    net.run_for(S);

    // alice saw 202, 100 Trying, 180, then the 200 and left with BYE.
    let progress: Vec<u16> = net.uas[A]
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::ReferProgress { code, .. } => Some(*code),
            _ => None,
        })
        .collect();
    // The 202 and the first NOTIFY may cross (RFC 3515 §2.4.4 allows the NOTIFY first).
    assert!(progress.contains(&202), "{progress:?}");
    let notified: Vec<u16> = progress.into_iter().filter(|c| *c != 202).collect();
    assert_eq!(notified, vec![100, 180]);
    assert!(net.uas[A]
        .events
        .iter()
        .any(|(_, e)| matches!(e, Event::Terminated { by: Party::Local, cause, .. } if cause == "transferred")));
    // bob's NOTIFYs: sipfrag bodies ending in CRLF, active then terminated.
    let notifies = texts(&net, B, "NOTIFY ");
    assert_eq!(notifies.len(), 3, "{notifies:?}");
    assert!(notifies[0].contains("Subscription-State: active;expires=60\r\n"));
    assert!(
        notifies[0].ends_with("\r\n\r\nSIP/2.0 100 Trying\r\n"),
        "{}",
        notifies[0]
    );
    assert!(notifies[1].ends_with("SIP/2.0 180 Ringing\r\n"));
    assert!(notifies[2].contains("Subscription-State: terminated;reason=noresource\r\n"));
    assert!(notifies[2].ends_with("SIP/2.0 200 OK\r\n"));
    // bob ↔ carol is up; bob's first call ended by alice.
    assert_eq!(net.uas[A].engine.call_count(), 0);
    assert_eq!(net.uas[B].engine.call_count(), 1);
    assert_eq!(net.uas[C].engine.call_count(), 1);
    assert!(names(&net, B).contains(&"refer-invite-sent"));
    // bob, the transferee, hears the same progress on the call alice referred (SIP.js
    // names): 180 from carol, then accepted.
    let mine: Vec<String> = net.uas[B]
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::ReferProgress { call, code, .. } => Some(format!("{call} progress {code}")),
            Event::ReferAccepted { call } => Some(format!("{call} accepted")),
            Event::ReferRejected { .. } => Some("rejected".into()),
            _ => None,
        })
        .collect();
    assert_eq!(mine, ["1 progress 180", "1 accepted"]);
}

#[test]
fn a_rejected_refer_is_reported_and_the_call_stays() {
    let mut net = alice_bob(122);
    let carol = net.uri(C);
    net.command(
        A,
        Command::Refer {
            call: None,
            target: carol,
            replace: None,
            options: ReferOptions::default(),
        },
    );
    net.wait_event(B, "referred", S).unwrap();
    net.command(
        B,
        Command::ReferReject {
            call: None,
            code: 603,
        },
    );
    // SIP.js `referRequestRejected`: the REFER got a non-2xx, no NOTIFY follows.
    let f = net.wait_event(A, "refer-failed", S).unwrap();
    assert!(matches!(f, Event::ReferFailed { code: 603, .. }), "{f:?}");
    assert!(!names(&net, A).contains(&"refer-rejected"));
    assert_eq!(net.uas[A].engine.call_count(), 1);
    assert!(
        texts(&net, B, "NOTIFY ").is_empty(),
        "no NOTIFY for a rejected REFER"
    );
}

#[test]
fn a_busy_target_is_reported_back_by_notify() {
    let mut net = alice_bob(123);
    let carol = net.uri(C);
    net.command(
        A,
        Command::Refer {
            call: None,
            target: carol,
            replace: None,
            options: ReferOptions::default(),
        },
    );
    net.wait_event(B, "referred", S).unwrap();
    net.command(B, Command::ReferAccept { call: None });
    net.wait_event(C, "incoming", S).unwrap();
    net.command(
        C,
        Command::Reject {
            call: None,
            code: 486,
            reason: None,
        },
    );
    // SIP.js `referRejected`: the target refused; the REFER itself was accepted.
    let f = net.wait_event(A, "refer-rejected", S * 2).unwrap();
    assert!(matches!(f, Event::ReferRejected { code: 486, .. }), "{f:?}");
    assert!(!names(&net, A).contains(&"refer-failed"));
    // bob, the transferee, is told too, on the call alice referred.
    assert!(net.uas[B]
        .events
        .iter()
        .any(|(_, e)| matches!(e, Event::ReferRejected { call, code: 486, .. } if call.0 == 1)));
    // The original call goes on.
    assert_eq!(net.uas[A].engine.call_count(), 1);
    assert_eq!(net.uas[B].engine.call_count(), 1);
}

#[test]
fn attended_transfer_replaces_carols_call_with_alice() {
    let mut net = alice_bob(124);
    // alice also calls carol (call 2).
    let carol = net.uri(C);
    net.command(A, Command::Invite { target: carol });
    net.wait_event(C, "incoming", S).unwrap();
    net.command(C, Command::Accept { call: None });
    net.run_for(S);
    net.command(
        A,
        Command::Refer {
            call: Some(CallHandle(1)),
            target: String::new(),
            replace: Some(CallHandle(2)),
            options: ReferOptions::default(),
        },
    );
    let r = net.wait_event(B, "referred", S).unwrap();
    assert!(matches!(r, Event::Referred { replaces: true, .. }), "{r:?}");
    let refer = &texts(&net, A, "REFER ")[0];
    assert!(refer.contains("?Replaces="), "{refer}");
    assert!(
        refer.contains("%3Bto-tag%3D") && refer.contains("%3Bfrom-tag%3D"),
        "{refer}"
    );
    net.command(B, Command::ReferAccept { call: None });
    net.run_for(S * 2);
    // carol answered bob's INVITE with Replaces by herself and hung up on alice.
    let invite = &texts(&net, B, "INVITE ")[0];
    assert!(invite.contains("Replaces: "), "{invite}");
    assert_eq!(
        net.uas[C].engine.call_count(),
        1,
        "carol keeps only the call with bob"
    );
    assert!(names(&net, A).contains(&"refer-accepted"));
    assert_eq!(net.uas[A].engine.call_count(), 0, "alice left both calls");
    assert_eq!(net.uas[B].engine.call_count(), 1);
}

#[test]
fn an_unanswered_refer_is_rejected_not_followed() {
    let mut net = alice_bob(125);
    let carol = net.uri(C);
    net.command(
        A,
        Command::Refer {
            call: None,
            target: carol,
            replace: None,
            options: ReferOptions::default(),
        },
    );
    net.wait_event(B, "referred", S).unwrap();
    net.run_for(S * 25);
    let f = net.wait_event(A, "refer-failed", S).unwrap();
    assert!(matches!(f, Event::ReferFailed { code: 480, .. }), "{f:?}");
    assert!(!names(&net, C).contains(&"incoming"));
}

#[test]
fn replaces_that_matches_nothing_gets_481() {
    let mut net = Net::new(1, 126);
    let invite = "INVITE sip:alice@127.0.0.1:5061 SIP/2.0\r\n\
        Via: SIP/2.0/UDP 127.0.0.1:6000;branch=z9hG4bKrep\r\n\
        Max-Forwards: 70\r\n\
        From: <sip:x@127.0.0.1:6000>;tag=r\r\n\
        To: <sip:alice@127.0.0.1:5061>\r\n\
        Call-ID: replaces-none\r\n\
        CSeq: 1 INVITE\r\n\
        Contact: <sip:x@127.0.0.1:6000>\r\n\
        Replaces: nosuchcall;to-tag=a;from-tag=b\r\n\
        Content-Length: 0\r\n\r\n";
    net.inject(0, "127.0.0.1:6000".parse().unwrap(), invite.as_bytes());
    net.run_for(S);
    assert!(net
        .stray
        .iter()
        .any(|(_, _, _, b)| b.starts_with(b"SIP/2.0 481")));
    assert_eq!(net.uas[0].engine.call_count(), 0);
}

/// The value of header `name` in a message's text.
fn header<'a>(msg: &'a str, name: &str) -> &'a str {
    msg.lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        })
        .map(|(_, v)| v.trim())
        .unwrap_or_else(|| panic!("no {name} in {msg}"))
}

/// `;tag=` of a From/To value.
fn tag(value: &str) -> &str {
    value
        .split(";tag=")
        .nth(1)
        .unwrap_or_else(|| panic!("no tag in {value}"))
}

/// An INVITE from 127.0.0.1:6000 to alice (UA 0) whose Replaces is `replaces`.
fn invite_replacing(branch: &str, replaces: &str) -> String {
    format!(
        "INVITE sip:alice@127.0.0.1:5061 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:6000;branch=z9hG4bK{branch}\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:x@127.0.0.1:6000>;tag=r{branch}\r\n\
         To: <sip:alice@127.0.0.1:5061>\r\n\
         Call-ID: replacing-{branch}\r\n\
         CSeq: 1 INVITE\r\n\
         Contact: <sip:x@127.0.0.1:6000>\r\n\
         Replaces: {replaces}\r\n\
         Content-Length: 0\r\n\r\n"
    )
}

/// The status codes alice sent to 127.0.0.1:6000 for the INVITE with `branch`.
fn answers_to(net: &Net, branch: &str) -> Vec<u16> {
    net.stray
        .iter()
        .map(|(_, _, _, b)| String::from_utf8_lossy(b).to_string())
        .filter(|t| t.contains(&format!("branch=z9hG4bK{branch}")))
        .filter_map(|t| t.get(8..11).and_then(|c| c.parse().ok()))
        .collect()
}

#[test]
fn replaces_naming_an_early_call_we_did_not_place_gets_481_and_leaves_it() {
    // RFC 3891 §3: an early dialog not initiated by this UA → 481, the dialog unchanged;
    // `early-only` naming a confirmed dialog → 486.
    let mut net = Net::new(2, 127);
    let alice = net.uri(A);
    net.command(B, Command::Invite { target: alice });
    net.wait_event(A, "incoming", S).unwrap();
    net.command(
        A,
        Command::Progress {
            call: None,
            code: 180,
            reason: None,
        },
    );
    net.wait_event(B, "progress", S).unwrap();
    let invite = texts(&net, B, "INVITE ")[0].clone();
    let ringing = texts(&net, A, "SIP/2.0 180")[0].clone();
    let early = format!(
        "{};to-tag={};from-tag={}",
        header(&invite, "Call-ID"),
        tag(header(&ringing, "To")),
        tag(header(&invite, "From"))
    );
    net.inject(
        A,
        "127.0.0.1:6000".parse().unwrap(),
        invite_replacing("early", &early).as_bytes(),
    );
    net.run_for(S);
    let codes = answers_to(&net, "early");
    assert!(codes.contains(&481), "{codes:?}");
    assert!(!codes.iter().any(|c| (200..300).contains(c)), "{codes:?}");
    // bob's call rings on, untouched, and can still be answered.
    assert_eq!(net.uas[A].engine.call_count(), 1);
    assert!(!names(&net, B).contains(&"canceled"));
    net.command(A, Command::Accept { call: None });
    net.wait_event(B, "accepted", S).unwrap();
    net.run_for(S);

    // Now confirmed: `early-only` refuses with 486; the call stays.
    net.inject(
        A,
        "127.0.0.1:6000".parse().unwrap(),
        invite_replacing("eonly", &format!("{early};early-only")).as_bytes(),
    );
    net.run_for(S);
    let codes = answers_to(&net, "eonly");
    assert!(codes.contains(&486), "{codes:?}");
    assert_eq!(net.uas[A].engine.call_count(), 1);
    assert!(!names(&net, B).contains(&"terminated"));
}

#[test]
fn refer_sub_false_means_no_notifys_and_alice_leaves_on_the_202() {
    // RFC 4488: alice asks for no subscription; bob honours it in his 202 and sends no
    // NOTIFY; alice takes the 2xx as the end of her part and leaves.
    let mut net = alice_bob(128);
    let carol = net.uri(C);
    net.command(
        A,
        Command::Refer {
            call: None,
            target: carol,
            replace: None,
            options: ReferOptions {
                no_sub: true,
                ..Default::default()
            },
        },
    );
    net.wait_event(B, "referred", S).unwrap();
    let refer = &texts(&net, A, "REFER ")[0];
    assert!(refer.contains("Refer-Sub: false\r\n"), "{refer}");
    assert!(refer.contains("Supported: norefersub\r\n"), "{refer}");
    net.command(B, Command::ReferAccept { call: None });
    let accepted = texts(&net, B, "SIP/2.0 202")[0].clone();
    assert!(accepted.contains("Refer-Sub: false\r\n"), "{accepted}");
    net.wait_event(A, "refer-accepted", S)
        .expect("the 202 is enough");
    net.wait_event(C, "incoming", S).expect("carol is called");
    net.command(
        C,
        Command::Progress {
            call: None,
            code: 180,
            reason: None,
        },
    );
    net.command(C, Command::Accept { call: None });
    net.run_for(S * 2);
    assert!(texts(&net, B, "NOTIFY ").is_empty(), "no NOTIFY at all");
    let progress: Vec<u16> = net.uas[A]
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::ReferProgress { code, .. } => Some(*code),
            _ => None,
        })
        .collect();
    assert_eq!(progress, vec![202]);
    assert!(net.uas[A]
        .events
        .iter()
        .any(|(_, e)| matches!(e, Event::Terminated { by: Party::Local, cause, .. } if cause == "transferred")));
    assert_eq!(net.uas[A].engine.call_count(), 0);
    assert_eq!(
        net.uas[B].engine.call_count(),
        1,
        "bob keeps only the call to carol"
    );
    assert_eq!(net.uas[C].engine.call_count(), 1);
}

#[test]
fn without_refer_sub_in_the_2xx_alice_waits_for_the_notifys() {
    // RFC 4488 §4: a 2xx without `Refer-Sub: false` means the subscription exists: the
    // 202 alone is not success, only the NOTIFY with the target's 200 is.
    let mut net = alice_bob(129);
    let carol = net.uri(C);
    net.command(
        A,
        Command::Refer {
            call: None,
            target: carol,
            replace: None,
            options: ReferOptions::default(),
        },
    );
    net.wait_event(B, "referred", S).unwrap();
    net.command(B, Command::ReferAccept { call: None });
    net.wait_event(C, "incoming", S).unwrap();
    net.run_for(S);
    assert!(
        !names(&net, A).contains(&"refer-accepted"),
        "only a NOTIFY 200 says so"
    );
    assert!(!texts(&net, B, "SIP/2.0 202")[0].contains("Refer-Sub"));
    net.command(C, Command::Accept { call: None });
    assert!(net.wait_event(A, "refer-accepted", S * 2).is_some());
}

#[test]
fn refer_progress_answers_100_and_the_refer_still_waits_for_the_user() {
    let mut net = alice_bob(130);
    net.command(B, Command::ReferProgress { call: None });
    let e = net
        .wait_event(B, "command-error", S)
        .expect("no REFER waits yet");
    assert!(
        matches!(&e, Event::CommandError { message } if message.contains("refer-progress: there is no call with a REFER waiting")),
        "{e:?}"
    );
    let carol = net.uri(C);
    net.command(
        A,
        Command::Refer {
            call: None,
            target: carol,
            replace: None,
            options: ReferOptions::default(),
        },
    );
    net.wait_event(B, "referred", S).unwrap();
    net.command(
        B,
        Command::ReferProgress {
            call: Some(CallHandle(1)),
        },
    );
    net.run_for(S);
    let trying = texts(&net, B, "SIP/2.0 100 ");
    assert!(
        trying.iter().any(|t| t.contains(" REFER\r\n")),
        "{trying:?}"
    );
    // Nothing was decided: alice has no final answer and carol no call.
    assert!(!names(&net, A)
        .iter()
        .any(|n| matches!(*n, "refer-failed" | "refer-accepted" | "refer-progress")));
    assert!(!names(&net, C).contains(&"incoming"));
    net.command(B, Command::ReferAccept { call: None });
    net.wait_event(C, "incoming", S)
        .expect("accepted after progress");
    let e = net.wait_event(A, "refer-progress", S).unwrap();
    assert!(matches!(e, Event::ReferProgress { code: 202, .. }), "{e:?}");
}

/// The position of the first message UA `ua` sent that starts with `start`.
fn sent_index(net: &Net, ua: usize, start: &str) -> Option<usize> {
    net.uas[ua]
        .sent
        .iter()
        .position(|(_, _, b)| b.starts_with(start.as_bytes()))
}

#[test]
fn refer_with_hold_waits_for_the_holds_200_before_sending_the_refer() {
    let mut net = alice_bob(131);
    let carol = net.uri(C);
    // bob's 200 to the hold re-INVITE is held back on the wire.
    net.hold_if(B, "SIP/2.0 200", "CSeq: 2 INVITE");
    net.command(
        A,
        Command::Refer {
            call: None,
            target: carol,
            replace: None,
            options: ReferOptions {
                hold: true,
                ..Default::default()
            },
        },
    );
    net.run_for(S);
    let reinvite = texts(&net, A, "INVITE ");
    // The call's INVITE, then the hold re-INVITE (retransmitted while its 200 is held).
    assert!(reinvite.len() >= 2, "{reinvite:?}");
    assert!(reinvite[1].contains("a=sendonly"), "{}", reinvite[1]);
    assert!(
        texts(&net, A, "REFER ").is_empty(),
        "no REFER before the 200"
    );
    assert!(!names(&net, B).contains(&"referred"));

    net.release();
    let r = net
        .wait_event(B, "referred", S)
        .expect("REFER after the hold");
    assert!(matches!(r, Event::Referred { .. }), "{r:?}");
    let held = names(&net, A).iter().position(|n| *n == "held");
    assert!(held.is_some(), "{:?}", names(&net, A));
    // The REFER went after the ACK of the hold's 200, with a higher CSeq.
    let ack = sent_index(&net, A, "ACK ").unwrap();
    let refer = sent_index(&net, A, "REFER ").unwrap();
    assert!(ack < refer, "ACK at {ack}, REFER at {refer}");
    assert!(texts(&net, A, "REFER ")[0].contains("CSeq: 3 REFER\r\n"));
    net.command(B, Command::ReferAccept { call: None });
    net.wait_event(C, "incoming", S).unwrap();
    net.command(C, Command::Accept { call: None });
    assert!(net.wait_event(A, "refer-accepted", S * 2).is_some());
}

#[test]
fn refer_with_hold_on_a_held_call_sends_the_refer_at_once() {
    let mut net = alice_bob(132);
    net.command(A, Command::Hold { call: None });
    net.wait_event(A, "held", S).unwrap();
    let carol = net.uri(C);
    net.command(
        A,
        Command::Refer {
            call: None,
            target: carol,
            replace: None,
            options: ReferOptions {
                hold: true,
                ..Default::default()
            },
        },
    );
    assert_eq!(texts(&net, A, "REFER ").len(), 1, "sent in the same step");
    assert_eq!(
        texts(&net, A, "INVITE ").len(),
        2,
        "no second hold re-INVITE"
    );
}

/// alice calls bob, whose account has `refer = policy`; bob answers.
fn alice_bob_with_policy(seed: u64, policy: ReferPolicy) -> Net {
    let mut net = Net::with_accounts(3, seed, |i| {
        if i != B {
            return Vec::new();
        }
        let mut a = AccountConfig::new("bob", Uri::parse("sip:bob@127.0.0.1:5062").unwrap());
        a.refer = policy;
        vec![a]
    });
    let bob = net.uri(B);
    net.command(A, Command::Invite { target: bob });
    net.wait_event(B, "incoming", S).unwrap();
    net.command(B, Command::Accept { call: None });
    net.wait_event(A, "accepted", S).unwrap();
    net.run_for(S);
    net
}

fn refer_to_carol(net: &mut Net) {
    let carol = net.uri(C);
    net.command(
        A,
        Command::Refer {
            call: None,
            target: carol,
            replace: None,
            options: ReferOptions::default(),
        },
    );
}

#[test]
fn account_refer_accept_follows_without_a_command() {
    let mut net = alice_bob_with_policy(133, ReferPolicy::Accept);
    refer_to_carol(&mut net);
    net.wait_event(B, "referred", S).expect("still reported");
    net.wait_event(B, "refer-invite-sent", S)
        .expect("followed by the policy");
    net.wait_event(C, "incoming", S).unwrap();
    net.command(C, Command::Accept { call: None });
    assert!(net.wait_event(A, "refer-accepted", S * 2).is_some());
}

#[test]
fn account_refer_reject_declines_with_603() {
    let mut net = alice_bob_with_policy(134, ReferPolicy::Reject);
    refer_to_carol(&mut net);
    let f = net.wait_event(A, "refer-failed", S).unwrap();
    assert!(matches!(f, Event::ReferFailed { code: 603, .. }), "{f:?}");
    net.run_for(S);
    assert!(!names(&net, C).contains(&"incoming"));
    assert_eq!(net.uas[A].engine.call_count(), 1, "the call goes on");
}

#[test]
fn account_refer_ask_waits_for_the_user_then_rejects_after_20_s() {
    let mut net = alice_bob_with_policy(135, ReferPolicy::Ask);
    refer_to_carol(&mut net);
    net.wait_event(B, "referred", S).unwrap();
    net.run_for(S * 10);
    assert!(!names(&net, A).contains(&"refer-failed"), "still waiting");
    assert!(!names(&net, B).contains(&"refer-invite-sent"));
    net.run_for(S * 15);
    let f = net.wait_event(A, "refer-failed", S).unwrap();
    assert!(matches!(f, Event::ReferFailed { code: 480, .. }), "{f:?}");
    assert!(!names(&net, C).contains(&"incoming"));
}
