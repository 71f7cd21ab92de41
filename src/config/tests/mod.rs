//! Tests of building the configuration from flags, and the helpers the other test files
//! share.

use super::*;
use crate::media::codec::CodecKind;
use crate::sip::account::Secret;
use clap::Parser;
use std::net::{IpAddr, Ipv4Addr};

mod ad_hoc;
mod values;

fn cli(args: &[&str]) -> Cli {
    let mut argv = vec!["sipline"];
    argv.extend_from_slice(args);
    Cli::try_from_args(argv).expect("flags parse")
}

/// No default config file: the tests must not read the user's.
fn config(args: &[&str]) -> Result<Config, String> {
    Config::from_cli_with(&cli(args), None).map_err(|e| e.to_string())
}

fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("sipline-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn no_accounts_and_no_tls_by_default() {
    let c = config(&[]).unwrap();
    assert!(c.driver.accounts.is_empty());
    assert_eq!(c.driver.tls, TlsConfig::default());
}

#[test]
fn tls_flags() {
    let c = config(&[
        "--tls-cert",
        "c.pem",
        "--tls-key",
        "k.pem",
        "--tls-ca",
        "ca1.pem",
        "--tls-ca",
        "ca2.pem",
        "--tls-listen",
        "127.0.0.1:5061",
        "--dangerous-skip-tls-verify",
    ])
    .unwrap();
    assert_eq!(
        c.driver.tls,
        TlsConfig {
            cert: Some("c.pem".into()),
            key: Some("k.pem".into()),
            ca: vec!["ca1.pem".into(), "ca2.pem".into()],
            listen: Some("127.0.0.1:5061".parse().unwrap()),
            dangerous_skip_verify: true,
        }
    );
    assert_eq!(
        config(&["--tls-listen", "5061"]).unwrap().driver.tls.listen,
        Some("0.0.0.0:5061".parse().unwrap())
    );
    assert_eq!(
        config(&["--tls-listen", "nowhere"]).unwrap_err(),
        "--tls-listen: 'nowhere' is not an address (expected IP:PORT or PORT, e.g. 127.0.0.1:5070 or 5070)"
    );
}

#[test]
fn defaults() {
    let c = config(&[]).unwrap();
    assert_eq!(c.driver.listen, "0.0.0.0:5060".parse().unwrap());
    assert_eq!(c.driver.user, "sipline");
    assert_eq!(c.driver.codecs, CodecKind::ALL);
    assert_eq!(c.driver.media.audio_in, AudioInSpec::Device);
    assert_eq!(c.driver.media.audio_out, AudioOutSpec::Device);
    assert_eq!(c.driver.media.rtp_ports, (10000, 20000));
    assert_eq!(c.driver.media.bind_ip, IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    assert!(!c.driver.sip_trace && !c.json);
    assert_eq!(c.script, ScriptInput::Stdin { explicit: false });
    assert_eq!(c.timeout, None);
}

#[test]
fn all_flags() {
    let c = config(&[
        "--listen",
        "127.0.0.1:5070",
        "--codecs",
        "pcma, PCMU",
        "--audio-in",
        "tone:440",
        "--audio-out",
        "out.wav",
        "--json",
        "--sip-trace",
        "--user",
        "alice",
        "--rtp-ports",
        "30000-30100",
        "-e",
        "invite sip:100@127.0.0.1:5080",
        "-e",
        "wait accepted",
        "--timeout",
        "1m",
    ])
    .unwrap();
    assert_eq!(c.driver.listen, "127.0.0.1:5070".parse().unwrap());
    assert_eq!(
        c.driver.media.bind_ip,
        "127.0.0.1".parse::<IpAddr>().unwrap()
    );
    assert_eq!(c.driver.codecs, [CodecKind::Pcma, CodecKind::Pcmu]);
    assert_eq!(c.driver.media.audio_in, AudioInSpec::Tone(440.0));
    assert_eq!(
        c.driver.media.audio_out,
        AudioOutSpec::Wav("out.wav".into())
    );
    assert!(c.json && c.driver.sip_trace);
    assert_eq!(c.driver.user, "alice");
    assert_eq!(c.driver.media.rtp_ports, (30000, 30100));
    assert_eq!(
        c.script,
        ScriptInput::Commands(vec![
            "invite sip:100@127.0.0.1:5080".into(),
            "wait accepted".into()
        ])
    );
    assert_eq!(c.timeout, Some(Duration::from_secs(60)));
    let c = config(&["--script", "call.txt"]).unwrap();
    assert_eq!(c.script, ScriptInput::File("call.txt".into()));
    let c = config(&["--script", "-"]).unwrap();
    assert_eq!(c.script, ScriptInput::Stdin { explicit: true });
}

#[test]
fn target_duration_auto_answer() {
    let c = config(&["sip:100@127.0.0.1:5070"]).unwrap();
    assert_eq!(
        c.target,
        Some(Command::Invite {
            target: "sip:100@127.0.0.1:5070".into()
        })
    );
    assert_eq!((c.duration, c.auto_answer), (None, None));
    let c = config(&["--duration", "10s", "--auto-answer", "100@127.0.0.1"]).unwrap();
    assert_eq!(c.duration, Some(Duration::from_secs(10)));
    assert_eq!(c.auto_answer, Some(Duration::ZERO));
    assert_eq!(
        c.target,
        Some(Command::Invite {
            target: "sip:100@127.0.0.1".into()
        })
    );
    let c = config(&["echo"]).unwrap();
    assert_eq!(
        c.target,
        Some(Command::InviteTestLine {
            line: crate::api::TestLine::Echo,
            options: Default::default()
        })
    );
    let c = config(&["--auto-answer=1500ms", "--audio-in", "echo"]).unwrap();
    assert_eq!(
        c.driver.media.audio_in,
        crate::media::audio::AudioInSpec::Echo
    );
    assert_eq!(c.auto_answer, Some(Duration::from_millis(1500)));
    assert_eq!(c.target, None);
    assert_eq!(
        config(&["tel:+4930123"]).unwrap_err(),
        "TARGET: 'tel:+4930123' is a tel: URI; only sip: and sips: can be called (expected e.g. invite sip:100@127.0.0.1:5070)"
    );
    assert_eq!(
        config(&["--duration", "0s"]).unwrap_err(),
        "--duration: must be more than 0s (e.g. 60s, 2m)"
    );
    assert_eq!(
        config(&["--duration", "5"]).unwrap_err(),
        "--duration: '5' needs a unit (e.g. 10s, 500ms, 2m)"
    );
    assert_eq!(
        config(&["--auto-answer=soon"]).unwrap_err(),
        "--auto-answer: 'soon' is not a duration (e.g. 10s, 500ms, 2m)"
    );
    assert!(Cli::try_parse_from(["sipline", "a", "b"]).is_err());
}

#[test]
fn tools_are_subcommands() {
    assert_eq!(cli(&["devices"]).command, Some(Tool::Devices));
    assert_eq!(cli(&["man"]).command, Some(Tool::Man));
    assert_eq!(
        cli(&["completions", "zsh"]).command,
        Some(Tool::Completions {
            shell: clap_complete::Shell::Zsh
        })
    );
    assert!(Cli::try_parse_from(["sipline", "completions", "tcsh"]).is_err());
    assert_eq!(cli(&["sip:devices@127.0.0.1"]).command, None);
}

#[test]
fn script_and_e_conflict() {
    let e = Cli::try_parse_from(["sipline", "--script", "f", "-e", "quit"]).unwrap_err();
    assert_eq!(e.exit_code(), 2);
}
