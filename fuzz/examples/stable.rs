//! Stable fallback for machines without a nightly toolchain (cargo-fuzz needs one): the same
//! checks as `fuzz_targets/`, fed with seeded random mutations of the corpus for a fixed time.
//! No coverage feedback, so it finds less than libFuzzer per minute; it is a fallback.
//!
//! ```text
//! cargo run --release --example stable -- TARGET SECONDS [SEED] PATH...
//! ```
//! TARGET is `parse` or `engine`; PATHs are corpus files or directories. SECONDS = 0 only
//! replays the PATHs (for a crash file). A panicking input is written to
//! `artifacts/TARGET/crash-<hash>` and the process exits with status 1.

#[path = "../src/checks.rs"]
mod checks;

use std::hash::{DefaultHasher, Hash, Hasher};
use std::panic;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Tokens that matter to a SIP parser, spliced in by the mutator.
#[rustfmt::skip]
const DICT: &[&[u8]] = &[
    b"\r\n", b"\n", b"\r\n\r\n", b"\r\n ", b"\t", b" ", b":", b";", b",", b"<", b">", b"\"",
    b"\\", b"@", b"%", b"%00", b"=", b"?", b"&", b"[", b"]", b"[::1]", b"SIP/2.0", b"sip:",
    b"sips:", b"tel:", b"Via: ", b"v: ", b"From: ", b"To: ", b"Call-ID: ", b"CSeq: ",
    b"Contact: ", b"Content-Length: ", b"l: ", b"Max-Forwards: ", b"Record-Route: ",
    b"Route: ", b";tag=", b";branch=z9hG4bK", b";rport", b";received=", b";lr", b"INVITE",
    b"ACK", b"BYE", b"CANCEL", b"OPTIONS", b"REGISTER", b"SIP/2.0 200 OK\r\n", b"0",
    b"4294967295", b"4294967296", b"99999999999999999999", b"-1", b"\xff", b"\xc3\xa9",
    b"\0",
];

/// xorshift64*: deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

fn mutate(rng: &mut Rng, input: &mut Vec<u8>, corpus: &[Vec<u8>]) {
    let len = input.len();
    match rng.below(9) {
        0 if len > 0 => {
            let i = rng.below(len);
            input[i] ^= 1 << rng.below(8);
        }
        1 if len > 0 => {
            let i = rng.below(len);
            input[i] = rng.next() as u8;
        }
        2 => {
            let i = rng.below(len + 1);
            input.insert(i, rng.next() as u8);
        }
        3 if len > 0 => {
            let a = rng.below(len);
            let b = (a + 1 + rng.below(16)).min(len);
            input.drain(a..b);
        }
        4 if len > 0 => {
            // Duplicate a range (repeated headers, params, folding).
            let a = rng.below(len);
            let b = (a + 1 + rng.below(64)).min(len);
            let chunk = input[a..b].to_vec();
            let at = rng.below(len + 1);
            input.splice(at..at, chunk);
        }
        5 => {
            let tok = DICT[rng.below(DICT.len())];
            let at = rng.below(len + 1);
            input.splice(at..at, tok.iter().copied());
        }
        6 if len > 0 => {
            // Overwrite with a dictionary token.
            let tok = DICT[rng.below(DICT.len())];
            let at = rng.below(len);
            let end = (at + tok.len()).min(len);
            input.splice(at..end, tok.iter().copied());
        }
        7 if !corpus.is_empty() => {
            // Splice: our head with another seed's tail.
            let other = &corpus[rng.below(corpus.len())];
            let cut = rng.below(len + 1);
            let from = rng.below(other.len() + 1);
            input.truncate(cut);
            input.extend_from_slice(&other[from..]);
        }
        _ if len > 0 => {
            // Change a digit run's neighbour: lengths and numbers are where parsers break.
            let i = rng.below(len);
            input[i] = b"0123456789"[rng.below(10)];
        }
        _ => input.push(rng.next() as u8),
    }
}

fn load(paths: &[PathBuf]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect();
            entries.sort();
            out.extend(entries.iter().filter_map(|f| std::fs::read(f).ok()));
        } else {
            out.push(std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())));
        }
    }
    out
}

fn save_crash(target: &str, input: &[u8]) -> PathBuf {
    let mut h = DefaultHasher::new();
    input.hash(&mut h);
    let dir = Path::new("artifacts").join(target);
    std::fs::create_dir_all(&dir).expect("create artifacts dir");
    let path = dir.join(format!("crash-{:016x}", h.finish()));
    std::fs::write(&path, input).expect("write crash file");
    path
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: stable TARGET SECONDS [SEED] PATH...";
    let target = args.first().expect(usage).clone();
    let check: fn(&[u8]) = match target.as_str() {
        "parse" => checks::parse,
        "engine" => checks::engine,
        other => panic!("unknown target {other:?} (parse | engine)"),
    };
    let seconds: u64 = args.get(1).expect(usage).parse().expect(usage);
    let mut rest = &args[2..];
    let mut seed = 0x5eed_f022_u64;
    if let Some(s) = rest.first().and_then(|s| s.parse::<u64>().ok()) {
        seed = s.max(1);
        rest = &rest[1..];
    }
    let paths: Vec<PathBuf> = rest.iter().map(PathBuf::from).collect();
    let corpus = load(&paths);
    assert!(!corpus.is_empty(), "no corpus inputs in {paths:?}");

    let run = |input: &[u8]| panic::catch_unwind(|| check(input)).is_ok();
    for seed_input in &corpus {
        if !run(seed_input) {
            let p = save_crash(&target, seed_input);
            eprintln!(
                "stable: {target}: a corpus input panics; saved as {}",
                p.display()
            );
            std::process::exit(1);
        }
    }
    if seconds == 0 {
        println!(
            "stable: {target}: replayed {} inputs, no panic",
            corpus.len()
        );
        return;
    }

    let mut rng = Rng(seed);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut execs: u64 = 0;
    while Instant::now() < deadline {
        for _ in 0..256 {
            let mut input = corpus[rng.below(corpus.len())].clone();
            for _ in 0..1 + rng.below(8) {
                mutate(&mut rng, &mut input, &corpus);
            }
            input.truncate(64 * 1024);
            execs += 1;
            if !run(&input) {
                let p = save_crash(&target, &input);
                eprintln!(
                    "stable: {target}: panic after {execs} inputs; saved as {} (seed {seed})",
                    p.display()
                );
                std::process::exit(1);
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "stable: {target}: {execs} inputs in {secs:.0} s ({:.0}/s), seed {seed}, no panic",
        execs as f64 / secs
    );
}
