//! The one command table: text ↔ [`Command`] for the REPL and for scripts.
//!
//! Every command the user can type is a row of [`COMMANDS`]: its name, aliases, usage,
//! one-line summary, whether it is script-only, and its argument parser. Help, completion
//! and parsing all read this table, so a new command is one new row.
//!
//! Grammar (tokens are separated by whitespace; a line whose first non-blank character is
//! `#` is a comment; blank lines are ignored; command names are case-insensitive):
//!
//! ```text
//! invite <URI> [--account NAME] [--no-sdp] [--anonymous] [-H 'Name: value']…
//!                                   aliases: call, dial    (no scheme → sip: is added)
//! accept [N]                        alias: answer
//! reject [N] [CODE [REASON…]]       CODE 300-699, default 480
//! progress [N] [CODE [REASON…]]     CODE 101-199, default 180
//! reply [N] <CODE> [REASON…]        any final or provisional response
//! redirect [N] <URI>… [--code 300-399]
//! refer [N] <URI> | refer [N] --replace M    aliases: xfer, transfer
//! refer-accept [N] | refer-reject [N] [CODE]
//! hold [N] | unhold [N]             alias of unhold: resume
//! cancel [N]
//! hangup [N]                        alias: bye
//! dtmf [N] DIGITS [--mode auto|rfc4733|info] [--duration MS] [--gap MS]
//! register [ACCOUNT]                (default: the first account)
//! unregister [ACCOUNT]
//! sessions                          (the live calls, from the events seen)
//! status                            (registrations; calls with state and time)
//! stats [N]                         (media counters: packets, loss, jitter, level)
//! help [COMMAND]
//! quit                              alias: exit
//! wait <EVENT> [N] [TIMEOUT]        scripts only; TIMEOUT default 30s
//! wait registered|registration-failed|unregistered [ACCOUNT] [TIMEOUT]
//! wait dtmf [N] [DIGITS] [TIMEOUT]
//! expect-audio [N] tone:HZ|silence|speech [--for DUR]   scripts only; DUR default 2s
//! sleep <DURATION>                  scripts only
//! echo [TEXT…]                      scripts only
//! ```
//!
//! A command can be shortened to any prefix that fits only one command or alias
//! (`acc` → accept, `ha` → hangup); `quit` and `expect-audio` must be typed in full.
//!
//! `N` is a call number (1, 2, …). For `reject` and `progress`, a lone number below 100 is a
//! call number and a lone number of 100 or more is a status code; give both (`reject 150
//! 486`) to name a call numbered 100 or more. For `dtmf` and `wait dtmf`, a lone number is
//! DIGITS (`dtmf 123` sends 1, 2, 3 on the only call); a number is N only when DIGITS
//! follow (`dtmf 2 123`). DIGITS are `0-9 * # A-D` (`a-d` taken as `A-D`) and, when
//! sending, `,` for a 2 s pause. `--duration`/`--gap` take milliseconds (`150`) or a
//! duration (`150ms`, `1s`).
//!
//! `wait registered …` takes one word that is not a duration as the ACCOUNT (account
//! names may be numbers); `wait dtmf` with DIGITS consumes the `dtmf` events of one call
//! until they spell DIGITS and fails at once on a wrong digit.

use std::fmt;
use std::time::Duration;

use crate::api::{CallHandle, Command, DtmfMode, InviteOptions};
use crate::cli::calls::CallFilter;
use crate::cli::duration::{parse_duration, DURATION_EXAMPLES};

/// Which front-end is reading the line: some commands only make sense in scripts.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    /// The interactive prompt.
    Repl,
    /// `--script FILE`, `-e CMD` or piped stdin.
    Script,
}

/// Default `wait` timeout.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(30);

/// The event names `wait` accepts (the `Event::name()` of every call event).
pub const WAIT_EVENTS: &[&str] = &[
    "calling",
    "progress",
    "accepted",
    "rejected",
    "failed",
    "canceled",
    "incoming",
    "media",
    "terminated",
    "dtmf",
    "dtmf-sent",
    "registered",
    "registration-failed",
    "unregistered",
    "held",
    "resumed",
    "referred",
    "refer-invite-sent",
    "refer-progress",
    "refer-accepted",
    "refer-failed",
];

/// The events of an account (`wait EVENT [ACCOUNT] [TIMEOUT]`).
pub const ACCOUNT_EVENTS: &[&str] = &["registered", "registration-failed", "unregistered"];

/// What a script `wait` line asks for.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct WaitSpec {
    /// An `Event::name()`, one of [`WAIT_EVENTS`].
    pub event: &'static str,
    /// Only an event of this call, or of any call.
    pub call: Option<CallHandle>,
    /// Registration events: only those of this account.
    pub account: Option<String>,
    /// `wait dtmf`: the digits the call's `dtmf` events must spell, in order.
    pub digits: Option<String>,
    /// How long to wait.
    pub timeout: Duration,
}

impl WaitSpec {
    /// A wait for `event` (of `call`) with nothing else to match.
    pub fn new(event: &'static str, call: Option<CallHandle>, timeout: Duration) -> WaitSpec {
        WaitSpec {
            event,
            call,
            account: None,
            digits: None,
            timeout,
        }
    }
}

/// What a command's first argument completes to at the prompt.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Completes {
    /// Nothing to offer.
    Nothing,
    /// A live call's number, of the calls the filter keeps.
    Call(CallFilter),
    /// A command name.
    Command,
    /// A `.wav` file path (for the file commands to come: play, record).
    WavFile,
    /// An account name (configured, or seen in a registration event).
    Account,
}

/// One parsed line.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Action {
    /// Send this to the engine.
    Send(Command),
    /// List the live calls (from the events seen so far).
    Sessions,
    /// Registrations and calls with their state and times.
    Status,
    /// Registrations only.
    Registrations,
    /// Show help: all commands, or the one with this (canonical) name.
    Help(Option<&'static str>),
    /// Stop: Shutdown and exit.
    Quit,
    /// Script only: wait for an event.
    Wait(WaitSpec),
    /// Script only: pause (events keep printing).
    Sleep(Duration),
    /// Script only: print a line.
    Echo(String),
}

/// A line that could not be parsed: which command (if known) and what is wrong.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ParseError {
    /// Canonical command name, when the line named one.
    pub command: Option<&'static str>,
    /// The problem and the expected form, one line.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.command {
            Some(cmd) => write!(f, "{cmd}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ParseError {}

/// One row of the command table.
pub struct Spec {
    /// Canonical name.
    pub name: &'static str,
    /// Other names that mean the same.
    pub aliases: &'static [&'static str],
    /// Usage line, e.g. `reject [N] [CODE [REASON…]]`.
    pub usage: &'static str,
    /// One-line description.
    pub summary: &'static str,
    /// Longer help shown by `help <command>`.
    pub details: &'static str,
    /// Only valid in scripts.
    pub script_only: bool,
    /// What the first argument completes to.
    pub completes: Completes,
    parse: fn(&mut Args<'_>) -> Result<Action, String>,
}

impl fmt::Debug for Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Spec").field("name", &self.name).finish()
    }
}

