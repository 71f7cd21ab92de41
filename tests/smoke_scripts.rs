//! The Asterisk smoke kit's scripts (`assets/asterisk/smoke/*.sipline` and `peers/`) must
//! never rot, although no Asterisk runs on these machines:
//!
//! - every line parses, with the library's script parser and with the real binary (which
//!   checks a `--script` file before it touches the network and exits 2 on a bad line);
//! - they keep the kit's rules: known `# smoke:` directives, a known account, peers that
//!   exist, every `wait` bounded by an explicit timeout, `quit` at the end, the extensions
//!   they call exist in `extensions.conf`, the runner's passwords are those of `pjsip.conf`;
//! - each runnable scenario runs for real, unchanged, against local stand-ins on 127.0.0.1:
//!   a fake registrar (REGISTER → 200) and a second sipline playing the extension (it
//!   echoes our own audio back for the echo test with `--audio-in echo`, answers DTMF with
//!   the same digits, rings, answers busy) or the peer script itself (bob). The scenario's `# smoke: expect` and `# smoke: record`
//!   checks are applied as `scripts/asterisk-smoke` would. A stand-in is not Asterisk: it
//!   shows the scripts are valid and their waits fit a PBX that behaves as the dialplan
//!   says, not that Asterisk does;
//! - `scripts/asterisk-smoke` itself runs against kamailio (a registrar without auth, so
//!   the scenarios that need only accounts) and prints PASS, or FAIL with the reason.
//!
//! `tests/interop_smoke.rs` runs the same scenarios, unchanged, through the runner against
//! real far ends (sipline, sipp, baresip) registered at kamailio (`scripts/interop`).

mod cli_registrar;
mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use cli_registrar::FakeRegistrar;
use common::*;
use serde_json::Value;
use sipline::cli::commands::WAIT_EVENTS;
use sipline::cli::script::parse_script;

const ACCOUNTS: &[&str] = &["alice", "bob", "carol"];
const DIRECTIVES: &[&str] = &[
    "account", "flags", "peer", "record", "expect", "log", "pending",
];

fn kit() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/asterisk")
}

fn smoke_dir() -> PathBuf {
    kit().join("smoke")
}

fn sipline_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sipline"))
        .collect();
    files.sort();
    files
}

/// The scenarios (not the peers).
fn scenarios() -> Vec<PathBuf> {
    let files = sipline_files(&smoke_dir());
    assert!(files.len() >= 9, "smoke scenarios missing: {files:?}");
    files
}

/// Scenarios and peer scripts.
fn all_scripts() -> Vec<PathBuf> {
    let mut files = scenarios();
    files.extend(sipline_files(&smoke_dir().join("peers")));
    files
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The `# smoke: WORD REST` lines of a script, as (WORD, REST).
fn directives(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| l.strip_prefix("# smoke: "))
        .map(|d| match d.split_once(' ') {
            Some((w, rest)) => (w.to_owned(), rest.trim().to_owned()),
            None => (d.to_owned(), String::new()),
        })
        .collect()
}

fn directive(text: &str, word: &str) -> Option<String> {
    directives(text)
        .into_iter()
        .find(|(w, _)| w == word)
        .map(|(_, rest)| rest)
}

fn all_directives(text: &str, word: &str) -> Vec<String> {
    directives(text)
        .into_iter()
        .filter(|(w, _)| w == word)
        .map(|(_, rest)| rest)
        .collect()
}

/// The script's command lines (no comments, no blanks).
fn commands(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

fn is_duration(word: &str) -> bool {
    let digits = word.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &word[digits.len()..];
    !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit())
        && ["ms", "s", "m"].contains(&unit)
}

fn name_of(path: &Path) -> String {
    path.file_stem().unwrap().to_string_lossy().into_owned()
}

