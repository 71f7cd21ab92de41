//! Malformed and hostile input never panics; well-framed bad requests get 400 (RFC 3261
//! §8.2, §21.4.1) and the call in progress goes on.

mod sim;

use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use sim::Net;
use sipline::api::Command;

const S: Duration = Duration::from_secs(1);

fn first_lines_to(net: &Net, port: u16) -> Vec<String> {
    net.stray
        .iter()
        .filter(|(_, _, to, _)| to.port() == port)
        .map(|(_, _, _, b)| {
            String::from_utf8_lossy(b)
                .lines()
                .next()
                .unwrap_or("")
                .to_string()
        })
        .collect()
}

#[test]
fn garbage_during_a_call_is_survived_and_bad_requests_get_400() {
    let mut net = Net::new(2, 21);
    let target = net.uri(1);
    net.command(0, Command::Invite { target });
    net.wait_event(1, "incoming", S).unwrap();
    net.command(1, Command::Accept { call: None });
    net.wait_event(0, "accepted", S).unwrap();
    let attacker = "127.0.0.1:6666".parse().unwrap();

    let mut rng = SmallRng::seed_from_u64(5);
    for _ in 0..500 {
        let n = rng.gen_range(0..1500);
        let bytes: Vec<u8> = (0..n).map(|_| rng.gen()).collect();
        net.inject(1, attacker, &bytes);
    }
    let invite = "INVITE sip:bob@127.0.0.1:5062 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:6666;branch=z9hG4bKtrunc\r\nFrom: <sip:m@127.0.0.1>;tag=1\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: tr";
    net.inject(1, attacker, invite.as_bytes());
    let huge = format!(
        "OPTIONS sip:bob@127.0.0.1:5062 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:6666;branch=z9hG4bKhuge\r\nFrom: <sip:m@127.0.0.1>;tag=1\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: huge\r\nCSeq: 1 OPTIONS\r\nX-Huge: {}\r\nContent-Length: 0\r\n\r\n",
        "a".repeat(60_000)
    );
    net.inject(1, attacker, huge.as_bytes());
    let no_cseq = "INVITE sip:bob@127.0.0.1:5062 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:6666;branch=z9hG4bKnocseq\r\nMax-Forwards: 70\r\nFrom: <sip:m@127.0.0.1>;tag=1\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: nocseq\r\nContent-Length: 0\r\n\r\n";
    net.inject(1, attacker, no_cseq.as_bytes());
    net.run_for(S);

    let replies = first_lines_to(&net, 6666);
    assert!(
        replies.iter().any(|l| l.starts_with("SIP/2.0 400")),
        "the INVITE without CSeq got a 400: {replies:?}"
    );
    assert!(
        replies.iter().any(|l| l == "SIP/2.0 513 Message Too Large"),
        "the OPTIONS with a 60 KB header was refused: {replies:?}"
    );
    // The call goes on: hang up normally.
    net.command(0, Command::Hangup { call: None });
    assert!(net.wait_event(1, "terminated", S).is_some());
}
