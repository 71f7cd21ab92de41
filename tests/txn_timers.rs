//! Transaction timers on virtual time, machine by machine (RFC 3261 §17, RFC 6026).

use std::time::{Duration, Instant};

use sipline::sip::msg::{Message, Request, Response};
use sipline::sip::timers::TimerValues;
use sipline::sip::transport::Target;
use sipline::sip::txn::{RequestMatch, ResponseMatch, TxnLayer};

const PEER: &str = "127.0.0.1:5099";

fn peer() -> Target {
    Target::udp(PEER.parse().unwrap())
}

fn request(method: &str, branch: &str) -> Request {
    let text = format!(
        "{method} sip:bob@127.0.0.1:5099 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:5061;branch={branch}\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:alice@127.0.0.1>;tag=a1\r\n\
         To: <sip:bob@127.0.0.1>\r\n\
         Call-ID: timers\r\n\
         CSeq: 1 {method}\r\n\
         Content-Length: 0\r\n\r\n"
    );
    match Message::parse(text.as_bytes()).unwrap() {
        Message::Request(r) => r,
        Message::Response(_) => unreachable!(),
    }
}

fn response_to(req: &Request, code: u16) -> Response {
    let mut r = req.make_response(code, None);
    if code > 100 {
        let to = r.headers.get("To").unwrap().to_string();
        r.headers.set("To", format!("{to};tag=b1"));
    }
    r
}

/// Drive the layer alone until `end`, returning when each datagram was sent (ms since t0).
fn run(layer: &mut TxnLayer, t0: Instant, end: Duration) -> (Vec<u128>, Vec<u128>) {
    let mut sends = Vec::new();
    let mut timeouts = Vec::new();
    while let Some(t) = layer.poll_timeout() {
        if t > t0 + end {
            break;
        }
        layer.handle_timeout(t);
        for _ in layer.transmits.drain(..) {
            sends.push((t - t0).as_millis());
        }
        while layer.poll_timed_out().is_some() {
            timeouts.push((t - t0).as_millis());
        }
    }
    (sends, timeouts)
}

#[test]
fn non_invite_client_retransmits_doubling_to_t2_and_times_out_at_64_t1() {
    let t0 = Instant::now();
    let mut layer = TxnLayer::new(TimerValues::default());
    layer.send_request(t0, request("OPTIONS", "z9hG4bKe"), peer());
    assert_eq!(layer.transmits.drain(..).count(), 1);
    let (sends, timeouts) = run(&mut layer, t0, Duration::from_secs(40));
    // Timer E: 0.5, 1.5, 3.5, 7.5, then every T2 = 4 s (§17.1.2.2) until Timer F at 32 s.
    assert_eq!(
        sends,
        vec![500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]
    );
    assert_eq!(timeouts, vec![32000]);
    assert!(layer.is_empty());
}

#[test]
fn non_invite_client_in_proceeding_retransmits_every_t2_then_lingers_t4() {
    let t0 = Instant::now();
    let mut layer = TxnLayer::new(TimerValues::default());
    let req = request("BYE", "z9hG4bKp");
    layer.send_request(t0, req.clone(), peer());
    layer.transmits.clear();
    let t = t0 + Duration::from_millis(100);
    assert!(matches!(
        layer.handle_response(t, &response_to(&req, 100)),
        ResponseMatch::PassUp(_)
    ));
    // Timer E keeps its first value (500 ms), then T2 once in Proceeding.
    let (sends, _) = run(&mut layer, t0, Duration::from_millis(9000));
    assert_eq!(sends, vec![500, 4500, 8500]);
    let t = t0 + Duration::from_millis(9000);
    assert!(matches!(
        layer.handle_response(t, &response_to(&req, 200)),
        ResponseMatch::PassUp(_)
    ));
    // A retransmitted 200 is absorbed in Completed; Timer K (T4 = 5 s) ends it.
    assert_eq!(
        layer.handle_response(t, &response_to(&req, 200)),
        ResponseMatch::Absorbed
    );
    assert_eq!(layer.poll_timeout(), Some(t + Duration::from_secs(5)));
    let (sends, timeouts) = run(&mut layer, t0, Duration::from_secs(20));
    assert!(sends.is_empty() && timeouts.is_empty());
    assert!(layer.is_empty());
}