#[test]
fn every_smoke_script_parses_and_keeps_the_kit_rules() {
    let extensions = read(&kit().join("extensions.conf"));
    for path in all_scripts() {
        let name = name_of(&path);
        let text = read(&path);
        if let Err(bad) = parse_script(text.lines()) {
            panic!("{}: {bad}", path.display());
        }
        let lines = commands(&text);
        assert_eq!(lines.last(), Some(&"quit"), "{name}: must end with quit");
        for line in &lines {
            let words: Vec<&str> = line.split_whitespace().collect();
            if words[0] == "wait" {
                assert!(
                    is_duration(words.last().unwrap()) && words.len() >= 3,
                    "{name}: '{line}' needs an explicit timeout (e.g. wait accepted 10s)"
                );
            }
            if words[0] == "refer" {
                let target = words.last().unwrap();
                let ext = target
                    .strip_prefix("sip:")
                    .and_then(|t| t.split_once('@'))
                    .map(|(user, _)| user)
                    .unwrap_or_else(|| panic!("{name}: refer to sip:EXTENSION@HOST"));
                assert!(
                    extensions.contains(&format!("exten => {ext},1,")),
                    "{name}: transfers to {ext}, which extensions.conf does not define"
                );
            }
            if words[0] == "invite" {
                let ext = words[1];
                assert!(
                    extensions.contains(&format!("exten => {ext},1,")),
                    "{name}: calls {ext}, which extensions.conf does not define"
                );
            }
        }
        let is_peer = path.parent().unwrap().ends_with("peers");
        if is_peer {
            assert!(
                directives(&text).is_empty(),
                "{name}: peers take no directives"
            );
            continue;
        }
        for (word, rest) in directives(&text) {
            assert!(
                DIRECTIVES.contains(&word.as_str()),
                "{name}: unknown directive '{word}'"
            );
            match word.as_str() {
                "account" => assert!(ACCOUNTS.contains(&rest.as_str()), "{name}: account {rest}"),
                "peer" => {
                    let mut words = rest.split_whitespace();
                    let account = words.next().unwrap_or_default();
                    let file = words.next().unwrap_or_default();
                    assert!(
                        ACCOUNTS.contains(&account),
                        "{name}: peer account {account}"
                    );
                    assert!(smoke_dir().join(file).is_file(), "{name}: no peer {file}");
                }
                "record" => assert!(
                    rest == "any" || rest.parse::<u32>().is_ok_and(|f| f > 0),
                    "{name}: record takes a frequency or 'any'"
                ),
                "expect" => {
                    let event = rest.split_whitespace().next().unwrap_or_default();
                    assert!(WAIT_EVENTS.contains(&event), "{name}: expect {event}?");
                }
                "log" => assert!(rest.starts_with("SMOKE-"), "{name}: log lines start SMOKE-"),
                _ => {}
            }
        }
        assert!(directive(&text, "account").is_some(), "{name}: no account");
    }
}

#[test]
fn the_runner_uses_the_passwords_of_pjsip_conf() {
    let pjsip = read(&kit().join("pjsip.conf"));
    let runner = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/asterisk-smoke"));
    for account in ACCOUNTS {
        let password = format!("{account}-smoke-secret");
        assert!(
            pjsip.contains(&format!(
                "[{account}-auth](smoke-auth)\nusername={account}\npassword={password}\n"
            )),
            "pjsip.conf: {account}'s auth"
        );
        assert!(
            runner.contains(&password),
            "scripts/asterisk-smoke: {account}'s password"
        );
    }
}

/// The real binary accepts every script (exit 0 or 1 when its first wait cannot be met
/// here), and refuses the same script with one bad line added (exit 2, nothing run).
#[test]
fn the_binary_accepts_every_smoke_script() {
    let dir = TempDir::new("smoke-scripts-parse");
    let run = |script: &Path, label: &str| {
        let cmd = {
            let mut c = Command::new(sipline_bin());
            c.args([
                "--listen",
                "127.0.0.1:0",
                "--audio-in",
                "silence",
                "--audio-out",
                "null",
            ])
            .args(["--timeout", "300ms", "--script"])
            .arg(script)
            .env("XDG_CONFIG_HOME", "/nonexistent/sipline-tests/config-home")
            .env_remove("SIPLINE_PASSWORD");
            c
        };
        let mut p = Peer::spawn(label, cmd, dir.path());
        let status = p
            .wait(secs(30))
            .unwrap_or_else(|| panic!("{label} hung\n{}", p.logs()));
        (status.code(), p.logs())
    };
    for path in all_scripts() {
        let name = name_of(&path);
        let (code, logs) = run(&path, &name);
        assert!(matches!(code, Some(0 | 1)), "{name}: exit {code:?}\n{logs}");
        let broken = dir.join(&format!("{name}.broken.sipline"));
        fs::write(
            &broken,
            format!("{}\nwait forever-and-ever 1s\n", read(&path)),
        )
        .unwrap();
        let (code, logs) = run(&broken, &format!("{name}.broken"));
        assert_eq!(code, Some(2), "{name} with a bad line: {logs}");
        assert!(logs.contains("script line"), "{name}: {logs}");
    }
}