/// Every command, in the order `help` lists them.
pub static COMMANDS: &[Spec] = &[
    Spec {
        name: "invite",
        aliases: &["call", "dial"],
        usage: "invite <URI> [--account NAME] [--no-sdp] [--anonymous] [-H 'Name: value']...",
        summary: "place a call, e.g. invite sip:100@127.0.0.1:5070",
        details: "Sends an INVITE with an SDP offer. Without a scheme, sip: is added; a bare number or user is called at the account's domain. --no-sdp sends the offer in the 2xx and the answer in the ACK (late offer); --anonymous hides the caller (RFC 3323 From, Privacy: id); -H adds a header (repeatable).",
        script_only: false,
        completes: Completes::Nothing,
        parse: parse_invite,
    },
    Spec {
        name: "accept",
        aliases: &["answer"],
        usage: "accept [N]",
        summary: "answer incoming call N (200 OK)",
        details: "Without N, the one incoming call that is waiting.",
        script_only: false,
        completes: Completes::Call(CallFilter::Unanswered),
        parse: parse_accept,
    },
    Spec {
        name: "reject",
        aliases: &[],
        usage: "reject [N] [CODE [REASON…]]",
        summary: "refuse incoming call N (default 480)",
        details: "CODE is 300-699. A lone number below 100 is a call number, 100 or more a code.",
        script_only: false,
        completes: Completes::Call(CallFilter::Unanswered),
        parse: parse_reject,
    },
    Spec {
        name: "progress",
        aliases: &[],
        usage: "progress [N] [CODE [REASON…]]",
        summary: "send a provisional response to incoming call N (default 180)",
        details: "CODE is 101-199. A lone number below 100 is a call number, 100 or more a code.",
        script_only: false,
        completes: Completes::Call(CallFilter::Unanswered),
        parse: parse_progress,
    },
    Spec {
        name: "reply",
        aliases: &[],
        usage: "reply [N] <CODE> [REASON...]",
        summary: "answer incoming call N with any status 100-699",
        details: "1xx is progress, 2xx accepts (with our SDP), 3xx-6xx rejects. The code is required.",
        script_only: false,
        completes: Completes::Call(CallFilter::Unanswered),
        parse: parse_reply,
    },
    Spec {
        name: "redirect",
        aliases: &[],
        usage: "redirect [N] <URI>... [--code 300-399]",
        summary: "send incoming call N elsewhere (302 with the URIs as Contacts)",
        details: "The caller tries the URIs itself (RFC 3261 §13.3.1.2). Default code 302.",
        script_only: false,
        completes: Completes::Call(CallFilter::Unanswered),
        parse: parse_redirect,
    },
    Spec {
        name: "refer",
        aliases: &["xfer", "transfer"],
        usage: "refer [N] <URI> | refer [N] --replace M",
        summary: "transfer call N: blind to URI, or attended to the peer of call M",
        details: "Sends REFER (RFC 3515); progress comes as refer-progress, then refer-accepted (we leave the call) or refer-failed. --replace M hands over to our call M's peer (RFC 3891 Replaces).",
        script_only: false,
        completes: Completes::Call(CallFilter::Answered),
        parse: parse_refer,
    },
    Spec {
        name: "refer-accept",
        aliases: &[],
        usage: "refer-accept [N]",
        summary: "follow the peer's REFER on call N: call its target",
        details: "Answers 202 and reports the new call's progress to the peer in NOTIFYs.",
        script_only: false,
        completes: Completes::Call(CallFilter::Answered),
        parse: parse_refer_accept,
    },
    Spec {
        name: "refer-reject",
        aliases: &[],
        usage: "refer-reject [N] [CODE]",
        summary: "refuse the peer's REFER on call N (default 480)",
        details: "CODE 300-699, e.g. 603 Decline.",
        script_only: false,
        completes: Completes::Call(CallFilter::Answered),
        parse: parse_refer_reject,
    },
    Spec {
        name: "hold",
        aliases: &[],
        usage: "hold [N]",
        summary: "put answered call N on hold (re-INVITE, sendonly)",
        details: "The peer's audio stops; `unhold` resumes. Without N, the one answered call.",
        script_only: false,
        completes: Completes::Call(CallFilter::Answered),
        parse: parse_hold,
    },
    Spec {
        name: "unhold",
        aliases: &["resume"],
        usage: "unhold [N]",
        summary: "take call N off hold (re-INVITE, sendrecv)",
        details: "Without N, the one answered call.",
        script_only: false,
        completes: Completes::Call(CallFilter::Answered),
        parse: parse_unhold,
    },
    Spec {
        name: "cancel",
        aliases: &[],
        usage: "cancel [N]",
        summary: "cancel outgoing call N before it is answered",
        details: "Without N, the one outgoing call still ringing.",
        script_only: false,
        completes: Completes::Call(CallFilter::Ringing),
        parse: parse_cancel,
    },
    Spec {
        name: "hangup",
        aliases: &["bye"],
        usage: "hangup [N]",
        summary: "end call N whatever its state (BYE, CANCEL or reject)",
        details: "Without N, the one call there is.",
        script_only: false,
        completes: Completes::Call(CallFilter::Any),
        parse: parse_hangup,
    },
    Spec {
        name: "dtmf",
        aliases: &[],
        usage: "dtmf [N] DIGITS [--mode auto|rfc4733|info] [--duration MS] [--gap MS]",
        summary: "send DTMF digits on call N, e.g. dtmf 123#",
        details: "DIGITS are 0-9 * # A-D, and , for a 2 s pause. A lone number is DIGITS \
                  (dtmf 2 123 names call 2). --mode auto (default) uses RFC 4733 \
                  telephone-events when the call negotiated them, else SIP INFO. Each tone \
                  lasts --duration (default 100 ms) with --gap after it (default 500 ms). \
                  The command returns at once; a dtmf-sent event follows each digit.",
        script_only: false,
        completes: Completes::Call(CallFilter::Answered),
        parse: parse_dtmf_command,
    },
    Spec {
        name: "register",
        aliases: &[],
        usage: "register [ACCOUNT]",
        summary: "register an account now (default: the first)",
        details: "Refreshes follow by themselves until unregister or quit; registered or \
                  registration-failed reports the outcome.",
        script_only: false,
        completes: Completes::Account,
        parse: parse_register,
    },
    Spec {
        name: "unregister",
        aliases: &[],
        usage: "unregister [ACCOUNT]",
        summary: "remove an account's registration (default: the first)",
        details: "Sends REGISTER with Expires: 0 and stops refreshing; unregistered reports it.",
        script_only: false,
        completes: Completes::Account,
        parse: parse_unregister,
    },
    Spec {
        name: "sessions",
        aliases: &[],
        usage: "sessions",
        summary: "list the live calls",
        details: "Built from the events seen so far: number, direction, peer, state, media.",
        script_only: false,
        completes: Completes::Nothing,
        parse: parse_sessions,
    },
    Spec {
        name: "status",
        aliases: &[],
        usage: "status",
        summary: "show registrations and calls with their state and time",
        details: "Talk time counts from the answer; unanswered calls show how long they have rung.",
        script_only: false,
        completes: Completes::Nothing,
        parse: parse_status,
    },
    Spec {
        name: "registrations",
        aliases: &[],
        usage: "registrations",
        summary: "show each account's registration: registered (and for how long), failed, or not",
        details: "Typed in full, so `reg` stays short for register.",
        script_only: false,
        completes: Completes::Nothing,
        parse: parse_registrations,
    },
    Spec {
        name: "stats",
        aliases: &[],
        usage: "stats [N]",
        summary: "show call N's media: packets, loss, jitter, level (default: every call)",
        details: "Counters are refreshed once a second while the call's media runs.",
        script_only: false,
        completes: Completes::Call(CallFilter::Answered),
        parse: parse_stats,
    },
    Spec {
        name: "help",
        aliases: &[],
        usage: "help [COMMAND]",
        summary: "list commands, or explain one",
        details: "",
        script_only: false,
        completes: Completes::Command,
        parse: parse_help,
    },
    Spec {
        name: "quit",
        aliases: &["exit"],
        usage: "quit",
        summary: "end every call, unregister the accounts and exit",
        details: "Ctrl-D at the prompt does the same.",
        script_only: false,
        completes: Completes::Nothing,
        parse: parse_quit,
    },
    Spec {
        name: "wait",
        aliases: &[],
        usage: "wait <EVENT> [N] [TIMEOUT]",
        summary: "scripts: wait for an event (default timeout 30s)",
        details: "EVENT is one of calling, progress, accepted, rejected, failed, canceled, \
                  incoming, media, terminated, dtmf, dtmf-sent, registered, \
                  registration-failed, unregistered. Takes the oldest event not yet waited \
                  for that fits (of call N if given). TIMEOUT like 10s, 500ms, 2m. \
                  Registration events take an ACCOUNT instead of N: wait registered \
                  [ACCOUNT] [TIMEOUT]. wait dtmf [N] [DIGITS] [TIMEOUT] waits until the \
                  call's digits spell DIGITS (a lone number is DIGITS) and fails at once \
                  on a wrong one.",
        script_only: true,
        completes: Completes::Nothing,
        parse: parse_wait,
    },
    Spec {
        name: "expect-audio",
        aliases: &[],
        usage: "expect-audio [N] tone:HZ|silence|speech [--for DUR]",
        summary: "scripts: check what call N receives over DUR (default 2s)",
        details: "Fails the script unless the audio call N receives over the next DUR \
                  holds the check, judged per 20 ms block: tone:HZ needs the tone in 70% \
                  of the blocks, silence needs every block below -50 dBFS, speech (or \
                  audio) needs 50% of the blocks above -40 dBFS. Prints an audio-checked \
                  event either way. Not at the prompt (use stats for the level there).",
        script_only: true,
        completes: Completes::Nothing,
        parse: parse_expect_audio,
    },
    Spec {
        name: "sleep",
        aliases: &[],
        usage: "sleep <DURATION>",
        summary: "scripts: pause, e.g. sleep 2s",
        details: "Events keep printing while the script sleeps.",
        script_only: true,
        completes: Completes::Nothing,
        parse: parse_sleep,
    },
    Spec {
        name: "echo",
        aliases: &[],
        usage: "echo [TEXT…]",
        summary: "scripts: print a line",
        details: "",
        script_only: true,
        completes: Completes::Nothing,
        parse: parse_echo,
    },
];

/// The row for a name or alias (case-insensitive).
pub fn lookup(name: &str) -> Option<&'static Spec> {
    let name = name.to_ascii_lowercase();
    COMMANDS
        .iter()
        .find(|s| s.name == name || s.aliases.contains(&name.as_str()))
}

/// Commands that must be typed in full (or by an alias): a stray letter must not end
/// every call, and `expect-audio` must not take `e` from `echo` (scripts written before
/// it existed keep their meaning).
const NO_PREFIX: &[&str] = &["quit", "expect-audio", "registrations"];

