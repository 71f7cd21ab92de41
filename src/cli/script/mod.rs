//! Script mode: commands from `--script FILE`, `-e CMD` or piped stdin, one per line.
//!
//! Every event is printed as it arrives and also kept, unconsumed, in an [`EventQueue`].
//! `wait <event> [N] [TIMEOUT]` takes the OLDEST unconsumed event that fits (name, and
//! call number or account when given), so an event that arrived before the script asked
//! for it is not lost. `wait dtmf [N] DIGITS` takes the unconsumed `dtmf` events of one
//! call (call N, else the call of the oldest one), oldest first, until they spell DIGITS;
//! a digit that does not fit fails the wait at once, saying what arrived instead.
//! `expect-audio` sends its command and then waits, like `wait`, for its `audio-checked`
//! verdict (window + 5 s at most); a verdict that did not pass fails the script, saying
//! what was measured ([`crate::cli::expect_audio`]). Exit status: 0 when the script ends
//! (or says `quit`) and the engine shut down cleanly; 1 when a wait timed out or an
//! `expect-audio` failed, `--timeout` passed, the engine reported a `command-error` or
//! stopped on its own; 2 for a bad line; 130 on Ctrl-C.
//!
//! The command line's TARGET runs first, as line 0 (`command line: TARGET …` in
//! messages). `--auto-answer` and `--duration` ([`crate::cli::policy`]) send their
//! commands while any line runs; with `--duration`, the end of the script waits for the
//! live calls to end (and for invites whose `calling` has not arrived) instead of hanging
//! them up.

mod lines;
mod queue;
mod runner;

pub use lines::{parse_script, parse_script_line, BadLine, ScriptLine};
pub use queue::{account_of, DtmfMatch, EventQueue};
pub use runner::run;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use tokio::io::AsyncBufRead;

use crate::cli::policy::Policy;

/// Exit status: all went well.
pub const EXIT_OK: u8 = 0;
/// Exit status: a wait, the script timeout or a command failed.
pub const EXIT_FAILED: u8 = 1;
/// Exit status: bad command line, configuration or script line.
pub const EXIT_USAGE: u8 = 2;
/// Exit status: interrupted (Ctrl-C).
pub const EXIT_INTERRUPTED: u8 = 130;

/// Where script lines come from.
pub enum Source {
    /// Already read and checked (`--script FILE`, `-e`).
    Parsed(Vec<ScriptLine>),
    /// Read and checked line by line as they arrive (piped stdin), so a test can feed
    /// commands in reaction to events.
    Reader(Box<dyn AsyncBufRead + Unpin + Send>),
}

/// Script options.
pub struct Options {
    /// Bounds the whole script (`--timeout`).
    pub timeout: Option<Duration>,
    /// Resolves when the user interrupts (Ctrl-C); `None` never interrupts.
    pub interrupt: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
    /// How long the engine may take to shut down at the end of a good script.
    pub shutdown_grace: Duration,
    /// Lines run before the script's own (the command line's TARGET), numbered 0.
    pub prelude: Vec<ScriptLine>,
    /// `--auto-answer` and `--duration`. With a duration, the end of the script waits for
    /// the live calls to end instead of hanging them up.
    pub policy: Policy,
    /// The configured account names, the default first (for `status`).
    pub accounts: Vec<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            timeout: None,
            interrupt: None,
            shutdown_grace: Duration::from_secs(40),
            prelude: Vec::new(),
            policy: Policy::default(),
            accounts: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests;
