//! Command-line flags → driver and media configuration.
//!
//! Flags are taken as text by clap and checked here, so every bad value gives ONE line
//! naming the flag, the value and the expected form (exit status 2), e.g.
//! `--codecs: unknown codec 'foo' (expected opus, pcmu or pcma)`.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Parser, Subcommand};

use crate::api::Command;
use crate::cli::commands::{parse_line, Action, Mode};
use crate::cli::duration::parse_duration;
use crate::driver::media::MediaConfig;
use crate::driver::DriverConfig;
use crate::media::audio::{AudioInSpec, AudioOutSpec};
use crate::media::codec::CodecKind;

/// SIP port used when `--listen` names only an address.
pub const DEFAULT_SIP_PORT: u16 = 5060;

/// The command line as typed.
#[derive(Parser, Debug, Clone, PartialEq, Eq)]
#[command(
    name = "sipline",
    version,
    about = "A SIP softphone for the terminal: REPL, scripted calls, Opus and G.711 over RTP",
    after_help = "With a terminal on stdin and no --script/-e, sipline starts an interactive \
                  prompt (type help). Otherwise it runs a script: --script FILE, the -e \
                  commands, or lines piped on stdin. A TARGET is called first, in both \
                  modes.\n\nExamples:\n  sipline --audio-in silence --audio-out null\n  \
                  sipline --duration 10s --audio-in tone:440 sip:100@127.0.0.1:5070 </dev/null\n  \
                  sipline --auto-answer=1s --audio-in tone:440 --audio-out heard.wav -e 'wait terminated 60s'\n\n\
                  Exit status: 0 ok, 1 a wait, --timeout or command failed, 2 bad usage or \
                  configuration, 130 interrupted (Ctrl-C or SIGTERM: calls are hung up first).",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// Call this URI at start (before the script's first line in script mode), e.g.
    /// sip:100@127.0.0.1:5070.
    #[arg(value_name = "TARGET")]
    pub target: Option<String>,

    /// SIP listen address: IP:PORT, a bare PORT (on 0.0.0.0) or a bare IP (port 5060).
    #[arg(long, value_name = "ADDR", default_value = "0.0.0.0:5060")]
    pub listen: String,

    /// Codecs to offer and accept, in order of preference.
    #[arg(long, value_name = "LIST", default_value = "opus,pcmu,pcma")]
    pub codecs: String,

    /// Audio source: default (microphone), FILE.wav, tone:HZ or silence.
    #[arg(long, value_name = "SRC", default_value = "default")]
    pub audio_in: String,

    /// Audio sink: default (speaker), FILE.wav (record) or null.
    #[arg(long, value_name = "SINK", default_value = "default")]
    pub audio_out: String,

    /// Print events as JSON, one object per line, on stdout (other text goes to stderr).
    #[arg(long)]
    pub json: bool,

    /// Print every SIP message sent and received to stderr.
    #[arg(long)]
    pub sip_trace: bool,

    /// User part of our From and Contact URIs.
    #[arg(long, value_name = "NAME", default_value = "sipline")]
    pub user: String,

    /// RTP port range (inclusive); even ports carry RTP.
    #[arg(long, value_name = "LO-HI", default_value = "10000-20000")]
    pub rtp_ports: String,

    /// Run the commands in FILE (`-` for stdin), then exit.
    #[arg(long, value_name = "FILE", conflicts_with = "exec")]
    pub script: Option<PathBuf>,

    /// Run this command (repeatable, in order), then exit.
    #[arg(short = 'e', value_name = "CMD", action = ArgAction::Append)]
    pub exec: Vec<String>,

    /// Bound a whole script, e.g. 60s or 2m (scripts only).
    #[arg(long, value_name = "DUR")]
    pub timeout: Option<String>,

    /// Hang up every call this long after it is answered, e.g. 30s. A script then waits at
    /// its end for the calls to end (instead of hanging them up) and exits 0.
    #[arg(long, value_name = "DUR")]
    pub duration: Option<String>,

    /// Answer every incoming call, DELAY after it arrives (default at once), e.g.
    /// --auto-answer=2s.
    #[arg(
        long,
        value_name = "DELAY",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "0s"
    )]
    pub auto_answer: Option<String>,

    /// Other things sipline can do instead of running a phone.
    #[command(subcommand)]
    pub command: Option<Tool>,
}

