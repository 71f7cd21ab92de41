//! Session timers (RFC 4028) over simulated hours: refresh at half the interval by the
//! refresher, BYE when no refresh comes, 422 handled.

mod sim;

use std::time::Duration;

use sim::Net;
use sipline::api::{Command, Event, Party};
use sipline::sip::msg::Message;

const S: Duration = Duration::from_secs(1);

fn call_up(seed: u64) -> Net {
    let mut net = Net::new(2, seed);
    let target = net.uri(1);
    net.command(0, Command::Invite { target });
    net.wait_event(1, "incoming", S).unwrap();
    net.command(1, Command::Accept { call: None });
    net.wait_event(0, "accepted", S).unwrap();
    net
}

fn texts(net: &Net, ua: usize) -> Vec<(Duration, String)> {
    net.uas[ua]
        .sent
        .iter()
        .map(|(t, _, b)| (*t, String::from_utf8_lossy(b).to_string()))
        .collect()
}

#[test]
fn the_caller_refreshes_every_half_interval_for_two_hours() {
    let mut net = call_up(111);
    let invite = texts(&net, 0)[0].1.clone();
    // `timer` among the option tags (next to `100rel`, RFC 3262).
    assert!(
        invite.lines().any(
            |l| l.starts_with("Supported:") && l.split([':', ',']).any(|t| t.trim() == "timer")
        ),
        "{invite}"
    );
    assert!(
        invite.contains("Session-Expires: 1800;refresher=uac\r\n"),
        "{invite}"
    );
    assert!(invite.contains("Min-SE: 90\r\n"), "{invite}");
    let ok = texts(&net, 1)
        .into_iter()
        .find(|(_, t)| t.starts_with("SIP/2.0 200"))
        .unwrap()
        .1;
    assert!(
        ok.contains("Session-Expires: 1800;refresher=uac\r\n"),
        "{ok}"
    );
    assert!(ok.contains("Require: timer\r\n"), "{ok}");
    let t0 = net.elapsed();
    net.run_for(Duration::from_secs(7250));
    let refreshes: Vec<u64> = texts(&net, 0)
        .into_iter()
        .filter(|(_, t)| t.starts_with("INVITE ") && !t.contains("CSeq: 1 INVITE"))
        .map(|(t, _)| (t - t0).as_secs())
        .collect();
    assert_eq!(
        refreshes,
        vec![900, 1800, 2700, 3600, 4500, 5400, 6300, 7200],
        "{refreshes:?}"
    );
    // The call is still up, and nobody saw hold events for the refreshes.
    for ua in [0, 1] {
        assert_eq!(net.uas[ua].engine.call_count(), 1, "ua {ua}");
        assert!(
            !net.uas[ua].events.iter().any(|(_, e)| matches!(
                e,
                Event::Held { .. } | Event::Resumed { .. } | Event::Terminated { .. }
            )),
            "ua {ua}: {:?}",
            net.event_names(ua)
        );
    }
}

#[test]
fn a_lost_refresh_ends_the_call_from_the_refresher() {
    let mut net = call_up(112);
    let t0 = net.elapsed();
    // Every re-INVITE from alice is lost from now on: her refresh at 900 s times out on
    // Timer B (32 s later) and she ends the session (RFC 4028 §10, RFC 3261 §14.1).
    net.hold(0, "INVITE ");
    net.run_for(Duration::from_secs(1000));
    let (t, ev) = net.uas[0]
        .events
        .iter()
        .find(|(_, e)| e.name() == "terminated")
        .cloned()
        .expect("alice ended the session");
    assert!(
        matches!(
            &ev,
            Event::Terminated {
                by: Party::Local,
                ..
            }
        ),
        "{ev:?}"
    );
    assert_eq!((t - t0).as_secs(), 932);
    assert!(net.uas[1].events.iter().any(|(_, e)| matches!(
        e,
        Event::Terminated {
            by: Party::Remote,
            ..
        }
    )));
}

