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
//! invite <URI> [--account NAME] [--no-sdp] [--anonymous] [--no-follow] [-H 'Name: value']…
//!                                   aliases: call, dial    (no scheme → sip: is added)
//! invite echo | invite tone         the built-in test line (typed target, not a user)
//! accept [N]                        alias: answer
//! reject [N] [CODE [REASON…]]       CODE 300-699, default 480
//! progress [N] [CODE [REASON…]]     CODE 101-199, default 180
//! preaccept [N]                     reliable 183 with SDP (RFC 3262 100rel), early media
//! reply [N] <CODE> [REASON…]        any final or provisional response
//! redirect [N] <URI>… [--code 300-399]
//!     each of these five also takes [-H 'Name: value']… [--body TEXT [--content-type TYPE]]
//!     (no --body on a 2xx: it carries our SDP)
//! refer [N] <URI> | refer [N] --replace M [--no-sub] [--hold]    aliases: xfer, transfer
//! refer <URI> --to <RECIPIENT> [--no-sub]    (out of dialog)
//! refer-accept [N] | refer-reject [N] [CODE] | refer-progress [N]
//! hold [N] | unhold [N]             alias of unhold: resume
//! cancel [N] [--reason 'SIP;cause=NUM;text="…"']
//! hangup [N]                        CANCEL, reject or BYE, whatever fits the state
//! bye [N]                           BYE; only on a confirmed call
//! request [N] <METHOD> [-H 'Name: value']… [--body TEXT [--content-type TYPE]]
//! request <METHOD> <URI> […]       out of dialog, e.g. request OPTIONS sip:pbx
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

mod args;
mod call;
mod general;
mod script_only;

use std::fmt;
use std::time::Duration;

use crate::api::{CallHandle, Command};
use crate::cli::calls::CallFilter;

pub use args::{check_chars, parse_dtmf, Args, DTMF_KEYS};
pub use call::{DTMF_DURATION_MS, DTMF_GAP_MS};
pub use script_only::{parse_wait_digits, DTMF_WAIT_KEYS};

