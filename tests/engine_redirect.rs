//! 3xx responses are followed to their Contacts in q order (RFC 3261 §8.1.3.4, §13.2.2.2).

mod sim;

use std::time::Duration;

use sim::Net;
use sipline::api::{Command, Event};
use sipline::sip::msg::{Message, SipMessage};

const REDIRECTOR: &str = "127.0.0.1:5070";

/// Answers every INVITE with a 3xx listing `contacts`.
fn redirector(contacts: &'static str) -> sim::Responder {
    Box::new(move |bytes: &[u8]| {
        let Ok(Message::Request(req)) = Message::parse(bytes) else {
            return Vec::new();
        };
        if req.method.as_str() != "INVITE" {
            return Vec::new();
        }
        let mut r = req.make_response(302, None);
        let to = r.headers.get("To").unwrap().to_string();
        r.headers.set("To", format!("{to};tag=redir"));
        r.headers.push("Contact", contacts);
        vec![r.to_bytes()]
    })
}

#[test]
fn a_302_is_followed_to_the_highest_q_contact_keeping_call_id() {
    let mut net = Net::new(2, 81);
    net.serve(
        REDIRECTOR.parse().unwrap(),
        redirector("<sip:nobody@127.0.0.1:5999>;q=0.2, <sip:bob@127.0.0.1:5062>;q=0.9"),
    );
    net.command(
        0,
        Command::Invite {
            target: format!("sip:bob@{REDIRECTOR}"),
        },
    );
    assert!(net
        .wait_event(1, "incoming", Duration::from_secs(2))
        .is_some());
    net.command(1, Command::Accept { call: None });
    assert!(net
        .wait_event(0, "accepted", Duration::from_secs(2))
        .is_some());
    assert!(!net.event_names(0).contains(&"rejected"));
    let invites: Vec<sipline::sip::msg::Request> = net.uas[0]
        .sent
        .iter()
        .filter_map(|(_, _, b)| match Message::parse(b) {
            Ok(Message::Request(r)) if r.method.as_str() == "INVITE" => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(invites.len(), 2);
    assert_eq!(invites[1].uri.to_string(), "sip:bob@127.0.0.1:5062");
    assert_eq!(invites[0].call_id().unwrap(), invites[1].call_id().unwrap());
    assert_eq!(
        invites[0].cseq().unwrap().seq + 1,
        invites[1].cseq().unwrap().seq
    );
}

#[test]
fn a_redirect_loop_ends_as_rejected() {
    let mut net = Net::new(1, 82);
    net.serve(
        REDIRECTOR.parse().unwrap(),
        redirector("<sip:bob@127.0.0.1:5070>"),
    );
    net.command(
        0,
        Command::Invite {
            target: format!("sip:bob@{REDIRECTOR}"),
        },
    );
    let ev = net
        .wait_event(0, "rejected", Duration::from_secs(5))
        .expect("the loop ends");
    assert!(matches!(ev, Event::Rejected { code: 302, .. }), "{ev:?}");
    let invites = net.uas[0]
        .sent
        .iter()
        .filter(|(_, _, b)| b.starts_with(b"INVITE "))
        .count();
    assert_eq!(
        invites, 2,
        "the original and one retry at the listed contact"
    );
}

/// The redirected event alice got, if any: (code, contacts).
fn redirected(net: &Net) -> Option<(u16, Vec<String>)> {
    net.uas[0].events.iter().find_map(|(_, e)| match e {
        Event::Redirected { code, contacts, .. } => Some((*code, contacts.clone())),
        _ => None,
    })
}

fn invites_sent(net: &Net) -> usize {
    net.uas[0]
        .sent
        .iter()
        .filter(|(_, _, b)| b.starts_with(b"INVITE "))
        .count()
}

#[test]
fn invite_no_follow_reports_the_contacts_instead() {
    let mut net = Net::new(2, 83);
    net.serve(
        REDIRECTOR.parse().unwrap(),
        redirector("<sip:nobody@127.0.0.1:5999>;q=0.2, <sip:bob@127.0.0.1:5062>;q=0.9, <tel:+123>"),
    );
    net.command(
        0,
        Command::InviteWith {
            target: format!("sip:bob@{REDIRECTOR}"),
            options: sipline::api::InviteOptions {
                no_follow: true,
                ..Default::default()
            },
        },
    );
    net.run_for(Duration::from_secs(2));
    assert_eq!(
        redirected(&net),
        Some((
            302,
            vec![
                "sip:bob@127.0.0.1:5062".to_string(),
                "sip:nobody@127.0.0.1:5999".to_string()
            ]
        ))
    );
    assert_eq!(invites_sent(&net), 1, "not followed");
    assert!(net.uas[1].events.is_empty(), "bob is not called");
    assert!(!net.event_names(0).contains(&"rejected"));
    // The 302 was ACKed (§17.1.1.3).
    assert!(net.sent_lines(0).contains(&"ACK".to_string()));
}

#[test]
fn an_account_with_follow_redirects_false_does_not_follow() {
    let mut net = Net::with_accounts(2, 84, |i| {
        if i != 0 {
            return Vec::new();
        }
        let mut a = sipline::sip::account::AccountConfig::new(
            "alice",
            sipline::sip::msg::Uri::parse("sip:alice@127.0.0.1:5061").unwrap(),
        );
        a.follow_redirects = false;
        vec![a]
    });
    net.serve(
        REDIRECTOR.parse().unwrap(),
        redirector("<sip:bob@127.0.0.1:5062>"),
    );
    net.command(
        0,
        Command::Invite {
            target: format!("sip:bob@{REDIRECTOR}"),
        },
    );
    net.run_for(Duration::from_secs(2));
    assert_eq!(
        redirected(&net),
        Some((302, vec!["sip:bob@127.0.0.1:5062".to_string()]))
    );
    assert_eq!(invites_sent(&net), 1);
}
