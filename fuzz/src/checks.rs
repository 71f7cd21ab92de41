#![allow(dead_code)] // each target uses one of these
//! What each fuzz target checks for one input. Shared by the libFuzzer targets in
//! `fuzz_targets/` and the stable fallback in `examples/stable.rs` (each includes this file
//! with `#[path]`, so the fallback never links libFuzzer).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sipline::media::codec::CodecKind;
use sipline::sip::msg::Message;
use sipline::sip::timers::TimerValues;
use sipline::sip::{Engine, EngineConfig, Input, Receive};

/// Bytes → `Message::parse`; an accepted message printed and parsed again must be equal, and
/// printing must be stable (print ∘ parse ∘ print = print).
pub fn parse(data: &[u8]) {
    match Message::parse(data) {
        Ok(msg) => {
            let printed = msg.to_bytes();
            let again = Message::parse(&printed).unwrap_or_else(|e| {
                panic!(
                    "printed message does not parse ({e:?}):\n{}",
                    String::from_utf8_lossy(&printed)
                )
            });
            assert_eq!(msg, again, "round trip changed the message");
            assert_eq!(printed, again.to_bytes(), "printing is not stable");
        }
        Err(e) => {
            // The error's text is shown to users and logged: it must not panic either.
            let _ = e.to_string();
        }
    }
}

/// The longest run of timeouts at one instant before we call it a busy loop.
const MAX_TIMEOUTS_AT_ONCE: usize = 64;

/// Bytes → one engine as a datagram from a peer, then a Timeout 40 s later (every RFC 3261
/// timer with default T1 has fired by then: Timer B/F/H are 64·T1 = 32 s), outputs drained
/// after each input. Never panics; never asks to be woken in the past after a Timeout.
pub fn engine(data: &[u8]) {
    let t0 = Instant::now();
    let local: SocketAddr = ([127, 0, 0, 1], 5060).into();
    let peer: SocketAddr = ([127, 0, 0, 1], 5070).into();
    let mut engine = Engine::new(
        EngineConfig {
            local,
            advertise: None,
            user: "alice".to_string(),
            codecs: vec![CodecKind::Opus, CodecKind::Pcmu, CodecKind::Pcma],
            seed: 7,
            timers: TimerValues::default(),
            accounts: Vec::new(),
        },
        t0,
    );
    engine.handle_input(t0, Input::Receive(Receive::udp(peer, data.to_vec())));
    while engine.poll_output().is_some() {}

    let later = t0 + Duration::from_secs(40);
    for _ in 0..MAX_TIMEOUTS_AT_ONCE {
        engine.handle_input(later, Input::Timeout);
        while engine.poll_output().is_some() {}
        match engine.poll_timeout() {
            Some(t) if t <= later => continue,
            _ => return,
        }
    }
    panic!(
        "poll_timeout() still due after {MAX_TIMEOUTS_AT_ONCE} Timeout inputs at the same \
         instant: a driver would spin"
    );
}