// ---- the scenarios against local stand-ins ------------------------------------------------

/// A second sipline playing extension `ext` of extensions.conf: (flags, script).
fn standin_for(ext: &str) -> (Vec<&'static str>, &'static str) {
    match ext {
        // Echo test: a real echo (`--audio-in echo`, the built-in test line's delay line),
        // so the 440 Hz the scenario records is its own tone coming back.
        "600" => (
            vec!["--codecs", "opus,pcmu", "--audio-in", "echo"],
            "wait incoming 20s\naccept\nwait terminated 30s\nquit\n",
        ),
        "601" => (
            vec!["--codecs", "pcmu", "--audio-in", "tone:1000"],
            "wait incoming 20s\naccept\nwait media 5s\nsleep 3s\nhangup\nwait terminated 10s\nquit\n",
        ),
        // Read() up to #, then the digits back (SendDTMF), then hang up a moment later
        // (Asterisk says the digits first; a BYE right after the last digit's end packet
        // can overtake it at the caller).
        "602" => (
            vec!["--codecs", "pcmu", "--audio-in", "silence"],
            "wait incoming 20s\naccept\nwait media 5s\nwait dtmf 1234# 20s\ndtmf 1234\n\
             wait dtmf-sent 10s\nwait dtmf-sent 10s\nwait dtmf-sent 10s\nwait dtmf-sent 10s\n\
             sleep 1s\nhangup\nwait terminated 10s\nquit\n",
        ),
        "610" => (
            vec!["--codecs", "pcmu", "--audio-in", "silence"],
            "wait incoming 20s\nprogress\nwait canceled 20s\nquit\n",
        ),
        "620" => (
            vec!["--codecs", "pcmu", "--audio-in", "silence"],
            "wait incoming 20s\nreject 486 Busy Here\nwait rejected 5s\nquit\n",
        ),
        other => panic!("no stand-in for extension {other}"),
    }
}

/// `sipline --listen 127.0.0.1:PORT --user USER --domain DOMAIN --registrar REG --register …`
/// The returned ports are its RTP block: keep them while it runs.
fn account_cmd(user: &str, port: u16, domain: &str, registrar: &FakeRegistrar) -> (Command, Ports) {
    let rtp = reserve_ports(10);
    let mut c = Command::new(sipline_bin());
    c.args(["--listen", &format!("127.0.0.1:{port}"), "--user", user])
        .args(["--domain", domain])
        .args(["--registrar", &format!("sip:{}", registrar.addr)])
        .args([
            "--register",
            "--expires",
            "120",
            "--json",
            "--timeout",
            "60s",
        ])
        .args(["--rtp-ports", &format!("{}-{}", rtp.port(), rtp.nth(9))])
        .env("XDG_CONFIG_HOME", "/nonexistent/sipline-tests/config-home")
        .env("SIPLINE_PASSWORD", "not-checked-by-the-fake-registrar");
    (c, rtp)
}

fn add_audio_defaults(c: &mut Command, flags: &[String]) {
    if !flags.iter().any(|f| f == "--audio-in") {
        c.args(["--audio-in", "silence"]);
    }
    if !flags.iter().any(|f| f == "--audio-out") {
        c.args(["--audio-out", "null"]);
    }
}

