//! Response commands with extra headers and a body (`-H`, `--body`, `--content-type` on
//! progress, accept, reject, reply, redirect).

mod sim;

use std::time::Duration;

use sim::Net;
use sipline::api::{Command, Event, ResponseOptions};

const S: Duration = Duration::from_secs(1);

fn ringing(seed: u64) -> Net {
    let mut net = Net::new(2, seed);
    let target = net.uri(1);
    net.command(0, Command::Invite { target });
    net.wait_event(1, "incoming", S).unwrap();
    net
}

fn with(command: Command, options: ResponseOptions) -> Command {
    Command::RespondWith {
        command: Box::new(command),
        options,
    }
}

/// The responses bob sent whose start line begins with `start`, as text.
fn sent(net: &Net, start: &str) -> Vec<String> {
    net.uas[1]
        .sent
        .iter()
        .map(|(_, _, b)| String::from_utf8_lossy(b).into_owned())
        .filter(|t| t.starts_with(start))
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

#[test]
fn progress_and_reject_carry_headers_and_a_body() {
    let mut net = ringing(301);
    net.command(
        1,
        with(
            Command::Progress {
                call: None,
                code: 183,
                reason: None,
            },
            ResponseOptions {
                headers: vec![("X-Queue".into(), "3".into())],
                body: Some("you are third".into()),
                content_type: None,
            },
        ),
    );
    assert!(net.wait_event(0, "progress", S).is_some());
    let p = &sent(&net, "SIP/2.0 183")[0];
    assert!(p.contains("\r\nX-Queue: 3\r\n"), "{p}");
    assert!(p.contains("\r\nContent-Type: text/plain\r\n"), "{p}");
    assert!(p.contains("\r\nContent-Length: 13\r\n"), "{p}");
    assert!(p.ends_with("\r\n\r\nyou are third"), "{p}");
    net.command(
        1,
        with(
            Command::Reject {
                call: None,
                code: 486,
                reason: None,
            },
            ResponseOptions {
                headers: vec![
                    ("Retry-After".into(), "30".into()),
                    ("X-Why".into(), "lunch".into()),
                ],
                body: Some("<busy/>".into()),
                content_type: Some("application/xml".into()),
            },
        ),
    );
    let r = net.wait_event(0, "rejected", S).expect("alice is rejected");
    assert!(matches!(r, Event::Rejected { code: 486, .. }), "{r:?}");
    let r = &sent(&net, "SIP/2.0 486")[0];
    assert!(r.contains("\r\nRetry-After: 30\r\n"), "{r}");
    assert!(r.contains("\r\nX-Why: lunch\r\n"), "{r}");
    assert!(r.contains("\r\nContent-Type: application/xml\r\n"), "{r}");
    assert!(r.ends_with("\r\n\r\n<busy/>"), "{r}");
    assert!(errors(&net, 1).is_empty(), "{:?}", errors(&net, 1));
}

#[test]
fn accept_takes_headers_but_refuses_a_body() {
    let mut net = ringing(302);
    net.command(
        1,
        with(
            Command::Accept { call: None },
            ResponseOptions {
                body: Some("x".into()),
                ..ResponseOptions::default()
            },
        ),
    );
    net.run_for(S);
    assert_eq!(
        errors(&net, 1),
        ["accept: a 200 carries our SDP answer; --body cannot go with it"]
    );
    assert!(sent(&net, "SIP/2.0 200").is_empty(), "nothing was sent");
    net.command(
        1,
        with(
            Command::Accept { call: None },
            ResponseOptions {
                headers: vec![("X-Answered-By".into(), "bob".into())],
                ..ResponseOptions::default()
            },
        ),
    );
    assert!(net.wait_event(0, "accepted", S).is_some());
    let ok = &sent(&net, "SIP/2.0 200")[0];
    assert!(ok.contains("\r\nX-Answered-By: bob\r\n"), "{ok}");
    assert!(ok.contains("\r\nContent-Type: application/sdp\r\n"), "{ok}");
    // The options went with that one response: a later one has none.
    net.run_for(S);
    net.command(1, Command::Hangup { call: None });
    net.wait_event(0, "terminated", S).unwrap();
    let all: String = net.uas[1]
        .sent
        .iter()
        .map(|(_, _, b)| String::from_utf8_lossy(b).into_owned())
        .filter(|t| !t.starts_with("SIP/2.0 200"))
        .collect();
    assert!(!all.contains("X-Answered-By"), "{all}");
}

#[test]
fn a_refused_command_leaves_no_options_behind() {
    // reply 700 is refused; the next plain reject must not pick up its header.
    let mut net = ringing(303);
    net.command(
        1,
        with(
            Command::Reply {
                call: None,
                code: 700,
                reason: None,
            },
            ResponseOptions {
                headers: vec![("X-Stale".into(), "1".into())],
                ..ResponseOptions::default()
            },
        ),
    );
    net.run_for(S);
    assert_eq!(errors(&net, 1).len(), 1, "{:?}", errors(&net, 1));
    net.command(
        1,
        Command::Reject {
            call: None,
            code: 480,
            reason: None,
        },
    );
    net.wait_event(0, "rejected", S).unwrap();
    let r = &sent(&net, "SIP/2.0 480")[0];
    assert!(!r.contains("X-Stale"), "{r}");
}

#[test]
fn redirect_carries_headers() {
    let mut net = ringing(304);
    net.command(
        1,
        with(
            Command::Redirect {
                call: None,
                targets: vec!["sip:carol@127.0.0.1:5999".into()],
                code: 302,
            },
            ResponseOptions {
                headers: vec![("X-Moved".into(), "yes".into())],
                ..ResponseOptions::default()
            },
        ),
    );
    net.run_for(S);
    let r = &sent(&net, "SIP/2.0 302")[0];
    assert!(r.contains("\r\nX-Moved: yes\r\n"), "{r}");
    assert!(r.contains("Contact: <sip:carol@127.0.0.1:5999>"), "{r}");
}
