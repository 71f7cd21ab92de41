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

mod ad_hoc;
mod cli;
mod values;

pub use cli::{Cli, Tool};
pub use values::{check_user, parse_codecs, parse_listen, parse_port_range, parse_target};

use ad_hoc::accounts_of;

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::accounts;
use crate::api::Command;
use crate::cli::duration::parse_duration;
use crate::driver::media::MediaConfig;
use crate::driver::tls::TlsConfig;
use crate::driver::DriverConfig;
use crate::media::audio::{AudioInSpec, AudioOutSpec};

/// SIP port used when `--listen` names only an address.
pub const DEFAULT_SIP_PORT: u16 = 5060;

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
    /// `--echo-dtmf`.
    pub echo_dtmf: bool,
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
            echo_dtmf: cli.echo_dtmf,
        })
    }
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

#[cfg(test)]
mod tests;
