//! Tests of running scripts against a fake engine: waits, expect-audio, failures,
//! timeouts, quit and Ctrl-C.

use super::*;

#[tokio::test]
async fn events_before_wait_are_not_lost() {
    let mut f = fake(invite_answers);
    let script = "invite sip:100@127.0.0.1:5070\nsleep 50ms\nwait accepted 1 1s\nwait progress 1s\nsessions\nhangup\nwait terminated 1s\nsessions\necho done";
    let (code, stdout, stderr) = run_script(&mut f, script, None).await;
    assert_eq!(stderr.text(), "");
    assert_eq!(code, EXIT_OK);
    let mut lines = stdout.lines();
    // The `sessions` line names the start time on the wall clock.
    let session = lines.remove(3);
    assert!(
        session.starts_with("[1] outgoing to sip:100@127.0.0.1:5070 as ")
            && session.contains(": established, since ")
            && session.contains(" UTC, talking 0:0"),
        "{session}"
    );
    assert_eq!(
        lines,
        [
            "[1] calling sip:100@127.0.0.1:5070",
            "[1] progress 180 Ringing",
            "[1] accepted 200",
            "[1] terminated by local (bye) after 0:05",
            "no calls",
            "done",
        ]
    );
    let sent = f.log.await.unwrap();
    assert_eq!(
        sent,
        [
            Command::Invite {
                target: "sip:100@127.0.0.1:5070".into()
            },
            Command::Hangup { call: None },
            Command::Shutdown,
        ]
    );
}

#[tokio::test]
async fn a_consumed_event_is_not_matched_twice() {
    let mut f = fake(invite_answers);
    let script = "invite sip:100@127.0.0.1\nwait accepted 1s\nwait accepted 100ms";
    let (code, _stdout, stderr) = run_script(&mut f, script, None).await;
    assert_eq!(code, EXIT_FAILED);
    assert_eq!(
        stderr.lines(),
        ["script line 3: wait accepted 100ms: timed out after 100ms (last events: calling 1 sip:100@127.0.0.1, progress 1 180 Ringing, accepted 1 200)"]
    );
    let sent = f.log.await.unwrap();
    assert_eq!(sent.last(), Some(&Command::Shutdown));
}

#[tokio::test]
async fn wait_filters_by_call() {
    let mut f = fake(invite_answers);
    let script = "invite sip:100@127.0.0.1\nwait accepted 2 100ms";
    let (code, _stdout, stderr) = run_script(&mut f, script, None).await;
    assert_eq!(code, EXIT_FAILED);
    assert!(
        stderr.text().starts_with(
            "script line 2: wait accepted 2 100ms: timed out after 100ms (last events: "
        ),
        "{}",
        stderr.text()
    );
}

#[tokio::test]
async fn wait_timeout_names_the_line() {
    let mut f = fake(|cmd| match cmd {
        Command::Invite { .. } => vec![progress(1)],
        _ => vec![],
    });
    let script = "# comment\ninvite sip:100@127.0.0.1\n\nwait accepted 50ms";
    let (code, stdout, stderr) = run_script(&mut f, script, None).await;
    assert_eq!(code, EXIT_FAILED);
    assert_eq!(stdout.lines(), ["[1] progress 180 Ringing"]);
    assert_eq!(
        stderr.lines(),
        ["script line 4: wait accepted 50ms: timed out after 50ms (last events: progress 1 180 Ringing)"]
    );
}

/// Answers `expect-audio` with a verdict: passed when the check is `tone:1000`.
fn hears_1000_hz(cmd: &Command) -> Vec<Event> {
    match cmd {
        Command::ExpectAudio { call, check, .. } => {
            let passed = check.to_string() == "tone:1000";
            vec![Event::AudioChecked {
                call: call.unwrap_or(CallHandle(1)),
                check: check.to_string(),
                passed,
                percent: if passed { 96 } else { 0 },
                level_dbfs: -13,
                window_ms: 2000,
                heard_ms: 2000,
            }]
        }
        _ => vec![],
    }
}

#[tokio::test]
async fn expect_audio_waits_for_its_verdict() {
    let mut f = fake(hears_1000_hz);
    let script = "expect-audio tone:1000 --for 20ms\necho after";
    let (code, stdout, stderr) = run_script(&mut f, script, None).await;
    assert_eq!(code, EXIT_OK, "{:?}", stderr.lines());
    assert_eq!(
        stdout.lines(),
        [
            "[1] audio tone:1000: ok (96% of blocks, level -13 dBFS)",
            "after"
        ]
    );
}