/// The row for a name, an alias, or an unambiguous prefix of one usable in `mode`
/// (`acc` → accept). Errors name the problem: unknown, or which commands a prefix fits.
pub fn resolve(word: &str, mode: Mode) -> Result<&'static Spec, String> {
    if let Some(spec) = lookup(word) {
        return Ok(spec);
    }
    let lower = word.to_ascii_lowercase();
    let mut specs: Vec<&'static Spec> = Vec::new();
    let mut names: Vec<&'static str> = Vec::new();
    for spec in COMMANDS
        .iter()
        .filter(|s| (mode == Mode::Script || !s.script_only) && !NO_PREFIX.contains(&s.name))
    {
        let fits: Vec<&'static str> = std::iter::once(spec.name)
            .chain(spec.aliases.iter().copied())
            .filter(|n| !lower.is_empty() && n.starts_with(&lower))
            .collect();
        if !fits.is_empty() {
            specs.push(spec);
            names.extend(fits);
        }
    }
    match specs.as_slice() {
        [one] => Ok(one),
        [] => Err(format!(
            "unknown command '{word}' (try 'help' for the list)"
        )),
        _ => Err(format!(
            "'{word}' could be {} (type more of it)",
            names.join(", ")
        )),
    }
}

/// Every name and alias usable in `mode`, for completion.
pub fn names(mode: Mode) -> impl Iterator<Item = &'static str> {
    COMMANDS
        .iter()
        .filter(move |s| mode == Mode::Script || !s.script_only)
        .flat_map(|s| std::iter::once(s.name).chain(s.aliases.iter().copied()))
}

/// Parse one line. `Ok(None)` for blank lines and `#` comments.
pub fn parse_line(line: &str, mode: Mode) -> Result<Option<Action>, ParseError> {
    let mut args = Args::new(line);
    let Some(word) = args.next() else {
        return Ok(None);
    };
    if word.starts_with('#') {
        return Ok(None);
    }
    let spec = resolve(word, mode).map_err(|message| ParseError {
        command: None,
        message,
    })?;
    let err = |message: String| ParseError {
        command: Some(spec.name),
        message,
    };
    if spec.script_only && mode == Mode::Repl {
        return Err(err(
            "only in scripts (--script FILE, -e CMD or piped stdin)".into(),
        ));
    }
    args.usage = spec.usage;
    (spec.parse)(&mut args).map(Some).map_err(err)
}

/// The widest usage `help` keeps in its first column.
const HELP_COLUMN: usize = 32;

/// Help text: the table, or one command's usage and details.
pub fn help_text(topic: Option<&str>, mode: Mode) -> String {
    match topic.and_then(lookup) {
        Some(spec) => {
            let mut out = format!("usage: {}\n  {}", spec.usage, spec.summary);
            if !spec.aliases.is_empty() {
                out.push_str(&format!("\n  aliases: {}", spec.aliases.join(", ")));
            }
            if !spec.details.is_empty() {
                out.push_str(&format!("\n  {}", spec.details));
            }
            out
        }
        None => {
            let shown: Vec<&Spec> = COMMANDS
                .iter()
                .filter(|s| mode == Mode::Script || !s.script_only)
                .collect();
            // A usage longer than the column gets a line of its own.
            let width = shown
                .iter()
                .map(|s| s.usage.chars().count())
                .filter(|&n| n <= HELP_COLUMN)
                .max()
                .unwrap_or(0);
            let mut out =
                String::from("commands (N = call number, optional when only one call fits):");
            for s in shown {
                let len = s.usage.chars().count();
                let gap = if len > width {
                    format!("\n  {}  ", " ".repeat(width))
                } else {
                    " ".repeat(width - len + 2)
                };
                out.push_str(&format!("\n  {}{gap}{}", s.usage, s.summary));
                if !s.aliases.is_empty() {
                    out.push_str(&format!(" (also: {})", s.aliases.join(", ")));
                }
            }
            out
        }
    }
}

/// The words of one line, with access to the raw rest of the line (for reasons and echo).
pub struct Args<'a> {
    line: &'a str,
    pos: usize,
    usage: &'static str,
}

impl<'a> Args<'a> {
    fn new(line: &'a str) -> Self {
        Args {
            line,
            pos: 0,
            usage: "",
        }
    }

    fn skip_space(&mut self) {
        let rest = &self.line[self.pos..];
        self.pos += rest.len() - rest.trim_start().len();
    }

    /// The next word, consuming it.
    fn next(&mut self) -> Option<&'a str> {
        let word = self.peek()?;
        self.pos += word.len();
        Some(word)
    }

    /// The next word, not consuming it.
    fn peek(&mut self) -> Option<&'a str> {
        self.skip_space();
        let rest = &self.line[self.pos..];
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        (end > 0).then(|| &rest[..end])
    }

    /// The next value: a word, or text in single or double quotes (quotes removed).
    fn next_value(&mut self) -> Option<&'a str> {
        self.skip_space();
        let rest = &self.line[self.pos..];
        let Some(quote) = rest.chars().next().filter(|c| *c == '\'' || *c == '"') else {
            return self.next();
        };
        match rest[1..].find(quote) {
            Some(end) => {
                self.pos += end + 2;
                Some(&rest[1..=end])
            }
            None => self.next(),
        }
    }

    /// Everything not yet consumed, trimmed.
    fn rest(&mut self) -> &'a str {
        let rest = self.line[self.pos..].trim();
        self.pos = self.line.len();
        rest
    }

    /// Error when anything is left.
    fn finish(&mut self) -> Result<(), String> {
        match self.next() {
            None => Ok(()),
            Some(extra) => Err(format!("unexpected '{extra}' (expected {})", self.usage)),
        }
    }

    /// An optional trailing call number, then nothing.
    fn opt_call_only(&mut self) -> Result<Option<CallHandle>, String> {
        let call = match self.next() {
            None => None,
            Some(word) => Some(parse_call(word).ok_or_else(|| {
                format!("'{word}' is not a call number (expected {})", self.usage)
            })?),
        };
        self.finish()?;
        Ok(call)
    }
}

fn is_number(word: &str) -> bool {
    !word.is_empty() && word.bytes().all(|b| b.is_ascii_digit())
}

/// A call number: 1, 2, … (leading zeros allowed).
fn parse_call(word: &str) -> Option<CallHandle> {
    if !is_number(word) {
        return None;
    }
    word.parse::<u32>().ok().filter(|&n| n >= 1).map(CallHandle)
}

/// The DTMF keys a digit string may hold, as users are told: `0-9 * # A-D ,` (`,` is a
/// pause). For `dtmf [N] DIGITS` (`wait dtmf` uses [`DTMF_WAIT_KEYS`]).
pub const DTMF_KEYS: &str = "0-9 * # A-D ,";

/// Check a string character by character: the first character `allowed` refuses gives
/// `'x' is not a NOUN (EXPECTED)`; the command name is put in front by [`ParseError`].
pub fn check_chars(
    text: &str,
    allowed: impl Fn(char) -> bool,
    noun: &str,
    expected: &str,
) -> Result<(), String> {
    if text.is_empty() {
        return Err(format!("missing {noun}s (expected {expected})"));
    }
    match text.chars().find(|&c| !allowed(c)) {
        None => Ok(()),
        Some(c) => Err(format!("'{c}' is not a {noun} ({expected})")),
    }
}

/// A DTMF digit string, `a-d` taken as `A-D`: `123#`, `*9,,1`.
pub fn parse_dtmf(text: &str) -> Result<String, String> {
    check_chars(
        text,
        |c| c.is_ascii_digit() || "*#,ABCDabcd".contains(c),
        "DTMF digit",
        DTMF_KEYS,
    )?;
    Ok(text.to_ascii_uppercase())
}

fn parse_invite(args: &mut Args<'_>) -> Result<Action, String> {
    let mut target = None;
    let mut options = InviteOptions::default();
    while let Some(word) = args.peek() {
        match word {
            "--no-sdp" => {
                args.next();
                options.no_sdp = true;
            }
            "--anonymous" => {
                args.next();
                options.anonymous = true;
            }
            "--account" => {
                args.next();
                let Some(name) = args.next() else {
                    return Err("--account needs a name (expected --account NAME)".into());
                };
                options.account = Some(name.to_string());
            }
            "-H" | "--header" => {
                args.next();
                let Some(value) = args.next_value() else {
                    return Err("-H needs a header, e.g. -H 'X-Case: 7'".into());
                };
                let Some((name, v)) = value.split_once(':') else {
                    return Err(format!(
                        "-H '{value}' is not a header (expected -H 'Name: value')"
                    ));
                };
                let name = name.trim();
                if name.is_empty() || name.contains(char::is_whitespace) {
                    return Err(format!("-H '{value}': '{name}' is not a header name"));
                }
                options
                    .headers
                    .push((name.to_string(), v.trim().to_string()));
            }
            w if w.starts_with('-') => {
                return Err(format!("unknown option '{w}' (expected {})", args.usage));
            }
            w => {
                args.next();
                if target.replace(w).is_some() {
                    return Err(format!(
                        "unexpected '{w}' after the target (expected {})",
                        args.usage
                    ));
                }
            }
        }
    }
    let Some(target) = target else {
        return Err(format!(
            "missing target (expected {}, e.g. invite sip:100@127.0.0.1:5070)",
            args.usage
        ));
    };
    let target = match uri_scheme(target) {
        Some(scheme) if scheme.eq_ignore_ascii_case("sip") || scheme.eq_ignore_ascii_case("sips") => {
            target.to_string()
        }
        Some(scheme) => {
            return Err(format!(
                "'{target}' is a {scheme}: URI; only sip: and sips: can be called (expected e.g. invite sip:100@127.0.0.1:5070)"
            ))
        }
        // A bare number or user (no @, dot or colon) goes as typed: the engine calls it at
        // the account's domain. Anything address-like gets sip:.
        None if !target.contains(['@', '.', ':']) => target.to_string(),
        None => format!("sip:{target}"),
    };
    if options == InviteOptions::default() {
        Ok(Action::Send(Command::Invite { target }))
    } else {
        Ok(Action::Send(Command::InviteWith { target, options }))
    }
}

