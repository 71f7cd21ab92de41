//! Per-account `answer_mode`: incoming calls to an account are accepted (`auto`) or
//! refused with 486 (`reject`) at once, or left to the user (`manual`).

mod sim;

use std::time::Duration;

use sim::Net;
use sipline::api::{Command, Event};
use sipline::sip::account::{AccountConfig, AnswerMode};
use sipline::sip::msg::Uri;

const S: Duration = Duration::from_secs(1);

/// Alice calls bob, whose account has `mode`.
fn call_bob(seed: u64, mode: AnswerMode) -> Net {
    let mut net = Net::with_accounts(2, seed, |i| {
        if i != 1 {
            return Vec::new();
        }
        let mut a = AccountConfig::new("bob", Uri::parse("sip:bob@127.0.0.1:5062").unwrap());
        a.answer_mode = mode;
        vec![a]
    });
    let target = net.uri(1);
    net.command(0, Command::Invite { target });
    net.run_for(S * 2);
    net
}

#[test]
fn auto_accepts_at_once() {
    let net = call_bob(601, AnswerMode::Auto);
    assert_eq!(
        net.event_names(1)[..2],
        ["incoming", "accepted"],
        "{:?}",
        net.event_names(1)
    );
    assert!(net.event_names(0).contains(&"accepted"));
    assert!(net.event_names(0).contains(&"media"));
}

#[test]
fn reject_answers_486_at_once() {
    let net = call_bob(602, AnswerMode::Reject);
    assert_eq!(net.event_names(1), ["incoming", "rejected"]);
    let r = net.uas[0]
        .events
        .iter()
        .find_map(|(_, e)| match e {
            Event::Rejected { code, reason, .. } => Some((*code, reason.clone())),
            _ => None,
        })
        .expect("alice is rejected");
    assert_eq!(r, (486, "Busy Here".to_string()));
}

#[test]
fn manual_waits_for_the_user() {
    let mut net = call_bob(603, AnswerMode::Manual);
    assert_eq!(net.event_names(1), ["incoming"]);
    net.command(1, Command::Accept { call: None });
    assert!(net.wait_event(0, "accepted", S).is_some());
}

#[test]
fn a_call_to_another_user_is_left_to_the_user() {
    // The account is picked by the Request-URI's user: a call to carol@bob's address is
    // not the account's, and waits.
    let mut net = Net::with_accounts(2, 604, |i| {
        if i != 1 {
            return Vec::new();
        }
        let mut a = AccountConfig::new("bob", Uri::parse("sip:bob@127.0.0.1:5062").unwrap());
        a.answer_mode = AnswerMode::Reject;
        vec![a]
    });
    net.command(
        0,
        Command::Invite {
            target: "sip:carol@127.0.0.1:5062".into(),
        },
    );
    net.run_for(S * 2);
    assert_eq!(net.event_names(1), ["incoming"]);
}