use call::{
    parse_accept, parse_bye, parse_cancel, parse_dtmf_command, parse_hangup, parse_hold,
    parse_invite, parse_preaccept, parse_progress, parse_redirect, parse_refer, parse_refer_accept,
    parse_refer_progress, parse_refer_reject, parse_reject, parse_reply, parse_request,
    parse_stats, parse_unhold,
};
use general::{
    parse_help, parse_quit, parse_register, parse_registrations, parse_sessions, parse_status,
    parse_unregister,
};
use script_only::{parse_echo, parse_expect_audio, parse_sleep, parse_wait};

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
    "refer-rejected",
    "response",
    "redirected",
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
    /// A line of the built-in test service (`echo`, `tone`).
    TestLine,
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
        usage: "invite <URI>|echo|tone [--account NAME] [--no-sdp] [--anonymous] [--no-follow] [-H 'Name: value']...",
        summary: "place a call, e.g. invite sip:100@127.0.0.1:5070, or invite echo to try it",
        details: "Sends an INVITE with an SDP offer. Without a scheme, sip: is added; a bare number or user is called at the account's domain. The bare words echo and tone call the built-in test line, a SIP phone inside sipline on 127.0.0.1 that answers at once: echo sends back what it hears 160 ms later, tone sends a 1000 Hz tone, and both send back the DTMF digits they hear (so 'dtmf 123' comes back as dtmf events). To reach a user named echo at a PBX, write it in full (echo@pbx.example or sip:echo@pbx.example). --no-sdp sends the offer in the 2xx and the answer in the ACK (late offer); --anonymous hides the caller (RFC 3323 From, Privacy: id); --no-follow ends the call at a 3xx with a `redirected` event listing its Contacts instead of calling them; -H adds a header (repeatable).",
        script_only: false,
        completes: Completes::TestLine,
        parse: parse_invite,
    },
    Spec {
        name: "accept",
        aliases: &["answer"],
        usage: "accept [N] [-H 'Name: value']",
        summary: "answer incoming call N (200 OK)",
        details: "Without N, the one incoming call that is waiting. -H adds a header to the 200 (repeatable); it carries our SDP, so --body is refused.",
        script_only: false,
        completes: Completes::Call(CallFilter::Unanswered),
        parse: parse_accept,
    },
    Spec {
        name: "reject",
        aliases: &[],
        usage: "reject [N] [CODE [REASON…]] [-H 'Name: value']... [--body TEXT [--content-type TYPE]]",
        summary: "refuse incoming call N (default 480)",
        details: "CODE is 300-699. A lone number below 100 is a call number, 100 or more a code. -H adds a header (repeatable); --body adds a body (Content-Type text/plain unless --content-type).",
        script_only: false,
        completes: Completes::Call(CallFilter::Unanswered),
        parse: parse_reject,
    },
    Spec {
        name: "progress",
        aliases: &[],
        usage: "progress [N] [CODE [REASON…]] [-H 'Name: value']... [--body TEXT [--content-type TYPE]]",
        summary: "send a provisional response to incoming call N (default 180)",
        details: "CODE is 101-199. A lone number below 100 is a call number, 100 or more a code. -H adds a header (repeatable); --body adds a body (Content-Type text/plain unless --content-type).",
        script_only: false,
        completes: Completes::Call(CallFilter::Unanswered),
        parse: parse_progress,
    },
    Spec {
        name: "preaccept",
        aliases: &[],
        usage: "preaccept [N]",
        summary: "send incoming call N a reliable 183 with our SDP (early media)",
        details: "RFC 3262 100rel: the caller must PRACK the 183, which is retransmitted until it does (the call is rejected with 500 after 32 s without). Only when the caller's INVITE supports 100rel; otherwise an error and nothing is sent (use progress N 183 for an unreliable one). An accept before the PRACK waits for it.",
        script_only: false,
        completes: Completes::Call(CallFilter::Unanswered),
        parse: parse_preaccept,
    },
    Spec {
        name: "reply",
        aliases: &[],
        usage: "reply [N] <CODE> [REASON...] [-H 'Name: value']... [--body TEXT [--content-type TYPE]]",
        summary: "answer incoming call N with any status 100-699",
        details: "1xx is progress, 2xx accepts (with our SDP), 3xx-6xx rejects. The code is required. -H adds a header (repeatable); --body adds a body (Content-Type text/plain unless --content-type), except on a 2xx.",
        script_only: false,
        completes: Completes::Call(CallFilter::Unanswered),
        parse: parse_reply,
    },
    Spec {
        name: "redirect",
        aliases: &[],
        usage: "redirect [N] <URI>... [--code 300-399] [-H 'Name: value']... [--body TEXT [--content-type TYPE]]",
        summary: "send incoming call N elsewhere (302 with the URIs as Contacts)",
        details: "The caller tries the URIs itself (RFC 3261 §13.3.1.2). Default code 302. -H adds a header (repeatable); --body adds a body.",
        script_only: false,
        completes: Completes::Call(CallFilter::Unanswered),
        parse: parse_redirect,
    },
    Spec {
        name: "refer",
        aliases: &["xfer", "transfer"],
        usage: "refer [N] <URI> | refer [N] --replace M [--no-sub] [--hold] | refer <URI> --to <RECIPIENT>",
        summary: "transfer call N: blind to URI, or attended to the peer of call M",
        details: "Sends REFER (RFC 3515); progress comes as refer-progress, then refer-accepted (we leave the call), refer-failed (the peer refused the REFER) or refer-rejected (the target refused the peer's call). --replace M hands over to our call M's peer (RFC 3891 Replaces). --no-sub asks for no NOTIFYs (RFC 4488 Refer-Sub: false): when the peer agrees, its 2xx gives refer-accepted at once and we leave the call. --hold puts the call on hold first and sends the REFER once the hold is accepted. --to RECIPIENT sends the REFER outside any call, asking RECIPIENT to call URI; it gets a number of its own, shown in its refer-* events.",
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
        name: "refer-progress",
        aliases: &[],
        usage: "refer-progress [N]",
        summary: "tell the peer its REFER on call N is being considered (100 Trying)",
        details: "SIP.js ReferServerContext.progress: answers the REFER with 100 Trying; \
                  refer-accept or refer-reject still decides, within the same 20 s.",
        script_only: false,
        completes: Completes::Call(CallFilter::Answered),
        parse: parse_refer_progress,
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
        usage: "cancel [N] [--reason 'SIP;cause=NUM;text=\"...\"']",
        summary: "cancel outgoing call N before it is answered",
        details: "Without N, the one outgoing call still ringing. --reason puts a Reason header (RFC 3326) on the CANCEL, e.g. --reason 'SIP;cause=200;text=\"Call completed elsewhere\"'; the protocol and a numeric cause are required.",
        script_only: false,
        completes: Completes::Call(CallFilter::Ringing),
        parse: parse_cancel,
    },
    Spec {
        name: "hangup",
        aliases: &[],
        usage: "hangup [N]",
        summary: "end call N whatever its state (BYE, CANCEL or reject)",
        details: "Without N, the one call there is.",
        script_only: false,
        completes: Completes::Call(CallFilter::Any),
        parse: parse_hangup,
    },
    Spec {
        name: "request",
        aliases: &[],
        usage: "request [N] <METHOD> | request <METHOD> <URI> [--account NAME] [-H 'Name: value']... [--body TEXT [--content-type TYPE]]",
        summary: "send a request (INFO, MESSAGE, OPTIONS, …) in call N, or out of dialog to URI",
        details: "SIP.js sendRequest. With N (or the one call that is up) the request goes in the call's dialog; with a URI instead, outside any dialog, from the first account or the one --account names. The final response is printed as a `response` event (code 0 when none came); a 401/407 is answered with the account's credentials. INVITE, ACK, CANCEL, BYE, PRACK, UPDATE, REGISTER and REFER have their own commands and are refused. --body is sent as text/plain unless --content-type.",
        script_only: false,
        completes: Completes::Call(CallFilter::Answered),
        parse: parse_request,
    },
    Spec {
        name: "bye",
        aliases: &[],
        usage: "bye [N]",
        summary: "end confirmed call N with BYE",
        details: "Refuses a call that is not confirmed (ringing, or answered and waiting for the ACK): cancel, reject or hangup those. Without N, the one confirmed call.",
        script_only: false,
        completes: Completes::Call(CallFilter::Answered),
        parse: parse_bye,
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
        details: "Built from the events seen so far: number, direction, peer and our own identity, state, start time (UTC), how long it has rung or talked, media.",
        script_only: false,
        completes: Completes::Nothing,
        parse: parse_sessions,
    },
    Spec {
        name: "status",
        aliases: &[],
        usage: "status",
        summary: "show registrations and calls with their state and time",
        details: "Talk time counts from the answer; unanswered calls show how long they have rung. \
                  Calls with media are followed by a stats line each: packets, loss, jitter and \
                  the live audio level.",
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
                  registration-failed, unregistered, held, resumed, referred, \
                  refer-invite-sent, refer-progress, refer-accepted, refer-failed, \
                  refer-rejected. Takes the oldest event not yet waited \
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

#[cfg(test)]
mod tests;