/// The scheme of `text` if it starts with one (`sip`, `tel`, `http`), telling a scheme
/// from `host:port` by what follows the colon (a port starts with a digit).
fn uri_scheme(text: &str) -> Option<&str> {
    let (head, rest) = text.split_once(':')?;
    let mut chars = head.chars();
    let scheme_like = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    let port_follows = rest.starts_with(|c: char| c.is_ascii_digit());
    let is_sip = head.eq_ignore_ascii_case("sip") || head.eq_ignore_ascii_case("sips");
    (scheme_like && (is_sip || !port_follows)).then_some(head)
}

fn parse_accept(args: &mut Args<'_>) -> Result<Action, String> {
    let call = args.opt_call_only()?;
    Ok(Action::Send(Command::Accept { call }))
}

fn parse_cancel(args: &mut Args<'_>) -> Result<Action, String> {
    let call = args.opt_call_only()?;
    Ok(Action::Send(Command::Cancel { call }))
}

fn parse_hangup(args: &mut Args<'_>) -> Result<Action, String> {
    let call = args.opt_call_only()?;
    Ok(Action::Send(Command::Hangup { call }))
}

/// `[N] [CODE [REASON…]]` with CODE in `range`, `default` when absent.
fn parse_response(
    args: &mut Args<'_>,
    range: (u16, u16),
    default: u16,
) -> Result<(Option<CallHandle>, u16, Option<String>), String> {
    let (lo, hi) = range;
    let first = args.peek();
    let second = {
        // Look two words ahead without consuming.
        let save = args.pos;
        args.next();
        let w = args.peek();
        args.pos = save;
        w
    };
    let mut call = None;
    if let Some(first) = first {
        let n_then_code =
            is_number(first) && second.is_some_and(|w| w.starts_with(|c: char| c.is_ascii_digit()));
        let lone_small = is_number(first) && first.parse::<u32>().is_ok_and(|n| n < 100);
        if n_then_code || lone_small {
            args.next();
            call = Some(parse_call(first).ok_or_else(|| {
                format!("'{first}' is not a call number (expected {})", args.usage)
            })?);
        } else if !first.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(format!(
                "'{first}' is not a call number or status code (expected {})",
                args.usage
            ));
        }
    }
    let code = match args.next() {
        None => default,
        Some(word) => {
            if !(word.len() == 3 && is_number(word)) {
                return Err(format!(
                    "'{word}' is not a status code (expected {lo}-{hi})"
                ));
            }
            // invariant: three ASCII digits always parse as a u16.
            let code: u16 = word.parse().expect("three digits");
            if !(lo..=hi).contains(&code) {
                return Err(format!(
                    "{code} is out of range (expected a status code {lo}-{hi})"
                ));
            }
            code
        }
    };
    let reason = Some(args.rest())
        .filter(|r| !r.is_empty())
        .map(str::to_string);
    Ok((call, code, reason))
}

fn parse_reply(args: &mut Args<'_>) -> Result<Action, String> {
    let (call, code, reason) = parse_response(args, (100, 699), 0)?;
    if code == 0 {
        return Err(format!(
            "a status code is required (expected {})",
            args.usage
        ));
    }
    Ok(Action::Send(Command::Reply { call, code, reason }))
}

fn parse_redirect(args: &mut Args<'_>) -> Result<Action, String> {
    let mut call = None;
    let mut targets = Vec::new();
    let mut code = 302;
    while let Some(word) = args.next() {
        if let Some(v) = word.strip_prefix("--code") {
            let value = match v.strip_prefix('=') {
                Some(v) => v,
                None => args.next().unwrap_or(""),
            };
            code = match value.parse::<u16>() {
                Ok(c) if (300..=399).contains(&c) => c,
                _ => {
                    return Err(format!(
                        "--code '{value}' is not a redirection code (expected 300-399)"
                    ))
                }
            };
        } else if targets.is_empty() && call.is_none() && parse_call(word).is_some() {
            call = parse_call(word);
        } else {
            targets.push(word.to_string());
        }
    }
    if targets.is_empty() {
        return Err(format!("missing target (expected {})", args.usage));
    }
    Ok(Action::Send(Command::Redirect {
        call,
        targets,
        code,
    }))
}

fn parse_refer(args: &mut Args<'_>) -> Result<Action, String> {
    let mut call = None;
    let mut target = None;
    let mut replace = None;
    while let Some(word) = args.next() {
        if word == "--replace" {
            let Some(m) = args.next().and_then(parse_call) else {
                return Err(format!(
                    "--replace needs a call number (expected {})",
                    args.usage
                ));
            };
            replace = Some(m);
        } else if target.is_none() && call.is_none() && parse_call(word).is_some() {
            call = parse_call(word);
        } else if target.is_none() {
            target = Some(word.to_string());
        } else {
            return Err(format!("unexpected '{word}' (expected {})", args.usage));
        }
    }
    if target.is_none() && replace.is_none() {
        return Err(format!("missing target (expected {})", args.usage));
    }
    Ok(Action::Send(Command::Refer {
        call,
        target: target.unwrap_or_default(),
        replace,
    }))
}

fn parse_refer_accept(args: &mut Args<'_>) -> Result<Action, String> {
    let call = args.opt_call_only()?;
    Ok(Action::Send(Command::ReferAccept { call }))
}

fn parse_refer_reject(args: &mut Args<'_>) -> Result<Action, String> {
    let (call, code, _) = parse_response(args, (300, 699), 480)?;
    Ok(Action::Send(Command::ReferReject { call, code }))
}

fn parse_stats(args: &mut Args<'_>) -> Result<Action, String> {
    let call = args.opt_call_only()?;
    Ok(Action::Send(Command::Stats { call }))
}

fn parse_expect_audio(args: &mut Args<'_>) -> Result<Action, String> {
    let words: Vec<&str> = std::iter::from_fn(|| args.next()).collect();
    crate::cli::expect_audio::parse(&words, args.usage).map(Action::Send)
}

fn parse_hold(args: &mut Args<'_>) -> Result<Action, String> {
    let call = args.opt_call_only()?;
    Ok(Action::Send(Command::Hold { call }))
}

fn parse_unhold(args: &mut Args<'_>) -> Result<Action, String> {
    let call = args.opt_call_only()?;
    Ok(Action::Send(Command::Unhold { call }))
}

fn parse_reject(args: &mut Args<'_>) -> Result<Action, String> {
    let (call, code, reason) = parse_response(args, (300, 699), 480)?;
    Ok(Action::Send(Command::Reject { call, code, reason }))
}

fn parse_progress(args: &mut Args<'_>) -> Result<Action, String> {
    let (call, code, reason) = parse_response(args, (101, 199), 180)?;
    Ok(Action::Send(Command::Progress { call, code, reason }))
}

fn parse_help(args: &mut Args<'_>) -> Result<Action, String> {
    let topic = match args.next() {
        None => None,
        Some(word) => Some(
            resolve(word, Mode::Script)
                .map_err(|_| format!("no command '{word}' (try 'help' for the list)"))?
                .name,
        ),
    };
    args.finish()?;
    Ok(Action::Help(topic))
}

fn parse_sessions(args: &mut Args<'_>) -> Result<Action, String> {
    args.finish()?;
    Ok(Action::Sessions)
}

fn parse_status(args: &mut Args<'_>) -> Result<Action, String> {
    args.finish()?;
    Ok(Action::Status)
}

fn parse_registrations(args: &mut Args<'_>) -> Result<Action, String> {
    args.finish()?;
    Ok(Action::Registrations)
}

fn parse_quit(args: &mut Args<'_>) -> Result<Action, String> {
    args.finish()?;
    Ok(Action::Quit)
}

