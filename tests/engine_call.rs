//! Whole calls between two engines on the simulated network (RFC 3261 §13, §15, §9).

mod sim;

use std::time::Duration;

use sim::Net;
use sipline::api::{Command, Event, Party};
use sipline::media::MediaCtl;

const ALICE: usize = 0;
const BOB: usize = 1;
const S: Duration = Duration::from_secs(1);

fn invite(net: &mut Net, from: usize, to: usize) {
    let target = net.uri(to);
    net.command(from, Command::Invite { target });
}

#[test]
fn call_is_answered_media_starts_and_caller_hangs_up() {
    let mut net = Net::new(2, 1);
    invite(&mut net, ALICE, BOB);
    let incoming = net.wait_event(BOB, "incoming", S).expect("bob is called");
    // Identities for people: no tags.
    assert!(
        matches!(&incoming, Event::Incoming { from, to, .. }
            if from == "<sip:alice@127.0.0.1>" && to == "<sip:bob@127.0.0.1:5062>"),
        "{incoming:?}"
    );
    net.command(
        BOB,
        Command::Progress {
            call: None,
            code: 180,
            reason: None,
        },
    );
    let p = net
        .wait_event(ALICE, "progress", S)
        .expect("alice hears ringing");
    assert!(matches!(p, Event::Progress { code: 180, ref reason, .. } if reason == "Ringing"));
    net.command(BOB, Command::Accept { call: None });
    assert!(net.wait_event(ALICE, "accepted", S).is_some());
    net.run_for(S);
    // Both sides negotiated the first codec of the offer and started media at the other's RTP port.
    for (me, other) in [(ALICE, BOB), (BOB, ALICE)] {
        let start = net.uas[me]
            .media
            .iter()
            .find_map(|m| match m {
                MediaCtl::Start { params, .. } => Some(params.clone()),
                _ => None,
            })
            .expect("media started");
        assert_eq!(start.codec.kind.display_name(), "PCMU/8000");
        let other_open = net.uas[other]
            .media
            .iter()
            .any(|m| matches!(m, MediaCtl::Open { .. }));
        assert!(other_open);
        assert_eq!(start.remote.ip().to_string(), "127.0.0.1");
    }
    // Bob's 2xx was ACKed: no 2xx retransmission after the ACK arrived.
    let oks = net
        .sent_lines(BOB)
        .iter()
        .filter(|l| *l == "SIP/2.0 200")
        .count();
    assert_eq!(oks, 1, "bob sent {:?}", net.sent_lines(BOB));
    net.command(ALICE, Command::Hangup { call: None });
    let t = net.wait_event(BOB, "terminated", S).expect("bob sees BYE");
    assert!(matches!(
        t,
        Event::Terminated {
            by: Party::Remote,
            ..
        }
    ));
    assert!(matches!(
        net.uas[ALICE].events.last().map(|(_, e)| e.clone()),
        Some(Event::Terminated {
            by: Party::Local,
            ..
        })
    ));
    net.run_for(S * 40);
    assert_eq!(net.uas[ALICE].engine.call_count(), 0);
    assert_eq!(net.uas[BOB].engine.call_count(), 0);
    assert!(net.uas[BOB]
        .media
        .iter()
        .any(|m| matches!(m, MediaCtl::Stop { .. })));
    assert_eq!(
        net.sent_lines(ALICE),
        vec!["INVITE", "ACK", "BYE"],
        "alice's wire"
    );
    assert_eq!(
        net.sent_lines(BOB),
        vec!["SIP/2.0 180", "SIP/2.0 200", "SIP/2.0 200"],
        "bob's wire: 180 within 200 ms (so no 100), 200 INVITE, 200 BYE"
    );
}