/// `sipline devices`, `sipline completions SHELL`, `sipline man`.
#[derive(Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum Tool {
    /// List the audio input and output devices (for --audio-in/--audio-out default).
    Devices,
    /// Print shell completions, e.g. `sipline completions bash > /etc/bash_completion.d/sipline`.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `sipline man | man -l -`.
    Man,
}

/// Where a script comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScriptInput {
    /// stdin: a script when piped (or `--script -`), the REPL when a terminal.
    Stdin {
        /// `--script -`: a script even when stdin is a terminal.
        explicit: bool,
    },
    /// `--script FILE`.
    File(PathBuf),
    /// The `-e` commands, in order.
    Commands(Vec<String>),
}

/// Everything the front-end decided from the flags.
#[derive(Clone, Debug)]
pub struct Config {
    /// What the driver gets.
    pub driver: DriverConfig,
    /// `--json`.
    pub json: bool,
    /// `--script`, `-e` or stdin.
    pub script: ScriptInput,
    /// `--timeout`.
    pub timeout: Option<Duration>,
    /// TARGET as the command that calls it.
    pub target: Option<Command>,
    /// `--duration`.
    pub duration: Option<Duration>,
    /// `--auto-answer` (0 when given without a delay).
    pub auto_answer: Option<Duration>,
}

/// A flag with a bad value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The flag, e.g. `--codecs`.
    pub flag: &'static str,
    /// What is wrong and what is expected.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.flag, self.message)
    }
}

impl std::error::Error for ConfigError {}

fn bad(flag: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        flag,
        message: message.into(),
    }
}

impl Config {
    /// Check every flag and build the configuration.
    pub fn from_cli(cli: &Cli) -> Result<Config, ConfigError> {
        let listen = parse_listen(&cli.listen).map_err(|m| bad("--listen", m))?;
        let codecs = parse_codecs(&cli.codecs).map_err(|m| bad("--codecs", m))?;
        let audio_in: AudioInSpec = cli
            .audio_in
            .parse()
            .map_err(|e: crate::media::audio::BadAudioSpec| bad("--audio-in", e.to_string()))?;
        let audio_out: AudioOutSpec = cli
            .audio_out
            .parse()
            .map_err(|e: crate::media::audio::BadAudioSpec| bad("--audio-out", e.to_string()))?;
        let rtp_ports = parse_port_range(&cli.rtp_ports).map_err(|m| bad("--rtp-ports", m))?;
        let user = check_user(&cli.user).map_err(|m| bad("--user", m))?;
        let timeout = positive_duration(cli.timeout.as_deref(), "--timeout")?;
        let duration = positive_duration(cli.duration.as_deref(), "--duration")?;
        let auto_answer = match &cli.auto_answer {
            None => None,
            Some(text) => Some(parse_duration(text).map_err(|m| bad("--auto-answer", m))?),
        };
        let target = match &cli.target {
            None => None,
            Some(text) => Some(parse_target(text).map_err(|m| bad("TARGET", m))?),
        };
        let script = match (&cli.script, cli.exec.is_empty()) {
            (Some(path), _) if path.as_os_str() == "-" => ScriptInput::Stdin { explicit: true },
            (Some(path), _) => ScriptInput::File(path.clone()),
            (None, false) => ScriptInput::Commands(cli.exec.clone()),
            (None, true) => ScriptInput::Stdin { explicit: false },
        };
        Ok(Config {
            driver: DriverConfig {
                listen,
                user,
                codecs,
                media: MediaConfig {
                    audio_in,
                    audio_out,
                    bind_ip: listen.ip(),
                    rtp_ports,
                },
                sip_trace: cli.sip_trace,
                accounts: Vec::new(),
                // TLS flags are not wired yet: the driver reads SIPLINE_TLS_* meanwhile.
                tls: Default::default(),
            },
            json: cli.json,
            script,
            timeout,
            target,
            duration,
            auto_answer,
        })
    }
}

/// A duration flag that must be more than zero.
fn positive_duration(
    text: Option<&str>,
    flag: &'static str,
) -> Result<Option<Duration>, ConfigError> {
    let Some(text) = text else {
        return Ok(None);
    };
    let d = parse_duration(text).map_err(|m| bad(flag, m))?;
    if d.is_zero() {
        return Err(bad(flag, "must be more than 0s (e.g. 60s, 2m)"));
    }
    Ok(Some(d))
}

