//! Process tests of the real `sipline` binary's front-end: usage and configuration errors
//! are caught before the driver starts, exit with status 2 and say what is wrong on one
//! line; script failures (wait timeout, --timeout, command error) exit 1 with one line
//! naming the script line. None of these needs a second phone; calls between phones are
//! tested elsewhere. Accounts: ad-hoc account flags and config files are checked before
//! the start, and a fake registrar on 127.0.0.1 (`tests/cli_registrar`, a thread answering REGISTER)
//! shows registration, `status` and the unregistration at quit.

mod cli_registrar;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use cli_registrar::FakeRegistrar;

/// No config file of the user's (a directory that does not exist) and no password in the
/// environment, unless a test sets them.
const NO_CONFIG_HOME: &str = "/nonexistent/sipline-tests/config-home";

fn sipline(args: &[&str]) -> Output {
    sipline_env(args, &[])
}

fn sipline_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sipline"))
        .args(args)
        .stdin(Stdio::null())
        .env("RUST_LOG", "warn")
        .env("XDG_CONFIG_HOME", NO_CONFIG_HOME)
        .env_remove("SIPLINE_PASSWORD")
        .envs(env.iter().copied())
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

/// A file in a fresh directory of its own.
fn temp_file(label: &str, name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sipline-cli-{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn stdout_lines(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn password_without_domain_is_a_usage_error() {
    let out = quiet(&["--password", "hunter2", "-e", "quit"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert_eq!(
        stderr_lines(&out),
        ["sipline: --password: needs --domain (an ad-hoc account is --user NAME --domain HOST[:PORT])"]
    );
    for (flag, value) in [("--register", None), ("--auth-user", Some("a"))] {
        let mut args = vec![flag];
        args.extend(value);
        args.extend(["-e", "quit"]);
        let out = quiet(&args);
        assert_eq!(out.status.code(), Some(2), "{flag}: {out:?}");
        assert!(
            stderr_lines(&out)[0].starts_with(&format!("sipline: {flag}: needs --domain")),
            "{out:?}"
        );
    }
}

#[test]
fn a_password_in_the_environment_alone_is_left_alone() {
    // A config file's `password_env = "SIPLINE_PASSWORD"` may be what it is for.
    let args: Vec<&str> = QUIET.iter().copied().chain(["-e", "status"]).collect();
    let out = sipline_env(&args, &[("SIPLINE_PASSWORD", "hunter2")]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(
        stdout_lines(&out),
        [
            "registrations: none (no account: see --domain or --config)",
            "calls: none"
        ]
    );
    assert!(!format!("{out:?}").contains("hunter2"));
}

#[test]
fn bad_ad_hoc_account_flags_are_usage_errors() {
    for (args, want) in [
        (
            &["--domain", "127.0.0.1", "--transport", "sctp"][..],
            "sipline: --transport: 'sctp' is not one of udp, tcp, tls",
        ),
        (
            &["--domain", "alice@pbx"][..],
            "sipline: --domain: 'alice@pbx' is not HOST[:PORT] (e.g. --domain pbx.example.com or 192.0.2.10:5070)",
        ),
        (
            &["--domain", "127.0.0.1", "--expires", "soon"][..],
            "sipline: --expires: 'soon' is not a number of seconds above 0 (e.g. --expires 600)",
        ),
        (
            &["--tls-listen", "nowhere"][..],
            "sipline: --tls-listen: 'nowhere' is not an address (expected IP:PORT or PORT, e.g. 127.0.0.1:5070 or 5070)",
        ),
    ] {
        let out = quiet(&[args, &["-e", "quit"]].concat());
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        assert_eq!(stderr_lines(&out), [want], "{args:?}");
    }
}

#[test]
fn missing_config_file_is_a_usage_error_naming_it() {
    let out = quiet(&["--config", "/nonexistent/sipline/config.toml", "-e", "quit"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert_eq!(
        stderr_lines(&out),
        ["sipline: cannot read /nonexistent/sipline/config.toml: No such file or directory (os error 2)"]
    );
}

#[test]
fn bad_config_file_is_a_usage_error_naming_it() {
    let path = temp_file(
        "bad-config",
        "config.toml",
        "[[account]]\naor = \"sip:alice@127.0.0.1\"\npassword = \"hunter2\"\ntransport = \"sctp\"\n",
    );
    let out = quiet(&["--config", path.to_str().unwrap(), "-e", "quit"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert_eq!(
        stderr_lines(&out),
        ["sipline: account 'alice': transport 'sctp' is not one of udp, tcp, tls"]
    );
    // The default file is read too, from $XDG_CONFIG_HOME/sipline/config.toml.
    let home = temp_file("default-config", "placeholder", "");
    let home = home.parent().unwrap();
    std::fs::create_dir_all(home.join("sipline")).unwrap();
    std::fs::copy(&path, home.join("sipline/config.toml")).unwrap();
    let args: Vec<&str> = QUIET.iter().copied().chain(["-e", "quit"]).collect();
    let out = sipline_env(&args, &[("XDG_CONFIG_HOME", home.to_str().unwrap())]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(!format!("{out:?}").contains("hunter2"));
}

#[test]
fn register_without_an_account_fails_with_the_engines_line() {
    let out = quiet(&["-e", "register", "-e", "sleep 5s"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let engine_says = "register: no account is configured (give --user, --domain and --password, or an account in the config file)";
    assert_eq!(stdout_lines(&out), [format!("error: {engine_says}")]);
    assert_eq!(
        diagnostics(&out),
        [format!(
            "script: command failed: {engine_says} (last command sent: line 1: register)"
        )]
    );
}

#[test]
fn config_accounts_show_in_status_and_unknown_names_are_refused() {
    let path = temp_file(
        "status-config",
        "config.toml",
        "[[account]]\nname = \"office\"\naor = \"sip:alice@127.0.0.1:9\"\n",
    );
    let out = quiet(&[
        "--config",
        path.to_str().unwrap(),
        "-e",
        "status",
        "-e",
        "registrations",
        "-e",
        "unregister nobody",
        "-e",
        "sleep 5s",
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(
        stdout_lines(&out),
        [
            "registrations: 1",
            "  office: not registered",
            "calls: none",
            "registrations: 1",
            "  office: not registered",
            "error: unregister: 'nobody' is not an account (accounts: office)",
        ]
    );
}

#[test]
fn bad_dtmf_lines_are_usage_errors() {
    for (line, want) in [
        (
            "dtmf 12x",
            "sipline: script line 1: dtmf 12x: dtmf: 'x' is not a DTMF digit (0-9 * # A-D ,)",
        ),
        (
            "dtmf 1 5 --mode sip",
            "sipline: script line 1: dtmf 1 5 --mode sip: dtmf: --mode 'sip' is not one of auto, rfc4733, info",
        ),
        (
            "wait dtmf 1 1,2",
            "sipline: script line 1: wait dtmf 1 1,2: wait: ',' is a pause when sending; it never arrives (expected 0-9 * # A-D)",
        ),
    ] {
        let out = quiet(&["-e", line]);
        assert_eq!(out.status.code(), Some(2), "{line}: {out:?}");
        assert_eq!(stderr_lines(&out), [want], "{line}");
    }
    // Without a call, the engine refuses it (exit 1, its line).
    let out = quiet(&["-e", "dtmf 123", "-e", "sleep 5s"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = diagnostics(&out);
    assert!(
        err[0].starts_with("script: command failed: dtmf: "),
        "{err:?}"
    );
}

fn json_events(out: &Output) -> Vec<serde_json::Value> {
    stdout_lines(out)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

#[test]
fn register_at_start_status_and_unregister_at_quit() {
    let registrar = FakeRegistrar::start(200, "OK");
    let domain = registrar.addr.to_string();
    let out = quiet(&[
        "--json",
        "--user",
        "alice",
        "--domain",
        &domain,
        "--password",
        "hunter2",
        "--register",
        "--expires",
        "600",
        "-e",
        "wait registered alice 10s",
        "-e",
        "status",
        "-e",
        "quit",
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let events = json_events(&out);
    let names: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    // The unregistration at quit is reported before sipline exits.
    assert_eq!(names, ["registered", "unregistered"], "{out:?}");
    assert_eq!(events[0]["account"], "alice");
    assert_eq!(events[0]["expires"], 600);
    assert_eq!(events[1]["account"], "alice");
    assert_eq!(registrar.expires_seen(), ["600", "0"]);
    let err = diagnostics(&out);
    assert!(
        err.iter()
            .any(|l| l.starts_with("  alice: registered, expires in ")),
        "{err:?}"
    );
    assert!(!format!("{out:?}").contains("hunter2"));
}

#[test]
fn register_and_unregister_commands_and_a_refusal() {
    let registrar = FakeRegistrar::start(403, "Forbidden");
    let domain = registrar.addr.to_string();
    let out = quiet(&[
        "--user",
        "alice",
        "--domain",
        &domain,
        "-e",
        "register",
        "-e",
        "wait registration-failed alice 10s",
        "-e",
        "unregister alice",
        "-e",
        "wait registration-failed 10s",
        "-e",
        "status",
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let lines = stdout_lines(&out);
    assert!(
        lines[0].starts_with("[alice] registration failed: 403 Forbidden, retrying in "),
        "{lines:?}"
    );
    assert_eq!(
        lines[1], "[alice] registration failed: 403 Forbidden",
        "{lines:?}"
    );
    assert_eq!(
        lines[2..],
        [
            "registrations: 1",
            "  alice: failed: 403 Forbidden, no retry",
            "calls: none"
        ]
    );
    assert_eq!(registrar.expires_seen(), ["3600", "0"]);
}
