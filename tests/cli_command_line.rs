//! The command line beyond scripts: a TARGET dialled at start, `--duration`,
//! `--auto-answer`, and the tools (`devices`, `completions`, `man`). Phones talk on
//! 127.0.0.1 only, with silence in and nothing out, and every process has a deadline.

mod common;

use std::process::{Command, Output, Stdio};

use common::*;
use serde_json::Value;

fn sipline(args: &[&str]) -> Output {
    sipline_env(args, &[])
}

fn sipline_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(sipline_bin())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .spawn()
        .expect("run sipline");
    // Tools print and exit at once; don't let a hang stall the suite.
    let deadline = std::time::Instant::now() + secs(20);
    while child.try_wait().expect("wait").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().expect("collect output")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn devices_without_a_sound_card_is_not_an_error() {
    let out = sipline(&["devices"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stdout = text(&out.stdout);
    assert!(!stdout.is_empty(), "{out:?}");
    // On these machines there is no sound card; elsewhere a list is printed.
    if stdout.starts_with("no audio devices found") {
        assert_eq!(stdout.lines().count(), 1, "{stdout}");
        assert!(stdout.contains("--audio-in FILE.wav, tone:440 or silence"));
    } else {
        assert!(stdout.starts_with("audio system: "), "{stdout}");
    }
    assert!(
        !text(&out.stderr).contains("ALSA lib"),
        "the audio system's chatter must not reach the user: {out:?}"
    );
}

#[test]
fn completions_for_each_shell() {
    for (shell, marker) in [
        ("bash", "complete -F _sipline"),
        ("zsh", "#compdef sipline"),
        ("fish", "complete -c sipline"),
    ] {
        let out = sipline(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}: {out:?}");
        let script = text(&out.stdout);
        assert!(
            script.contains(marker),
            "{shell}: no {marker:?} in\n{script}"
        );
        for flag in ["auto-answer", "duration", "audio-in", "devices"] {
            assert!(script.contains(flag), "{shell}: {flag} missing");
        }
    }
    let out = sipline(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

#[test]
fn man_page() {
    let out = sipline(&["man"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let page = text(&out.stdout);
    assert!(page.contains(".TH sipline 1"), "{page}");
    for needle in ["auto\\-answer", "duration", "TARGET", "Exit status"] {
        assert!(page.contains(needle), "man page lacks {needle:?}");
    }
}

#[test]
fn help_man_and_completions_never_show_the_password() {
    let secret = "hunter2-do-not-print";
    for args in [
        &["--help"][..],
        &["-h"],
        &["man"],
        &["completions", "bash"],
        &["completions", "zsh"],
    ] {
        let out = sipline_env(args, &[("SIPLINE_PASSWORD", secret)]);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {out:?}");
        let all = text(&out.stdout) + &text(&out.stderr);
        assert!(!all.contains(secret), "{args:?} shows the password:\n{all}");
        assert!(all.contains("password"), "{args:?} lacks --password");
    }
    let out = sipline_env(&["--help"], &[("SIPLINE_PASSWORD", secret)]);
    let help = text(&out.stdout);
    for flag in [
        "--config",
        "--domain",
        "--password",
        "--auth-user",
        "--registrar",
        "--outbound-proxy",
        "--register",
        "--expires",
        "--transport",
        "--tls-cert",
        "--tls-key",
        "--tls-ca",
        "--tls-listen",
        "--dangerous-skip-tls-verify",
        "[env: SIPLINE_PASSWORD]",
    ] {
        assert!(help.contains(flag), "--help lacks {flag}");
    }
    // Nor does a usage error that involves it.
    let out = sipline(&[
        "--listen",
        "127.0.0.1:0",
        "--password",
        secret,
        "-e",
        "quit",
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(!text(&out.stderr).contains(secret), "{out:?}");
}

#[test]
fn bad_target_is_a_usage_error() {
    let out = sipline(&["--listen", "127.0.0.1:0", "tel:+4930123"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert_eq!(
        text(&out.stderr).trim_end(),
        "sipline: TARGET: 'tel:+4930123' is a tel: URI; only sip: and sips: can be called (expected e.g. invite sip:100@127.0.0.1:5070)"
    );
}

fn ts(event: &Value) -> f64 {
    event["ts"].as_f64().expect("ts")
}

/// Bob answers by himself (`--auto-answer=300ms`); alice dials bob as her TARGET with an
/// empty script and `--duration 1s`: she hangs up a second after the answer and exits 0.
#[test]
fn target_duration_and_auto_answer() {
    let dir = TempDir::new("cli-command-line");
    let (pa, pb) = (reserve_port(), reserve_port());
    let mut bob_opts = SiplineOpts::new("bob", pb.port());
    bob_opts.extra = vec!["--auto-answer=300ms".into()];
    let mut bob = Sipline::spawn("bob", bob_opts.clone(), dir.path());
    bob.send("wait terminated 20s\nquit\n");
    bob.expect_listening();

    let mut alice_opts = SiplineOpts::new("alice", pa.port());
    alice_opts.extra = vec!["--duration".into(), "1s".into(), bob_opts.uri()];
    let a = run_sipline("alice", alice_opts, "", dir.path(), secs(30));
    let b = bob.finish(secs(20));
    a.assert_success();
    b.assert_success();

    assert_eq!(a.first("calling")["to"], bob_opts.uri().as_str());
    let talk = ts(a.first("terminated")) - ts(a.first("accepted"));
    assert!(
        (0.9..10.0).contains(&talk),
        "alice hung up {talk:.3}s after the answer, not after --duration 1s\n{}",
        a.report()
    );
    assert_eq!(a.first("terminated")["by"], "local", "{}", a.report());
    assert!(
        a.stderr.contains("[1] hanging up: --duration 1s"),
        "{}",
        a.report()
    );

    let ring = ts(b.first("accepted")) - ts(b.first("incoming"));
    assert!(
        (0.25..10.0).contains(&ring),
        "bob answered {ring:.3}s after the call came, not after --auto-answer=300ms\n{}",
        b.report()
    );
    assert!(
        b.stderr.contains("[1] answering: --auto-answer=300ms"),
        "{}",
        b.report()
    );
    assert_eq!(b.first("terminated")["by"], "remote", "{}", b.report());
}
