//! The built-in test line, through the real binary and no other process: `invite echo`
//! calls the in-process echo service, which must send our own tone back (and nothing when
//! we send nothing) and send our DTMF digits back; `invite tone` must send its 1000 Hz tone.
//! Every call goes over SIP and RTP on 127.0.0.1 (the `--sip-trace` shows the INVITE).

mod common;

use common::*;

/// Runs `body` (script lines after the call is up) on a call to the test line `line`, with
/// `--audio-in audio_in` and `--codecs codecs`.
fn call_line(tag: &str, line: &str, audio_in: &str, codecs: &str, body: &str) -> Outcome {
    let dir = TempDir::new(&format!("test-line-{tag}"));
    let port = reserve_port();
    let opts = SiplineOpts::new("alice", port.port())
        .audio_in(audio_in)
        .codecs(codecs);
    let script = format!(
        "invite {line}\n\
         wait accepted 10s\n\
         wait media 5s\n\
         {body}\
         hangup\n\
         wait terminated 10s\n\
         quit\n"
    );
    run_sipline("alice", opts, &script, dir.path(), secs(45))
}

/// The call went to the named line of the service on the loopback interface.
fn assert_called_line(a: &Outcome, line: &str) {
    let to = a.first("calling")["to"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        to.starts_with(&format!("sip:{line}@127.0.0.1:")),
        "{to}\n{}",
        a.report()
    );
    let invites = a.sent_messages("INVITE ");
    assert_eq!(invites.len(), 1, "{}", a.report());
    assert!(
        invites[0].1.starts_with(&format!("INVITE {to} SIP/2.0")),
        "{}",
        a.report()
    );
    assert_eq!(a.first("accepted")["code"], 200, "{}", a.report());
}

fn assert_checked(a: &Outcome, index: usize, check: &str, passed: bool) {
    let checked = a.named("audio-checked");
    let c = checked
        .get(index)
        .copied()
        .unwrap_or(&serde_json::Value::Null);
    assert_eq!(c["check"], check, "{}", a.report());
    assert_eq!(c["passed"], passed, "{}", a.report());
}

#[test]
fn invite_echo_returns_our_tone_pcmu() {
    let a = call_line(
        "echo-pcmu",
        "echo",
        "tone:440",
        "pcmu",
        "expect-audio 1 tone:440 --for 2s\n",
    );
    a.assert_success();
    assert_called_line(&a, "echo");
    assert_eq!(a.first("media")["codec"], "PCMU/8000", "{}", a.report());
    assert_checked(&a, 0, "tone:440", true);
    assert_eq!(a.first("terminated")["by"], "local", "{}", a.report());
}

#[test]
fn invite_echo_returns_our_tone_opus() {
    let a = call_line(
        "echo-opus",
        "echo",
        "tone:700",
        "opus",
        "expect-audio 1 tone:700 --for 2s\n",
    );
    a.assert_success();
    assert_called_line(&a, "echo");
    assert_eq!(a.first("media")["codec"], "opus/48000/2", "{}", a.report());
    assert_checked(&a, 0, "tone:700", true);
}

#[test]
fn invite_echo_returns_silence_for_silence_and_the_tone_check_fails() {
    let a = call_line(
        "echo-silence",
        "echo",
        "silence",
        "pcmu",
        "expect-audio 1 silence --for 1s\nexpect-audio 1 tone:440 --for 1s\n",
    );
    assert_eq!(a.code(), Some(1), "{}", a.report());
    assert_checked(&a, 0, "silence", true);
    assert_checked(&a, 1, "tone:440", false);
    assert!(
        a.stderr.contains(
            "script line 5: expect-audio 1 tone:440 --for 1s: call 1: tone:440 not heard"
        ),
        "{}",
        a.report()
    );
}

#[test]
fn invite_tone_plays_the_test_tone() {
    let a = call_line(
        "tone",
        "tone",
        "silence",
        "pcmu",
        "expect-audio 1 tone:1000 --for 2s\nexpect-audio 1 speech --for 1s\n",
    );
    a.assert_success();
    assert_called_line(&a, "tone");
    assert_checked(&a, 0, "tone:1000", true);
    assert_checked(&a, 1, "speech", true);
}

