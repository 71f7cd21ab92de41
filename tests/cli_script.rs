//! Process tests of the real `sipline` binary's front-end: usage and configuration errors
//! are caught before the driver starts, exit with status 2 and say what is wrong on one
//! line; script failures (wait timeout, --timeout, command error) exit 1 with one line
//! naming the script line. None of these needs a second phone; calls between phones are
//! tested elsewhere.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn sipline(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sipline"))
        .args(args)
        .stdin(Stdio::null())
        .env("RUST_LOG", "warn")
        .output()
        .expect("run sipline")
}

fn stderr_lines(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn unknown_codec_is_a_usage_error() {
    let out = sipline(&["--codecs", "foo", "-e", "quit"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert_eq!(
        stderr_lines(&out),
        ["sipline: --codecs: unknown codec 'foo' (expected opus, pcmu or pcma)"]
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn bad_tone_is_a_usage_error() {
    let out = sipline(&["--audio-in", "tone:abc", "-e", "quit"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert_eq!(
        stderr_lines(&out),
        ["sipline: --audio-in: 'tone:abc' is not a tone: expected tone:HZ with HZ between 0 and 24000, e.g. tone:440"]
    );
}

#[test]
fn bad_script_line_names_the_line() {
    let dir = std::env::temp_dir().join(format!("sipline-cli-script-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.txt");
    let mut f = std::fs::File::create(&path).unwrap();
    writeln!(f, "# place a call").unwrap();
    writeln!(f, "invite sip:100@127.0.0.1:5070").unwrap();
    writeln!(f).unwrap();
    writeln!(f, "reject 99x").unwrap();
    drop(f);
    let out = sipline(&[
        "--listen",
        "127.0.0.1:0",
        "--script",
        path.to_str().unwrap(),
    ]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert_eq!(
        stderr_lines(&out),
        ["sipline: script line 4: reject 99x: reject: '99x' is not a status code (expected 300-699)"]
    );
}

#[test]
fn bad_e_command_names_its_position() {
    let out = sipline(&["-e", "invite sip:100@127.0.0.1", "-e", "wait answered"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let lines = stderr_lines(&out);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0]
            .starts_with("sipline: script line 2: wait answered: wait: 'answered' is not an event"),
        "{lines:?}"
    );
}

#[test]
fn missing_script_file_is_a_usage_error() {
    let out = sipline(&["--script", "/nonexistent/sipline/script.txt"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let lines = stderr_lines(&out);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("sipline: --script: cannot read /nonexistent/sipline/script.txt"),
        "{lines:?}"
    );
}

#[test]
fn other_bad_flags_are_usage_errors() {
    for (args, want) in [
        (
            &["--listen", "nowhere"][..],
            "sipline: --listen: 'nowhere' is not an address (expected IP:PORT or PORT, e.g. 127.0.0.1:5070 or 5070)",
        ),
        (
            &["--rtp-ports", "9-1"][..],
            "sipline: --rtp-ports: '9-1': 9 is above 1 (expected LO-HI, e.g. 10000-20000)",
        ),
        (
            &["--timeout", "10"][..],
            "sipline: --timeout: '10' needs a unit (e.g. 10s, 500ms, 2m)",
        ),
    ] {
        let out = sipline(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        assert_eq!(stderr_lines(&out), [want], "{args:?}");
    }
}

#[test]
fn clap_usage_errors_exit_2() {
    let out = sipline(&["--no-such-flag"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let out = sipline(&["--script", "x", "-e", "quit"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

#[test]
fn help_and_version_exit_0() {
    let out = sipline(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--listen",
        "--codecs",
        "--audio-in",
        "--audio-out",
        "--json",
        "--sip-trace",
        "--user",
        "--rtp-ports",
        "--script",
        "-e",
        "--timeout",
    ] {
        assert!(text.contains(flag), "--help lacks {flag}");
    }
    let out = sipline(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("sipline "));
}

#[test]
fn comments_and_blank_lines_on_stdin_do_not_end_the_script() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_sipline"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--audio-in",
            "silence",
            "--audio-out",
            "null",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sipline");
    let script = "# a comment first\n\n   # an indented one\necho after the comments\nquit\n";
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(script.as_bytes())
        .expect("write script");
    let out = child.wait_with_output().expect("sipline ends");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "after the comments"
    );
}

#[test]
fn unreadable_audio_file_is_a_usage_error() {
    let out = sipline(&[
        "--audio-in",
        "/nonexistent/sipline/in.wav",
        "--audio-out",
        "null",
        "-e",
        "quit",
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let lines = stderr_lines(&out);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("sipline: cannot read audio file '/nonexistent/sipline/in.wav': "),
        "{lines:?}"
    );
}

/// Flags for a phone on a free loopback port with no audio devices.
const QUIET: [&str; 6] = [
    "--listen",
    "127.0.0.1:0",
    "--audio-in",
    "silence",
    "--audio-out",
    "null",
];

fn quiet(extra: &[&str]) -> Output {
    let mut args: Vec<&str> = QUIET.to_vec();
    args.extend_from_slice(extra);
    sipline(&args)
}

/// stderr without the `sipline: listening on …` line.
fn diagnostics(out: &Output) -> Vec<String> {
    stderr_lines(out)
        .into_iter()
        .filter(|l| !l.starts_with("sipline: listening on "))
        .collect()
}

#[test]
fn script_prints_listening_address_and_echo() {
    let out = quiet(&["-e", "echo hello  world", "-e", "sessions"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .collect::<Vec<_>>(),
        ["hello  world", "no calls"]
    );
    let err = stderr_lines(&out);
    assert_eq!(err.len(), 1, "{err:?}");
    let addr = err[0]
        .strip_prefix("sipline: listening on 127.0.0.1:")
        .expect("listening line");
    assert!(addr.parse::<u16>().unwrap() > 0);
}

#[test]
fn json_mode_keeps_stdout_for_events() {
    let out = quiet(&["--json", "-e", "echo to stderr", "-e", "help"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");
    let err = diagnostics(&out);
    assert_eq!(err[0], "to stderr");
    assert!(err[1].starts_with("commands"), "{err:?}");
}

#[test]
fn wait_timeout_fails_the_script_naming_the_line() {
    let out = quiet(&["-e", "# nothing will call", "-e", "wait incoming 200ms"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(
        diagnostics(&out),
        ["script line 2: wait incoming 200ms: timed out after 200ms (last events: none)"]
    );
}

#[test]
fn script_timeout_bounds_the_whole_script() {
    let out = quiet(&["--timeout", "300ms", "-e", "sleep 1m"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(
        diagnostics(&out),
        ["script line 1: sleep 1m: --timeout 300ms reached (last events: none)"]
    );
}

#[test]
fn command_error_fails_the_script() {
    let out = quiet(&["--json", "-e", "accept", "-e", "sleep 5s"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains(r#""event":"command-error","message":"#),
        "{lines:?}"
    );
    let err = diagnostics(&out);
    assert_eq!(err.len(), 1, "{err:?}");
    assert!(err[0].starts_with("script: command failed: "), "{err:?}");
    assert!(
        err[0].ends_with(" (last command sent: line 1: accept)"),
        "{err:?}"
    );
}

#[test]
fn port_in_use_is_a_usage_error() {
    let taken = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = sipline(&[
        "--listen",
        &addr,
        "--audio-in",
        "silence",
        "--audio-out",
        "null",
        "-e",
        "quit",
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = stderr_lines(&out);
    assert_eq!(err.len(), 1, "{err:?}");
    assert!(
        err[0].starts_with(&format!(
            "sipline: cannot listen on {addr}: the port is already in use"
        )),
        "{err:?}"
    );
}

#[test]
fn bad_line_on_stdin_is_a_usage_error_after_earlier_lines_ran() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sipline"))
        .args(QUIET)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sipline");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(b"echo first\n\nhangup 1 2\necho never\n")
        .expect("write script");
    // Keep stdin open: the bad line alone must end the run.
    let out = child.wait_with_output().expect("sipline ends");
    drop(stdin);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "first");
    assert_eq!(
        diagnostics(&out),
        ["script line 3: hangup 1 2: hangup: unexpected '2' (expected hangup [N])"]
    );
}

#[cfg(unix)]
#[test]
fn interrupt_ends_the_script_with_130() {
    use std::io::{BufRead, BufReader};
    for signal in ["-INT", "-TERM"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sipline"))
            .args(QUIET)
            .args(["-e", "sleep 30s"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn sipline");
        let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
        let mut first = String::new();
        stderr.read_line(&mut first).expect("listening line");
        assert!(first.starts_with("sipline: listening on "), "{first}");
        let status = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success());
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
        let code = child.wait().expect("sipline ends").code();
        assert_eq!(code, Some(130), "{signal}: {rest}");
        assert_eq!(rest.trim(), "script: interrupted", "{signal}");
    }
}