/// TARGET is checked like the argument of `invite` (no scheme → sip:, only sip:/sips:).
pub fn parse_target(text: &str) -> Result<Command, String> {
    if text.trim().is_empty() || text.split_whitespace().count() != 1 {
        return Err(format!(
            "'{text}' is not a URI (expected e.g. sip:100@127.0.0.1:5070)"
        ));
    }
    match parse_line(&format!("invite {text}"), Mode::Script) {
        Ok(Some(Action::Send(cmd @ Command::Invite { .. }))) => Ok(cmd),
        Ok(_) => unreachable!("invite parses to an invite"),
        Err(e) => Err(e.message),
    }
}

/// `IP:PORT`, `[V6]:PORT`, a bare `PORT` (on 0.0.0.0), a bare IP (port 5060), or
/// `localhost[:PORT]`.
pub fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    let expected = "(expected IP:PORT or PORT, e.g. 127.0.0.1:5070 or 5070)";
    let text = text.trim();
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse::<u16>()
            .map(|port| SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port))
            .map_err(|_| format!("port {text} is out of range (expected 0-65535)"));
    }
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, DEFAULT_SIP_PORT));
    }
    if let Some(rest) = text.strip_prefix("localhost") {
        let localhost = IpAddr::V4(Ipv4Addr::LOCALHOST);
        if rest.is_empty() {
            return Ok(SocketAddr::new(localhost, DEFAULT_SIP_PORT));
        }
        if let Some(port) = rest.strip_prefix(':') {
            if let Ok(port) = port.parse::<u16>() {
                return Ok(SocketAddr::new(localhost, port));
            }
        }
    }
    Err(format!("'{text}' is not an address {expected}"))
}

/// A comma-separated codec list, order kept, no repeats.
pub fn parse_codecs(text: &str) -> Result<Vec<CodecKind>, String> {
    let mut out = Vec::new();
    for part in text.split(',') {
        let part = part.trim();
        if part.is_empty() {
            return Err(format!(
                "empty entry in '{text}' (expected a comma-separated list of opus, pcmu, pcma)"
            ));
        }
        let kind: CodecKind = part.parse().map_err(|e| format!("{e}"))?;
        if out.contains(&kind) {
            return Err(format!("'{part}' is listed twice in '{text}'"));
        }
        out.push(kind);
    }
    Ok(out)
}

/// `LO-HI`, inclusive, with at least one even port for RTP.
pub fn parse_port_range(text: &str) -> Result<(u16, u16), String> {
    let expected = "(expected LO-HI, e.g. 10000-20000)";
    let Some((lo, hi)) = text.split_once('-') else {
        return Err(format!("'{text}' is not a port range {expected}"));
    };
    let port = |s: &str| s.trim().parse::<u16>().ok().filter(|&p| p > 0);
    let (Some(lo), Some(hi)) = (port(lo), port(hi)) else {
        return Err(format!(
            "'{text}' is not a port range {expected}, ports 1-65535"
        ));
    };
    if lo > hi {
        return Err(format!("'{text}': {lo} is above {hi} {expected}"));
    }
    if lo == hi && lo % 2 == 1 {
        return Err(format!(
            "'{text}' has no even port (RTP uses even ports) {expected}"
        ));
    }
    Ok((lo, hi))
}

