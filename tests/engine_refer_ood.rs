//! Out-of-dialog REFER (RFC 3515 outside a dialog): `refer <URI> --to <RECIPIENT>`. The
//! recipient is a scripted UA at 127.0.0.1:6001 that accepts the REFER and reports by
//! NOTIFY in the subscription's dialog, or agrees to send none (RFC 4488).

mod sim;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use sim::digest::{alice_with_account, assert_answers, challenge_407};
use sim::Net;
use sipline::api::{Command, Event, ReferOptions};
use sipline::sip::msg::Message;

const A: usize = 0;
const B: usize = 1;
const S: Duration = Duration::from_secs(1);
const RECIPIENT: &str = "127.0.0.1:6001";

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

/// A NOTIFY from the recipient in the REFER's dialog, with a sipfrag status line.
fn notify(refer: &str, cseq: u32, state: &str, status: &str) -> Vec<u8> {
    let body = format!("SIP/2.0 {status}\r\n");
    format!(
        "NOTIFY sip:alice@127.0.0.1:5061 SIP/2.0\r\n\
         Via: SIP/2.0/UDP {RECIPIENT};branch=z9hG4bKnotify{cseq}\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:bob@{RECIPIENT}>;tag=rcpt\r\n\
         To: {}\r\n\
         Call-ID: {}\r\n\
         CSeq: {cseq} NOTIFY\r\n\
         Contact: <sip:bob@{RECIPIENT}>\r\n\
         Event: refer\r\n\
         Subscription-State: {state}\r\n\
         Content-Type: message/sipfrag;version=2.0\r\n\
         Content-Length: {}\r\n\r\n{body}",
        header(refer, "From"),
        header(refer, "Call-ID"),
        body.len()
    )
    .into_bytes()
}

/// The 202 to `refer`, with `extra` header lines.
fn accepted(refer: &str, extra: &str) -> Vec<u8> {
    format!(
        "SIP/2.0 202 Accepted\r\n\
         Via: {}\r\n\
         From: {}\r\n\
         To: {};tag=rcpt\r\n\
         Call-ID: {}\r\n\
         CSeq: {}\r\n\
         Contact: <sip:bob@{RECIPIENT}>\r\n\
         {extra}Content-Length: 0\r\n\r\n",
        header(refer, "Via"),
        header(refer, "From"),
        header(refer, "To"),
        header(refer, "Call-ID"),
        header(refer, "CSeq"),
    )
    .into_bytes()
}

/// A net with alice and a scripted recipient: `on_refer` answers the REFER, `then` the
/// 200 to NOTIFY number 1 (so the NOTIFYs go one after the other); every datagram the
/// recipient gets is recorded.
fn with_recipient(
    seed: u64,
    on_refer: impl Fn(&str) -> Vec<Vec<u8>> + 'static,
    then: impl Fn(&str) -> Vec<Vec<u8>> + 'static,
) -> (Net, Rc<RefCell<Vec<String>>>) {
    let mut net = Net::new(2, seed);
    let got = Rc::new(RefCell::new(Vec::new()));
    let seen = got.clone();
    net.serve(
        RECIPIENT.parse().unwrap(),
        Box::new(move |bytes| {
            let text = String::from_utf8_lossy(bytes).to_string();
            seen.borrow_mut().push(text.clone());
            let first = seen.borrow()[0].clone();
            if text.starts_with("REFER ") && seen.borrow().len() == 1 {
                on_refer(&text)
            } else if text.starts_with("SIP/2.0 200") && text.contains("CSeq: 1 NOTIFY") {
                then(&first)
            } else {
                Vec::new()
            }
        }),
    );
    (net, got)
}

fn refer(net: &mut Net, no_sub: bool) {
    net.command(
        A,
        Command::ReferOutOfDialog {
            recipient: format!("sip:bob@{RECIPIENT}"),
            target: "sip:carol@127.0.0.1:5063".into(),
            options: ReferOptions {
                no_sub,
                ..Default::default()
            },
        },
    );
}

fn refer_codes(net: &Net) -> Vec<(&'static str, u16)> {
    net.uas[A]
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::ReferProgress { code, .. } => Some(("refer-progress", *code)),
            Event::ReferAccepted { .. } => Some(("refer-accepted", 200)),
            Event::ReferFailed { code, .. } => Some(("refer-failed", *code)),
            Event::ReferRejected { code, .. } => Some(("refer-rejected", *code)),
            _ => None,
        })
        .collect()
}

