//! The clap command line: every flag and the tool subcommands, as typed.

use std::path::PathBuf;

use clap::{ArgAction, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::sip::account::Secret;

/// The command line as typed.
#[derive(Parser, Debug, Clone, PartialEq, Eq)]
#[command(
    name = "sipline",
    version,
    about = "A SIP softphone for the terminal: REPL, scripted calls, Opus and G.711 over RTP",
    after_help = "With a terminal on stdin and no --script/-e, sipline starts an interactive \
                  prompt (type help). Otherwise it runs a script: --script FILE, the -e \
                  commands, or lines piped on stdin. A TARGET is called first, in both \
                  modes. `invite echo` (or TARGET echo) calls the built-in test line: it \
                  answers at once and sends back what it hears; `invite tone` sends a 1000 Hz \
                  tone.\n\nExamples:\n  sipline --audio-in silence --audio-out null\n  \
                  sipline --audio-in tone:440 --audio-out null -e 'invite echo' -e 'wait media' -e 'expect-audio tone:440'\n  \
                  sipline --duration 10s --audio-in tone:440 sip:100@127.0.0.1:5070 </dev/null\n  \
                  sipline --auto-answer=1s --audio-in tone:440 --audio-out heard.wav -e 'wait terminated 60s'\n\n\
                  Exit status: 0 ok, 1 a wait, --timeout or command failed, 2 bad usage or \
                  configuration, 130 interrupted (Ctrl-C or SIGTERM: calls are hung up first).",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// Call this URI at start (before the script's first line in script mode), e.g.
    /// sip:100@127.0.0.1:5070; `echo` or `tone` calls the built-in test line.
    #[arg(value_name = "TARGET")]
    pub target: Option<String>,

    /// SIP listen address: IP:PORT, a bare PORT (on 0.0.0.0) or a bare IP (port 5060).
    #[arg(long, value_name = "ADDR", default_value = "0.0.0.0:5060")]
    pub listen: String,

    /// Codecs to offer and accept, in order of preference.
    #[arg(long, value_name = "LIST", default_value = "opus,pcmu,pcma")]
    pub codecs: String,

    /// Audio source: default (microphone), FILE.wav, tone:HZ, silence, or echo (send back
    /// what the call receives, 160 ms later).
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

    /// Send every DTMF digit a call receives back on that call, by the method it came
    /// (with --audio-in echo and --auto-answer: an echo and DTMF test peer for other phones).
    #[arg(long)]
    pub echo_dtmf: bool,

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
