//! Command-line flags → driver and media configuration.
//!
//! Flags are taken as text by clap and checked here, so every bad value gives ONE line
//! naming the flag, the value and the expected form (exit status 2), e.g.
//! `--codecs: unknown codec 'foo' (expected opus, pcmu or pcma)`.
//!
//! Accounts ([`crate::accounts`]): the ad-hoc one of `--domain` (with `--user`,
//! `--password`/`SIPLINE_PASSWORD`, `--auth-user`, `--registrar`, `--outbound-proxy`,
//! `--register`, `--expires`, `--transport`) first, so it is the default, then those of
//! `--config FILE` (else of the default config file, when it exists). A config file's
//! errors name the file or the account themselves. The password is a [`Secret`] from the
//! moment clap reads it, so no `Debug` of the flags shows it, and `--help` hides the
//! environment's value. TLS: `--tls-cert`, `--tls-key`, `--tls-ca`, `--tls-listen`,
//! `--dangerous-skip-tls-verify` fill [`TlsConfig`]; the driver reads the files.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::accounts::{self, AdHoc};
use crate::api::Command;
use crate::cli::commands::{parse_line, Action, Mode};
use crate::cli::duration::parse_duration;
use crate::driver::media::MediaConfig;
use crate::driver::tls::TlsConfig;
use crate::driver::DriverConfig;
use crate::media::audio::{AudioInSpec, AudioOutSpec};
use crate::media::codec::CodecKind;
use crate::sip::account::{AccountConfig, Secret};

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

    /// Read accounts from this TOML file (default: $XDG_CONFIG_HOME/sipline/config.toml
    /// when it exists; see README "Accounts and registration").
    #[arg(long, value_name = "FILE", help_heading = "Accounts")]
    pub config: Option<PathBuf>,

    /// An ad-hoc account at this domain (its AOR is sip:USER@HOST[:PORT], USER from
    /// --user, named after USER); it comes before the config file's accounts.
    #[arg(long, value_name = "HOST[:PORT]", help_heading = "Accounts")]
    pub domain: Option<String>,

    /// The ad-hoc account's digest password (better: the SIPLINE_PASSWORD environment
    /// variable, which other users cannot see in the process list).
    #[arg(
        long,
        value_name = "PW",
        env = "SIPLINE_PASSWORD",
        hide_env_values = true,
        value_parser = parse_secret,
        help_heading = "Accounts"
    )]
    pub password: Option<Secret>,

    /// The ad-hoc account's digest user name, when it is not USER.
    #[arg(long, value_name = "NAME", help_heading = "Accounts")]
    pub auth_user: Option<String>,

    /// The ad-hoc account's registrar (default: sip:HOST[:PORT] of --domain).
    #[arg(long, value_name = "URI", help_heading = "Accounts")]
    pub registrar: Option<String>,

    /// Send every request of the ad-hoc account through this proxy.
    #[arg(long, value_name = "URI", help_heading = "Accounts")]
    pub outbound_proxy: Option<String>,

    /// Register the ad-hoc account at start (and unregister it at quit).
    #[arg(long, help_heading = "Accounts")]
    pub register: bool,

    /// Registration lifetime to ask for, in seconds (default 3600).
    #[arg(long, value_name = "SECS", help_heading = "Accounts")]
    pub expires: Option<String>,

    /// Transport to the ad-hoc account's registrar and proxy: udp, tcp or tls.
    #[arg(long, value_name = "PROTO", help_heading = "Accounts")]
    pub transport: Option<String>,

    /// Our TLS certificate chain (PEM, leaf first); with --tls-key, sipline accepts TLS.
    #[arg(long, value_name = "FILE", help_heading = "TLS")]
    pub tls_cert: Option<PathBuf>,

    /// The private key of --tls-cert (PEM).
    #[arg(long, value_name = "FILE", help_heading = "TLS")]
    pub tls_key: Option<PathBuf>,

    /// Also trust the CA certificates in FILE (PEM) besides the system's (repeatable).
    #[arg(long, value_name = "FILE", action = ArgAction::Append, help_heading = "TLS")]
    pub tls_ca: Vec<PathBuf>,

    /// Where the TLS listener binds (default: the SIP address with port + 1).
    #[arg(long, value_name = "ADDR", help_heading = "TLS")]
    pub tls_listen: Option<String>,

    /// Accept any TLS server certificate: encrypted but NOT authenticated. Tests only.
    #[arg(long, help_heading = "TLS")]
    pub dangerous_skip_tls_verify: bool,

    /// Where --password came from: true for SIPLINE_PASSWORD (set by [`Cli::from_matches`]).
    /// A password in the environment without --domain is left alone (a config file's
    /// `password_env` may use it); one typed on the command line needs --domain.
    #[arg(skip)]
    pub password_from_env: bool,

    /// Other things sipline can do instead of running a phone.
    #[command(subcommand)]
    pub command: Option<Tool>,
}