fn parse_wait(args: &mut Args<'_>) -> Result<Action, String> {
    let Some(word) = args.next() else {
        return Err(format!(
            "missing event (expected {}, EVENT one of {})",
            args.usage,
            WAIT_EVENTS.join(", ")
        ));
    };
    let lower = word.to_ascii_lowercase();
    let Some(event) = WAIT_EVENTS.iter().copied().find(|e| *e == lower) else {
        return Err(format!(
            "'{word}' is not an event (expected one of {})",
            WAIT_EVENTS.join(", ")
        ));
    };
    if ACCOUNT_EVENTS.contains(&event) {
        return parse_wait_account(args, event);
    }
    if event == "dtmf" {
        return parse_wait_dtmf(args);
    }
    let mut call = None;
    let mut timeout = DEFAULT_WAIT;
    if let Some(word) = args.next() {
        if is_number(word) {
            call = Some(parse_call(word).ok_or_else(|| {
                format!("'{word}' is not a call number (expected {})", args.usage)
            })?);
            if let Some(word) = args.next() {
                timeout = parse_duration(word)?;
            }
        } else {
            timeout = parse_duration(word).map_err(|_| {
                format!(
                    "'{word}' is not a call number or a duration (expected {}, TIMEOUT {DURATION_EXAMPLES})",
                    args.usage
                )
            })?;
        }
    }
    args.finish()?;
    Ok(Action::Wait(WaitSpec::new(event, call, timeout)))
}

/// A duration with a unit (`10s`), or None for any other word.
fn as_duration(word: &str) -> Option<Duration> {
    parse_duration(word).ok()
}

/// `wait registered|registration-failed|unregistered [ACCOUNT] [TIMEOUT]`: one word that
/// is not a duration is the account.
fn parse_wait_account(args: &mut Args<'_>, event: &'static str) -> Result<Action, String> {
    let usage = format!("wait {event} [ACCOUNT] [TIMEOUT]");
    let mut spec = WaitSpec::new(event, None, DEFAULT_WAIT);
    if let Some(word) = args.next() {
        match as_duration(word) {
            Some(d) => spec.timeout = d,
            None => {
                spec.account = Some(word.to_string());
                if let Some(word) = args.next() {
                    spec.timeout = parse_duration(word)?;
                }
            }
        }
    }
    if let Some(extra) = args.next() {
        return Err(format!("unexpected '{extra}' (expected {usage})"));
    }
    Ok(Action::Wait(spec))
}

/// `wait dtmf [N] [DIGITS] [TIMEOUT]`: a trailing duration is the timeout; a lone word
/// before it is DIGITS, two are N and DIGITS.
fn parse_wait_dtmf(args: &mut Args<'_>) -> Result<Action, String> {
    const USAGE: &str = "wait dtmf [N] [DIGITS] [TIMEOUT]";
    let mut words: Vec<&str> = std::iter::from_fn(|| args.next()).collect();
    let mut spec = WaitSpec::new("dtmf", None, DEFAULT_WAIT);
    if let Some(d) = words.last().copied().and_then(as_duration) {
        spec.timeout = d;
        words.pop();
    }
    match words.as_slice() {
        [] => {}
        [digits] => {
            spec.digits = Some(parse_wait_digits(digits).map_err(|e| {
                if digits.starts_with(|c: char| c.is_ascii_digit() || "*#ABCDabcd".contains(c)) {
                    e
                } else {
                    format!(
                        "'{digits}' is not DTMF digits or a duration (expected {USAGE}, DIGITS {DTMF_WAIT_KEYS}, TIMEOUT {DURATION_EXAMPLES})"
                    )
                }
            })?);
        }
        [n, digits] => {
            spec.call = Some(
                parse_call(n)
                    .ok_or_else(|| format!("'{n}' is not a call number (expected {USAGE})"))?,
            );
            spec.digits = Some(parse_wait_digits(digits)?);
        }
        [_, _, extra, ..] => return Err(format!("unexpected '{extra}' (expected {USAGE})")),
    }
    Ok(Action::Wait(spec))
}

/// The keys that can arrive (no `,`: a pause is never received).
pub const DTMF_WAIT_KEYS: &str = "0-9 * # A-D";

/// Digits to wait for: like [`parse_dtmf`] without the `,` pause.
pub fn parse_wait_digits(text: &str) -> Result<String, String> {
    if text.contains(',') {
        return Err(format!(
            "',' is a pause when sending; it never arrives (expected {DTMF_WAIT_KEYS})"
        ));
    }
    check_chars(
        text,
        |c| c.is_ascii_digit() || "*#ABCDabcd".contains(c),
        "DTMF digit",
        DTMF_WAIT_KEYS,
    )?;
    Ok(text.to_ascii_uppercase())
}

/// `--duration`/`--gap` of `dtmf`: milliseconds (`150`) or a duration (`150ms`, `1s`),
/// within `lo..=hi` ms.
fn parse_millis(option: &str, text: &str, lo: u32, hi: u32) -> Result<u32, String> {
    let ms = if is_number(text) {
        text.parse::<u64>().ok()
    } else {
        parse_duration(text)
            .ok()
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    };
    match ms {
        Some(ms) if (u64::from(lo)..=u64::from(hi)).contains(&ms) => {
            // invariant: ms <= hi, and hi is a u32.
            Ok(u32::try_from(ms).expect("within a u32 range"))
        }
        Some(_) => Err(format!(
            "{option} {text} is out of range (expected {lo}-{hi} ms)"
        )),
        None => Err(format!(
            "{option} '{text}' is not a time in milliseconds (e.g. {option} 150 or {option} 150ms)"
        )),
    }
}

/// Tone length limits for `dtmf --duration` (ms).
pub const DTMF_DURATION_MS: (u32, u32) = (20, 10_000);
/// Pause limits for `dtmf --gap` (ms).
pub const DTMF_GAP_MS: (u32, u32) = (0, 10_000);

fn parse_dtmf_command(args: &mut Args<'_>) -> Result<Action, String> {
    let usage = args.usage;
    let mut positional: Vec<&str> = Vec::new();
    let mut mode = DtmfMode::Auto;
    let mut duration_ms = None;
    let mut gap_ms = None;
    while let Some(word) = args.next() {
        let Some(option) = word.strip_prefix("--") else {
            positional.push(word);
            continue;
        };
        let (name, inline) = match option.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (option, None),
        };
        let name = name.to_ascii_lowercase();
        let expected = match name.as_str() {
            "mode" => "auto, rfc4733 or info",
            "duration" => "a tone length in ms, e.g. --duration 150",
            "gap" => "a pause in ms, e.g. --gap 300",
            _ => return Err(format!("unknown option '{word}' (expected {usage})")),
        };
        let Some(value) = inline.or_else(|| args.next()) else {
            return Err(format!("--{name} needs a value ({expected})"));
        };
        match name.as_str() {
            "mode" => {
                mode = match value.to_ascii_lowercase().as_str() {
                    "auto" => DtmfMode::Auto,
                    "rfc4733" => DtmfMode::Rfc4733,
                    "info" => DtmfMode::Info,
                    _ => {
                        return Err(format!(
                            "--mode '{value}' is not one of auto, rfc4733, info"
                        ))
                    }
                }
            }
            "duration" => {
                let (lo, hi) = DTMF_DURATION_MS;
                duration_ms = Some(parse_millis("--duration", value, lo, hi)?);
            }
            _ => {
                let (lo, hi) = DTMF_GAP_MS;
                gap_ms = Some(parse_millis("--gap", value, lo, hi)?);
            }
        }
    }
    let (call, digits) = match positional.as_slice() {
        [] => return Err(format!("missing digits (expected {usage})")),
        [digits] => (None, parse_dtmf(digits)?),
        [n, digits] => (
            Some(
                parse_call(n)
                    .ok_or_else(|| format!("'{n}' is not a call number (expected {usage})"))?,
            ),
            parse_dtmf(digits)?,
        ),
        [_, _, extra, ..] => return Err(format!("unexpected '{extra}' (expected {usage})")),
    };
    Ok(Action::Send(Command::SendDtmf {
        call,
        digits,
        mode,
        duration_ms,
        gap_ms,
    }))
}

/// `[ACCOUNT]`, then nothing.
fn opt_account(args: &mut Args<'_>) -> Result<Option<String>, String> {
    let account = args.next().map(str::to_string);
    args.finish()?;
    Ok(account)
}

fn parse_register(args: &mut Args<'_>) -> Result<Action, String> {
    let account = opt_account(args)?;
    Ok(Action::Send(Command::Register { account }))
}

fn parse_unregister(args: &mut Args<'_>) -> Result<Action, String> {
    let account = opt_account(args)?;
    Ok(Action::Send(Command::Unregister { account }))
}

fn parse_sleep(args: &mut Args<'_>) -> Result<Action, String> {
    let Some(word) = args.next() else {
        return Err(format!(
            "missing duration (expected {}, {DURATION_EXAMPLES})",
            args.usage
        ));
    };
    let d = parse_duration(word)?;
    args.finish()?;
    Ok(Action::Sleep(d))
}

