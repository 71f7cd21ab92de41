//! Tests of where lines come from and the options around them: stdin, the command
//! line TARGET, --duration and --auto-answer.

use super::*;

#[tokio::test]
async fn stdin_lines_are_read_as_they_come_and_checked() {
    let mut f = fake(invite_answers);
    let input: &[u8] =
        b"# first a comment\n\ninvite sip:a@127.0.0.1\n  # another\nwait accepted 1s\nreject 99x\necho never\n";
    let (mut out, stdout, stderr) = Output::capture(Format::Json);
    let code = run(
        Source::Reader(Box::new(input)),
        &f.commands,
        &mut f.events,
        &mut out,
        Options::default(),
    )
    .await;
    assert_eq!(code, EXIT_USAGE);
    assert_eq!(
        stderr.lines(),
        ["script line 6: reject 99x: reject: '99x' is not a status code (expected 300-699)"]
    );
    let events: Vec<serde_json::Value> = stdout
        .lines()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let names: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["calling", "progress", "accepted"]);
    assert_eq!(f.log.await.unwrap().last(), Some(&Command::Shutdown));
}

#[tokio::test]
async fn script_timeout_while_waiting_for_stdin() {
    use tokio::io::AsyncWriteExt;
    let mut f = fake(|_| vec![]);
    let (mut writer, reader) = tokio::io::duplex(64);
    writer.write_all(b"echo a\n").await.unwrap();
    let (mut out, stdout, stderr) = Output::capture(Format::Human);
    let code = run(
        Source::Reader(Box::new(tokio::io::BufReader::new(reader))),
        &f.commands,
        &mut f.events,
        &mut out,
        Options {
            timeout: Some(Duration::from_millis(50)),
            ..Options::default()
        },
    )
    .await;
    drop(writer);
    assert_eq!(code, EXIT_FAILED);
    assert_eq!(stdout.lines(), ["a"]);
    assert_eq!(
        stderr.lines(),
        ["script: --timeout 50ms reached (last events: none)"]
    );
}

#[tokio::test]
async fn target_runs_first_and_duration_ends_the_call() {
    let mut f = fake(invite_answers);
    let (mut out, stdout, stderr) = Output::capture(Format::Human);
    let target = Command::Invite {
        target: "sip:bob@127.0.0.1".into(),
    };
    let code = run(
        Source::Parsed(parse_script(["echo script starts"]).unwrap()),
        &f.commands,
        &mut f.events,
        &mut out,
        Options {
            prelude: vec![ScriptLine {
                number: 0,
                text: "TARGET sip:bob@127.0.0.1".into(),
                action: Action::Send(target.clone()),
            }],
            policy: Policy::new(None, Some(Duration::from_millis(50))),
            ..Options::default()
        },
    )
    .await;
    assert_eq!(code, EXIT_OK, "{}", stderr.text());
    assert_eq!(
        stdout.lines(),
        [
            "script starts",
            "[1] calling sip:bob@127.0.0.1",
            "[1] progress 180 Ringing",
            "[1] accepted 200",
            "[1] hanging up: --duration 50ms",
            "[1] terminated by local (bye) after 0:05",
        ]
    );
    assert_eq!(
        f.log.await.unwrap(),
        [
            target,
            Command::Hangup {
                call: Some(CallHandle(1))
            },
            Command::Shutdown
        ]
    );
}

#[tokio::test]
async fn a_failing_target_is_named_as_the_command_line() {
    let mut f = fake(|cmd| match cmd {
        Command::Invite { .. } => vec![Event::CommandError {
            message: "invite: cannot reach 'sip:x@example.com'".into(),
        }],
        _ => vec![],
    });
    let (mut out, _stdout, stderr) = Output::capture(Format::Human);
    let code = run(
        Source::Parsed(parse_script(["sleep 1s"]).unwrap()),
        &f.commands,
        &mut f.events,
        &mut out,
        Options {
            prelude: vec![ScriptLine {
                number: 0,
                text: "TARGET sip:x@example.com".into(),
                action: Action::Send(Command::Invite {
                    target: "sip:x@example.com".into(),
                }),
            }],
            ..Options::default()
        },
    )
    .await;
    assert_eq!(code, EXIT_FAILED);
    assert_eq!(
        stderr.lines(),
        ["script: command failed: invite: cannot reach 'sip:x@example.com' (last command sent: command line: TARGET sip:x@example.com)"]
    );
}

#[tokio::test]
async fn auto_answer_accepts_incoming_calls() {
    let (ctx, mut crx) = mpsc::unbounded_channel::<Command>();
    let (etx, mut erx) = mpsc::unbounded_channel::<Event>();
    let engine = tokio::spawn(async move {
        let _ = etx.send(Event::Incoming {
            call: CallHandle(1),
            from: "<sip:alice@127.0.0.1>".into(),
            to: "<sip:bob@127.0.0.1>".into(),
        });
        let mut seen = Vec::new();
        while let Some(cmd) = crx.recv().await {
            if let Command::Accept { call: Some(call) } = &cmd {
                let _ = etx.send(accepted(call.0));
            }
            let stop = cmd == Command::Shutdown;
            seen.push(cmd);
            if stop {
                break;
            }
        }
        seen
    });
    let (mut out, stdout, stderr) = Output::capture(Format::Human);
    let code = run(
        Source::Parsed(parse_script(["wait accepted 5s"]).unwrap()),
        &ctx,
        &mut erx,
        &mut out,
        Options {
            policy: Policy::new(Some(Duration::from_millis(100)), None),
            ..Options::default()
        },
    )
    .await;
    assert_eq!(code, EXIT_OK, "{}", stderr.text());
    assert_eq!(
        stdout.lines()[1..],
        ["[1] answering: --auto-answer=100ms", "[1] accepted 200"]
    );
    assert_eq!(
        engine.await.unwrap(),
        [
            Command::Accept {
                call: Some(CallHandle(1))
            },
            Command::Shutdown
        ]
    );
}
