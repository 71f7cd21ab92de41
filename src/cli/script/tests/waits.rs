//! Tests of `wait dtmf` and `wait registered` in running scripts.

use super::*;

/// A fake engine whose answer to SendDtmf is the `dtmf` events of `heard` on call 1.
fn hears(heard: &'static [&'static str]) -> Fake {
    fake(move |cmd| match cmd {
        Command::SendDtmf { .. } => heard.iter().map(|d| dtmf(1, d)).collect(),
        _ => vec![],
    })
}

#[tokio::test]
async fn wait_dtmf_succeeds_when_the_digits_are_spelled() {
    let mut f = hears(&["1", "5", "9", "#"]);
    let script = "dtmf 159#\nwait dtmf 1 159# 1s\necho ok";
    let (code, stdout, stderr) = run_script(&mut f, script, None).await;
    assert_eq!(code, EXIT_OK, "{}", stderr.text());
    assert_eq!(stdout.lines().last().map(String::as_str), Some("ok"));
    // A lone number is DIGITS: `wait dtmf 15` waits for 1 then 5, on any call.
    let mut f = hears(&["1", "5"]);
    let (code, _stdout, stderr) = run_script(&mut f, "dtmf 15\nwait dtmf 15 1s", None).await;
    assert_eq!(code, EXIT_OK, "{}", stderr.text());
    // Without DIGITS, one event each (the second of call 1 only).
    let mut f = hears(&["1", "5"]);
    let script = "dtmf 15\nwait dtmf 1s\nwait dtmf 1 5 1s\nwait dtmf 100ms";
    let (code, _stdout, stderr) = run_script(&mut f, script, None).await;
    assert_eq!(code, EXIT_FAILED);
    assert_eq!(
        stderr.lines(),
        ["script line 4: wait dtmf 100ms: timed out after 100ms (last events: dtmf 1 1 rfc4733, dtmf 1 5 rfc4733)"]
    );
}

#[tokio::test]
async fn wait_dtmf_fails_at_once_on_a_wrong_digit() {
    let mut f = hears(&["1", "5", "7", "#"]);
    let script = "dtmf 159#\nwait dtmf 159# 20s\necho not reached";
    let started = Instant::now();
    let (code, stdout, stderr) = run_script(&mut f, script, None).await;
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(code, EXIT_FAILED);
    assert!(!stdout.text().contains("not reached"));
    assert_eq!(
        stderr.lines(),
        ["script line 2: wait dtmf 159# 20s: call 1 sent '7' (rfc4733) where '9' was expected (so far: 15 of 159#)"]
    );
}

#[tokio::test]
async fn wait_dtmf_timeout_says_how_far_it_got() {
    let mut f = hears(&["1", "5"]);
    let (code, _stdout, stderr) = run_script(&mut f, "dtmf 15\nwait dtmf 159# 100ms", None).await;
    assert_eq!(code, EXIT_FAILED);
    assert_eq!(
        stderr.lines(),
        ["script line 2: wait dtmf 159# 100ms: timed out after 100ms (got 15 of 159# on call 1; last events: dtmf 1 1 rfc4733, dtmf 1 5 rfc4733)"]
    );
    // Digits of another call do not count.
    let mut f = hears(&["1", "5", "9"]);
    let (code, _stdout, stderr) = run_script(&mut f, "dtmf 159\nwait dtmf 2 159 100ms", None).await;
    assert_eq!(code, EXIT_FAILED);
    assert!(
        stderr
            .text()
            .contains("timed out after 100ms (got none of 159; last events: "),
        "{}",
        stderr.text()
    );
}

#[tokio::test]
async fn wait_registered_filters_by_account_and_status_shows_it() {
    let mut f = fake(|cmd| match cmd {
        Command::Register { account } => {
            vec![registered(account.as_deref().unwrap_or("alice"))]
        }
        Command::Shutdown => vec![Event::Unregistered {
            account: "alice".into(),
        }],
        _ => vec![],
    });
    let lines = parse_script(
        "register office\nregister\nwait registered alice 1s\nwait registered office 1s\nstatus\nwait registered 100ms"
            .lines(),
    )
    .unwrap();
    let (mut out, stdout, stderr) = Output::capture(Format::Human);
    let code = run(
        Source::Parsed(lines),
        &f.commands,
        &mut f.events,
        &mut out,
        Options {
            accounts: vec!["alice".into(), "office".into()],
            ..Options::default()
        },
    )
    .await;
    assert_eq!(code, EXIT_FAILED);
    let text = stdout.text();
    assert!(
        text.contains("registrations: 2\n  alice: registered, expires in 9:59\n  office: registered, expires in 9:59\ncalls: none")
            || text.contains("registrations: 2\n  alice: registered, expires in 10:00"),
        "{text}"
    );
    assert!(
        stderr
            .text()
            .starts_with("script line 6: wait registered 100ms: timed out after 100ms"),
        "{}",
        stderr.text()
    );
    // The unregistered event of the shutdown is printed before the end.
    assert_eq!(
        stdout.lines().last().map(String::as_str),
        Some("[alice] unregistered")
    );
}

#[tokio::test]
async fn register_without_an_account_fails_the_script() {
    let mut f = fake(|cmd| match cmd {
        Command::Register { .. } => vec![Event::CommandError {
            message: "register: no account is configured".into(),
        }],
        _ => vec![],
    });
    let (code, _stdout, stderr) = run_script(&mut f, "register\nsleep 1s", None).await;
    assert_eq!(code, EXIT_FAILED);
    assert_eq!(
        stderr.lines(),
        ["script: command failed: register: no account is configured (last command sent: line 1: register)"]
    );
}