fn parse_echo(args: &mut Args<'_>) -> Result<Action, String> {
    Ok(Action::Echo(args.rest().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(line: &str) -> Action {
        parse_line(line, Mode::Script)
            .unwrap_or_else(|e| panic!("{line:?}: {e}"))
            .unwrap_or_else(|| panic!("{line:?}: no action"))
    }

    fn err(line: &str) -> String {
        match parse_line(line, Mode::Script) {
            Err(e) => e.to_string(),
            Ok(a) => panic!("{line:?} parsed as {a:?}"),
        }
    }

    fn send(line: &str) -> Command {
        match ok(line) {
            Action::Send(c) => c,
            a => panic!("{line:?} parsed as {a:?}"),
        }
    }

    const C1: Option<CallHandle> = Some(CallHandle(1));
    const C2: Option<CallHandle> = Some(CallHandle(2));

    #[test]
    fn blank_and_comment_lines() {
        for line in ["", "   ", "\t", "# a comment", "   #indented", "#"] {
            assert_eq!(parse_line(line, Mode::Script), Ok(None), "{line:?}");
            assert_eq!(parse_line(line, Mode::Repl), Ok(None), "{line:?}");
        }
    }

    #[test]
    fn invite_and_aliases() {
        let want = Command::Invite {
            target: "sip:100@127.0.0.1:5070".into(),
        };
        for line in [
            "invite sip:100@127.0.0.1:5070",
            "call sip:100@127.0.0.1:5070",
            "dial sip:100@127.0.0.1:5070",
            "  INVITE   sip:100@127.0.0.1:5070  ",
        ] {
            assert_eq!(send(line), want, "{line:?}");
        }
        // A bare number goes as typed: the engine calls it at the account's domain.
        assert_eq!(
            send("invite 100"),
            Command::Invite {
                target: "100".into()
            }
        );
        assert_eq!(
            send("invite 100@127.0.0.1:5070"),
            Command::Invite {
                target: "sip:100@127.0.0.1:5070".into()
            }
        );
        assert_eq!(
            send("invite 100 --anonymous -H 'X-Case: 7' --no-sdp"),
            Command::InviteWith {
                target: "100".into(),
                options: InviteOptions {
                    no_sdp: true,
                    anonymous: true,
                    headers: vec![("X-Case".into(), "7".into())],
                    account: None,
                },
            }
        );
        assert_eq!(
            send("invite 100 --account office"),
            Command::InviteWith {
                target: "100".into(),
                options: InviteOptions {
                    account: Some("office".into()),
                    ..InviteOptions::default()
                },
            }
        );
        assert_eq!(
            err("invite 100 -H nocolon"),
            "invite: -H 'nocolon' is not a header (expected -H 'Name: value')"
        );
        assert_eq!(send("hold"), Command::Hold { call: None });
        assert_eq!(
            send("resume 2"),
            Command::Unhold {
                call: Some(CallHandle(2))
            }
        );
        assert_eq!(
            send("reply 2 183"),
            Command::Reply {
                call: Some(CallHandle(2)),
                code: 183,
                reason: None
            }
        );
        assert!(
            err("reply").contains("a status code is required"),
            "{}",
            err("reply")
        );
        assert_eq!(
            send("redirect sip:carol@127.0.0.1:5063 --code 301"),
            Command::Redirect {
                call: None,
                targets: vec!["sip:carol@127.0.0.1:5063".into()],
                code: 301
            }
        );
        assert_eq!(
            send("invite sips:alice@example.com"),
            Command::Invite {
                target: "sips:alice@example.com".into()
            }
        );
        for (line, target) in [
            ("invite alice@[::1]:5070", "sip:alice@[::1]:5070"),
            ("invite localhost:5070", "sip:localhost:5070"),
            ("invite 127.0.0.1", "sip:127.0.0.1"),
            ("invite SIP:100@h", "SIP:100@h"),
            ("invite sip:100@h:5070", "sip:100@h:5070"),
        ] {
            assert_eq!(
                send(line),
                Command::Invite {
                    target: target.into()
                },
                "{line}"
            );
        }
        assert_eq!(
            err("invite tel:+4930123"),
            "invite: 'tel:+4930123' is a tel: URI; only sip: and sips: can be called (expected e.g. invite sip:100@127.0.0.1:5070)"
        );
        assert_eq!(
            err("invite http://example.com"),
            "invite: 'http://example.com' is a http: URI; only sip: and sips: can be called (expected e.g. invite sip:100@127.0.0.1:5070)"
        );
        assert_eq!(
            err("invite"),
            "invite: missing target (expected invite <URI> [--account NAME] [--no-sdp] [--anonymous] [-H 'Name: value']..., e.g. invite sip:100@127.0.0.1:5070)"
        );
        assert_eq!(
            err("call sip:a@b extra"),
            "invite: unexpected 'extra' after the target (expected invite <URI> [--account NAME] [--no-sdp] [--anonymous] [-H 'Name: value']...)"
        );
    }

    #[test]
    fn accept_cancel_hangup() {
        assert_eq!(send("accept"), Command::Accept { call: None });
        assert_eq!(send("accept 2"), Command::Accept { call: C2 });
        assert_eq!(send("answer 1"), Command::Accept { call: C1 });
        assert_eq!(send("cancel"), Command::Cancel { call: None });
        assert_eq!(send("cancel 1"), Command::Cancel { call: C1 });
        assert_eq!(send("hangup"), Command::Hangup { call: None });
        assert_eq!(send("hangup 2"), Command::Hangup { call: C2 });
        assert_eq!(send("bye 2"), Command::Hangup { call: C2 });
        assert_eq!(send("accept 02"), Command::Accept { call: C2 });
        assert_eq!(
            err("accept x"),
            "accept: 'x' is not a call number (expected accept [N])"
        );
        assert_eq!(
            err("accept 0"),
            "accept: '0' is not a call number (expected accept [N])"
        );
        assert_eq!(
            err("accept -1"),
            "accept: '-1' is not a call number (expected accept [N])"
        );
        assert_eq!(
            err("accept 1 2"),
            "accept: unexpected '2' (expected accept [N])"
        );
        assert_eq!(
            err("cancel one"),
            "cancel: 'one' is not a call number (expected cancel [N])"
        );
        assert_eq!(
            err("bye 1 now"),
            "hangup: unexpected 'now' (expected hangup [N])"
        );
        assert_eq!(
            err("hangup 99999999999"),
            "hangup: '99999999999' is not a call number (expected hangup [N])"
        );
    }

    #[test]
    fn reject_forms() {
        let r = |call, code, reason: Option<&str>| Command::Reject {
            call,
            code,
            reason: reason.map(str::to_string),
        };
        assert_eq!(send("reject"), r(None, 480, None));
        assert_eq!(send("reject 2"), r(C2, 480, None));
        assert_eq!(send("reject 486"), r(None, 486, None));
        assert_eq!(
            send("reject 486 Busy Here"),
            r(None, 486, Some("Busy Here"))
        );
        assert_eq!(send("reject 2 486"), r(C2, 486, None));
        assert_eq!(
            send("reject 2 603   Decline  now "),
            r(C2, 603, Some("Decline  now"))
        );
        assert_eq!(send("reject 150 486"), r(Some(CallHandle(150)), 486, None));
        assert_eq!(
            err("reject 99x"),
            "reject: '99x' is not a status code (expected 300-699)"
        );
        assert_eq!(
            err("reject 1 99x"),
            "reject: '99x' is not a status code (expected 300-699)"
        );
        assert_eq!(
            err("reject 2 Busy"),
            "reject: 'Busy' is not a status code (expected 300-699)"
        );
        assert_eq!(
            err("reject 200"),
            "reject: 200 is out of range (expected a status code 300-699)"
        );
        assert_eq!(
            err("reject 1 700"),
            "reject: 700 is out of range (expected a status code 300-699)"
        );
        assert_eq!(
            err("reject 1 4860"),
            "reject: '4860' is not a status code (expected 300-699)"
        );
        assert_eq!(
            err("reject busy"),
            "reject: 'busy' is not a call number or status code (expected reject [N] [CODE [REASON…]])"
        );
        assert_eq!(
            err("reject 0 486"),
            "reject: '0' is not a call number (expected reject [N] [CODE [REASON…]])"
        );
    }

    #[test]
    fn progress_forms() {
        let p = |call, code, reason: Option<&str>| Command::Progress {
            call,
            code,
            reason: reason.map(str::to_string),
        };
        assert_eq!(send("progress"), p(None, 180, None));
        assert_eq!(send("progress 1"), p(C1, 180, None));
        assert_eq!(send("progress 183"), p(None, 183, None));
        assert_eq!(
            send("progress 1 183 Session Progress"),
            p(C1, 183, Some("Session Progress"))
        );
        assert_eq!(
            err("progress 100"),
            "progress: 100 is out of range (expected a status code 101-199)"
        );
        assert_eq!(
            err("progress 1 200"),
            "progress: 200 is out of range (expected a status code 101-199)"
        );
        assert_eq!(
            err("progress 1 ring"),
            "progress: 'ring' is not a status code (expected 101-199)"
        );
        assert_eq!(
            err("progress now"),
            "progress: 'now' is not a call number or status code (expected progress [N] [CODE [REASON…]])"
        );
    }

    #[test]
    fn help_quit() {
        assert_eq!(ok("help"), Action::Help(None));
        assert_eq!(ok("help reject"), Action::Help(Some("reject")));
        assert_eq!(ok("help dial"), Action::Help(Some("invite")));
        assert_eq!(ok("help wait"), Action::Help(Some("wait")));
        assert_eq!(
            err("help frob"),
            "help: no command 'frob' (try 'help' for the list)"
        );
        assert_eq!(
            err("help zz b"),
            "help: no command 'zz' (try 'help' for the list)"
        );
        assert_eq!(
            err("help accept b"),
            "help: unexpected 'b' (expected help [COMMAND])"
        );
        assert_eq!(ok("sessions"), Action::Sessions);
        assert_eq!(
            err("sessions 1"),
            "sessions: unexpected '1' (expected sessions)"
        );
        assert_eq!(ok("quit"), Action::Quit);
        assert_eq!(ok("exit"), Action::Quit);
        assert_eq!(ok("QUIT"), Action::Quit);
        assert_eq!(err("quit now"), "quit: unexpected 'now' (expected quit)");
    }

    #[test]
    fn wait_forms() {
        let w =
            |event, call, secs| Action::Wait(WaitSpec::new(event, call, Duration::from_secs(secs)));
        assert_eq!(ok("wait accepted"), w("accepted", None, 30));
        assert_eq!(ok("wait accepted 1"), w("accepted", C1, 30));
        assert_eq!(ok("wait accepted 10s"), w("accepted", None, 10));
        assert_eq!(ok("wait accepted 1 2m"), w("accepted", C1, 120));
        assert_eq!(ok("wait Incoming 5s"), w("incoming", None, 5));
        for name in WAIT_EVENTS {
            assert_eq!(ok(&format!("wait {name}")), w(name, None, 30));
        }
        assert_eq!(ok("wait dtmf-sent 2 5s"), w("dtmf-sent", C2, 5));
        assert_eq!(
            err("wait"),
            "wait: missing event (expected wait <EVENT> [N] [TIMEOUT], EVENT one of calling, progress, accepted, rejected, failed, canceled, incoming, media, terminated, dtmf, dtmf-sent, registered, registration-failed, unregistered, held, resumed, referred, refer-invite-sent, refer-progress, refer-accepted, refer-failed)"
        );
        assert_eq!(
            err("wait answered"),
            "wait: 'answered' is not an event (expected one of calling, progress, accepted, rejected, failed, canceled, incoming, media, terminated, dtmf, dtmf-sent, registered, registration-failed, unregistered, held, resumed, referred, refer-invite-sent, refer-progress, refer-accepted, refer-failed)"
        );
        assert_eq!(
            err("wait command-error"),
            "wait: 'command-error' is not an event (expected one of calling, progress, accepted, rejected, failed, canceled, incoming, media, terminated, dtmf, dtmf-sent, registered, registration-failed, unregistered, held, resumed, referred, refer-invite-sent, refer-progress, refer-accepted, refer-failed)"
        );
        assert_eq!(
            err("wait accepted soon"),
            "wait: 'soon' is not a call number or a duration (expected wait <EVENT> [N] [TIMEOUT], TIMEOUT e.g. 10s, 500ms, 2m)"
        );
        assert_eq!(
            err("wait accepted 1 10"),
            "wait: '10' needs a unit (e.g. 10s, 500ms, 2m)"
        );
        assert_eq!(
            err("wait accepted 0"),
            "wait: '0' is not a call number (expected wait <EVENT> [N] [TIMEOUT])"
        );
        assert_eq!(
            err("wait accepted 1 10s x"),
            "wait: unexpected 'x' (expected wait <EVENT> [N] [TIMEOUT])"
        );
        assert_eq!(
            err("wait accepted 10s 1"),
            "wait: unexpected '1' (expected wait <EVENT> [N] [TIMEOUT])"
        );
    }

    #[test]
    fn wait_for_an_account() {
        let w = |event, account: Option<&str>, secs| {
            let mut spec = WaitSpec::new(event, None, Duration::from_secs(secs));
            spec.account = account.map(str::to_string);
            Action::Wait(spec)
        };
        assert_eq!(ok("wait registered"), w("registered", None, 30));
        assert_eq!(ok("wait registered 40s"), w("registered", None, 40));
        assert_eq!(
            ok("wait registered office"),
            w("registered", Some("office"), 30)
        );
        assert_eq!(
            ok("wait registered office 1m"),
            w("registered", Some("office"), 60)
        );
        // Account names may be numbers: a word that is not a duration is the account.
        assert_eq!(
            ok("wait registered 100 5s"),
            w("registered", Some("100"), 5)
        );
        assert_eq!(
            ok("wait Unregistered alice"),
            w("unregistered", Some("alice"), 30)
        );
        assert_eq!(
            ok("wait registration-failed alice 35s"),
            w("registration-failed", Some("alice"), 35)
        );
        assert_eq!(
            err("wait registered alice soon"),
            "wait: 'soon' is not a duration (e.g. 10s, 500ms, 2m)"
        );
        assert_eq!(
            err("wait registered alice 5s x"),
            "wait: unexpected 'x' (expected wait registered [ACCOUNT] [TIMEOUT])"
        );
        assert_eq!(
            err("wait unregistered 5s 6s"),
            "wait: unexpected '6s' (expected wait unregistered [ACCOUNT] [TIMEOUT])"
        );
    }

    #[test]
    fn wait_for_dtmf() {
        let w = |call, digits: Option<&str>, secs| {
            let mut spec = WaitSpec::new("dtmf", call, Duration::from_secs(secs));
            spec.digits = digits.map(str::to_string);
            Action::Wait(spec)
        };
        assert_eq!(ok("wait dtmf"), w(None, None, 30));
        assert_eq!(ok("wait dtmf 10s"), w(None, None, 10));
        assert_eq!(ok("wait dtmf 123#"), w(None, Some("123#"), 30));
        // A lone number is DIGITS, as in `dtmf`.
        assert_eq!(ok("wait dtmf 1"), w(None, Some("1"), 30));
        assert_eq!(ok("wait dtmf 1 10s"), w(None, Some("1"), 10));
        assert_eq!(ok("wait dtmf 1 123#"), w(C1, Some("123#"), 30));
        assert_eq!(ok("wait dtmf 2 159#*0d 20s"), w(C2, Some("159#*0D"), 20));
        assert_eq!(ok("wait dtmf *"), w(None, Some("*"), 30));
        assert_eq!(
            err("wait dtmf 12x"),
            "wait: 'x' is not a DTMF digit (0-9 * # A-D)"
        );
        assert_eq!(
            err("wait dtmf 1 2,3"),
            "wait: ',' is a pause when sending; it never arrives (expected 0-9 * # A-D)"
        );
        assert_eq!(
            err("wait dtmf soon"),
            "wait: 'soon' is not DTMF digits or a duration (expected wait dtmf [N] [DIGITS] [TIMEOUT], DIGITS 0-9 * # A-D, TIMEOUT e.g. 10s, 500ms, 2m)"
        );
        assert_eq!(
            err("wait dtmf x 12"),
            "wait: 'x' is not a call number (expected wait dtmf [N] [DIGITS] [TIMEOUT])"
        );
        assert_eq!(
            err("wait dtmf 0 12"),
            "wait: '0' is not a call number (expected wait dtmf [N] [DIGITS] [TIMEOUT])"
        );
        assert_eq!(
            err("wait dtmf 1 12 34 5s"),
            "wait: unexpected '34' (expected wait dtmf [N] [DIGITS] [TIMEOUT])"
        );
    }

    #[test]
    fn dtmf_forms() {
        let d = |call, digits: &str, mode, duration_ms, gap_ms| Command::SendDtmf {
            call,
            digits: digits.into(),
            mode,
            duration_ms,
            gap_ms,
        };
        use DtmfMode::*;
        assert_eq!(send("dtmf 123#"), d(None, "123#", Auto, None, None));
        // A lone number is DIGITS; N only when DIGITS follow.
        assert_eq!(send("dtmf 123"), d(None, "123", Auto, None, None));
        assert_eq!(send("dtmf 2 123"), d(C2, "123", Auto, None, None));
        assert_eq!(send("dtmf 1 *9,,1ad"), d(C1, "*9,,1AD", Auto, None, None));
        assert_eq!(
            send("dtmf 159#*0D --mode info"),
            d(None, "159#*0D", Info, None, None)
        );
        assert_eq!(
            send("dtmf 1 5 --mode RFC4733 --duration 200 --gap 300"),
            d(C1, "5", Rfc4733, Some(200), Some(300))
        );
        assert_eq!(
            send("dtmf --mode=auto --duration=150ms --gap=1s 2 #"),
            d(C2, "#", Auto, Some(150), Some(1000))
        );
        assert_eq!(send("dtmf 1 --gap 0"), d(None, "1", Auto, None, Some(0)));
        assert_eq!(
            err("dtmf 12x4"),
            "dtmf: 'x' is not a DTMF digit (0-9 * # A-D ,)"
        );
        assert_eq!(
            err("dtmf 1 E"),
            "dtmf: 'E' is not a DTMF digit (0-9 * # A-D ,)"
        );
        assert_eq!(
            err("dtmf"),
            "dtmf: missing digits (expected dtmf [N] DIGITS [--mode auto|rfc4733|info] [--duration MS] [--gap MS])"
        );
        assert_eq!(
            err("dtmf --mode info"),
            "dtmf: missing digits (expected dtmf [N] DIGITS [--mode auto|rfc4733|info] [--duration MS] [--gap MS])"
        );
        assert_eq!(
            err("dtmf x 12"),
            "dtmf: 'x' is not a call number (expected dtmf [N] DIGITS [--mode auto|rfc4733|info] [--duration MS] [--gap MS])"
        );
        assert_eq!(
            err("dtmf 1 2 3"),
            "dtmf: unexpected '3' (expected dtmf [N] DIGITS [--mode auto|rfc4733|info] [--duration MS] [--gap MS])"
        );
        assert_eq!(
            err("dtmf 1 --mode sip"),
            "dtmf: --mode 'sip' is not one of auto, rfc4733, info"
        );
        assert_eq!(
            err("dtmf 1 --mode"),
            "dtmf: --mode needs a value (auto, rfc4733 or info)"
        );
        assert_eq!(
            err("dtmf 1 --duration 5"),
            "dtmf: --duration 5 is out of range (expected 20-10000 ms)"
        );
        assert_eq!(
            err("dtmf 1 --duration long"),
            "dtmf: --duration 'long' is not a time in milliseconds (e.g. --duration 150 or --duration 150ms)"
        );
        assert_eq!(
            err("dtmf 1 --gap 1m"),
            "dtmf: --gap 1m is out of range (expected 0-10000 ms)"
        );
        assert_eq!(
            err("dtmf 1 --loud"),
            "dtmf: unknown option '--loud' (expected dtmf [N] DIGITS [--mode auto|rfc4733|info] [--duration MS] [--gap MS])"
        );
    }

    #[test]
    fn register_unregister() {
        assert_eq!(send("register"), Command::Register { account: None });
        assert_eq!(
            send("register office"),
            Command::Register {
                account: Some("office".into())
            }
        );
        assert_eq!(send("unregister"), Command::Unregister { account: None });
        assert_eq!(
            send("unreg 100"),
            Command::Unregister {
                account: Some("100".into())
            }
        );
        assert_eq!(send("reg"), Command::Register { account: None });
        assert_eq!(
            err("register a b"),
            "register: unexpected 'b' (expected register [ACCOUNT])"
        );
        assert_eq!(
            err("re"),
            "'re' could be reject, reply, redirect, refer, refer-accept, refer-reject, resume, register (type more of it)"
        );
        assert_eq!(
            parse_line("register alice", Mode::Repl),
            Ok(Some(Action::Send(Command::Register {
                account: Some("alice".into())
            })))
        );
    }

    #[test]
    fn sleep_echo() {
        assert_eq!(ok("sleep 2s"), Action::Sleep(Duration::from_secs(2)));
        assert_eq!(ok("sleep 250ms"), Action::Sleep(Duration::from_millis(250)));
        assert_eq!(
            err("sleep"),
            "sleep: missing duration (expected sleep <DURATION>, e.g. 10s, 500ms, 2m)"
        );
        assert_eq!(
            err("sleep 2"),
            "sleep: '2' needs a unit (e.g. 10s, 500ms, 2m)"
        );
        assert_eq!(
            err("sleep 2s 3s"),
            "sleep: unexpected '3s' (expected sleep <DURATION>)"
        );
        assert_eq!(ok("echo"), Action::Echo(String::new()));
        assert_eq!(
            ok("echo  hello   world # not a comment "),
            Action::Echo("hello   world # not a comment".into())
        );
    }

    #[test]
    fn unknown_and_mode() {
        assert_eq!(
            err("frobnicate now"),
            "unknown command 'frobnicate' (try 'help' for the list)"
        );
        for line in ["wait accepted", "sleep 1s", "echo hi"] {
            let e = parse_line(line, Mode::Repl).unwrap_err();
            assert!(
                e.to_string()
                    .ends_with(": only in scripts (--script FILE, -e CMD or piped stdin)"),
                "{e}"
            );
        }
        assert_eq!(
            parse_line("accept", Mode::Repl),
            Ok(Some(Action::Send(Command::Accept { call: None })))
        );
    }

    #[test]
    fn unambiguous_prefixes() {
        assert_eq!(send("acc"), Command::Accept { call: None });
        assert_eq!(send("ans 2"), Command::Accept { call: C2 });
        assert_eq!(send("ha 1"), Command::Hangup { call: C1 });
        assert_eq!(send("can"), Command::Cancel { call: None });
        assert_eq!(send("REJ 486"), send("reject 486"));
        assert_eq!(send("di sip:a@b"), send("invite sip:a@b"));
        assert_eq!(ok("sess"), Action::Sessions);
        assert_eq!(ok("statu"), Action::Status);
        assert_eq!(ok("registrations"), Action::Registrations);
        assert_eq!(send("reg"), Command::Register { account: None });
        assert_eq!(send("regis"), Command::Register { account: None });
        assert_eq!(send("stats"), Command::Stats { call: None });
        assert_eq!(send("stats 2"), Command::Stats { call: C2 });
        assert_eq!(err("st"), "'st' could be status, stats (type more of it)");
        assert_eq!(
            err("s"),
            "'s' could be sessions, status, stats, sleep (type more of it)"
        );
        assert_eq!(ok("help acc"), Action::Help(Some("accept")));
        assert_eq!(ok("wa incoming"), ok("wait incoming"));
        assert_eq!(err("c 1"), "'c' could be call, cancel (type more of it)");
        assert_eq!(err("ca 1"), "'ca' could be call, cancel (type more of it)");
        // A stray letter must not end every call.
        assert_eq!(err("q"), "unknown command 'q' (try 'help' for the list)");
        assert_eq!(
            err("qui"),
            "unknown command 'qui' (try 'help' for the list)"
        );
        // In the REPL, script-only commands are not candidates.
        assert_eq!(
            parse_line("exi", Mode::Repl).unwrap_err().to_string(),
            "unknown command 'exi' (try 'help' for the list)"
        );
        assert_eq!(
            parse_line("w", Mode::Repl).unwrap_err().to_string(),
            "unknown command 'w' (try 'help' for the list)"
        );
        assert_eq!(ok("e hi"), Action::Echo("hi".into()));
        // expect-audio is typed in full: `e` stays echo.
        assert_eq!(
            err("expect tone:440"),
            "unknown command 'expect' (try 'help' for the list)"
        );
        assert_eq!(ok("exit"), Action::Quit);
    }

    #[test]
    fn dtmf_digits_are_checked_one_by_one() {
        assert_eq!(parse_dtmf("123#"), Ok("123#".into()));
        assert_eq!(parse_dtmf("*9,,1ad"), Ok("*9,,1AD".into()));
        let e = parse_dtmf("12x4").unwrap_err();
        assert_eq!(e, "'x' is not a DTMF digit (0-9 * # A-D ,)");
        // As the user will see it, named by the command (issue 8's form).
        let shown = ParseError {
            command: Some("dtmf"),
            message: e,
        };
        assert_eq!(
            shown.to_string(),
            "dtmf: 'x' is not a DTMF digit (0-9 * # A-D ,)"
        );
        assert_eq!(
            parse_dtmf("E"),
            Err("'E' is not a DTMF digit (0-9 * # A-D ,)".into())
        );
        assert_eq!(
            parse_dtmf("1 2"),
            Err("' ' is not a DTMF digit (0-9 * # A-D ,)".into())
        );
        assert_eq!(
            parse_dtmf(""),
            Err("missing DTMF digits (expected 0-9 * # A-D ,)".into())
        );
    }

    #[test]
    fn table_is_consistent() {
        let mut seen = std::collections::HashSet::new();
        for spec in COMMANDS {
            assert!(seen.insert(spec.name), "duplicate {}", spec.name);
            for a in spec.aliases {
                assert!(seen.insert(a), "duplicate alias {a}");
            }
            assert!(spec.usage.starts_with(spec.name), "{}", spec.usage);
            assert_eq!(lookup(spec.name).unwrap().name, spec.name);
        }
        let repl: Vec<_> = names(Mode::Repl).collect();
        assert!(repl.contains(&"dial") && !repl.contains(&"wait"));
        assert!(names(Mode::Script).any(|n| n == "wait"));
    }

    #[test]
    fn help_lists_table() {
        let all = help_text(None, Mode::Script);
        for spec in COMMANDS {
            assert!(all.contains(spec.usage), "{}", spec.usage);
        }
        assert!(
            all.contains("\n  dtmf [N] DIGITS [--mode auto|rfc4733|info] [--duration MS] [--gap MS]\n                                 send DTMF digits"),
            "{all}"
        );
        assert!(
            all.contains("\n  register [ACCOUNT]             register an account"),
            "{all}"
        );
        let repl = help_text(None, Mode::Repl);
        assert!(!repl.contains("wait <EVENT>"));
        assert!(repl.contains("(also: call, dial)"), "{repl}");
        let one = help_text(Some("dial"), Mode::Repl);
        assert!(one.starts_with("usage: invite <URI>"), "{one}");
        assert!(one.contains("aliases: call, dial"), "{one}");
    }
}
