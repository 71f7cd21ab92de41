//! `expect-audio` between two sipline processes: bob answers and sends a 1000 Hz tone;
//! alice's script checks what she receives. `tone:1000` must pass (exit 0, an
//! `audio-checked` event with `passed: true`); `tone:440` must fail the script (exit 1) with
//! one stderr line naming the script line, the command and the share it measured.

mod common;

use common::*;

/// Alice calls bob (who sends `tone:1000`) and runs `check` as script line 4; returns
/// alice's outcome once bob has seen the call end.
fn call_and_expect(tag: &str, check: &str) -> Outcome {
    let dir = TempDir::new(&format!("expect-audio-{tag}"));
    let (pa, pb) = (reserve_port(), reserve_port());
    let alice = SiplineOpts::new("alice", pa.port()).audio_in("silence");
    let bob = SiplineOpts::new("bob", pb.port()).audio_in("tone:1000");

    let mut callee = Sipline::spawn("bob", bob.clone(), dir.path());
    callee.send("wait incoming 20s\naccept\nwait terminated 30s\nquit\n");
    callee.expect_listening();
    let script = format!(
        "invite {}\n\
         wait accepted 10s\n\
         wait media 5s\n\
         {check}\n\
         hangup\n\
         wait terminated 10s\n\
         quit\n",
        bob.uri()
    );
    let a = run_sipline("alice", alice, &script, dir.path(), secs(45));
    let b = callee.finish(secs(15));
    b.assert_success();
    assert_eq!(b.first("terminated")["by"], "remote", "{}", b.report());
    a
}

#[test]
fn expect_audio_hears_the_peers_tone() {
    let a = call_and_expect("pass", "expect-audio 1 tone:1000 --for 1s");
    a.assert_success();
    let checked = a.first("audio-checked");
    assert_eq!(checked["call"], 1, "{}", a.report());
    assert_eq!(checked["check"], "tone:1000", "{}", a.report());
    assert_eq!(checked["passed"], true, "{}", a.report());
    let percent = checked["percent"].as_u64().unwrap_or(0);
    assert!((70..=100).contains(&percent), "{}", a.report());
    // It listened for the second it was told to (20 ms ticks, the first one at once).
    let took =
        checked["ts"].as_f64().unwrap_or(0.0) - a.first("media")["ts"].as_f64().unwrap_or(0.0);
    assert!(
        (0.9..3.0).contains(&took),
        "took {took:.3}s\n{}",
        a.report()
    );
    // bob's tone is loud (sipline's tone source), nowhere near silence.
    let level = checked["level_dbfs"].as_i64().unwrap_or(-120);
    assert!(level > -30, "{}", a.report());
    // The script went on after the check: alice hung up.
    assert_eq!(a.first("terminated")["by"], "local", "{}", a.report());
}

#[test]
fn expect_audio_fails_the_script_on_the_wrong_tone() {
    let a = call_and_expect("fail", "expect-audio 1 tone:440 --for 1s");
    assert_eq!(a.code(), Some(1), "{}", a.report());
    let checked = a.first("audio-checked");
    assert_eq!(checked["check"], "tone:440", "{}", a.report());
    assert_eq!(checked["passed"], false, "{}", a.report());
    let percent = checked["percent"].as_u64().unwrap_or(100);
    assert!(percent < 10, "{}", a.report());
    let want = format!(
        "script line 4: expect-audio 1 tone:440 --for 1s: call 1: tone:440 not heard: \
         {percent}% of 20 ms blocks hold it (needs 70%), level {} dBFS",
        checked["level_dbfs"]
    );
    let lines: Vec<&str> = a
        .stderr
        .lines()
        .filter(|l| l.contains("expect-audio"))
        .collect();
    assert_eq!(lines, [want.as_str()], "{}", a.report());
    // The failure stopped the script before its `hangup`: the shutdown after it ended the
    // call.
    assert_eq!(a.first("terminated")["cause"], "shutdown", "{}", a.report());
    assert_eq!(a.sent_messages("BYE ").len(), 1, "{}", a.report());
}

/// The peer hangs up 1 s into a 10 s window: the verdict comes at once (not after the
/// window plus grace), fails the script and says the media stopped and after how long.
#[test]
fn expect_audio_fails_at_once_when_the_call_ends_mid_window() {
    let dir = TempDir::new("expect-audio-cut");
    let (pa, pb) = (reserve_port(), reserve_port());
    let alice = SiplineOpts::new("alice", pa.port()).audio_in("silence");
    let bob = SiplineOpts::new("bob", pb.port()).audio_in("tone:1000");

    let mut callee = Sipline::spawn("bob", bob.clone(), dir.path());
    callee.send("wait incoming 20s\naccept\nwait media 5s\nsleep 1s\nhangup\nquit\n");
    callee.expect_listening();
    let script = format!(
        "invite {}\n\
         wait accepted 10s\n\
         wait media 5s\n\
         expect-audio 1 tone:1000 --for 10s\n\
         quit\n",
        bob.uri()
    );
    let a = run_sipline("alice", alice, &script, dir.path(), secs(45));
    callee.finish(secs(15)).assert_success();
    assert_eq!(a.code(), Some(1), "{}", a.report());
    let checked = a.first("audio-checked");
    assert_eq!(checked["passed"], false, "{}", a.report());
    assert_eq!(checked["window_ms"], 10_000, "{}", a.report());
    let heard = checked["heard_ms"].as_u64().unwrap_or(10_000);
    assert!(
        (200..9_000).contains(&heard),
        "heard {heard} ms\n{}",
        a.report()
    );
    // What was heard before the hangup was bob's tone.
    let percent = checked["percent"].as_u64().unwrap_or(0);
    assert!(percent >= 50, "{}", a.report());
    assert_eq!(a.first("terminated")["by"], "remote", "{}", a.report());
    let line = a
        .stderr
        .lines()
        .find(|l| l.contains("script line 4: expect-audio"))
        .unwrap_or_default();
    assert!(
        line.contains("media stopped after") && line.contains("of the 10s window for tone:1000"),
        "{}",
        a.report()
    );
}
