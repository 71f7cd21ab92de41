//! A flood leaves the engine's state bounded and drains back to nothing: garbage creates no
//! state, well-formed requests past the limits are refused statelessly (503 / 486), and
//! everything that was created ends on its timers.

mod sim;

use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use sim::Net;
use sipline::sip::engine::{MAX_CALLS, MAX_TRANSACTIONS};

fn request(method: &str, i: usize) -> String {
    let body = if method == "INVITE" {
        "v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"
    } else {
        ""
    };
    let ct = if body.is_empty() {
        ""
    } else {
        "Content-Type: application/sdp\r\n"
    };
    format!(
        "{method} sip:bob@127.0.0.1:5061 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:6000;branch=z9hG4bKflood{i}\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:m@127.0.0.1>;tag=f{i}\r\n\
         To: <sip:bob@127.0.0.1>\r\n\
         Call-ID: flood-{i}\r\n\
         CSeq: 1 {method}\r\n\
         Contact: <sip:m@127.0.0.1:6000>\r\n\
         {ct}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

#[test]
fn a_flood_is_bounded_and_drains() {
    let mut net = Net::new(1, 71);
    let from = "127.0.0.1:6000".parse().unwrap();
    let mut rng = SmallRng::seed_from_u64(7);
    // 20,000 random datagrams: no state at all.
    for _ in 0..20_000 {
        let n = rng.gen_range(1..600);
        let junk: Vec<u8> = (0..n).map(|_| rng.gen()).collect();
        net.inject(0, from, &junk);
    }
    assert_eq!(net.uas[0].engine.transaction_count(), 0);
    // 6,000 OPTIONS with fresh branches within one second: at most MAX_TRANSACTIONS live.
    for i in 0..6_000 {
        net.inject(0, from, request("OPTIONS", i).as_bytes());
    }
    assert_eq!(net.uas[0].engine.transaction_count(), MAX_TRANSACTIONS);
    net.run_for(Duration::from_millis(100));
    let refused = net
        .stray
        .iter()
        .filter(|(_, _, _, b)| b.starts_with(b"SIP/2.0 503"))
        .count();
    assert_eq!(refused, 6_000 - MAX_TRANSACTIONS);
    let sample = net
        .stray
        .iter()
        .find(|(_, _, _, b)| b.starts_with(b"SIP/2.0 503"))
        .map(|(_, _, _, b)| String::from_utf8_lossy(b).to_string())
        .unwrap();
    assert!(sample.contains("Retry-After: 5\r\n"), "{sample}");
    // Timer J (64*T1) ends them all.
    net.run_for(Duration::from_secs(40));
    assert_eq!(net.uas[0].engine.transaction_count(), 0);
    // 200 INVITEs nobody answers: at most MAX_CALLS calls, the rest busy.
    for i in 10_000..10_200 {
        net.inject(0, from, request("INVITE", i).as_bytes());
    }
    assert_eq!(net.uas[0].engine.call_count(), MAX_CALLS);
    net.run_for(Duration::from_millis(100));
    let busy = net
        .stray
        .iter()
        .filter(|(_, _, _, b)| b.starts_with(b"SIP/2.0 486"))
        .count();
    assert_eq!(busy, 200 - MAX_CALLS);
}
