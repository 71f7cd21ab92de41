//! Garbage on the SIP port during a call: sipline must not crash, the call must go on (a
//! later hangup works and sipline exits 0), and each well-framed bad request must get an
//! error response on the socket or connection that sent it (RFC 3261 §8.2: 400 Bad Request
//! when a mandatory header such as CSeq is missing; for an oversized request 400 or 513
//! Message Too Large). Unframed junk (random bytes, a truncated request) gets no 1xx/2xx and
//! creates no call.
//!
//! UDP carries at most 65,507 bytes per datagram, so over UDP the "huge header" request is
//! as large as one datagram can be (~64 KB); the 100 KB one goes over TCP, where sipline may
//! also close the connection instead of answering (framing lost, RFC 4475 §3.1.2.3), but
//! must not stay silent with the connection open, and must not take it for a call.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use common::*;

/// Deterministic junk (xorshift64*), so a failure replays exactly.
fn junk(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
        })
        .collect()
}

/// An INVITE from `from` to `target`, with the Via branch `branch`, optional extra header
/// lines, and CSeq left out when `with_cseq` is false.
fn invite(
    from: SocketAddr,
    target: SocketAddr,
    branch: &str,
    with_cseq: bool,
    extra: &str,
) -> String {
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
               m=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
    let cseq = if with_cseq { "CSeq: 1 INVITE\r\n" } else { "" };
    format!(
        "INVITE sip:victim@{target} SIP/2.0\r\n\
         Via: SIP/2.0/UDP {from};branch={branch};rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:garbage@{from}>;tag=g-{branch}\r\n\
         To: <sip:victim@{target}>\r\n\
         Call-ID: {branch}@127.0.0.1\r\n\
         {cseq}\
         Contact: <sip:garbage@{from}>\r\n\
         {extra}\
         Content-Type: application/sdp\r\n\
         Content-Length: {}\r\n\
         \r\n\
         {sdp}",
        sdp.len()
    )
}

/// Status codes of the responses that come back within `wait` and carry `branch`.
fn responses_for(sock: &UdpSocket, branch: &str, wait: Duration) -> Vec<u16> {
    let deadline = Instant::now() + wait;
    let mut codes = Vec::new();
    let mut buf = vec![0u8; 70_000];
    while Instant::now() < deadline {
        let left = deadline.saturating_duration_since(Instant::now());
        sock.set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .unwrap();
        let Ok(n) = sock.recv(&mut buf) else { break };
        let text = String::from_utf8_lossy(&buf[..n]);
        if !text.contains(branch) {
            continue;
        }
        let code = text
            .strip_prefix("SIP/2.0 ")
            .and_then(|rest| rest.get(..3))
            .and_then(|c| c.parse::<u16>().ok());
        if let Some(code) = code {
            codes.push(code);
            if code >= 200 {
                break; // a final response: enough
            }
        }
    }
    codes
}

/// Sends `bytes` on a new TCP connection to `target`, then reads until a final response,
/// the connection closing, or `wait`: (status codes seen, closed by sipline).
fn over_tcp(target: SocketAddr, bytes: &[u8], wait: Duration) -> (Vec<u16>, bool) {
    let mut stream = TcpStream::connect_timeout(&target, secs(5)).expect("TCP connect to sipline");
    // sipline may close the connection before it has read everything: not an error here.
    let _ = stream.write_all(bytes);
    let deadline = Instant::now() + wait;
    let mut text = String::new();
    let mut buf = [0u8; 8192];
    let mut codes = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return (codes, false);
        }
        stream.set_read_timeout(Some(left)).unwrap();
        match stream.read(&mut buf) {
            Ok(0) => return (codes, true),
            Ok(n) => text.push_str(&String::from_utf8_lossy(&buf[..n])),
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                return (codes, false)
            }
            Err(_) => return (codes, true), // reset
        }
        codes = text
            .lines()
            .filter_map(|l| l.strip_prefix("SIP/2.0 "))
            .filter_map(|rest| rest.get(..3)?.parse::<u16>().ok())
            .collect();
        if codes.iter().any(|&c| c >= 200) {
            return (codes, false);
        }
    }
}