#[test]
fn reject_defaults_to_480_and_caller_sees_rejected() {
    let mut net = Net::new(2, 2);
    invite(&mut net, ALICE, BOB);
    net.wait_event(BOB, "incoming", S).unwrap();
    net.command(
        BOB,
        Command::Reject {
            call: None,
            code: 480,
            reason: None,
        },
    );
    let r = net.wait_event(ALICE, "rejected", S).expect("rejected");
    assert!(
        matches!(r, Event::Rejected { code: 480, ref reason, .. } if reason == "Temporarily Unavailable")
    );
    net.run_for(S * 40);
    // The transaction ACKed the 480 (§17.1.1.3) and bob stopped retransmitting it.
    assert_eq!(net.sent_lines(ALICE), vec!["INVITE", "ACK"]);
    assert_eq!(
        net.sent_lines(BOB)
            .iter()
            .filter(|l| *l == "SIP/2.0 480")
            .count(),
        1
    );
}

#[test]
fn reject_with_code_and_reason() {
    let mut net = Net::new(2, 3);
    invite(&mut net, ALICE, BOB);
    net.wait_event(BOB, "incoming", S).unwrap();
    net.command(
        BOB,
        Command::Reject {
            call: None,
            code: 486,
            reason: Some("Busy Here Now".into()),
        },
    );
    let r = net.wait_event(ALICE, "rejected", S).unwrap();
    assert!(
        matches!(r, Event::Rejected { code: 486, ref reason, .. } if reason == "Busy Here Now")
    );
}

#[test]
fn cancel_while_ringing_gives_487_and_canceled_on_both_sides() {
    let mut net = Net::new(2, 4);
    invite(&mut net, ALICE, BOB);
    net.wait_event(BOB, "incoming", S).unwrap();
    net.command(
        BOB,
        Command::Progress {
            call: None,
            code: 180,
            reason: None,
        },
    );
    net.wait_event(ALICE, "progress", S).unwrap();
    net.command(ALICE, Command::Cancel { call: None });
    let c = net
        .wait_event(ALICE, "canceled", S)
        .expect("alice canceled");
    assert!(matches!(
        c,
        Event::Canceled {
            by: Party::Local,
            ..
        }
    ));
    let c = net.wait_event(BOB, "canceled", S).expect("bob canceled");
    assert!(matches!(
        c,
        Event::Canceled {
            by: Party::Remote,
            ..
        }
    ));
    net.run_for(S * 40);
    assert_eq!(net.sent_lines(ALICE), vec!["INVITE", "CANCEL", "ACK"]);
    let bob = net.sent_lines(BOB);
    assert!(bob.contains(&"SIP/2.0 487".to_string()), "{bob:?}");
    assert!(!net.event_names(ALICE).contains(&"rejected"));
}

#[test]
fn cancel_before_any_provisional_waits_for_one() {
    // §9.1: CANCEL only after a provisional response. Bob's 100 Trying comes at once,
    // so cancel right after invite must still end in 487.
    let mut net = Net::new(2, 5);
    invite(&mut net, ALICE, BOB);
    net.command(ALICE, Command::Cancel { call: None });
    assert!(net.wait_event(ALICE, "canceled", S * 2).is_some());
    assert!(!net.event_names(BOB).contains(&"accepted"));
}

#[test]
fn callee_hangs_up_with_bye() {
    let mut net = Net::new(2, 6);
    invite(&mut net, ALICE, BOB);
    net.wait_event(BOB, "incoming", S).unwrap();
    net.command(BOB, Command::Accept { call: None });
    net.wait_event(ALICE, "accepted", S).unwrap();
    net.run_for(S);
    net.command(BOB, Command::Hangup { call: None });
    let t = net.wait_event(ALICE, "terminated", S).unwrap();
    assert!(matches!(t, Event::Terminated { by: Party::Remote, ref cause, .. } if cause == "bye"));
}

