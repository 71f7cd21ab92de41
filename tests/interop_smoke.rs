//! The Asterisk smoke kit's scenarios (`assets/asterisk/smoke/*.sipline`) run unchanged by
//! `scripts/asterisk-smoke` against real peers on 127.0.0.1, through `scripts/interop`:
//! kamailio with digest auth as the PBX (registrar and proxy), and far ends registered
//! there as the extensions the scenarios call, played by sipline, sipp and baresip in turn.
//!
//! The script prints one line per scenario and peer (`PASS name peer`, `FAIL name peer
//! (reason)`, `SKIP name peer (why)`); these tests copy the lines to the real test output
//! (stderr, past libtest's capture), check the whole matrix against [`EXPECTED`], and check
//! that far ends playing their role wrong make the script FAIL.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// Every scenario × peer with its verdict (a SKIP's reason is the script's). SKIPs:
/// the account scenarios' far end is the runner's own sipline bob (run once, as
/// `sipline`); in 06 kamailio relays alice's REFER to bob, whose script takes no transfers
/// (Asterisk, a B2BUA, consumes it).
const EXPECTED: &[&str] = &[
    "PASS 01-register sipline",
    "PASS 02-echo-ulaw sipline",
    "PASS 03-echo-opus sipline",
    "PASS 04-dtmf sipline",
    "PASS 05-call-bob sipline",
    "SKIP 06-transfer sipline",
    "PASS 07-reject sipline",
    "PASS 08-cancel sipline",
    "PASS 09-busy sipline",
    "PASS 10-playback sipline",
    "PASS 11-register-tcp sipline",
    "SKIP 01-register sipp",
    "PASS 02-echo-ulaw sipp",
    "PASS 03-echo-opus sipp",
    "PASS 04-dtmf sipp",
    "SKIP 05-call-bob sipp",
    "SKIP 06-transfer sipp",
    "SKIP 07-reject sipp",
    "PASS 08-cancel sipp",
    "PASS 09-busy sipp",
    "PASS 10-playback sipp",
    "SKIP 11-register-tcp sipp",
    "SKIP 01-register baresip",
    "PASS 02-echo-ulaw baresip",
    "PASS 03-echo-opus baresip",
    "PASS 04-dtmf baresip",
    "SKIP 05-call-bob baresip",
    "SKIP 06-transfer baresip",
    "SKIP 07-reject baresip",
    "PASS 08-cancel baresip",
    "PASS 09-busy baresip",
    "PASS 10-playback baresip",
    "SKIP 11-register-tcp baresip",
];

fn peers_installed() -> bool {
    [
        ("kamailio", "kamailio"),
        ("sipp", "sip-tester"),
        ("baresip", "baresip"),
        ("sox", "sox"),
    ]
    .iter()
    .all(|(bin, package)| peer_available(bin, package))
}

/// Runs `scripts/interop` with `env`; returns (exit code, its verdict lines). The lines go
/// to the real stderr as they are, under a heading that says what they are.
fn run_interop(
    label: &str,
    heading: &str,
    env: &[(&str, &str)],
    dir: &TempDir,
) -> (Option<i32>, Vec<String>) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/interop");
    let mut c = Command::new("bash");
    c.arg(&script)
        .env("SIPLINE", sipline_bin())
        .env("INTEROP_OUT", dir.join(&format!("{label}-logs")));
    for (k, v) in env {
        c.env(k, v);
    }
    let mut p = Peer::spawn(label, c, dir.path());
    // A normal run takes about 90 s on two cores; the bound is for a wedged peer only.
    let status = p.wait(secs(900));
    let stdout = fs::read_to_string(dir.join(&format!("{label}.out"))).unwrap_or_default();
    let report = format!("\n---- {heading} ----\n{stdout}---- end of {heading} ----\n");
    let _ = std::io::stderr().write_all(report.as_bytes());
    assert!(status.is_some(), "scripts/interop hung\n{}", p.logs());
    let lines = stdout.lines().map(str::to_owned).collect();
    (status.and_then(|s| s.code()), lines)
}

/// `VERDICT scenario peer` of a line (its reason dropped).
fn head(line: &str) -> String {
    line.split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn scenario_names() -> BTreeSet<String> {
    let dir: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/asterisk/smoke");
    fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sipline"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect()
}

/// The expected matrix covers every scenario of the kit with every peer kind, once.
#[test]
fn the_expected_matrix_covers_every_scenario_and_peer() {
    let mut pairs = BTreeSet::new();
    for line in EXPECTED {
        let words: Vec<&str> = line.split(' ').collect();
        assert!(matches!(words[0], "PASS" | "SKIP"), "{line}");
        assert!(pairs.insert((words[1], words[2])), "{line} twice");
    }
    for name in scenario_names() {
        for peer in ["sipline", "sipp", "baresip"] {
            assert!(
                pairs.contains(&(name.as_str(), peer)),
                "{name} × {peer} is missing from EXPECTED"
            );
        }
    }
    assert_eq!(pairs.len(), scenario_names().len() * 3);
}

#[test]
fn the_smoke_scenarios_pass_against_real_peers() {
    if !peers_installed() {
        return;
    }
    let dir = TempDir::new("interop-smoke");
    let (code, lines) = run_interop(
        "interop",
        "scripts/interop: the smoke scenarios against real peers",
        &[],
        &dir,
    );
    let got: Vec<String> = lines.iter().map(|l| head(l)).collect();
    for line in &lines {
        assert!(
            line.starts_with("PASS ") || line.starts_with("SKIP ") && line.ends_with(')'),
            "{line}\n(logs in {})",
            dir.path().display()
        );
    }
    assert_eq!(got, EXPECTED, "{lines:#?}");
    assert_eq!(code, Some(0), "{lines:#?}");
}

/// Far ends that play their role wrong (a silent echo, or another tone; ringing or
/// answering instead of 486 Busy Here) make the lines FAIL, with the runner's reason.
#[test]
fn broken_far_ends_fail() {
    if !peers_installed() {
        return;
    }
    let dir = TempDir::new("interop-smoke-broken");
    let (code, lines) = run_interop(
        "interop-broken",
        "scripts/interop with INTEROP_BREAK=1: deliberately broken far ends, every line must FAIL",
        &[("INTEROP_BREAK", "1"), ("INTEROP_ONLY", "02 09")],
        &dir,
    );
    let got: Vec<String> = lines.iter().map(|l| head(l)).collect();
    assert_eq!(
        got,
        [
            "FAIL 02-echo-ulaw sipline",
            "FAIL 09-busy sipline",
            "FAIL 02-echo-ulaw sipp",
            "FAIL 09-busy sipp",
            "FAIL 02-echo-ulaw baresip",
            "FAIL 09-busy baresip",
        ],
        "{lines:#?}"
    );
    // The echo's failures are the recording check's.
    for (line, reason) in [
        (&lines[0], "recording is silent"),
        (&lines[2], "recording is silent"),
        (&lines[4], "expected 440 Hz"),
    ] {
        assert!(line.contains(reason), "{line}");
    }
    assert!(lines[1].contains("wait rejected"), "{}", lines[1]);
    assert_eq!(code, Some(1), "{lines:#?}");
}