#[test]
fn garbage_during_a_call_is_survived_and_bad_requests_get_400() {
    if !peer_available("sipp", "sip-tester") {
        return;
    }
    let dir = TempDir::new("garbage");
    let mut sipp = Sipp::uas(dir.path());
    let me = reserve_port();
    let target = local(me.port());
    let opts = SiplineOpts::new("alice", me.port()).audio_in("tone:440");
    let mut sipline = Sipline::spawn("sipline", opts, dir.path());
    sipline.send(&format!(
        "invite {}\nwait accepted 10s\n",
        sipp.uri("service")
    ));
    sipline.expect_event("accepted", secs(15));

    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let from = sock.local_addr().unwrap();
    let mut problems = Vec::new();

    // 1. Random bytes of assorted sizes.
    for (i, len) in [1usize, 17, 512, 1400, 8000].into_iter().enumerate() {
        sock.send_to(&junk(0x5eed + i as u64, len), target).unwrap();
    }
    // 2. A truncated INVITE: cut inside the headers, no blank line.
    let full = invite(from, target, "z9hG4bK-trunc", true, "");
    sock.send_to(&full.as_bytes()[..full.len() / 2], target)
        .unwrap();
    let codes = responses_for(&sock, "z9hG4bK-trunc", Duration::from_millis(800));
    eprintln!("truncated INVITE → {codes:?}");
    if codes.iter().any(|c| (200..300).contains(c) || *c == 180) {
        problems.push(format!("truncated INVITE was treated as a call: {codes:?}"));
    }
    // 3. An INVITE with one header as big as a UDP datagram allows.
    let base = invite(from, target, "z9hG4bK-huge", true, "");
    let filler = 65_000 - base.len() - "X-Huge: \r\n".len();
    let huge = invite(
        from,
        target,
        "z9hG4bK-huge",
        true,
        &format!("X-Huge: {}\r\n", "a".repeat(filler)),
    );
    assert!(
        huge.len() <= 65_507,
        "the huge INVITE must fit one datagram"
    );
    sock.send_to(huge.as_bytes(), target).unwrap();
    let codes = responses_for(&sock, "z9hG4bK-huge", secs(2));
    eprintln!("INVITE with a {filler}-byte header → {codes:?}");
    if !codes.iter().any(|c| matches!(c, 400 | 413 | 513)) {
        problems.push(format!(
            "INVITE with a {}-byte header: want 400 (or 513), got {codes:?}",
            filler
        ));
    }
    // 4. A well-framed INVITE without CSeq.
    let no_cseq = invite(from, target, "z9hG4bK-nocseq", false, "");
    sock.send_to(no_cseq.as_bytes(), target).unwrap();
    let codes = responses_for(&sock, "z9hG4bK-nocseq", secs(2));
    eprintln!("INVITE without CSeq → {codes:?}");
    if !codes.contains(&400) {
        problems.push(format!("INVITE without CSeq: want 400, got {codes:?}"));
    }

    // Over TCP, same port: a 100 KB header, a request without CSeq, random bytes.
    let tcp_invite = |branch: &str, with_cseq: bool, extra: &str| {
        invite(from, target, branch, with_cseq, extra).replacen("SIP/2.0/UDP", "SIP/2.0/TCP", 1)
    };
    let huge = tcp_invite(
        "z9hG4bK-tcphuge",
        true,
        &format!("X-Huge: {}\r\n", "a".repeat(100 * 1024)),
    );
    let (codes, closed) = over_tcp(target, huge.as_bytes(), secs(3));
    eprintln!("TCP: INVITE with a 100 KB header → {codes:?}, connection closed: {closed}");
    let refused = codes.iter().any(|c| matches!(c, 400 | 413 | 513));
    if codes.iter().any(|&c| c < 300) || !(refused || closed) {
        problems.push(format!(
            "TCP INVITE with a 100 KB header: want 400/513 or the connection closed, got \
             {codes:?}, closed: {closed}"
        ));
    }
    let no_cseq = tcp_invite("z9hG4bK-tcpnocseq", false, "");
    let (codes, _) = over_tcp(target, no_cseq.as_bytes(), secs(3));
    eprintln!("TCP: INVITE without CSeq → {codes:?}");
    if !codes.contains(&400) {
        problems.push(format!("TCP INVITE without CSeq: want 400, got {codes:?}"));
    }
    let (codes, _) = over_tcp(target, &junk(0xbad, 4000), Duration::from_millis(500));
    if codes.iter().any(|&c| c < 300) {
        problems.push(format!("TCP junk was answered like a request: {codes:?}"));
    }

    // The call goes on: hang up normally.
    sipline.send("sleep 1s\nhangup\nwait terminated 10s\nquit\n");
    let out = sipline.finish(secs(30));
    out.assert_success();
    assert!(
        out.named("incoming").is_empty(),
        "garbage created a call\n{}",
        out.report()
    );
    assert_eq!(out.first("terminated")["by"], "local", "{}", out.report());
    sipp.assert_success(
        secs(10),
        "the call survives the garbage and ends with our BYE",
    );
    assert!(
        problems.is_empty(),
        "bad requests were not answered as expected:\n  {}\n{}",
        problems.join("\n  "),
        out.report()
    );
}
