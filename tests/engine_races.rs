//! Races the RFC names, reproduced by holding messages back (STYLE.md §8 P6).

mod sim;

use std::time::Duration;

use sim::Net;
use sipline::api::{Command, Event, Party};

const ALICE: usize = 0;
const BOB: usize = 1;
const S: Duration = Duration::from_secs(1);

fn ringing_call(seed: u64) -> Net {
    let mut net = Net::new(2, seed);
    let target = net.uri(BOB);
    net.command(ALICE, Command::Invite { target });
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
    net
}

#[test]
fn cancel_crossing_a_200_ends_with_ack_then_bye() {
    // §9.1: bob answers while alice cancels; the 200 reaches alice after her CANCEL left.
    let mut net = ringing_call(31);
    net.hold_if(BOB, "SIP/2.0 200", "CSeq: 1 INVITE");
    net.command(BOB, Command::Accept { call: None });
    net.command(
        ALICE,
        Command::Cancel {
            call: None,
            reason: None,
        },
    );
    net.run_for(S);
    net.release();
    net.run_for(S * 40);
    // Bob had already answered: the CANCEL gets 200 but no 487.
    let bob = net.sent_lines(BOB);
    assert!(!bob.contains(&"SIP/2.0 487".to_string()), "{bob:?}");
    // Alice ACKs the 2xx and hangs up at once.
    assert_eq!(
        net.sent_lines(ALICE),
        vec!["INVITE", "CANCEL", "ACK", "BYE"]
    );
    assert!(matches!(
        net.uas[ALICE].events.last().map(|(_, e)| e.clone()),
        Some(Event::Terminated { by: Party::Local, ref cause, .. }) if cause == "canceled"
    ));
    assert!(!net.event_names(ALICE).contains(&"accepted"));
    let t = net
        .wait_event(BOB, "terminated", S)
        .expect("bob sees the BYE");
    assert!(matches!(
        t,
        Event::Terminated {
            by: Party::Remote,
            ..
        }
    ));
    assert_eq!(net.uas[ALICE].engine.call_count(), 0);
    assert_eq!(net.uas[BOB].engine.call_count(), 0);
}

#[test]
fn bye_before_ack_ends_the_call_and_stops_2xx_retransmission() {
    let mut net = ringing_call(32);
    net.hold(ALICE, "ACK");
    net.command(BOB, Command::Accept { call: None });
    net.wait_event(ALICE, "accepted", S).unwrap();
    net.command(ALICE, Command::Hangup { call: None });
    let t = net
        .wait_event(BOB, "terminated", S)
        .expect("BYE ends bob's call");
    assert!(matches!(
        t,
        Event::Terminated {
            by: Party::Remote,
            ..
        }
    ));
    net.discard_held();
    net.run_for(S * 40);
    let oks = net
        .sent_lines(BOB)
        .iter()
        .filter(|l| *l == "SIP/2.0 200")
        .count();
    // 200 INVITE (maybe once retransmitted before the BYE landed) + 200 BYE, nothing after.
    assert!(oks <= 3, "{:?}", net.sent_lines(BOB));
    assert!(!net.event_names(BOB).contains(&"failed"));
    assert_eq!(net.uas[BOB].engine.call_count(), 0);
}

#[test]
fn duplicated_2xx_is_acked_again_and_reported_once() {
    let mut net = ringing_call(33);
    net.duplicate = 1.0;
    net.command(BOB, Command::Accept { call: None });
    net.run_for(S * 2);
    let accepted = net
        .event_names(ALICE)
        .iter()
        .filter(|n| **n == "accepted")
        .count();
    assert_eq!(accepted, 1);
    let acks = net.sent_lines(ALICE).iter().filter(|l| *l == "ACK").count();
    assert!(
        acks >= 2,
        "each copy of the 200 is ACKed: {:?}",
        net.sent_lines(ALICE)
    );
    assert_eq!(net.uas[ALICE].engine.call_count(), 1);
}

#[test]
fn a_second_2xx_from_another_fork_is_acked_and_hung_up() {
    // §13.2.2.4: a 2xx from a dialog we did not keep gets ACK then BYE.
    let mut net = ringing_call(34);
    net.command(BOB, Command::Accept { call: None });
    net.wait_event(ALICE, "accepted", S).unwrap();
    net.run_for(S);
    let ok = net.uas[BOB]
        .sent
        .iter()
        .find(|(_, _, b)| b.starts_with(b"SIP/2.0 200"))
        .map(|(_, _, b)| String::from_utf8_lossy(b).to_string())
        .unwrap();
    let tag_at = ok.find("To: ").unwrap();
    let tag_start = ok[tag_at..].find("tag=").unwrap() + tag_at + 4;
    let tag_end = ok[tag_start..].find("\r\n").unwrap() + tag_start;
    let forked = format!("{}otherfork{}", &ok[..tag_start], &ok[tag_end..]);
    let before = net.uas[ALICE].sent.len();
    net.inject(ALICE, "127.0.0.1:5063".parse().unwrap(), forked.as_bytes());
    let sent: Vec<String> = net.uas[ALICE].sent[before..]
        .iter()
        .map(|(_, _, b)| String::from_utf8_lossy(b).to_string())
        .collect();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(sent[0].starts_with("ACK ") && sent[0].contains("tag=otherfork"));
    assert!(sent[1].starts_with("BYE ") && sent[1].contains("tag=otherfork"));
    // The first call is untouched.
    assert_eq!(net.uas[ALICE].engine.call_count(), 1);
    assert_eq!(
        net.event_names(ALICE)
            .iter()
            .filter(|n| **n == "terminated")
            .count(),
        0
    );
}
