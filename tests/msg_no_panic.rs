//! Seeded random mutation of every RFC 4475 message (flip, insert, delete, truncate bytes,
//! splice in SIP-significant bytes): parsing never panics, and whatever parses also
//! round-trips (print → parse gives an equal message).

use std::path::PathBuf;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use sipline::sip::msg::{Message, SipMessage};

const CASES: usize = 200_000;

/// Bytes that matter to the grammar, so mutations hit interesting paths more often.
const SPECIAL: &[u8] = b"\r\n \t:;,<>\"\\@?=&%[]/0123456789sipSIP";

fn corpus() -> Vec<Vec<u8>> {
    let base = match std::env::var_os("SIPLINE_SHARED") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora"),
    };
    let dir = base.join("rfc4475/messages");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("corpus")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "dat"))
        .collect();
    files.sort();
    let msgs: Vec<Vec<u8>> = files
        .iter()
        .map(|p| std::fs::read(p).expect("read"))
        .collect();
    assert_eq!(msgs.len(), 49);
    msgs
}

fn mutate(rng: &mut SmallRng, buf: &mut Vec<u8>) {
    let edits = rng.gen_range(1..=4);
    for _ in 0..edits {
        let len = buf.len();
        match rng.gen_range(0..6) {
            0 if len > 0 => {
                let i = rng.gen_range(0..len);
                buf[i] ^= 1 << rng.gen_range(0..8);
            }
            1 => {
                let i = rng.gen_range(0..=len);
                let b = if rng.gen_bool(0.5) {
                    SPECIAL[rng.gen_range(0..SPECIAL.len())]
                } else {
                    rng.gen()
                };
                buf.insert(i, b);
            }
            2 if len > 0 => {
                let i = rng.gen_range(0..len);
                let n = rng.gen_range(1..=8).min(len - i);
                buf.drain(i..i + n);
            }
            3 if len > 0 => {
                buf.truncate(rng.gen_range(0..len));
            }
            4 if len > 0 => {
                let i = rng.gen_range(0..len);
                buf[i] = SPECIAL[rng.gen_range(0..SPECIAL.len())];
            }
            _ if len > 1 => {
                // Duplicate a slice somewhere else (repeats headers, params, quotes).
                let a = rng.gen_range(0..len);
                let b = (a + rng.gen_range(1..=40)).min(len);
                let piece = buf[a..b].to_vec();
                let at = rng.gen_range(0..=len);
                buf.splice(at..at, piece);
            }
            _ => {}
        }
    }
}

#[test]
fn mutated_corpus_never_panics_and_parsed_roundtrips() {
    let msgs = corpus();
    let mut rng = SmallRng::seed_from_u64(0x5EED_4475);
    let mut parsed = 0usize;
    let mut buf = Vec::new();
    for case in 0..CASES {
        let src = &msgs[case % msgs.len()];
        buf.clear();
        buf.extend_from_slice(src);
        mutate(&mut rng, &mut buf);
        match Message::parse(&buf) {
            Ok(m) => {
                parsed += 1;
                // Typed accessors must not panic either.
                let _ = match &m {
                    Message::Request(r) => (
                        r.vias().is_ok(),
                        r.contacts().is_ok(),
                        r.record_routes().is_ok(),
                    ),
                    Message::Response(r) => (
                        r.vias().is_ok(),
                        r.contacts().is_ok(),
                        r.record_routes().is_ok(),
                    ),
                };
                let printed = m.to_bytes();
                let again = Message::parse(&printed).unwrap_or_else(|e| {
                    panic!(
                        "case {case}: printed message does not parse: {e:?}\ninput: {:?}\nprinted: {:?}",
                        String::from_utf8_lossy(&buf),
                        String::from_utf8_lossy(&printed)
                    )
                });
                assert_eq!(
                    m,
                    again,
                    "case {case}: round-trip differs\ninput: {:?}",
                    String::from_utf8_lossy(&buf)
                );
            }
            Err(e) => {
                if let Some(p) = e.partial {
                    let _ = p.to_bytes();
                    let _ = p.make_response(400, None).to_bytes();
                }
            }
        }
    }
    // Sanity: the mutations are not all fatal (many single-byte edits hit the body).
    assert!(parsed > CASES / 10, "only {parsed} of {CASES} parsed");
}