#[test]
fn an_out_of_dialog_refer_is_followed_by_its_notifys() {
    let (mut net, got) = with_recipient(
        141,
        |refer| {
            vec![
                accepted(refer, ""),
                notify(refer, 1, "active;expires=60", "100 Trying"),
            ]
        },
        |refer| vec![notify(refer, 2, "terminated;reason=noresource", "200 OK")],
    );
    refer(&mut net, false);
    assert!(net.wait_event(A, "refer-accepted", S * 2).is_some());
    net.run_for(S);
    let sent = got.borrow().clone();
    let refer = &sent[0];
    assert!(
        refer.starts_with(&format!("REFER sip:bob@{RECIPIENT} SIP/2.0\r\n")),
        "{refer}"
    );
    assert_eq!(header(refer, "CSeq"), "1 REFER");
    assert_eq!(
        header(refer, "To"),
        format!("<sip:bob@{RECIPIENT}>"),
        "no To-tag"
    );
    assert!(header(refer, "From").contains(";tag="), "{refer}");
    assert_eq!(header(refer, "Refer-To"), "<sip:carol@127.0.0.1:5063>");
    assert!(
        header(refer, "Referred-By").starts_with("<sip:alice@"),
        "{refer}"
    );
    assert!(!refer.contains("Refer-Sub"), "{refer}");
    // Both NOTIFYs were answered 200 in the subscription's dialog.
    let answers: Vec<&String> = sent
        .iter()
        .filter(|m| m.starts_with("SIP/2.0 ") && m.contains(" NOTIFY\r\n"))
        .collect();
    assert_eq!(answers.len(), 2, "{sent:?}");
    assert!(
        answers.iter().all(|m| m.starts_with("SIP/2.0 200 ")),
        "{answers:?}"
    );
    // The 202 and the first NOTIFY may cross (RFC 3515 §2.4.4); the 200 comes last.
    let mut codes = refer_codes(&net);
    assert_eq!(codes.pop(), Some(("refer-accepted", 200)));
    codes.sort();
    assert_eq!(
        codes,
        vec![("refer-progress", 100), ("refer-progress", 202)]
    );
    // No call was made or left: the REFER's number is not a call.
    assert_eq!(net.uas[A].engine.call_count(), 0);
    assert!(!net.event_names(A).contains(&"terminated"));
    // The subscription is over: a late NOTIFY no longer matches.
    let late = notify(refer, 3, "terminated;reason=noresource", "200 OK");
    net.inject(A, RECIPIENT.parse().unwrap(), &late);
    net.run_for(S);
    assert!(
        net.stray
            .iter()
            .any(|(_, _, _, b)| b.starts_with(b"SIP/2.0 481")
                && String::from_utf8_lossy(b).contains("CSeq: 3 NOTIFY")),
        "a late NOTIFY gets 481"
    );
}

#[test]
fn a_target_that_refuses_is_reported_as_refer_rejected() {
    let (mut net, _) = with_recipient(
        142,
        |refer| {
            vec![
                accepted(refer, ""),
                notify(refer, 1, "terminated;reason=noresource", "486 Busy Here"),
            ]
        },
        |_| Vec::new(),
    );
    refer(&mut net, false);
    let r = net.wait_event(A, "refer-rejected", S * 2).unwrap();
    assert!(matches!(r, Event::ReferRejected { code: 486, .. }), "{r:?}");
}

#[test]
fn refer_sub_false_out_of_dialog_ends_with_the_202() {
    let (mut net, got) = with_recipient(
        143,
        |refer| vec![accepted(refer, "Refer-Sub: false\r\n")],
        |_| Vec::new(),
    );
    refer(&mut net, true);
    assert!(net.wait_event(A, "refer-accepted", S).is_some());
    let refer_text = got.borrow()[0].clone();
    assert_eq!(header(&refer_text, "Refer-Sub"), "false");
    assert_eq!(header(&refer_text, "Supported"), "norefersub");
    assert_eq!(
        refer_codes(&net),
        vec![("refer-progress", 202), ("refer-accepted", 200)]
    );
    // No subscription: a NOTIFY anyway gets 481.
    let stray = notify(&refer_text, 1, "terminated;reason=noresource", "200 OK");
    net.inject(A, RECIPIENT.parse().unwrap(), &stray);
    net.run_for(S);
    assert!(net
        .stray
        .iter()
        .any(|(_, _, _, b)| b.starts_with(b"SIP/2.0 481")));
}