#[test]
fn invite_client_acks_a_failure_and_holds_timer_d_32s() {
    let t0 = Instant::now();
    let mut layer = TxnLayer::new(TimerValues::default());
    let req = request("INVITE", "z9hG4bKd");
    layer.send_request(t0, req.clone(), peer());
    layer.transmits.clear();
    let t = t0 + Duration::from_millis(50);
    assert!(matches!(
        layer.handle_response(t, &response_to(&req, 486)),
        ResponseMatch::PassUp(_)
    ));
    let acks: Vec<_> = layer.transmits.drain(..).collect();
    assert_eq!(acks.len(), 1);
    assert!(acks[0]
        .contents
        .starts_with(b"ACK sip:bob@127.0.0.1:5099 SIP/2.0\r\n"));
    let ack = String::from_utf8_lossy(&acks[0].contents).to_string();
    assert!(ack.contains("CSeq: 1 ACK\r\n"), "{ack}");
    assert!(
        ack.contains(";tag=b1"),
        "the ACK's To has the response's tag: {ack}"
    );
    assert!(
        ack.contains("branch=z9hG4bKd"),
        "same branch as the INVITE: {ack}"
    );
    // A retransmitted 486 is answered with the same ACK and not passed up.
    assert_eq!(
        layer.handle_response(t, &response_to(&req, 486)),
        ResponseMatch::Absorbed
    );
    assert_eq!(layer.transmits.drain(..).count(), 1);
    assert_eq!(layer.poll_timeout(), Some(t + Duration::from_secs(32)));
}

#[test]
fn invite_server_retransmits_failure_on_g_until_ack_then_lingers_t4() {
    let t0 = Instant::now();
    let mut layer = TxnLayer::new(TimerValues::default());
    let req = request("INVITE", "z9hG4bKg");
    let RequestMatch::New(key) = layer.handle_request(t0, &req, peer()) else {
        panic!("new transaction")
    };
    layer.send_response(t0, &key, &response_to(&req, 486));
    assert_eq!(layer.transmits.drain(..).count(), 1);
    let (sends, _) = run(&mut layer, t0, Duration::from_millis(16000));
    // Timer G: 0.5, 1.5, 3.5, 7.5, 11.5, 15.5 (doubling, capped at T2).
    assert_eq!(sends, vec![500, 1500, 3500, 7500, 11500, 15500]);
    let mut ack = req.clone();
    ack.method = sipline::sip::msg::Method::Ack;
    ack.headers.set("CSeq", "1 ACK");
    let t = t0 + Duration::from_millis(16000);
    assert_eq!(
        layer.handle_request(t, &ack, peer()),
        RequestMatch::AckAbsorbed
    );
    // Confirmed: Timer I = T4, no more retransmissions.
    assert_eq!(layer.poll_timeout(), Some(t + Duration::from_secs(5)));
    let (sends, _) = run(&mut layer, t0, Duration::from_secs(40));
    assert!(sends.is_empty());
    assert!(layer.is_empty());
}

#[test]
fn invite_server_without_ack_gives_up_on_timer_h() {
    let t0 = Instant::now();
    let mut layer = TxnLayer::new(TimerValues::default());
    let req = request("INVITE", "z9hG4bKh");
    let RequestMatch::New(key) = layer.handle_request(t0, &req, peer()) else {
        panic!("new transaction")
    };
    layer.send_response(t0, &key, &response_to(&req, 603));
    layer.transmits.clear();
    let (_, timeouts) = run(&mut layer, t0, Duration::from_secs(40));
    assert_eq!(timeouts, vec![32000]);
}

#[test]
fn non_invite_server_answers_retransmissions_and_lingers_timer_j() {
    let t0 = Instant::now();
    let mut layer = TxnLayer::new(TimerValues::default());
    let req = request("OPTIONS", "z9hG4bKj");
    let peer = peer();
    let RequestMatch::New(key) = layer.handle_request(t0, &req, peer) else {
        panic!("new transaction")
    };
    layer.send_response(t0, &key, &response_to(&req, 200));
    layer.transmits.clear();
    let t = t0 + Duration::from_secs(10);
    assert_eq!(
        layer.handle_request(t, &req, peer),
        RequestMatch::Retransmission
    );
    let again: Vec<_> = layer.transmits.drain(..).collect();
    assert_eq!(again.len(), 1);
    assert!(again[0].contents.starts_with(b"SIP/2.0 200 OK\r\n"));
    // Timer J = 64*T1 from the final response.
    assert_eq!(layer.poll_timeout(), Some(t0 + Duration::from_secs(32)));
}

/// §17.1.1.2: Timer B runs in Calling only. Once a provisional arrives the transaction waits
/// for the final response as long as it takes (a phone may ring for minutes), and stops
/// retransmitting.
#[test]
fn invite_client_in_proceeding_neither_retransmits_nor_times_out() {
    let t0 = Instant::now();
    let mut layer = TxnLayer::new(TimerValues::default());
    let req = request("INVITE", "z9hG4bKp");
    layer.send_request(t0, req.clone(), peer());
    layer.transmits.clear();
    let t = t0 + Duration::from_millis(700);
    assert!(matches!(
        layer.handle_response(t, &response_to(&req, 180)),
        ResponseMatch::PassUp(_)
    ));
    let (sends, timeouts) = run(&mut layer, t0, Duration::from_secs(600));
    // Neither Timer A nor Timer B fires once the 180 is in.
    assert!(sends.is_empty(), "{sends:?}");
    assert!(timeouts.is_empty(), "{timeouts:?}");
    assert!(matches!(
        layer.handle_response(t0 + Duration::from_secs(300), &response_to(&req, 200)),
        ResponseMatch::PassUp(_)
    ));
}