#[test]
fn invite_echo_sends_our_dtmf_back() {
    let a = call_line(
        "echo-dtmf",
        "echo",
        "silence",
        "pcmu",
        "dtmf 123\nwait dtmf 1 123 15s\ndtmf 9 --mode info\nwait dtmf 1 9 10s\n",
    );
    a.assert_success();
    let digits: Vec<(String, String)> = a
        .named("dtmf")
        .iter()
        .map(|e| {
            (
                e["digit"].as_str().unwrap_or_default().to_owned(),
                e["method"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let want: Vec<(String, String)> = [
        ("1", "rfc4733"),
        ("2", "rfc4733"),
        ("3", "rfc4733"),
        ("9", "info"),
    ]
    .iter()
    .map(|(d, m)| (d.to_string(), m.to_string()))
    .collect();
    assert_eq!(digits, want, "{}", a.report());
    // The INFO came back as a request from the echo line.
    assert_eq!(a.received_messages("INFO ").len(), 1, "{}", a.report());
}

#[test]
fn invite_echo_skips_an_accounts_outbound_proxy() {
    // An account whose domain and proxy do not answer (nothing listens there): the test
    // line is still called directly, from no account.
    let dir = TempDir::new("test-line-account");
    let (port, domain, proxy) = (reserve_port(), reserve_port(), reserve_port());
    let mut opts = SiplineOpts::new("alice", port.port()).audio_in("tone:440");
    opts.extra = vec![
        "--domain".into(),
        format!("127.0.0.1:{}", domain.port()),
        "--outbound-proxy".into(),
        format!("sip:127.0.0.1:{}", proxy.port()),
    ];
    let script = "invite echo\n\
                  wait accepted 10s\n\
                  wait media 5s\n\
                  expect-audio 1 tone:440 --for 1s\n\
                  hangup\n\
                  wait terminated 10s\n\
                  quit\n";
    let a = run_sipline("alice", opts, script, dir.path(), secs(45));
    a.assert_success();
    assert_called_line(&a, "echo");
    let to = a.first("calling")["to"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let line_addr = to.trim_start_matches("sip:echo@");
    let invite = &a.sent_messages("INVITE ")[0];
    assert!(
        invite.0.contains(&format!("to {line_addr} ")),
        "{}",
        a.report()
    );
    assert!(!invite.1.contains("Route:"), "{}", a.report());
    assert!(
        invite
            .1
            .contains(&format!("From: <sip:alice@127.0.0.1:{}", port.port()))
            || invite.1.contains("From: <sip:alice@127.0.0.1>"),
        "{}",
        a.report()
    );
    assert_checked(&a, 0, "tone:440", true);
}

#[test]
fn audio_in_echo_makes_a_second_sipline_an_echo_peer() {
    // `--audio-in echo --auto-answer --echo-dtmf`: a sipline process that plays the echo
    // service's role for other phones (the echo test and DTMF logger of the smoke scripts).
    let dir = TempDir::new("test-line-echo-peer");
    let (pa, pb) = (reserve_port(), reserve_port());
    let alice = SiplineOpts::new("alice", pa.port()).audio_in("tone:440");
    let mut bob = SiplineOpts::new("bob", pb.port()).audio_in("echo");
    bob.extra = vec!["--auto-answer".into(), "--echo-dtmf".into()];
    let mut callee = Sipline::spawn("bob", bob.clone(), dir.path());
    callee.send("wait incoming 20s\nwait terminated 30s\nquit\n");
    callee.expect_listening();
    let script = format!(
        "invite {}\n\
         wait accepted 10s\n\
         wait media 5s\n\
         expect-audio 1 tone:440 --for 2s\n\
         dtmf 42\n\
         wait dtmf 1 42 15s\n\
         hangup\n\
         wait terminated 10s\n\
         quit\n",
        bob.uri()
    );
    let a = run_sipline("alice", alice, &script, dir.path(), secs(45));
    let b = callee.finish(secs(15));
    a.assert_success();
    b.assert_success();
    assert_checked(&a, 0, "tone:440", true);
    // bob logged the digits (its own `dtmf` events) and sent them back.
    let digits = |o: &Outcome| -> String {
        o.named("dtmf")
            .iter()
            .filter_map(|e| e["digit"].as_str())
            .collect()
    };
    assert_eq!(digits(&b), "42", "{}", b.report());
    assert_eq!(digits(&a), "42", "{}", a.report());
    assert_eq!(b.first("terminated")["by"], "remote", "{}", b.report());
}

#[test]
fn target_echo_calls_the_test_line_at_start() {
    // `sipline … echo`: the README's first command, in script mode.
    let dir = TempDir::new("test-line-target");
    let port = reserve_port();
    let mut opts = SiplineOpts::new("alice", port.port()).audio_in("tone:440");
    opts.extra = vec!["echo".into()];
    let script = "wait accepted 10s\n\
                  wait media 5s\n\
                  expect-audio 1 tone:440 --for 1s\n\
                  quit\n";
    let a = run_sipline("alice", opts, script, dir.path(), secs(45));
    a.assert_success();
    assert_called_line(&a, "echo");
    assert_checked(&a, 0, "tone:440", true);
}

/// `status` with a call up is followed by the call's live media numbers: a `stats` event
/// whose packets and level are those of our tone coming back from the echo line.
#[test]
fn status_reports_live_audio_of_a_call() {
    let a = call_line(
        "status",
        "echo",
        "tone:440",
        "pcmu",
        "sleep 1500ms\nstatus\nsleep 500ms\n",
    );
    a.assert_success();
    let stats = a.named("stats");
    assert_eq!(
        stats.len(),
        1,
        "one stats event per call with media\n{}",
        a.report()
    );
    let s = stats[0];
    assert_eq!(s["call"], 1, "{}", a.report());
    assert!(
        s["received_packets"].as_u64().unwrap_or(0) >= 25,
        "{}",
        a.report()
    );
    assert!(
        s["sent_packets"].as_u64().unwrap_or(0) >= 25,
        "{}",
        a.report()
    );
    let level = s["level_dbfs"].as_i64().unwrap_or(-120);
    assert!(
        level > -30,
        "the echoed tone is loud: {level} dBFS\n{}",
        a.report()
    );
    // The status text itself went to stderr (--json keeps stdout for events).
    assert!(
        a.stderr.contains("[1] outgoing to sip:echo@127.0.0.1:"),
        "{}",
        a.report()
    );
}