fn events(path: &Path) -> Vec<Value> {
    read(path)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// `# smoke: expect EVENT [FIELD=VALUE]` as the runner checks it.
fn expect_holds(events: &[Value], expect: &str) -> bool {
    let mut words = expect.split_whitespace();
    let event = words.next().unwrap();
    let cond = words.next().and_then(|c| c.split_once('='));
    events.iter().any(|e| {
        e["event"] == event
            && cond.is_none_or(|(field, value)| match &e[field] {
                Value::String(s) => s == value,
                Value::Number(n) => n.to_string() == value,
                _ => false,
            })
    })
}

fn wait_for_event(path: &Path, event: &str, timeout: Duration) -> bool {
    let until = Instant::now() + timeout;
    while Instant::now() < until {
        if path.exists() && events(path).iter().any(|e| e["event"] == event) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// Runs scenario NAME unchanged as its account against a fake registrar and a stand-in
/// (its peer script, or a sipline playing the extension it calls); applies its checks.
fn run_scenario(name: &str) {
    let path = smoke_dir().join(format!("{name}.sipline"));
    let text = read(&path);
    assert!(directive(&text, "pending").is_none(), "{name} is pending");
    let dir = TempDir::new(&format!("smoke-{name}"));
    let registrar = FakeRegistrar::start(200, "OK");
    let ports = reserve_ports(2);
    let (main_port, other_port) = (ports.port(), ports.nth(1));
    let domain = format!("127.0.0.1:{other_port}");
    let mut rtp_blocks = Vec::new();

    // The other side: the peer script as its account, or the extension's stand-in.
    let mut other = if let Some(peer) = directive(&text, "peer") {
        let mut words = peer.split_whitespace();
        let account = words.next().unwrap();
        let file = smoke_dir().join(words.next().unwrap());
        let flags: Vec<String> = words.map(str::to_owned).collect();
        let (mut c, rtp) = account_cmd(account, other_port, &domain, &registrar);
        rtp_blocks.push(rtp);
        c.args(&flags);
        add_audio_defaults(&mut c, &flags);
        c.arg("--script").arg(&file);
        let mut p = Peer::spawn("peer", c, dir.path());
        let registered = wait_for_event(&dir.join("peer.out"), "registered", secs(15));
        assert!(
            registered,
            "{name}: the peer did not register\n{}",
            p.logs()
        );
        assert!(p.running(), "{}", p.logs());
        p
    } else {
        let ext = commands(&text)
            .iter()
            .find_map(|l| l.strip_prefix("invite "))
            .map(|e| e.trim().to_owned())
            .unwrap_or_else(|| panic!("{name}: calls nothing and has no peer"));
        let (flags, script) = standin_for(&ext);
        let script_path = dir.join("standin.sipline");
        fs::write(&script_path, script).unwrap();
        let rtp = reserve_ports(10);
        let mut c = Command::new(sipline_bin());
        c.args([
            "--listen",
            &domain,
            "--user",
            &ext,
            "--json",
            "--timeout",
            "60s",
        ])
        .args(["--rtp-ports", &format!("{}-{}", rtp.port(), rtp.nth(9))])
        .args(&flags)
        .args(["--audio-out", "null", "--script"])
        .arg(&script_path)
        .env("XDG_CONFIG_HOME", "/nonexistent/sipline-tests/config-home");
        rtp_blocks.push(rtp);
        let p = Peer::spawn("standin", c, dir.path());
        assert!(wait_udp_bound(other_port, secs(10)), "{}", p.logs());
        p
    };

    // The scenario itself, as scripts/asterisk-smoke runs it.
    let account = directive(&text, "account").unwrap();
    let mut flags: Vec<String> = all_directives(&text, "flags")
        .iter()
        .flat_map(|f| f.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
        .collect();
    let record = directive(&text, "record");
    let wav = dir.join(&format!("{name}.wav"));
    if record.is_some() {
        flags.extend(["--audio-out".to_owned(), wav.display().to_string()]);
    }
    let (mut c, rtp) = account_cmd(&account, main_port, &domain, &registrar);
    rtp_blocks.push(rtp);
    c.args(&flags);
    add_audio_defaults(&mut c, &flags);
    c.arg("--script").arg(&path);
    let mut main = Peer::spawn("main", c, dir.path());
    let status = main.wait(secs(75));
    let logs = format!("{}\n{}", main.logs(), other.logs());
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "{name}: scenario failed\n{logs}"
    );
    let other_status = other.wait(secs(30));
    assert_eq!(
        other_status.and_then(|s| s.code()),
        Some(0),
        "{name}: stand-in failed\n{logs}"
    );

    let seen = events(&dir.join("main.out"));
    for expect in all_directives(&text, "expect") {
        // With a stand-in instead of Asterisk, a callee's 603 arrives unchanged.
        assert!(
            expect_holds(&seen, &expect),
            "{name}: expect {expect}\n{logs}"
        );
    }
    if let Some(record) = record {
        let (samples, rate) = read_wav(&wav).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        if record == "any" {
            let level = sipline::media::analysis::rms_dbfs(&samples);
            assert!(level > -40.0, "{name}: recording silent ({level} dBFS)");
        } else {
            let hz: f32 = record.parse().unwrap();
            let fraction = tone_fraction(&samples, rate, hz);
            assert!(
                fraction > 0.5,
                "{name}: {hz} Hz in {fraction:.2} of the recording"
            );
        }
    }
    drop(rtp_blocks);
}

#[test]
fn register_against_stand_ins() {
    run_scenario("01-register");
}

#[test]
fn echo_ulaw_against_stand_ins() {
    run_scenario("02-echo-ulaw");
}

#[test]
fn echo_opus_against_stand_ins() {
    run_scenario("03-echo-opus");
}

#[test]
fn dtmf_against_stand_ins() {
    run_scenario("04-dtmf");
}

#[test]
fn call_bob_against_stand_ins() {
    run_scenario("05-call-bob");
}

#[test]
fn reject_against_stand_ins() {
    run_scenario("07-reject");
}

#[test]
fn cancel_against_stand_ins() {
    run_scenario("08-cancel");
}

#[test]
fn busy_against_stand_ins() {
    run_scenario("09-busy");
}

#[test]
fn playback_against_stand_ins() {
    run_scenario("10-playback");
}

/// Every scenario is either run above or pending.
#[test]
fn every_scenario_is_run_here_or_pending() {
    let here = [
        "01-register",
        "02-echo-ulaw",
        "03-echo-opus",
        "04-dtmf",
        "05-call-bob",
        "07-reject",
        "08-cancel",
        "09-busy",
        "10-playback",
        // Parsed only. Over TCP the fake registrar (UDP only) cannot stand in; in a
        // transfer Asterisk takes the REFER itself, where a stand-in bob would get it.
        "11-register-tcp",
        "06-transfer",
    ];
    for path in scenarios() {
        let name = name_of(&path);
        let pending = directive(&read(&path), "pending").is_some();
        assert!(
            here.contains(&name.as_str()) || pending,
            "{name}: not run here and not pending"
        );
    }
}

// ---- the runner itself, through a registrar that can run here -----------------------------

/// Runs `scripts/asterisk-smoke` with `ASTERISK_HOST` at kamailio (a registrar and proxy
/// without auth, standing in for Asterisk's accounts; it has none of the extensions) and
/// `SMOKE_ONLY`; returns (exit code, stdout).
fn run_the_runner(kamailio: &Kamailio, only: &str, dir: &TempDir) -> (Option<i32>, String) {
    let mut c = Command::new("bash");
    c.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/asterisk-smoke"))
        .env("SIPLINE", sipline_bin())
        .env("ASTERISK_HOST", kamailio.addr().to_string())
        .env("SMOKE_ONLY", only)
        .env("SMOKE_READY_TIMEOUT", "20")
        .env(
            "SMOKE_OUT",
            dir.join(&format!("runner-{}", only.replace(' ', "-"))),
        );
    let label = format!("runner-{}", only.replace(' ', "-"));
    let mut p = Peer::spawn(&label, c, dir.path());
    let status = p.wait(secs(200));
    let stdout = read(&dir.join(&format!("{label}.out")));
    assert!(status.is_some(), "the runner hung\n{}", p.logs());
    (status.and_then(|s| s.code()), stdout)
}

/// The runner's own steps (probe, accounts, peers, audio check with sox, expect checks,
/// PASS/FAIL lines, exit status) on the scenarios that need only accounts.
#[test]
fn the_runner_passes_the_account_scenarios_through_kamailio() {
    if !peer_available("kamailio", "kamailio") || !peer_available("sox", "sox") {
        return;
    }
    let dir = TempDir::new("smoke-runner");
    let mut kamailio = Kamailio::start(dir.path());
    let (code, stdout) = run_the_runner(&kamailio, "01 05 07 11", &dir);
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        [
            "PASS 01-register",
            "PASS 05-call-bob",
            "PASS 07-reject",
            "PASS 11-register-tcp"
        ],
        "{stdout}"
    );
    assert_eq!(code, Some(0), "{stdout}");
    // kamailio answers 620 with 404, not 486: the runner must say so and fail.
    let (code, stdout) = run_the_runner(&kamailio, "09-busy", &dir);
    assert_eq!(
        stdout.trim(),
        "FAIL 09-busy (no rejected event with code 486)",
        "{stdout}"
    );
    assert_eq!(code, Some(1));
    kamailio.stop();
}