impl Cli {
    /// The process's own command line; `--help`, `--version` and clap's errors exit here.
    pub fn from_env() -> Cli {
        let matches = Cli::command().get_matches();
        Cli::from_matches(&matches).unwrap_or_else(|e| e.exit())
    }

    /// Parse an argument list (the first item is the program name).
    pub fn try_from_args<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let matches = Cli::command().try_get_matches_from(args)?;
        Cli::from_matches(&matches)
    }

    /// The flags from clap's matches, noting where the password came from.
    pub fn from_matches(matches: &clap::ArgMatches) -> Result<Cli, clap::Error> {
        let mut cli = Cli::from_arg_matches(matches)?;
        cli.password_from_env =
            matches.value_source("password") == Some(clap::parser::ValueSource::EnvVariable);
        Ok(cli)
    }
}

/// `--password` as a [`Secret`] at once, so no `Debug` of the flags can show it.
fn parse_secret(text: &str) -> Result<Secret, std::convert::Infallible> {
    Ok(Secret::new(text))
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

/// A flag with a bad value, or a config file that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The flag, e.g. `--codecs`; empty when the message names its source itself (a
    /// config file's errors name the file or the account).
    pub flag: &'static str,
    /// What is wrong and what is expected.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.flag.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.flag, self.message)
        }
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
    /// Check every flag and build the configuration; without `--config`, the accounts of
    /// [`accounts::default_path`] are read when that file exists.
    pub fn from_cli(cli: &Cli) -> Result<Config, ConfigError> {
        Config::from_cli_with(cli, accounts::default_path().as_deref())
    }

    /// [`Config::from_cli`] with the config file to read when `--config` is not given
    /// (`None`, or a file that does not exist: no file).
    pub fn from_cli_with(
        cli: &Cli,
        default_config: Option<&std::path::Path>,
    ) -> Result<Config, ConfigError> {
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
        let accounts = accounts_of(cli, default_config)?;
        let tls = tls_of(cli)?;
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
                accounts,
                tls,
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

/// The flags that only make sense for an ad-hoc account (with `--domain`), as given.
fn ad_hoc_flags_given(cli: &Cli) -> Option<&'static str> {
    [
        (
            cli.password.is_some() && !cli.password_from_env,
            "--password",
        ),
        (cli.auth_user.is_some(), "--auth-user"),
        (cli.registrar.is_some(), "--registrar"),
        (cli.outbound_proxy.is_some(), "--outbound-proxy"),
        (cli.register, "--register"),
        (cli.expires.is_some(), "--expires"),
        (cli.transport.is_some(), "--transport"),
    ]
    .into_iter()
    .find(|(given, _)| *given)
    .map(|(_, flag)| flag)
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`, roughly: the URI parser has the last word.
fn is_host_port(text: &str) -> bool {
    let port_ok = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if text.is_empty() || text.contains(|c: char| c.is_whitespace() || "@;?<>\"/".contains(c)) {
        return false;
    }
    if let Some(v6) = text.strip_prefix('[') {
        return match v6.split_once(']') {
            Some((_, "")) => true,
            Some((_, rest)) => rest.strip_prefix(':').is_some_and(port_ok),
            None => false,
        };
    }
    match text.split_once(':') {
        None => true,
        Some((host, port)) => !host.is_empty() && port_ok(port),
    }
}

/// The ad-hoc account of `--domain` and its flags, if any.
fn ad_hoc_account(cli: &Cli) -> Result<Option<AccountConfig>, ConfigError> {
    let Some(domain) = &cli.domain else {
        if let Some(flag) = ad_hoc_flags_given(cli) {
            return Err(bad(
                flag,
                "needs --domain (an ad-hoc account is --user NAME --domain HOST[:PORT])",
            ));
        }
        return Ok(None);
    };
    let user = check_user(&cli.user).map_err(|m| bad("--user", m))?;
    let domain = domain.trim();
    if !is_host_port(domain) {
        return Err(bad(
            "--domain",
            format!(
                "'{domain}' is not HOST[:PORT] (e.g. --domain pbx.example.com or 192.0.2.10:5070)"
            ),
        ));
    }
    let transport = match &cli.transport {
        None => None,
        Some(t) => {
            let lower = t.trim().to_ascii_lowercase();
            if !["udp", "tcp", "tls"].contains(&lower.as_str()) {
                return Err(bad(
                    "--transport",
                    format!("'{t}' is not one of udp, tcp, tls"),
                ));
            }
            Some(lower)
        }
    };
    let expires = match &cli.expires {
        None => None,
        Some(text) => Some(
            text.trim()
                .parse::<u32>()
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| {
                    bad(
                        "--expires",
                        format!("'{text}' is not a number of seconds above 0 (e.g. --expires 600)"),
                    )
                })?,
        ),
    };
    let auth_user = match &cli.auth_user {
        None => None,
        Some(name) => Some(check_user(name).map_err(|m| bad("--auth-user", m))?),
    };
    let ad_hoc = AdHoc {
        user,
        domain: domain.to_string(),
        password: cli.password.clone(),
        registrar: cli.registrar.clone(),
        outbound_proxy: cli.outbound_proxy.clone(),
        transport,
        register: cli.register,
        expires,
    };
    let mut account = ad_hoc.into_account().map_err(|e| match e {
        accounts::ConfigError::BadUri { field, value, .. } => {
            let flag = match field {
                "registrar" => "--registrar",
                "outbound_proxy" => "--outbound-proxy",
                _ => "--domain",
            };
            let value = if flag == "--domain" {
                domain.to_string()
            } else {
                value
            };
            let expected = if flag == "--domain" {
                "HOST[:PORT] (e.g. --domain pbx.example.com or 192.0.2.10:5070)"
            } else {
                "a SIP URI (e.g. sip:192.0.2.10:5060)"
            };
            bad(flag, format!("'{value}' is not {expected}"))
        }
        other => bad("", other.to_string()),
    })?;
    account.auth_username = auth_user;
    Ok(Some(account))
}

/// Every account: the ad-hoc one first, then the config file's (`--config`, else the
/// default file when it exists).
fn accounts_of(
    cli: &Cli,
    default_config: Option<&std::path::Path>,
) -> Result<Vec<AccountConfig>, ConfigError> {
    let mut all: Vec<AccountConfig> = ad_hoc_account(cli)?.into_iter().collect();
    let file = match (&cli.config, default_config) {
        (Some(path), _) => Some(path.as_path()),
        (None, Some(path)) if path.exists() => Some(path),
        (None, _) => None,
    };
    if let Some(path) = file {
        for account in accounts::load(path).map_err(|e| bad("", e.to_string()))? {
            if all.iter().any(|a| a.name == account.name) {
                return Err(bad(
                    "--user",
                    format!(
                        "the ad-hoc account and an account in {} are both named '{}'; names must be unique",
                        path.display(),
                        account.name
                    ),
                ));
            }
            all.push(account);
        }
    }
    Ok(all)
}

/// `--tls-*` and `--dangerous-skip-tls-verify`. The files are read when the driver
/// starts, which names the one that cannot be used.
fn tls_of(cli: &Cli) -> Result<TlsConfig, ConfigError> {
    let listen = match &cli.tls_listen {
        None => None,
        Some(text) => Some(parse_listen(text).map_err(|m| bad("--tls-listen", m))?),
    };
    Ok(TlsConfig {
        cert: cli.tls_cert.clone(),
        key: cli.tls_key.clone(),
        ca: cli.tls_ca.clone(),
        listen,
        dangerous_skip_verify: cli.dangerous_skip_tls_verify,
    })
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
    fn ad_hoc_account_from_flags() {
        let c = config(&[
            "--user",
            "alice",
            "--domain",
            "127.0.0.1:5070",
            "--password",
            "hunter2",
            "--auth-user",
            "alice-auth",
            "--registrar",
            "127.0.0.1:5080",
            "--outbound-proxy",
            "sip:127.0.0.1:5090",
            "--register",
            "--expires",
            "600",
            "--transport",
            "TCP",
        ])
        .unwrap();
        let [a] = c.driver.accounts.as_slice() else {
            panic!("one account: {:?}", c.driver.accounts)
        };
        assert_eq!(a.name, "alice");
        assert_eq!(a.aor.to_string(), "sip:alice@127.0.0.1:5070");
        assert_eq!(a.username(), "alice-auth");
        assert_eq!(a.password.as_ref().unwrap().expose(), "hunter2");
        assert_eq!(
            a.registrar_uri().to_string(),
            "sip:127.0.0.1:5080;transport=tcp"
        );
        assert_eq!(
            a.outbound_proxy.as_ref().unwrap().to_string(),
            "sip:127.0.0.1:5090;transport=tcp"
        );
        assert!(a.register);
        assert_eq!(a.expires, 600);
        // Neither the flags nor the configuration show the password.
        assert!(!format!("{c:?}").contains("hunter2"));
        assert!(!format!("{:?}", cli(&["--password", "hunter2"])).contains("hunter2"));

        let c = config(&["--domain", "pbx.example.com"]).unwrap();
        let a = &c.driver.accounts[0];
        assert_eq!(a.name, "sipline");
        assert_eq!(a.aor.to_string(), "sip:sipline@pbx.example.com");
        assert!(!a.register && a.password.is_none());
        assert_eq!(a.expires, 3600);
        let c = config(&["--user", "bob", "--domain", "[::1]:5070"]).unwrap();
        assert_eq!(c.driver.accounts[0].aor.to_string(), "sip:bob@[::1]:5070");
    }

    #[test]
    fn ad_hoc_flags_need_domain() {
        for (args, flag) in [
            (&["--password", "hunter2"][..], "--password"),
            (&["--auth-user", "a"], "--auth-user"),
            (&["--registrar", "sip:127.0.0.1"], "--registrar"),
            (&["--outbound-proxy", "sip:127.0.0.1"], "--outbound-proxy"),
            (&["--register"], "--register"),
            (&["--expires", "60"], "--expires"),
            (&["--transport", "tcp"], "--transport"),
        ] {
            assert_eq!(
                config(args).unwrap_err(),
                format!("{flag}: needs --domain (an ad-hoc account is --user NAME --domain HOST[:PORT])")
            );
        }
        // From SIPLINE_PASSWORD (a config file's password_env may use it): no account, no
        // error.
        let mut c = cli(&[]);
        c.password = Some(Secret::new("from-env"));
        c.password_from_env = true;
        let cfg = Config::from_cli_with(&c, None).unwrap();
        assert!(cfg.driver.accounts.is_empty());
        c.domain = Some("127.0.0.1".into());
        let cfg = Config::from_cli_with(&c, None).unwrap();
        assert_eq!(
            cfg.driver.accounts[0].password.as_ref().unwrap().expose(),
            "from-env"
        );
    }

    #[test]
    fn ad_hoc_flag_errors() {
        let e = |args: &[&str]| {
            let mut all = vec!["--domain", "127.0.0.1"];
            all.extend_from_slice(args);
            config(&all).unwrap_err()
        };
        assert_eq!(
            e(&["--transport", "sctp"]),
            "--transport: 'sctp' is not one of udp, tcp, tls"
        );
        assert_eq!(
            e(&["--expires", "0"]),
            "--expires: '0' is not a number of seconds above 0 (e.g. --expires 600)"
        );
        assert_eq!(
            e(&["--expires", "10m"]),
            "--expires: '10m' is not a number of seconds above 0 (e.g. --expires 600)"
        );
        assert_eq!(
            e(&["--registrar", "sip:"]),
            "--registrar: 'sip:' is not a SIP URI (e.g. sip:192.0.2.10:5060)"
        );
        assert_eq!(
            e(&["--auth-user", "a b"]),
            "--auth-user: 'a b' is not a SIP user name: ' ' is not allowed (letters, digits and -_.!~*'()&=+$,;?/%)"
        );
        for bad in [
            "",
            "a b",
            "alice@pbx",
            "sip:pbx",
            "pbx:x",
            "[::1",
            "pbx;x=1",
        ] {
            assert_eq!(
                config(&["--domain", bad]).unwrap_err(),
                format!("--domain: '{}' is not HOST[:PORT] (e.g. --domain pbx.example.com or 192.0.2.10:5070)", bad.trim()),
                "{bad:?}"
            );
        }
        let e = config(&[
            "--domain",
            "127.0.0.1",
            "--password",
            "hunter2",
            "--transport",
            "x",
        ])
        .unwrap_err();
        assert!(!e.contains("hunter2"), "{e}");
    }

    #[test]
    fn accounts_from_a_config_file() {
        let file = temp_file(
            "two.toml",
            "[[account]]\nname = \"office\"\naor = \"sip:alice@127.0.0.1:5070\"\nregister = true\n\n\
             [[account]]\naor = \"sip:bob@127.0.0.1\"\n",
        );
        let path = file.to_str().unwrap();
        let c = config(&["--config", path]).unwrap();
        let names: Vec<&str> = c.driver.accounts.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["office", "bob"]);
        // The ad-hoc account comes first: it is the default.
        let c = config(&["--config", path, "--user", "carol", "--domain", "127.0.0.1"]).unwrap();
        let names: Vec<&str> = c.driver.accounts.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["carol", "office", "bob"]);
        assert_eq!(
            config(&["--config", path, "--user", "bob", "--domain", "127.0.0.1"]).unwrap_err(),
            format!("--user: the ad-hoc account and an account in {path} are both named 'bob'; names must be unique")
        );
        // The default file is read when it exists, and only then; --config wins.
        let with_default = |args: &[&str], default: &std::path::Path| {
            let mut argv = vec!["sipline"];
            argv.extend_from_slice(args);
            Config::from_cli_with(&Cli::try_from_args(argv).unwrap(), Some(default))
                .map(|c| c.driver.accounts.len())
                .map_err(|e| e.to_string())
        };
        assert_eq!(with_default(&[], &file), Ok(2));
        assert_eq!(with_default(&[], &file.with_extension("absent")), Ok(0));
        let one = temp_file("one.toml", "[[account]]\naor = \"sip:dave@127.0.0.1\"\n");
        assert_eq!(
            with_default(&["--config", one.to_str().unwrap()], &file),
            Ok(1)
        );
        // A missing --config file, or a bad one, is an error naming it.
        let missing = file.with_extension("missing");
        let e = config(&["--config", missing.to_str().unwrap()]).unwrap_err();
        assert!(
            e.starts_with(&format!("cannot read {}: ", missing.display())),
            "{e}"
        );
        let bad = temp_file(
            "bad.toml",
            "[[account]]\naor = \"sip:a@127.0.0.1\"\ncolour = 1\n",
        );
        let e = with_default(&[], &bad).unwrap_err();
        assert!(
            e.starts_with(&format!("{}: unknown field `colour`", bad.display())),
            "{e}"
        );
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
