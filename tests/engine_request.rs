//! `request`: other methods in a call's dialog or outside any (SIP.js `sendRequest`), the
//! `response` event, and digest authentication of such requests (RFC 3261 §12.2.1.1,
//! §8.1, §22.2).

mod sim;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use sim::Net;
use sipline::api::{CallHandle, Command, Event, ResponseOptions};
use sipline::sip::account::{AccountConfig, Secret};
use sipline::sip::msg::{Message, SipMessage, Uri};

const S: Duration = Duration::from_secs(1);

fn request(call: Option<u32>, target: Option<&str>, method: &str) -> Command {
    Command::Request {
        call: call.map(CallHandle),
        target: target.map(str::to_string),
        account: None,
        method: method.into(),
        options: ResponseOptions::default(),
    }
}

fn up(seed: u64) -> Net {
    let mut net = Net::new(2, seed);
    let target = net.uri(1);
    net.command(0, Command::Invite { target });
    net.wait_event(1, "incoming", S).unwrap();
    net.command(1, Command::Accept { call: None });
    net.wait_event(0, "accepted", S).unwrap();
    net.run_for(S);
    net
}

fn sent_text(net: &Net, ua: usize, start: &str) -> Vec<String> {
    net.uas[ua]
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
fn message_in_the_dialog_is_answered_and_reported() {
    let mut net = up(501);
    net.command(
        0,
        Command::Request {
            call: None,
            target: None,
            account: None,
            method: "MESSAGE".into(),
            options: ResponseOptions {
                headers: vec![("X-Note".into(), "1".into())],
                body: Some("hello bob".into()),
                content_type: None,
            },
        },
    );
    let r = net.wait_event(0, "response", S).expect("a response");
    // Bob takes no MESSAGE in a dialog: 405, reported as it came.
    assert!(
        matches!(&r, Event::Response { call: Some(CallHandle(1)), method, code: 405, .. } if method == "MESSAGE"),
        "{r:?}"
    );
    let m = &sent_text(&net, 0, "MESSAGE ")[0];
    // In the dialog: the peer's Contact as Request-URI, both tags, the next CSeq.
    assert!(
        m.starts_with("MESSAGE sip:bob@127.0.0.1:5062 SIP/2.0\r\n"),
        "{m}"
    );
    assert!(m.contains("\r\nCSeq: 2 MESSAGE\r\n"), "{m}");
    assert!(m.contains(";tag="), "{m}");
    assert!(m.contains("\r\nX-Note: 1\r\n"), "{m}");
    assert!(m.contains("\r\nContent-Type: text/plain\r\n"), "{m}");
    assert!(m.ends_with("\r\n\r\nhello bob"), "{m}");
    // OPTIONS in the dialog gets bob's 200.
    net.command(0, request(Some(1), None, "OPTIONS"));
    net.run_for(S);
    let codes: Vec<u16> = net.uas[0]
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::Response { code, .. } => Some(*code),
            _ => None,
        })
        .collect();
    assert_eq!(codes, [405, 200]);
    let o = &sent_text(&net, 0, "OPTIONS ")[0];
    assert!(o.contains("\r\nCSeq: 3 OPTIONS\r\n"), "{o}");
    // The call goes on.
    assert!(!net.event_names(0).contains(&"terminated"));
}

#[test]
fn options_out_of_dialog_goes_to_the_uri() {
    let mut net = Net::new(2, 502);
    let bob = net.uri(1);
    net.command(0, request(None, Some(&bob), "OPTIONS"));
    let r = net.wait_event(0, "response", S).expect("a response");
    assert!(
        matches!(&r, Event::Response { call: None, method, code: 200, reason } if method == "OPTIONS" && reason == "OK"),
        "{r:?}"
    );
    let o = &sent_text(&net, 0, "OPTIONS ")[0];
    assert!(o.starts_with(&format!("OPTIONS {bob} SIP/2.0\r\n")), "{o}");
    assert!(o.contains("\r\nCSeq: 1 OPTIONS\r\n"), "{o}");
    assert!(net.uas[1].events.is_empty(), "no call at bob");
}

#[test]
fn nobody_there_reports_code_0_timeout() {
    let mut net = Net::new(1, 503);
    net.command(
        0,
        request(None, Some("sip:nobody@127.0.0.1:5999"), "OPTIONS"),
    );
    let r = net.wait_event(0, "response", S * 40).expect("Timer F");
    assert!(
        matches!(&r, Event::Response { call: None, code: 0, reason, .. } if reason == "timeout"),
        "{r:?}"
    );
}

#[test]
fn methods_with_their_own_command_and_wrong_states_are_refused() {
    let mut net = Net::new(2, 504);
    let bob = net.uri(1);
    for m in ["INVITE", "BYE", "CANCEL", "ACK", "PRACK", "UPDATE"] {
        net.command(0, request(None, Some(&bob), m));
    }
    // No call is up: nothing to send an INFO in.
    net.command(0, request(None, None, "INFO"));
    net.command(0, request(None, Some("tel:+123"), "OPTIONS"));
    net.run_for(S);
    let errs = errors(&net, 0);
    assert_eq!(errs.len(), 8, "{errs:?}");
    assert_eq!(
        errs[1],
        "request: BYE has its own command (bye or hangup); request sends other methods, e.g. INFO, MESSAGE, OPTIONS"
    );
    assert_eq!(errs[6], "request: there is no call that is up");
    assert!(
        errs[7].contains("is not a SIP URI") || errs[7].contains("cannot reach"),
        "{errs:?}"
    );
    assert!(net.uas[0].sent.is_empty(), "nothing was sent");
}

