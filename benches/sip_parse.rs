//! SIP parse throughput: sipline's parser next to rsip's, in the same criterion groups, so
//! the ratio is visible in one run (ARCHITECTURE.md "Testing layers": benchmarks measure side
//! by side with a peer). `scripts/bench-parse` runs this and prints parses/s and the ratio.
//!
//! The messages are what a softphone really sends and gets on a call set-up: an INVITE with
//! an SDP offer (Opus, PCMU, PCMA, telephone-event) and the 200 OK with the SDP answer.
//!
//! Time is the benchmark thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`), not wall-clock: the
//! machine is 2 cores shared with other builds, and wall-clock per-iteration times there
//! swing by 2x between runs while the process gets half a core. CPU time measures what the
//! issue asks, parses per second on one core. `SIPLINE_BENCH_WALL=1` switches to criterion's
//! wall clock.
//!
//! Not like for like, and in rsip's favour: `Message::parse` also checks that Via, From, To,
//! Call-ID and CSeq are present and parse, and that CSeq matches the method; rsip's
//! `SipMessage::try_from` only tokenises the head and keeps header values as text.

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{Criterion, Throughput};
use sipline::sip::msg::Message;

/// The body of both messages: an SDP offer as Linphone/baresip send it.
const SDP_OFFER: &str = "v=0\r\n\
o=alice 2890844526 2890844526 IN IP4 192.0.2.10\r\n\
s=sipline\r\n\
c=IN IP4 192.0.2.10\r\n\
t=0 0\r\n\
m=audio 40000 RTP/AVP 111 0 8 101\r\n\
a=rtpmap:111 opus/48000/2\r\n\
a=fmtp:111 useinbandfec=1\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-16\r\n\
a=ptime:20\r\n\
a=sendrecv\r\n";

const SDP_ANSWER: &str = "v=0\r\n\
o=bob 3344556677 3344556677 IN IP4 192.0.2.20\r\n\
s=-\r\n\
c=IN IP4 192.0.2.20\r\n\
t=0 0\r\n\
m=audio 41000 RTP/AVP 111 101\r\n\
a=rtpmap:111 opus/48000/2\r\n\
a=fmtp:111 useinbandfec=1\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-16\r\n\
a=ptime:20\r\n\
a=sendrecv\r\n";

/// An INVITE with the usual dozen headers and an SDP offer.
fn invite() -> Vec<u8> {
    format!(
        "INVITE sip:bob@example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.10:5060;rport;branch=z9hG4bK776asdhds\r\n\
Max-Forwards: 70\r\n\
From: \"Alice\" <sip:alice@example.com>;tag=1928301774\r\n\
To: <sip:bob@example.com>\r\n\
Call-ID: a84b4c76e66710@192.0.2.10\r\n\
CSeq: 314159 INVITE\r\n\
Contact: <sip:alice@192.0.2.10:5060;transport=udp>\r\n\
Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, REFER, NOTIFY, UPDATE\r\n\
Supported: replaces, timer\r\n\
User-Agent: sipline/0.1.0\r\n\
Content-Type: application/sdp\r\n\
Content-Length: {}\r\n\
\r\n\
{}",
        SDP_OFFER.len(),
        SDP_OFFER
    )
    .into_bytes()
}

/// The 200 OK to that INVITE, through one proxy, with the SDP answer.
fn ok_200() -> Vec<u8> {
    format!(
        "SIP/2.0 200 OK\r\n\
Via: SIP/2.0/UDP 192.0.2.10:5060;rport=5060;received=192.0.2.10;branch=z9hG4bK776asdhds\r\n\
Record-Route: <sip:proxy.example.com;lr>\r\n\
From: \"Alice\" <sip:alice@example.com>;tag=1928301774\r\n\
To: <sip:bob@example.com>;tag=a6c85cf\r\n\
Call-ID: a84b4c76e66710@192.0.2.10\r\n\
CSeq: 314159 INVITE\r\n\
Contact: <sip:bob@192.0.2.20:5060>\r\n\
Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, REFER, NOTIFY, UPDATE\r\n\
Supported: replaces, timer\r\n\
Server: baresip v3.10.0\r\n\
Content-Type: application/sdp\r\n\
Content-Length: {}\r\n\
\r\n\
{}",
        SDP_ANSWER.len(),
        SDP_ANSWER
    )
    .into_bytes()
}

