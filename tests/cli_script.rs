//! Process tests of the real `sipline` binary that need no engine: usage and configuration
//! errors are caught before the driver starts, exit with status 2 and say what is wrong on
//! one line.

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