/// A server at 127.0.0.1:5070 that challenges every request without credentials (401)
/// and answers 200 to one with a Digest Authorization for alice.
fn challenger(log: Rc<RefCell<Vec<String>>>) -> sim::Responder {
    Box::new(move |bytes| {
        let Ok(Message::Request(req)) = Message::parse(bytes) else {
            return Vec::new();
        };
        log.borrow_mut()
            .push(String::from_utf8_lossy(bytes).into_owned());
        let authorized = req
            .headers
            .get("Authorization")
            .is_some_and(|a| a.contains("username=\"alice\"") && a.contains("nonce=\"n1\""));
        let mut resp = if authorized {
            req.make_response(200, None)
        } else {
            let mut r = req.make_response(401, None);
            r.headers.push(
                "WWW-Authenticate",
                "Digest realm=\"sipline.test\", nonce=\"n1\", algorithm=MD5",
            );
            r
        };
        if let Ok(mut to) = resp.to_hdr() {
            to.set_tag("srv");
            resp.headers.set("To", to.to_string());
        }
        vec![resp.to_bytes()]
    })
}

#[test]
fn a_challenged_request_is_sent_again_with_credentials() {
    let mut net = Net::with_accounts(1, 505, |_| {
        let mut a = AccountConfig::new("alice", Uri::parse("sip:alice@127.0.0.1:5070").unwrap());
        a.password = Some(Secret::new("secret"));
        vec![a]
    });
    let log = Rc::new(RefCell::new(Vec::new()));
    net.serve("127.0.0.1:5070".parse().unwrap(), challenger(log.clone()));
    net.command(
        0,
        request(None, Some("sip:service@127.0.0.1:5070"), "MESSAGE"),
    );
    let r = net.wait_event(0, "response", S * 2).expect("a response");
    assert!(matches!(r, Event::Response { code: 200, .. }), "{r:?}");
    let log = log.borrow();
    assert_eq!(log.len(), 2, "{log:?}");
    assert!(!log[0].contains("Authorization:"), "{}", log[0]);
    assert!(log[1].contains("\r\nAuthorization: Digest "), "{}", log[1]);
    assert!(log[1].contains("\r\nCSeq: 2 MESSAGE\r\n"), "{}", log[1]);
    assert!(
        log[0].contains("From: <sip:alice@127.0.0.1:5070>;tag="),
        "{}",
        log[0]
    );
}

#[test]
fn a_large_request_goes_over_tcp() {
    // §18.1.1: a request over 1300 bytes that would go over UDP is sent over TCP.
    let mut net = Net::new(2, 506);
    let bob = net.uri(1);
    net.command(
        0,
        Command::Request {
            call: None,
            target: Some(bob),
            account: None,
            method: "MESSAGE".into(),
            options: ResponseOptions {
                body: Some("x".repeat(2000)),
                ..ResponseOptions::default()
            },
        },
    );
    net.run_for(S);
    let m = &sent_text(&net, 0, "MESSAGE ")[0];
    assert!(m.contains("\r\nVia: SIP/2.0/TCP "), "{}", &m[..200]);
}

/// `request METHOD URI --account NAME` sends from that account (From, and its credentials
/// answer a challenge); an unknown name is one clear error and nothing is sent.
#[test]
fn an_out_of_dialog_request_goes_from_the_named_account() {
    let mut net = Net::with_accounts(1, 507, |_| {
        let mut first = AccountConfig::new("home", Uri::parse("sip:carol@127.0.0.1:5070").unwrap());
        first.password = Some(Secret::new("not-this-one"));
        let mut second =
            AccountConfig::new("work", Uri::parse("sip:alice@127.0.0.1:5070").unwrap());
        second.password = Some(Secret::new("secret"));
        vec![first, second]
    });
    let log = Rc::new(RefCell::new(Vec::new()));
    net.serve("127.0.0.1:5070".parse().unwrap(), challenger(log.clone()));
    let from = |account: &str| Command::Request {
        call: None,
        target: Some("sip:service@127.0.0.1:5070".into()),
        account: Some(account.into()),
        method: "MESSAGE".into(),
        options: ResponseOptions::default(),
    };
    net.command(0, from("nobody"));
    net.run_for(S);
    assert_eq!(
        errors(&net, 0),
        ["request: 'nobody' is not an account (accounts: home, work)"]
    );
    assert!(log.borrow().is_empty(), "nothing was sent");

    net.command(0, from("work"));
    let r = net.wait_event(0, "response", S * 2).expect("a response");
    assert!(matches!(r, Event::Response { code: 200, .. }), "{r:?}");
    let log = log.borrow();
    assert_eq!(log.len(), 2, "{log:?}");
    assert!(
        log[0].contains("From: <sip:alice@127.0.0.1:5070>;tag="),
        "{}",
        log[0]
    );
    assert!(
        log[1].contains("username=\"alice\""),
        "work's credentials: {}",
        log[1]
    );
}