#[tokio::test]
async fn a_failed_expect_audio_names_the_line_and_the_measure() {
    let mut f = fake(hears_1000_hz);
    let script = "echo before\nexpect-audio 1 tone:440 --for 1s\necho not reached";
    let (code, stdout, stderr) = run_script(&mut f, script, None).await;
    assert_eq!(code, EXIT_FAILED);
    assert_eq!(
        stdout.lines(),
        [
            "before",
            "[1] audio tone:440: FAILED (0% of blocks, level -13 dBFS)"
        ]
    );
    assert_eq!(
        stderr.lines(),
        [
            "script line 2: expect-audio 1 tone:440 --for 1s: call 1: tone:440 not heard: \
             0% of 20 ms blocks hold it (needs 70%), level -13 dBFS"
        ]
    );
}

#[tokio::test]
async fn command_error_fails_the_script() {
    let mut f = fake(|cmd| match cmd {
        Command::Accept { .. } => vec![Event::CommandError {
            message: "accept: there is no incoming call".into(),
        }],
        _ => vec![],
    });
    let script = "accept\nsleep 1s\necho not reached";
    let (code, stdout, stderr) = run_script(&mut f, script, None).await;
    assert_eq!(code, EXIT_FAILED);
    assert_eq!(stdout.lines(), ["error: accept: there is no incoming call"]);
    assert_eq!(
        stderr.lines(),
        ["script: command failed: accept: there is no incoming call (last command sent: line 1: accept)"]
    );
}

#[tokio::test]
async fn command_error_during_shutdown_fails_the_script() {
    let mut f = fake(|cmd| match cmd {
        Command::Hangup { .. } => vec![Event::CommandError {
            message: "hangup: no call".into(),
        }],
        _ => vec![],
    });
    let (code, _stdout, stderr) = run_script(&mut f, "hangup", None).await;
    assert_eq!(code, EXIT_FAILED);
    assert!(stderr.text().contains("command failed: hangup: no call"));
}

#[tokio::test]
async fn script_timeout_bounds_everything() {
    let mut f = fake(|_| vec![]);
    let (code, _stdout, stderr) =
        run_script(&mut f, "wait incoming 10s", Some(Duration::from_millis(50))).await;
    assert_eq!(code, EXIT_FAILED);
    assert_eq!(
        stderr.lines(),
        ["script line 1: wait incoming 10s: --timeout 50ms reached (last events: none)"]
    );
    let mut f = fake(|_| vec![]);
    let (code, _stdout, stderr) =
        run_script(&mut f, "sleep 10s", Some(Duration::from_millis(50))).await;
    assert_eq!(code, EXIT_FAILED);
    assert!(stderr.text().contains("--timeout 50ms reached"));
}

#[tokio::test]
async fn quit_stops_early() {
    let mut f = fake(|_| vec![]);
    let (code, stdout, _stderr) = run_script(&mut f, "echo a\nquit\necho b", None).await;
    assert_eq!(code, EXIT_OK);
    assert_eq!(stdout.lines(), ["a"]);
    assert_eq!(f.log.await.unwrap(), [Command::Shutdown]);
}

#[tokio::test]
async fn engine_stopping_fails_a_wait() {
    let (ctx, _crx) = mpsc::unbounded_channel::<Command>();
    let (etx, mut erx) = mpsc::unbounded_channel::<Event>();
    drop(etx);
    let (mut out, _stdout, stderr) = Output::capture(Format::Human);
    let lines = parse_script(["wait incoming 5s"]).unwrap();
    let code = run(
        Source::Parsed(lines),
        &ctx,
        &mut erx,
        &mut out,
        Options::default(),
    )
    .await;
    assert_eq!(code, EXIT_FAILED);
    assert_eq!(
        stderr.lines(),
        ["script line 1: wait incoming 5s: the engine stopped unexpectedly (last events: none)"]
    );
}

#[tokio::test]
async fn interrupt_stops_the_script() {
    let mut f = fake(|_| vec![]);
    let (mut out, _stdout, stderr) = Output::capture(Format::Human);
    let lines = parse_script(["sleep 10s"]).unwrap();
    let code = run(
        Source::Parsed(lines),
        &f.commands,
        &mut f.events,
        &mut out,
        Options {
            interrupt: Some(Box::pin(tokio::time::sleep(Duration::from_millis(20)))),
            ..Options::default()
        },
    )
    .await;
    assert_eq!(code, EXIT_INTERRUPTED);
    assert_eq!(stderr.lines(), ["script: interrupted"]);
}
