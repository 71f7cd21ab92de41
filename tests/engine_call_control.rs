//! The rest of the SIP.js server/client context surface: `reply`, `redirect`, late offer,
//! anonymous calls and extra headers (RFC 3261 §13, RFC 3323/3325).

mod sim;

use std::time::Duration;

use sim::Net;
use sipline::api::{Command, Event, InviteOptions, ResponseOptions};
use sipline::media::MediaCtl;

const S: Duration = Duration::from_secs(1);

fn ringing(seed: u64, n: usize) -> Net {
    let mut net = Net::new(n, seed);
    let target = net.uri(1);
    net.command(0, Command::Invite { target });
    net.wait_event(1, "incoming", S).unwrap();
    net
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

#[test]
fn reply_covers_progress_accept_and_reject_and_refuses_bad_codes() {
    let mut net = ringing(101, 2);
    net.command(
        1,
        Command::Reply {
            call: None,
            code: 700,
            reason: None,
        },
    );
    assert_eq!(
        errors(&net, 1),
        vec!["reply: 700 is not a status code (expected 100-699)"]
    );
    net.command(
        1,
        Command::Reply {
            call: None,
            code: 183,
            reason: Some("Queued Up".into()),
        },
    );
    let p = net.wait_event(0, "progress", S).unwrap();
    assert!(matches!(p, Event::Progress { code: 183, ref reason, .. } if reason == "Queued Up"));
    net.command(
        1,
        Command::Reply {
            call: None,
            code: 202,
            reason: None,
        },
    );
    let a = net.wait_event(0, "accepted", S).unwrap();
    assert!(matches!(a, Event::Accepted { code: 202, .. }));

    let mut net = ringing(102, 2);
    net.command(
        1,
        Command::Reply {
            call: None,
            code: 603,
            reason: None,
        },
    );
    let r = net.wait_event(0, "rejected", S).unwrap();
    assert!(matches!(r, Event::Rejected { code: 603, ref reason, .. } if reason == "Decline"));
}

#[test]
fn redirect_sends_the_caller_to_a_third_phone() {
    let mut net = ringing(103, 3);
    let carol = net.uri(2);
    net.command(
        1,
        Command::Redirect {
            call: None,
            targets: vec![carol],
            code: 302,
        },
    );
    assert!(
        net.wait_event(2, "incoming", S * 2).is_some(),
        "carol is called"
    );
    net.command(2, Command::Accept { call: None });
    assert!(net.wait_event(0, "accepted", S * 2).is_some());
    let bob_sent = net.sent_lines(1);
    assert!(
        bob_sent.contains(&"SIP/2.0 302".to_string()),
        "{bob_sent:?}"
    );
    let ok302 = net.uas[1]
        .sent
        .iter()
        .map(|(_, _, b)| String::from_utf8_lossy(b).to_string())
        .find(|t| t.starts_with("SIP/2.0 302"))
        .unwrap();
    assert!(
        ok302.contains("Contact: <sip:carol@127.0.0.1:5063>\r\n"),
        "{ok302}"
    );
}

#[test]
fn a_late_offer_call_gets_the_offer_in_the_2xx_and_answers_in_the_ack() {
    let mut net = Net::new(2, 104);
    let target = net.uri(1);
    net.command(
        0,
        Command::InviteWith {
            target,
            options: InviteOptions {
                no_sdp: true,
                ..InviteOptions::default()
            },
        },
    );
    net.wait_event(1, "incoming", S).unwrap();
    net.command(1, Command::Accept { call: None });
    net.run_for(S);
    let texts = |ua: usize| -> Vec<String> {
        net.uas[ua]
            .sent
            .iter()
            .map(|(_, _, b)| String::from_utf8_lossy(b).to_string())
            .collect()
    };
    let a = texts(0);
    assert!(
        a[0].starts_with("INVITE ") && a[0].ends_with("Content-Length: 0\r\n\r\n"),
        "{}",
        a[0]
    );
    let ack = a.iter().find(|t| t.starts_with("ACK ")).unwrap();
    assert!(
        ack.contains("Content-Type: application/sdp\r\n") && ack.contains("m=audio "),
        "{ack}"
    );
    let ok = texts(1)
        .into_iter()
        .find(|t| t.starts_with("SIP/2.0 200"))
        .unwrap();
    assert!(ok.contains("m=audio "), "{ok}");
    for ua in [0, 1] {
        assert!(
            net.uas[ua]
                .media
                .iter()
                .any(|m| matches!(m, MediaCtl::Start { .. })),
            "ua {ua} started media"
        );
    }
}

#[test]
fn anonymous_calls_hide_the_caller_and_extra_headers_are_sent() {
    let mut net = Net::new(2, 105);
    let target = net.uri(1);
    net.command(
        0,
        Command::InviteWith {
            target,
            options: InviteOptions {
                anonymous: true,
                headers: vec![("X-Test-Case".into(), "42".into())],
                ..InviteOptions::default()
            },
        },
    );
    let inc = net.wait_event(1, "incoming", S).unwrap();
    assert!(
        matches!(&inc, Event::Incoming { from, .. } if from == "\"Anonymous\" <sip:anonymous@anonymous.invalid>"),
        "{inc:?}"
    );
    let invite = String::from_utf8_lossy(&net.uas[0].sent[0].2).to_string();
    assert!(invite.contains("Privacy: id\r\n"), "{invite}");
    assert!(invite.contains("X-Test-Case: 42\r\n"), "{invite}");
    assert!(!invite.contains("From: <sip:alice"), "{invite}");
}

#[test]
fn invite_picks_the_named_account() {
    use sipline::sip::account::AccountConfig;
    use sipline::sip::msg::Uri;
    let mut net = Net::with_accounts(2, 106, |i| {
        if i == 0 {
            vec![
                AccountConfig::new("home", Uri::parse("sip:alice@127.0.0.1:5099").unwrap()),
                AccountConfig::new("work", Uri::parse("sip:a.smith@127.0.0.1:5098").unwrap()),
            ]
        } else {
            Vec::new()
        }
    });
    let target = net.uri(1);
    net.command(
        0,
        Command::InviteWith {
            target: target.clone(),
            options: InviteOptions {
                account: Some("work".into()),
                ..InviteOptions::default()
            },
        },
    );
    let inc = net.wait_event(1, "incoming", S).unwrap();
    assert!(
        matches!(&inc, Event::Incoming { from, .. } if from == "<sip:a.smith@127.0.0.1:5098>"),
        "{inc:?}"
    );
    net.command(
        0,
        Command::InviteWith {
            target,
            options: InviteOptions {
                account: Some("gym".into()),
                ..InviteOptions::default()
            },
        },
    );
    assert_eq!(
        errors(&net, 0),
        vec!["invite: 'gym' is not an account (accounts: home, work)"]
    );
}

/// §13.3.1.1: an unanswered call's non-100 provisional goes out again every minute (so a
/// proxy's INVITE transaction does not time out), as it was first sent (its `-H` header
/// and body too), and stops once it is answered.
#[test]
fn an_unanswered_call_resends_its_provisional_every_minute() {
    let mut net = ringing(131, 2);
    net.command(
        1,
        Command::RespondWith {
            command: Box::new(Command::Progress {
                call: None,
                code: 183,
                reason: Some("Queued".into()),
            }),
            options: ResponseOptions {
                headers: vec![("X-Queue".into(), "3".into())],
                body: Some("position 3".into()),
                content_type: None,
            },
        },
    );
    let sent_183 = |net: &Net| -> Vec<Duration> {
        net.uas[1]
            .sent
            .iter()
            .filter(|(_, _, b)| b.starts_with(b"SIP/2.0 183 Queued\r\n"))
            .map(|(t, _, _)| *t)
            .collect()
    };
    net.run_for(S * 150);
    let times = sent_183(&net);
    assert_eq!(times.len(), 3, "at 0, 60 and 120 s: {times:?}");
    assert_eq!(times[1] - times[0], S * 60);
    assert_eq!(times[2] - times[1], S * 60);
    let copies: Vec<String> = net.uas[1]
        .sent
        .iter()
        .filter(|(_, _, b)| b.starts_with(b"SIP/2.0 183 Queued\r\n"))
        .map(|(_, _, b)| String::from_utf8_lossy(b).into_owned())
        .collect();
    for copy in &copies {
        assert!(copy.contains("\r\nX-Queue: 3\r\n"), "{copy}");
        assert!(copy.ends_with("\r\n\r\nposition 3"), "{copy}");
        assert_eq!(copy, &copies[0], "every copy is the first one");
    }
    // The caller saw the repeats as the same progress, and nothing failed.
    let failed: Vec<_> = net.uas[0]
        .events
        .iter()
        .filter(|(_, e)| matches!(e, Event::Failed { .. }))
        .collect();
    assert!(failed.is_empty(), "{failed:?}");
    net.command(1, Command::Accept { call: None });
    assert!(net.wait_event(0, "accepted", S).is_some());
    net.run_for(S * 130);
    assert_eq!(sent_183(&net).len(), 3, "no provisional after the answer");
}
