//! Calls over a reliable transport (RFC 3261 §18, §17: no retransmissions, zero linger
//! timers), with TCP named by `;transport=tcp`, and the §18.1.1 switch for large requests.

mod sim;

use std::time::Duration;

use sim::Net;
use sipline::api::{Command, Event, FailureCause};
use sipline::sip::transport::Protocol;

const S: Duration = Duration::from_secs(1);

#[test]
fn a_call_over_tcp_says_tcp_in_via_and_contact_and_completes() {
    let mut net = Net::new(2, 41);
    let target = format!("{};transport=tcp", net.uri(1));
    net.command(0, Command::Invite { target });
    net.wait_event(1, "incoming", S).unwrap();
    net.command(1, Command::Accept { call: None });
    net.wait_event(0, "accepted", S).unwrap();
    net.run_for(S);
    net.command(0, Command::Hangup { call: None });
    net.wait_event(1, "terminated", S).unwrap();
    net.run_for(S * 40);
    let invite = String::from_utf8_lossy(&net.uas[0].sent[0].2).to_string();
    assert!(
        invite.contains("Via: SIP/2.0/TCP 127.0.0.1:5061;"),
        "{invite}"
    );
    assert!(
        invite.contains("Contact: <sip:alice@127.0.0.1:5061;transport=tcp>"),
        "{invite}"
    );
    let ok = net.uas[1]
        .sent
        .iter()
        .map(|(_, _, b)| String::from_utf8_lossy(b).to_string())
        .find(|t| t.starts_with("SIP/2.0 200") && t.contains("INVITE"))
        .unwrap();
    assert!(
        ok.contains("Contact: <sip:bob@127.0.0.1:5062;transport=tcp>"),
        "{ok}"
    );
    // Every message went exactly once: no retransmissions on a stream.
    assert_eq!(net.sent_lines(0), vec!["INVITE", "ACK", "BYE"]);
    assert_eq!(net.sent_lines(1), vec!["SIP/2.0 200", "SIP/2.0 200"]);
}

#[test]
fn nothing_is_retransmitted_over_tcp_and_timer_b_still_ends_the_call() {
    let mut net = Net::new(1, 42);
    net.command(
        0,
        Command::Invite {
            target: "sip:nobody@127.0.0.1:5999;transport=tcp".into(),
        },
    );
    net.run_for(S * 40);
    assert_eq!(net.stray.len(), 1, "one INVITE, never repeated");
    let failed = net.uas[0]
        .events
        .iter()
        .find(|(_, e)| e.name() == "failed")
        .unwrap();
    assert_eq!(failed.0, S * 32);
    assert!(matches!(
        failed.1,
        Event::Failed {
            cause: FailureCause::Timeout,
            ..
        }
    ));
}

#[test]
fn transport_error_fails_the_call_at_once() {
    let mut net = Net::new(1, 43);
    net.command(
        0,
        Command::Invite {
            target: "sip:nobody@127.0.0.1:5999;transport=tcp".into(),
        },
    );
    let now = net.now;
    net.uas[0].engine.handle_input(
        now,
        sipline::sip::Input::TransportError {
            proto: Protocol::Tcp,
            remote: "127.0.0.1:5999".parse().unwrap(),
        },
    );
    let mut events = Vec::new();
    while let Some(o) = net.uas[0].engine.poll_output() {
        if let sipline::sip::Output::Event(e) = o {
            events.push(e);
        }
    }
    assert!(
        events.iter().any(|e| matches!(
            e,
            Event::Failed {
                cause: FailureCause::Transport,
                ..
            }
        )),
        "{events:?}"
    );
    assert_eq!(net.uas[0].engine.call_count(), 0);
}

#[test]
fn a_request_over_1300_bytes_moves_from_udp_to_tcp() {
    // §18.1.1: with all three codecs and a long user, the INVITE is still small; make it
    // large with a long Request-URI user part.
    let mut net = Net::new(2, 44);
    let target = format!("sip:{}@127.0.0.1:5062", "x".repeat(1200));
    net.command(0, Command::Invite { target });
    net.run_for(S);
    let invite = String::from_utf8_lossy(&net.uas[0].sent[0].2).to_string();
    assert!(invite.len() > 1300);
    assert!(invite.contains("Via: SIP/2.0/TCP "), "{}", &invite[..200]);
    assert!(net.event_names(1).contains(&"incoming"));
}