#[test]
fn a_sipline_recipient_refuses_an_out_of_dialog_refer_with_405() {
    // sipline takes REFERs only inside a call: alice hears refer-failed 405.
    let mut net = Net::new(2, 144);
    let bob = net.uri(B);
    net.command(
        A,
        Command::ReferOutOfDialog {
            recipient: bob,
            target: "sip:carol@127.0.0.1:5063".into(),
            options: ReferOptions::default(),
        },
    );
    let f = net.wait_event(A, "refer-failed", S).unwrap();
    assert!(matches!(f, Event::ReferFailed { code: 405, .. }), "{f:?}");
    assert!(!net.event_names(B).contains(&"referred"));
    net.command(
        A,
        Command::ReferOutOfDialog {
            recipient: "sip:bob@no host".into(),
            target: "sip:carol@127.0.0.1:5063".into(),
            options: ReferOptions::default(),
        },
    );
    assert!(net.wait_event(A, "command-error", S).is_some());
}

/// A 407 to an out-of-dialog REFER sent with an account (RFC 3261 §22.2, §22.3) is answered
/// once: the same Call-ID and From tag (the NOTIFYs must still match), CSeq 2, and
/// Proxy-Authorization with alice's digest for REFER; the retry's 202 and NOTIFY are
/// followed as usual. A recipient that challenges the retry again gets no third REFER.
#[test]
fn a_challenged_out_of_dialog_refer_is_sent_again_once_with_credentials() {
    for challenge_twice in [false, true] {
        let mut net = alice_with_account(151);
        let got = Rc::new(RefCell::new(Vec::<String>::new()));
        let seen = got.clone();
        net.serve(
            RECIPIENT.parse().unwrap(),
            Box::new(move |bytes| {
                let text = String::from_utf8_lossy(bytes).to_string();
                seen.borrow_mut().push(text.clone());
                if !text.starts_with("REFER ") {
                    return Vec::new();
                }
                let refers = seen
                    .borrow()
                    .iter()
                    .filter(|m| m.starts_with("REFER "))
                    .count();
                if refers == 1 || challenge_twice {
                    let Ok(Message::Request(req)) = Message::parse(bytes) else {
                        return Vec::new();
                    };
                    return vec![challenge_407(&req, &format!("n-{refers}"))];
                }
                vec![
                    accepted(&text, ""),
                    notify(&text, 1, "terminated;reason=noresource", "200 OK"),
                ]
            }),
        );
        refer(&mut net, false);
        net.run_for(S * 3);
        let sent = got.borrow().clone();
        let refers: Vec<&String> = sent.iter().filter(|m| m.starts_with("REFER ")).collect();
        assert_eq!(refers.len(), 2, "one retry, never a third: {refers:?}");
        let (first, retry) = (refers[0], refers[1]);
        assert_eq!(header(first, "CSeq"), "1 REFER");
        assert!(!first.contains("Proxy-Authorization"), "{first}");
        assert_eq!(header(retry, "CSeq"), "2 REFER");
        assert_eq!(header(retry, "Call-ID"), header(first, "Call-ID"));
        assert_eq!(header(retry, "From"), header(first, "From"));
        assert_ne!(
            header(retry, "Via"),
            header(first, "Via"),
            "a new transaction"
        );
        let Ok(Message::Request(retried)) = Message::parse(retry.as_bytes()) else {
            panic!("the retry does not parse: {retry}");
        };
        assert_answers(&retried, "n-1", "REFER");
        let codes = refer_codes(&net);
        if challenge_twice {
            assert_eq!(codes, [("refer-failed", 407)], "{codes:?}");
        } else {
            assert_eq!(
                codes,
                [("refer-progress", 202), ("refer-accepted", 200)],
                "the retry's NOTIFY matched the subscription"
            );
        }
    }
}