#[test]
fn bye_for_unknown_dialog_gets_481() {
    let mut net = Net::new(2, 7);
    let bye = "BYE sip:bob@127.0.0.1:5062 SIP/2.0\r\n\
        Via: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bKnodialog\r\n\
        Max-Forwards: 70\r\n\
        From: <sip:x@127.0.0.1:5099>;tag=aaa\r\n\
        To: <sip:bob@127.0.0.1:5062>;tag=bbb\r\n\
        Call-ID: nosuchcall\r\n\
        CSeq: 2 BYE\r\n\
        Content-Length: 0\r\n\r\n";
    net.inject(BOB, "127.0.0.1:5099".parse().unwrap(), bye.as_bytes());
    net.run_for(S);
    let replies: Vec<String> = net
        .stray
        .iter()
        .map(|(_, _, _, b)| {
            String::from_utf8_lossy(b)
                .lines()
                .next()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    assert_eq!(replies, vec!["SIP/2.0 481 Call/Transaction Does Not Exist"]);
}

#[test]
fn commands_in_the_wrong_state_say_why_and_send_nothing() {
    let mut net = Net::new(2, 8);
    net.command(ALICE, Command::Accept { call: None });
    net.command(
        ALICE,
        Command::Hangup {
            call: Some(sipline::api::CallHandle(7)),
        },
    );
    net.command(
        ALICE,
        Command::Reject {
            call: None,
            code: 200,
            reason: None,
        },
    );
    let msgs: Vec<String> = net.uas[ALICE]
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::CommandError { message } => Some(message.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        msgs,
        vec![
            "accept: there is no incoming call waiting for an answer".to_string(),
            "hangup: 7 is not a call (calls: none)".to_string(),
            "reject: 200 is not a rejection status code (expected 300-699)".to_string(),
        ]
    );
    assert!(net.uas[ALICE].sent.is_empty());
    invite(&mut net, ALICE, BOB);
    net.wait_event(BOB, "incoming", S).unwrap();
    net.command(ALICE, Command::Accept { call: None });
    assert!(matches!(
        net.uas[ALICE].events.last().map(|(_, e)| e.clone()),
        Some(Event::CommandError { ref message }) if message == "accept: there is no incoming call waiting for an answer"
    ));
}

#[test]
fn slow_callee_gets_100_trying_from_the_transaction_after_200ms() {
    let mut net = Net::new(2, 9);
    invite(&mut net, ALICE, BOB);
    net.wait_event(BOB, "incoming", S).unwrap();
    net.run_for(S);
    let sent: Vec<(Duration, String)> = net.uas[BOB]
        .sent
        .iter()
        .map(|(t, _, b)| {
            (
                *t,
                String::from_utf8_lossy(b)
                    .lines()
                    .next()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    // The INVITE arrives at 10 ms (+<1 ms); 100 Trying leaves 200 ms later (§17.2.1).
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].1, "SIP/2.0 100 Trying");
    assert_eq!(sent[0].0.as_millis() / 10, 21, "{sent:?}");
    // Alice stops retransmitting once the 100 arrives: only the first INVITE went out.
    assert_eq!(net.sent_lines(ALICE), vec!["INVITE"]);
}

#[test]
fn merged_invite_by_another_path_gets_482() {
    let mut net = Net::new(2, 10);
    invite(&mut net, ALICE, BOB);
    net.wait_event(BOB, "incoming", S).unwrap();
    // The same INVITE with another branch, as if forked back to bob by a proxy loop.
    let original = String::from_utf8_lossy(&net.uas[ALICE].sent[0].2).to_string();
    let branch_start = original.find("branch=").unwrap() + "branch=".len();
    let branch_end = original[branch_start..].find(';').unwrap() + branch_start;
    let copy = format!(
        "{}z9hG4bKotherpath{}",
        &original[..branch_start],
        &original[branch_end..]
    );
    net.inject(BOB, "127.0.0.1:5061".parse().unwrap(), copy.as_bytes());
    net.run_for(S);
    assert!(
        net.sent_lines(BOB).contains(&"SIP/2.0 482".to_string()),
        "{:?}",
        net.sent_lines(BOB)
    );
    assert_eq!(net.uas[BOB].engine.call_count(), 1, "no second call");
}

#[test]
fn responses_that_make_a_dialog_copy_the_record_route() {
    // §12.1.1: the INVITE came through two record-routing proxies.
    let mut net = Net::new(2, 13);
    let invite = "INVITE sip:bob@127.0.0.1:5062 SIP/2.0\r\n\
        Via: SIP/2.0/UDP 127.0.0.1:6000;branch=z9hG4bKrr\r\n\
        Max-Forwards: 68\r\n\
        Record-Route: <sip:127.0.0.1:6001;lr>\r\n\
        Record-Route: <sip:127.0.0.1:6002;lr;ftag=x>\r\n\
        From: <sip:x@127.0.0.1:6000>;tag=rr\r\n\
        To: <sip:bob@127.0.0.1:5062>\r\n\
        Call-ID: record-route\r\n\
        CSeq: 1 INVITE\r\n\
        Contact: <sip:x@127.0.0.1:6000>\r\n\
        Content-Length: 0\r\n\r\n";
    net.inject(BOB, "127.0.0.1:6000".parse().unwrap(), invite.as_bytes());
    net.wait_event(BOB, "incoming", S).unwrap();
    net.command(
        BOB,
        Command::Progress {
            call: None,
            code: 180,
            reason: None,
        },
    );
    net.command(BOB, Command::Accept { call: None });
    net.run_for(Duration::from_millis(100));
    for code in ["180", "200"] {
        let resp = net
            .stray
            .iter()
            .map(|(_, _, _, b)| String::from_utf8_lossy(b).to_string())
            .find(|t| t.starts_with(&format!("SIP/2.0 {code}")))
            .unwrap();
        assert!(
            resp.contains(
                "Record-Route: <sip:127.0.0.1:6001;lr>\r\nRecord-Route: <sip:127.0.0.1:6002;lr;ftag=x>\r\n"
            ),
            "{resp}"
        );
    }
    // Bob's own in-dialog requests follow the route set: BYE goes to the first proxy.
    net.command(BOB, Command::Hangup { call: None });
    net.run_for(Duration::from_millis(100));
    let bye = net
        .stray
        .iter()
        .find(|(_, _, _, b)| b.starts_with(b"BYE "))
        .unwrap();
    assert_eq!(bye.2.to_string(), "127.0.0.1:6001");
    let text = String::from_utf8_lossy(&bye.3).to_string();
    assert!(
        text.contains(
            "Route: <sip:127.0.0.1:6001;lr>\r\nRoute: <sip:127.0.0.1:6002;lr;ftag=x>\r\n"
        ),
        "{text}"
    );
}

/// `terminated` carries the talk time, from the answer to the end, on both sides (here
/// 90 s of simulated time; the set-up before the answer does not count).
#[test]
fn terminated_reports_the_talk_time() {
    let mut net = Net::new(2, 1);
    invite(&mut net, ALICE, BOB);
    net.wait_event(BOB, "incoming", S).expect("bob is called");
    // Ringing for 20 s before the answer.
    net.run_for(S * 20);
    net.command(BOB, Command::Accept { call: None });
    net.wait_event(ALICE, "accepted", S).expect("answered");
    net.run_for(S * 90);
    net.command(ALICE, Command::Hangup { call: None });
    let remote = net.wait_event(BOB, "terminated", S).expect("bob sees BYE");
    let local = net.uas[ALICE]
        .events
        .iter()
        .rev()
        .find_map(|(_, e)| match e {
            Event::Terminated { duration_ms, .. } => Some(*duration_ms),
            _ => None,
        })
        .expect("alice reports the end");
    let Event::Terminated { duration_ms, .. } = remote else {
        panic!("{remote:?}");
    };
    for ms in [duration_ms, local] {
        assert!((90_000..91_500).contains(&ms), "talk time {ms} ms");
    }
}