/// Both parsers must accept the inputs, or we would be timing an error path.
fn check(name: &str, bytes: &[u8]) {
    let ours = Message::parse(bytes).unwrap_or_else(|e| panic!("sipline rejects {name}: {e}"));
    assert_eq!(Message::parse(&ours.to_bytes()).as_ref(), Ok(&ours));
    if let Err(e) = rsip::SipMessage::try_from(bytes) {
        panic!("rsip rejects {name}: {e}");
    }
}

/// CPU time of the calling thread (Linux/POSIX `CLOCK_THREAD_CPUTIME_ID`).
struct ThreadCpuTime;

fn thread_cpu_now() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant libc knows.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Criterion's own nanosecond formatter, borrowed from its wall clock.
static WALL: WallTime = WallTime;

impl Measurement for ThreadCpuTime {
    type Intermediate = Duration;
    type Value = Duration;
    fn start(&self) -> Duration {
        thread_cpu_now()
    }
    fn end(&self, start: Duration) -> Duration {
        thread_cpu_now().saturating_sub(start)
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, v: &Duration) -> f64 {
        v.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        WALL.formatter()
    }
}

fn parse<M: Measurement>(c: &mut Criterion<M>) {
    for (name, bytes) in [("invite", invite()), ("200ok", ok_200())] {
        check(name, &bytes);
        let mut g = c.benchmark_group(format!("parse_{name}"));
        g.throughput(Throughput::Elements(1));
        g.bench_function("sipline", |b| b.iter(|| Message::parse(black_box(&bytes))));
        g.bench_function("rsip", |b| {
            b.iter(|| rsip::SipMessage::try_from(black_box(bytes.as_slice())))
        });
        g.finish();
    }
}

/// Parse and print again, what a proxy-like path or a retransmission cache costs.
fn roundtrip<M: Measurement>(c: &mut Criterion<M>) {
    let mut g = c.benchmark_group("roundtrip");
    g.throughput(Throughput::Elements(1));
    for (name, bytes) in [("invite", invite()), ("200ok", ok_200())] {
        g.bench_function(format!("sipline_{name}"), |b| {
            b.iter(|| Message::parse(black_box(&bytes)).map(|m| m.to_bytes()))
        });
        g.bench_function(format!("rsip_{name}"), |b| {
            b.iter(|| {
                rsip::SipMessage::try_from(black_box(bytes.as_slice())).map(|m| m.to_string())
            })
        });
    }
    g.finish();
}

fn run<M: Measurement>(mut c: Criterion<M>) {
    parse(&mut c);
    roundtrip(&mut c);
    c.final_summary();
}

/// `SIPLINE_BENCH_MIN=ROUNDS`: instead of criterion, alternate rounds of 500 sipline and
/// 500 rsip parses and keep each one's fastest round. On a shared machine the fastest
/// round is the one least disturbed by other processes, and alternating exposes both
/// parsers to the same conditions, so the ratio is steadier than from two separate runs.
fn min_of_rounds(rounds: usize) {
    const PER_ROUND: u32 = 500;
    let time = |f: &dyn Fn()| {
        let t = std::time::Instant::now();
        for _ in 0..PER_ROUND {
            f();
        }
        t.elapsed().as_nanos() as f64 / f64::from(PER_ROUND)
    };
    for (name, bytes) in [("invite", invite()), ("200ok", ok_200())] {
        check(name, &bytes);
        let (mut ours, mut theirs) = (f64::MAX, f64::MAX);
        for _ in 0..rounds {
            ours = ours.min(time(&|| {
                let _ = black_box(Message::parse(black_box(&bytes)));
            }));
            theirs = theirs.min(time(&|| {
                let _ = black_box(rsip::SipMessage::try_from(black_box(bytes.as_slice())));
            }));
        }
        println!(
            "min-of-{rounds}-rounds parse {name:<6}  sipline {:>8.0} parses/s ({ours:.0} ns)   rsip {:>8.0} parses/s ({theirs:.0} ns)   ratio {:.2}x",
            1e9 / ours,
            1e9 / theirs,
            theirs / ours
        );
    }
}

fn main() {
    if let Some(rounds) = std::env::var("SIPLINE_BENCH_MIN")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        min_of_rounds(rounds);
        return;
    }
    let c = Criterion::default().configure_from_args();
    if std::env::var_os("SIPLINE_BENCH_WALL").is_some_and(|v| v != "0") {
        run(c);
    } else {
        run(c.with_measurement(ThreadCpuTime));
    }
}