#[test]
fn without_refreshes_the_callee_ends_the_session() {
    // A caller that asks for timers (refresher=uac) and then never refreshes.
    let mut net = Net::new(2, 115);
    let caller = "127.0.0.1:6000".parse().unwrap();
    let body = "v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
    let invite = format!(
        "INVITE sip:bob@127.0.0.1:5062 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:6000;branch=z9hG4bKlazy\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:x@127.0.0.1:6000>;tag=lazy\r\n\
         To: <sip:bob@127.0.0.1:5062>\r\n\
         Call-ID: lazy-refresher\r\n\
         CSeq: 1 INVITE\r\n\
         Contact: <sip:x@127.0.0.1:6000>\r\n\
         Supported: timer\r\n\
         Session-Expires: 600;refresher=uac\r\n\
         Content-Type: application/sdp\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    net.inject(1, caller, invite.as_bytes());
    net.wait_event(1, "incoming", S).unwrap();
    let t0 = net.elapsed();
    net.command(1, Command::Accept { call: None });
    net.run_for(Duration::from_millis(100));
    let ok = net
        .stray
        .iter()
        .map(|(_, _, _, b)| String::from_utf8_lossy(b).to_string())
        .find(|t| t.starts_with("SIP/2.0 200"))
        .unwrap();
    assert!(
        ok.contains("Session-Expires: 600;refresher=uac\r\n"),
        "{ok}"
    );
    let to = ok
        .lines()
        .find(|l| l.starts_with("To: "))
        .unwrap()
        .to_string();
    let ack = format!(
        "ACK sip:bob@127.0.0.1:5062 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:6000;branch=z9hG4bKlazyack\r\n\
         Max-Forwards: 70\r\nFrom: <sip:x@127.0.0.1:6000>;tag=lazy\r\n{to}\r\nCall-ID: lazy-refresher\r\n\
         CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n"
    );
    net.inject(1, caller, ack.as_bytes());
    net.run_for(Duration::from_secs(700));
    let (t, ev) = net.uas[1]
        .events
        .iter()
        .find(|(_, e)| e.name() == "terminated")
        .cloned()
        .expect("bob ended the session");
    assert!(
        matches!(&ev, Event::Terminated { by: Party::Local, cause, .. } if cause == "session-expired"),
        "{ev:?}"
    );
    // §10: the interval minus min(32 s, interval/3) = 568 s after the 2xx.
    assert_eq!((t - t0).as_secs(), 568);
}

#[test]
fn a_422_is_answered_with_the_interval_it_asks_for() {
    let mut net = Net::new(1, 113);
    net.serve(
        "127.0.0.1:5070".parse().unwrap(),
        Box::new(|bytes: &[u8]| {
            let Ok(Message::Request(req)) = Message::parse(bytes) else {
                return Vec::new();
            };
            if req.method.as_str() != "INVITE" {
                return Vec::new();
            }
            let se = req.headers.get("Session-Expires").unwrap_or("").to_string();
            let code = if se.starts_with("1800") { 422 } else { 486 };
            let mut r = req.make_response(code, None);
            let to = r.headers.get("To").unwrap().to_string();
            r.headers.set("To", format!("{to};tag=x"));
            r.headers.push("Min-SE", "3600");
            vec![r.to_bytes()]
        }),
    );
    net.command(
        0,
        Command::Invite {
            target: "sip:bob@127.0.0.1:5070".into(),
        },
    );
    let ev = net.wait_event(0, "rejected", S * 5).unwrap();
    assert!(
        matches!(ev, Event::Rejected { code: 486, .. }),
        "the retry was not refused for its interval: {ev:?}"
    );
    let retry = texts(&net, 0)
        .into_iter()
        .filter(|(_, t)| t.starts_with("INVITE "))
        .nth(1)
        .unwrap()
        .1;
    assert!(
        retry.contains("Session-Expires: 3600;refresher=uac\r\n"),
        "{retry}"
    );
    assert!(retry.contains("Min-SE: 3600\r\n"), "{retry}");
}

#[test]
fn a_too_short_interval_gets_422_with_our_minimum() {
    let mut net = Net::new(2, 114);
    let invite = "INVITE sip:bob@127.0.0.1:5062 SIP/2.0\r\n\
        Via: SIP/2.0/UDP 127.0.0.1:6000;branch=z9hG4bKshort\r\n\
        Max-Forwards: 70\r\n\
        From: <sip:x@127.0.0.1:6000>;tag=1\r\n\
        To: <sip:bob@127.0.0.1:5062>\r\n\
        Call-ID: short-se\r\n\
        CSeq: 1 INVITE\r\n\
        Contact: <sip:x@127.0.0.1:6000>\r\n\
        Supported: timer\r\n\
        Session-Expires: 30\r\n\
        Content-Length: 0\r\n\r\n";
    net.inject(1, "127.0.0.1:6000".parse().unwrap(), invite.as_bytes());
    net.run_for(S);
    let reply = net
        .stray
        .iter()
        .map(|(_, _, _, b)| String::from_utf8_lossy(b).to_string())
        .find(|t| t.starts_with("SIP/2.0 422"))
        .expect("422");
    assert!(reply.contains("Min-SE: 90\r\n"), "{reply}");
    assert_eq!(net.uas[1].engine.call_count(), 0);
}
