//! `bye [N]`: BYE on a confirmed call only (RFC 3261 §15); `hangup` keeps SIP.js
//! `terminate` semantics for the other states.

mod sim;

use std::time::Duration;

use sim::Net;
use sipline::api::{Command, Event, Party};

const S: Duration = Duration::from_secs(1);
const ALICE: usize = 0;
const BOB: usize = 1;

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

fn ringing(seed: u64) -> Net {
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
fn bye_refuses_calls_that_are_not_confirmed() {
    let mut net = Net::new(1, 701);
    net.command(ALICE, Command::Bye { call: None });
    net.run_for(S);
    assert_eq!(errors(&net, ALICE), ["bye: there is no confirmed call"]);

    let mut net = ringing(702);
    net.command(ALICE, Command::Bye { call: None });
    net.command(BOB, Command::Bye { call: None });
    net.command(
        ALICE,
        Command::Bye {
            call: Some(sipline::api::CallHandle(1)),
        },
    );
    net.run_for(S);
    assert_eq!(
        errors(&net, ALICE),
        [
            "bye: there is no confirmed call",
            "bye: call 1 is outgoing and proceeding; bye needs confirmed call"
        ]
    );
    assert_eq!(errors(&net, BOB), ["bye: there is no confirmed call"]);
    // Nothing was sent for them: no CANCEL, no final response.
    assert!(!net.sent_lines(ALICE).contains(&"CANCEL".to_string()));
    assert!(!net
        .sent_lines(BOB)
        .iter()
        .any(|l| l.starts_with("SIP/2.0 4")));
    // The call goes on: bob can still answer.
    net.command(BOB, Command::Accept { call: None });
    assert!(net.wait_event(ALICE, "accepted", S).is_some());
}

#[test]
fn the_callee_waits_for_the_ack_before_bye() {
    let mut net = ringing(703);
    net.hold(ALICE, "ACK");
    net.command(BOB, Command::Accept { call: None });
    net.wait_event(ALICE, "accepted", S).unwrap();
    net.command(BOB, Command::Bye { call: None });
    net.run_for(Duration::from_millis(100));
    assert_eq!(errors(&net, BOB), ["bye: there is no confirmed call"]);
    assert!(!net.sent_lines(BOB).contains(&"BYE".to_string()));
    net.release();
    net.run_for(S);
    net.command(BOB, Command::Bye { call: None });
    let t = net
        .wait_event(ALICE, "terminated", S)
        .expect("alice hears the BYE");
    assert!(
        matches!(
            t,
            Event::Terminated {
                by: Party::Remote,
                ..
            }
        ),
        "{t:?}"
    );
    let t = net.event_names(BOB);
    assert_eq!(t.last(), Some(&"terminated"));
    assert!(net.uas[BOB].events.iter().any(|(_, e)| matches!(
        e,
        Event::Terminated { by: Party::Local, cause, .. } if cause == "bye"
    )));
}

#[test]
fn bye_ends_a_confirmed_call_and_hangup_still_cancels() {
    let mut net = ringing(704);
    net.command(BOB, Command::Accept { call: None });
    net.wait_event(ALICE, "accepted", S).unwrap();
    net.run_for(S);
    net.command(ALICE, Command::Bye { call: None });
    assert!(net.wait_event(BOB, "terminated", S).is_some());
    assert!(net.sent_lines(ALICE).contains(&"BYE".to_string()));
    // hangup on a ringing call is still a CANCEL.
    let mut net = ringing(705);
    net.command(ALICE, Command::Hangup { call: None });
    assert!(net.wait_event(ALICE, "canceled", S).is_some());
    assert!(net.sent_lines(ALICE).contains(&"CANCEL".to_string()));
}