/// A SIP user part: letters, digits and RFC 3261 unreserved/user-unreserved marks.
pub fn check_user(text: &str) -> Result<String, String> {
    const MARKS: &str = "-_.!~*'()&=+$,;?/%";
    if text.is_empty() {
        return Err("empty user name (expected e.g. --user alice)".into());
    }
    if let Some(c) = text
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || MARKS.contains(*c)))
    {
        return Err(format!(
            "'{text}' is not a SIP user name: '{c}' is not allowed (letters, digits and {MARKS})"
        ));
    }
    Ok(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(args: &[&str]) -> Cli {
        let mut argv = vec!["sipline"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv).expect("flags parse")
    }

    fn config(args: &[&str]) -> Result<Config, String> {
        Config::from_cli(&cli(args)).map_err(|e| e.to_string())
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
        let c = config(&["--auto-answer=1500ms"]).unwrap();
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

    #[test]
    fn listen_forms() {
        let p = |s| parse_listen(s).map(|a| a.to_string());
        assert_eq!(p("5070"), Ok("0.0.0.0:5070".into()));
        assert_eq!(p("127.0.0.1:5070"), Ok("127.0.0.1:5070".into()));
        assert_eq!(p("127.0.0.1"), Ok("127.0.0.1:5060".into()));
        assert_eq!(p("[::1]:5070"), Ok("[::1]:5070".into()));
        assert_eq!(p("::1"), Ok("[::1]:5060".into()));
        assert_eq!(p("localhost:5070"), Ok("127.0.0.1:5070".into()));
        assert_eq!(p("0"), Ok("0.0.0.0:0".into()));
        assert_eq!(
            p("70000"),
            Err("port 70000 is out of range (expected 0-65535)".into())
        );
        assert_eq!(
            config(&["--listen", "foo"]).unwrap_err(),
            "--listen: 'foo' is not an address (expected IP:PORT or PORT, e.g. 127.0.0.1:5070 or 5070)"
        );
        assert!(p("127.0.0.1:99999").is_err());
        assert!(p("").is_err());
    }

    #[test]
    fn codec_errors() {
        assert_eq!(
            config(&["--codecs", "foo"]).unwrap_err(),
            "--codecs: unknown codec 'foo' (expected opus, pcmu or pcma)"
        );
        assert_eq!(
            config(&["--codecs", "opus,,pcmu"]).unwrap_err(),
            "--codecs: empty entry in 'opus,,pcmu' (expected a comma-separated list of opus, pcmu, pcma)"
        );
        assert_eq!(
            config(&["--codecs", ""]).unwrap_err(),
            "--codecs: empty entry in '' (expected a comma-separated list of opus, pcmu, pcma)"
        );
        assert_eq!(
            config(&["--codecs", "pcmu,ulaw"]).unwrap_err(),
            "--codecs: 'ulaw' is listed twice in 'pcmu,ulaw'"
        );
        assert_eq!(parse_codecs("opus"), Ok(vec![CodecKind::Opus]));
    }

    #[test]
    fn audio_errors() {
        assert_eq!(
            config(&["--audio-in", "tone:abc"]).unwrap_err(),
            "--audio-in: 'tone:abc' is not a tone: expected tone:HZ with HZ between 0 and 24000, e.g. tone:440"
        );
        assert!(config(&["--audio-out", ""])
            .unwrap_err()
            .starts_with("--audio-out: empty audio output"));
        let c = config(&["--audio-in", "silence", "--audio-out", "null"]).unwrap();
        assert_eq!(c.driver.media.audio_in, AudioInSpec::Silence);
        assert_eq!(c.driver.media.audio_out, AudioOutSpec::Null);
    }

    #[test]
    fn port_range_errors() {
        assert_eq!(parse_port_range("4000-4001"), Ok((4000, 4001)));
        assert_eq!(parse_port_range("4000-4000"), Ok((4000, 4000)));
        assert_eq!(
            config(&["--rtp-ports", "10000"]).unwrap_err(),
            "--rtp-ports: '10000' is not a port range (expected LO-HI, e.g. 10000-20000)"
        );
        assert_eq!(
            config(&["--rtp-ports", "20000-10000"]).unwrap_err(),
            "--rtp-ports: '20000-10000': 20000 is above 10000 (expected LO-HI, e.g. 10000-20000)"
        );
        assert_eq!(
            config(&["--rtp-ports", "0-100"]).unwrap_err(),
            "--rtp-ports: '0-100' is not a port range (expected LO-HI, e.g. 10000-20000), ports 1-65535"
        );
        assert_eq!(
            config(&["--rtp-ports", "4001-4001"]).unwrap_err(),
            "--rtp-ports: '4001-4001' has no even port (RTP uses even ports) (expected LO-HI, e.g. 10000-20000)"
        );
        assert!(parse_port_range("a-b").is_err());
    }

    #[test]
    fn user_and_timeout_errors() {
        assert_eq!(
            config(&["--user", "al ice"]).unwrap_err(),
            "--user: 'al ice' is not a SIP user name: ' ' is not allowed (letters, digits and -_.!~*'()&=+$,;?/%)"
        );
        assert_eq!(
            config(&["--user", ""]).unwrap_err(),
            "--user: empty user name (expected e.g. --user alice)"
        );
        assert_eq!(
            config(&["--user", "+4930123"]).unwrap().driver.user,
            "+4930123"
        );
        assert_eq!(
            config(&["--timeout", "10"]).unwrap_err(),
            "--timeout: '10' needs a unit (e.g. 10s, 500ms, 2m)"
        );
        assert_eq!(
            config(&["--timeout", "0s"]).unwrap_err(),
            "--timeout: must be more than 0s (e.g. 60s, 2m)"
        );
    }
}
