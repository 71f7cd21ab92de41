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

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, Lines};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::time::Instant;

use crate::api::{CallHandle, Command, DtmfMode, Event};
use crate::cli::calls::CallTable;
use crate::cli::commands::{help_text, parse_line, Action, Mode, WaitSpec};
use crate::cli::duration::format_duration;
use crate::cli::expect_audio;
use crate::cli::output::Output;
use crate::cli::policy::{until, Policy};
use crate::cli::registrations::{self, Registrations};
use crate::cli::render;

/// Exit status: all went well.
pub const EXIT_OK: u8 = 0;
/// Exit status: a wait, the script timeout or a command failed.
pub const EXIT_FAILED: u8 = 1;
/// Exit status: bad command line, configuration or script line.
pub const EXIT_USAGE: u8 = 2;
/// Exit status: interrupted (Ctrl-C).
pub const EXIT_INTERRUPTED: u8 = 130;

/// How many recent events a timeout message shows.
const RECENT: usize = 3;
/// Unconsumed events kept at most (the oldest are dropped beyond this).
const MAX_PENDING: usize = 10_000;
/// How long the engine may take to stop after a failure before we give up on it.
const FAILURE_GRACE: Duration = Duration::from_secs(5);

/// Events received and not yet taken by a `wait`, oldest first.
#[derive(Default, Debug)]
pub struct EventQueue {
    pending: VecDeque<Event>,
    recent: VecDeque<Event>,
}

impl EventQueue {
    /// An empty queue.
    pub fn new() -> Self {
        EventQueue::default()
    }

    /// Record an event as it arrives.
    pub fn push(&mut self, event: Event) {
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(event.clone());
        if self.pending.len() == MAX_PENDING {
            self.pending.pop_front();
        }
        self.pending.push_back(event);
    }

    /// Remove and return the oldest unconsumed event named `name` (of `call`, if given).
    pub fn take(&mut self, name: &str, call: Option<CallHandle>) -> Option<Event> {
        self.take_where(|e| e.name() == name && (call.is_none() || e.call() == call))
    }

    /// Remove and return the oldest unconsumed event that `fits`.
    pub fn take_where(&mut self, fits: impl Fn(&Event) -> bool) -> Option<Event> {
        let i = self.pending.iter().position(fits)?;
        self.pending.remove(i)
    }

    /// Remove and return the oldest unconsumed event a `wait` without DIGITS asks for.
    pub fn take_for(&mut self, spec: &WaitSpec) -> Option<Event> {
        self.take_where(|e| {
            e.name() == spec.event
                && (spec.call.is_none() || e.call() == spec.call)
                && (spec.account.is_none() || account_of(e) == spec.account.as_deref())
        })
    }

    /// How far the unconsumed `dtmf` events go toward spelling `want` (upper case, not
    /// empty): those of `call`, else of the call of the oldest `dtmf` event, oldest first.
    /// When they spell it, they are consumed ([`DtmfMatch::Done`]); a digit that does not
    /// fit is consumed with those before it ([`DtmfMatch::Wrong`]); otherwise nothing is.
    pub fn match_dtmf(&mut self, want: &str, call: Option<CallHandle>) -> DtmfMatch {
        let want: Vec<char> = want.chars().collect();
        let mut call = call;
        let mut used = Vec::new();
        let mut got = String::new();
        for (i, event) in self.pending.iter().enumerate() {
            let Event::Dtmf {
                call: from,
                digit,
                method,
                ..
            } = event
            else {
                continue;
            };
            if call.is_some_and(|c| c != *from) {
                continue;
            }
            call = Some(*from);
            used.push(i);
            let expected = want[got.chars().count()];
            if !digit.eq_ignore_ascii_case(&expected.to_string()) {
                let wrong = DtmfMatch::Wrong {
                    call: *from,
                    got: got.clone(),
                    digit: digit.clone(),
                    method: *method,
                    expected,
                };
                self.remove_all(&used);
                return wrong;
            }
            got.push(expected);
            if got.chars().count() == want.len() {
                return DtmfMatch::Done(self.remove_all(&used));
            }
        }
        DtmfMatch::Partial { call, got }
    }

    /// Remove the pending events at these (ascending) positions; returns them in order.
    fn remove_all(&mut self, positions: &[usize]) -> Vec<Event> {
        let mut out: Vec<Event> = positions
            .iter()
            .rev()
            .filter_map(|&i| self.pending.remove(i))
            .collect();
        out.reverse();
        out
    }

    /// Events not yet consumed, oldest first.
    pub fn pending(&self) -> impl Iterator<Item = &Event> {
        self.pending.iter()
    }

    /// The last few events received (consumed or not), e.g. `progress 1 180 Ringing,
    /// accepted 1 200`, or `none`.
    pub fn recent_summary(&self) -> String {
        if self.recent.is_empty() {
            return "none".into();
        }
        self.recent
            .iter()
            .map(render::brief)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The account a registration event is about.
pub fn account_of(event: &Event) -> Option<&str> {
    match event {
        Event::Registered { account, .. }
        | Event::RegistrationFailed { account, .. }
        | Event::Unregistered { account } => Some(account),
        _ => None,
    }
}

/// Where `wait dtmf [N] DIGITS` stands ([`EventQueue::match_dtmf`]).
#[derive(Clone, PartialEq, Debug)]
pub enum DtmfMatch {
    /// The digits are spelled: these `dtmf` events, now consumed.
    Done(Vec<Event>),
    /// The first digits fit (`got`, of `call` once one is known); more must come.
    Partial {
        /// The call the digits come from, once known.
        call: Option<CallHandle>,
        /// The digits that fit so far.
        got: String,
    },
    /// A digit arrived that does not fit.
    Wrong {
        /// The call.
        call: CallHandle,
        /// The digits that fit before it.
        got: String,
        /// The digit that arrived.
        digit: String,
        /// How it came.
        method: DtmfMode,
        /// The digit that was due.
        expected: char,
    },
}

/// One checked script line.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ScriptLine {
    /// 1-based line number (or the position of the `-e`).
    pub number: usize,
    /// The line as written, trimmed.
    pub text: String,
    /// What it does.
    pub action: Action,
}

/// A script line that does not parse: a usage error (exit 2).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct BadLine {
    /// 1-based line number.
    pub number: usize,
    /// The line, trimmed.
    pub text: String,
    /// What is wrong and what is expected.
    pub message: String,
}

impl fmt::Display for BadLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "script line {}: {}: {}",
            self.number, self.text, self.message
        )
    }
}

impl std::error::Error for BadLine {}

/// Parse one script line; `Ok(None)` for blanks and comments.
pub fn parse_script_line(number: usize, text: &str) -> Result<Option<ScriptLine>, BadLine> {
    match parse_line(text, Mode::Script) {
        Ok(None) => Ok(None),
        Ok(Some(action)) => Ok(Some(ScriptLine {
            number,
            text: text.trim().to_string(),
            action,
        })),
        Err(e) => Err(BadLine {
            number,
            text: text.trim().to_string(),
            message: e.to_string(),
        }),
    }
}

/// Check a whole script (file or `-e` list) before anything is sent.
pub fn parse_script<'a>(
    lines: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<ScriptLine>, BadLine> {
    let mut out = Vec::new();
    for (i, text) in lines.into_iter().enumerate() {
        if let Some(line) = parse_script_line(i + 1, text)? {
            out.push(line);
        }
    }
    Ok(out)
}

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

/// Why a script stopped early.
#[derive(Debug)]
enum Failure {
    /// A bad line read from stdin.
    Usage(BadLine),
    /// `wait` timed out.
    WaitTimeout {
        line: usize,
        text: String,
        after: Duration,
        /// What a `wait dtmf DIGITS` had got, e.g. `got 15 of 159# on call 1`.
        progress: Option<String>,
    },
    /// `wait dtmf DIGITS`: a digit that does not fit arrived; or `expect-audio` heard
    /// something else.
    Mismatch {
        line: usize,
        text: String,
        /// What arrived instead.
        what: String,
    },
    /// `--timeout` passed.
    ScriptTimeout {
        at: Option<(usize, String)>,
        after: Duration,
    },
    /// The engine answered a command with `command-error`.
    CommandError(String),
    /// The event channel closed or the command channel is gone.
    EngineStopped { at: Option<(usize, String)> },
    /// Ctrl-C.
    Interrupted,
    /// Reading stdin failed.
    Read(std::io::Error),
}

struct Runner<'a> {
    commands: &'a UnboundedSender<Command>,
    events: &'a mut UnboundedReceiver<Event>,
    out: &'a mut Output,
    queue: EventQueue,
    calls: CallTable,
    registrations: Registrations,
    deadline: Option<Instant>,
    timeout: Option<Duration>,
    interrupt: Pin<Box<dyn Future<Output = ()> + Send>>,
    /// The line being carried out.
    current: Option<(usize, String)>,
    /// The last line that sent a command.
    last_sent: Option<(usize, String)>,
    policy: Policy,
    /// Invites sent whose `calling` event has not arrived yet (a call the table does not
    /// know about yet).
    invites_in_flight: usize,
}

/// Where a line is, for messages: `script line 3: wait accepted`, or the command line's
/// TARGET (line 0).
fn place(number: usize, text: &str) -> String {
    if number == 0 {
        format!("command line: {text}")
    } else {
        format!("script line {number}: {text}")
    }
}

impl Runner<'_> {
    fn script_timeout(&self) -> Failure {
        Failure::ScriptTimeout {
            at: self.current.clone(),
            after: self.timeout.unwrap_or_default(),
        }
    }

    /// Print an event and keep it for `wait`; a command error fails the script.
    fn on_event(&mut self, event: Event) -> Result<(), Failure> {
        self.out.event(&event);
        self.calls.update(&event);
        self.registrations.update(&event);
        self.policy.observe(&event, Instant::now());
        if matches!(event, Event::Calling { .. } | Event::CommandError { .. }) {
            self.invites_in_flight = self.invites_in_flight.saturating_sub(1);
        }
        if let Event::CommandError { message } = event {
            return Err(Failure::CommandError(message));
        }
        self.queue.push(event);
        Ok(())
    }

    /// Send the commands the policy has due now.
    fn fire_policy(&mut self) -> Result<(), Failure> {
        for due in self.policy.due(Instant::now()) {
            self.out.info(&due.note);
            if self.commands.send(due.command).is_err() {
                return Err(Failure::EngineStopped {
                    at: self.current.clone(),
                });
            }
        }
        Ok(())
    }

    /// After the script, with `--duration`: handle events until no call is live.
    async fn until_calls_end(&mut self) -> Result<(), Failure> {
        while self.invites_in_flight > 0 || self.calls.calls().next().is_some() {
            let script_deadline = self.deadline;
            let policy_at = self.policy.deadline();
            tokio::select! {
                biased;
                () = &mut self.interrupt => return Err(Failure::Interrupted),
                ev = self.events.recv() => match ev {
                    Some(ev) => self.on_event(ev)?,
                    None => return Err(Failure::EngineStopped { at: None }),
                },
                () = until(policy_at), if policy_at.is_some() => self.fire_policy()?,
                () = until(script_deadline), if script_deadline.is_some() => {
                    return Err(self.script_timeout());
                }
            }
        }
        Ok(())
    }

    /// Handle events until `until_at` (Ok) or a failure.
    async fn pause(&mut self, until_at: Instant) -> Result<(), Failure> {
        let script_deadline = self.deadline;
        loop {
            let policy_at = self.policy.deadline();
            tokio::select! {
                biased;
                () = &mut self.interrupt => return Err(Failure::Interrupted),
                ev = self.events.recv() => match ev {
                    Some(ev) => self.on_event(ev)?,
                    None => return Err(Failure::EngineStopped { at: self.current.clone() }),
                },
                () = until(policy_at), if policy_at.is_some() => self.fire_policy()?,
                () = until(script_deadline), if script_deadline.is_some_and(|d| d <= until_at) => {
                    return Err(self.script_timeout());
                }
                () = tokio::time::sleep_until(until_at) => return Ok(()),
            }
        }
    }

    /// True when the queue holds what `spec` waits for (consumed now); a wrong DTMF digit
    /// fails the wait.
    fn satisfied(&mut self, spec: &WaitSpec, line: usize, text: &str) -> Result<bool, Failure> {
        let Some(want) = &spec.digits else {
            return match self.queue.take_for(spec) {
                None => Ok(false),
                Some(event) => match expect_audio::failure(&event) {
                    Some(what) => Err(Failure::Mismatch {
                        line,
                        text: text.to_string(),
                        what,
                    }),
                    None => Ok(true),
                },
            };
        };
        match self.queue.match_dtmf(want, spec.call) {
            DtmfMatch::Done(_) => Ok(true),
            DtmfMatch::Partial { .. } => Ok(false),
            DtmfMatch::Wrong {
                call,
                got,
                digit,
                method,
                expected,
            } => {
                let so_far = if got.is_empty() { "none" } else { &got };
                Err(Failure::Mismatch {
                    line,
                    text: text.to_string(),
                    what: format!(
                        "call {call} sent '{digit}' ({}) where '{expected}' was expected (so far: {so_far} of {want})",
                        method.as_str()
                    ),
                })
            }
        }
    }

    /// For a timed-out `wait dtmf DIGITS`: how far it got.
    fn progress(&mut self, spec: &WaitSpec) -> Option<String> {
        let want = spec.digits.as_ref()?;
        match self.queue.match_dtmf(want, spec.call) {
            DtmfMatch::Partial {
                call: Some(call),
                got,
            } if !got.is_empty() => Some(format!("got {got} of {want} on call {call}")),
            _ => Some(format!("got none of {want}")),
        }
    }

    async fn wait(&mut self, spec: &WaitSpec, line: usize, text: &str) -> Result<(), Failure> {
        if self.satisfied(spec, line, text)? {
            return Ok(());
        }
        let wait_deadline = Instant::now() + spec.timeout;
        let script_deadline = self.deadline;
        loop {
            let policy_at = self.policy.deadline();
            tokio::select! {
                biased;
                () = &mut self.interrupt => return Err(Failure::Interrupted),
                ev = self.events.recv() => match ev {
                    Some(ev) => {
                        self.on_event(ev)?;
                        if self.satisfied(spec, line, text)? {
                            return Ok(());
                        }
                    }
                    None => return Err(Failure::EngineStopped { at: self.current.clone() }),
                },
                () = until(policy_at), if policy_at.is_some() => self.fire_policy()?,
                () = until(script_deadline), if script_deadline.is_some_and(|d| d < wait_deadline) => {
                    return Err(self.script_timeout());
                }
                () = tokio::time::sleep_until(wait_deadline) => {
                    return Err(Failure::WaitTimeout {
                        line,
                        text: text.to_string(),
                        after: spec.timeout,
                        progress: self.progress(spec),
                    });
                }
            }
        }
    }

    /// The next line from a reader, handling events meanwhile. `Ok(None)` at end of input.
    async fn read_line<R: AsyncBufRead + Unpin>(
        &mut self,
        lines: &mut Lines<R>,
        number: &mut usize,
    ) -> Result<Option<ScriptLine>, Failure> {
        loop {
            let deadline = self.deadline;
            let policy_at = self.policy.deadline();
            let text = tokio::select! {
                biased;
                () = &mut self.interrupt => return Err(Failure::Interrupted),
                ev = self.events.recv() => {
                    match ev {
                        Some(ev) => self.on_event(ev)?,
                        None => return Err(Failure::EngineStopped { at: self.current.clone() }),
                    }
                    continue;
                }
                () = until(policy_at), if policy_at.is_some() => {
                    self.fire_policy()?;
                    continue;
                }
                () = until(deadline), if deadline.is_some() => return Err(self.script_timeout()),
                line = lines.next_line() => match line {
                    Ok(Some(text)) => text,
                    Ok(None) => return Ok(None),
                    Err(e) => return Err(Failure::Read(e)),
                },
            };
            // Comments and blank lines are skipped, not the end of the script.
            match parse_script_line(*number, &text).map_err(Failure::Usage)? {
                Some(line) => return Ok(Some(line)),
                None => {
                    *number += 1;
                    continue;
                }
            }
        }
    }

    /// Carry out one line. `Ok(false)` means stop (quit).
    async fn execute(&mut self, line: &ScriptLine) -> Result<bool, Failure> {
        self.current = Some((line.number, line.text.clone()));
        match &line.action {
            Action::Send(cmd) => {
                tracing::debug!(line = line.number, ?cmd, "script sends");
                if self.commands.send(cmd.clone()).is_err() {
                    return Err(Failure::EngineStopped {
                        at: self.current.clone(),
                    });
                }
                if matches!(cmd, Command::Invite { .. }) {
                    self.invites_in_flight += 1;
                }
                self.last_sent = self.current.clone();
                if let Command::ExpectAudio {
                    call, duration_ms, ..
                } = cmd
                {
                    // Like `wait`: the verdict comes as an event, which fails the script
                    // when the check did not hold.
                    let timeout = expect_audio::verdict_timeout(*duration_ms);
                    let spec = WaitSpec::new("audio-checked", *call, timeout);
                    self.wait(&spec, line.number, &line.text).await?;
                }
            }
            Action::Help(topic) => self.out.info(&help_text(*topic, Mode::Script)),
            Action::Echo(text) => self.out.info(text),
            Action::Sessions => self.out.info(&self.calls.render()),
            Action::Status => self.out.info(&registrations::status(
                &self.calls,
                &self.registrations,
                std::time::Instant::now(),
            )),
            Action::Registrations => self
                .out
                .info(&self.registrations.status(std::time::Instant::now())),
            Action::Quit => return Ok(false),
            Action::Sleep(d) => self.pause(Instant::now() + *d).await?,
            Action::Wait(spec) => {
                self.wait(spec, line.number, &line.text).await?;
            }
        }
        Ok(true)
    }

    async fn run_lines(&mut self, prelude: &[ScriptLine], source: Source) -> Result<(), Failure> {
        for line in prelude {
            if !self.execute(line).await? {
                return Ok(());
            }
        }
        match source {
            Source::Parsed(lines) => {
                for line in &lines {
                    if !self.execute(line).await? {
                        break;
                    }
                }
            }
            Source::Reader(reader) => {
                let mut lines = reader.lines();
                let mut number = 0;
                loop {
                    number += 1;
                    // Waiting for input is not "at" the previous line.
                    self.current = None;
                    let Some(line) = self.read_line(&mut lines, &mut number).await? else {
                        break;
                    };
                    if !self.execute(&line).await? {
                        break;
                    }
                }
            }
        }
        Ok(())
    }

    fn report(&mut self, failure: &Failure) -> u8 {
        let recent = self.queue.recent_summary();
        let at = |at: &Option<(usize, String)>| match at {
            Some((n, text)) => place(*n, text),
            None => "script".to_string(),
        };
        let (msg, code) = match failure {
            Failure::Usage(bad) => (bad.to_string(), EXIT_USAGE),
            Failure::WaitTimeout {
                line,
                text,
                after,
                progress,
            } => (
                format!(
                    "{}: timed out after {} ({}last events: {recent})",
                    place(*line, text),
                    format_duration(*after),
                    progress
                        .as_ref()
                        .map(|p| format!("{p}; "))
                        .unwrap_or_default()
                ),
                EXIT_FAILED,
            ),
            Failure::Mismatch { line, text, what } => {
                (format!("{}: {what}", place(*line, text)), EXIT_FAILED)
            }
            Failure::ScriptTimeout { at: pos, after } => (
                format!(
                    "{}: --timeout {} reached (last events: {recent})",
                    at(pos),
                    format_duration(*after)
                ),
                EXIT_FAILED,
            ),
            Failure::CommandError(message) => {
                let sent = match &self.last_sent {
                    Some((0, text)) => format!(" (last command sent: command line: {text})"),
                    Some((n, text)) => format!(" (last command sent: line {n}: {text})"),
                    None => String::new(),
                };
                (
                    format!("script: command failed: {message}{sent}"),
                    EXIT_FAILED,
                )
            }
            Failure::EngineStopped { at: pos } => (
                format!(
                    "{}: the engine stopped unexpectedly (last events: {recent})",
                    at(pos)
                ),
                EXIT_FAILED,
            ),
            Failure::Interrupted => ("script: interrupted".to_string(), EXIT_INTERRUPTED),
            Failure::Read(e) => (format!("script: cannot read stdin: {e}"), EXIT_USAGE),
        };
        self.out.error(&msg);
        code
    }

    /// Send Shutdown and print events until the engine closes its channel (or `grace`
    /// passes). Returns the first command error that arrives meanwhile.
    async fn shutdown(&mut self, grace: Duration) -> Result<(), Failure> {
        // When the engine is already gone, this fails and we print what is left.
        let _ = self.commands.send(Command::Shutdown);
        let limit = Instant::now() + grace;
        let mut first_error = None;
        loop {
            tokio::select! {
                ev = self.events.recv() => match ev {
                    Some(ev) => {
                        if let Err(f) = self.on_event(ev) {
                            first_error.get_or_insert(f);
                        }
                    }
                    None => break,
                },
                () = tokio::time::sleep_until(limit) => {
                    self.out.error(&format!(
                        "sipline: the engine did not stop within {}; exiting anyway",
                        format_duration(grace)
                    ));
                    break;
                }
            }
        }
        match first_error {
            Some(f) => Err(f),
            None => Ok(()),
        }
    }
}

/// Run a script against the engine's channels; returns the exit status. Sends
/// `Command::Shutdown` at the end (good or bad) and prints events until the engine closes
/// its event channel; the caller then joins the driver.
pub async fn run(
    source: Source,
    commands: &UnboundedSender<Command>,
    events: &mut UnboundedReceiver<Event>,
    out: &mut Output,
    opts: Options,
) -> u8 {
    let start = Instant::now();
    let mut runner = Runner {
        commands,
        events,
        out,
        queue: EventQueue::new(),
        calls: CallTable::new(),
        registrations: Registrations::new(opts.accounts.clone()),
        deadline: opts.timeout.map(|t| start + t),
        timeout: opts.timeout,
        interrupt: opts
            .interrupt
            .unwrap_or_else(|| Box::pin(std::future::pending())),
        current: None,
        last_sent: None,
        policy: opts.policy,
        invites_in_flight: 0,
    };
    let mut result = runner.run_lines(&opts.prelude, source).await;
    if result.is_ok() && runner.policy.duration().is_some() {
        runner.current = None;
        result = runner.until_calls_end().await;
    }
    match result {
        Ok(()) => {
            let grace = match runner.deadline {
                Some(d) => d
                    .saturating_duration_since(Instant::now())
                    .min(opts.shutdown_grace)
                    .max(Duration::from_millis(500)),
                None => opts.shutdown_grace,
            };
            runner.current = None;
            match runner.shutdown(grace).await {
                Ok(()) => EXIT_OK,
                Err(f) => runner.report(&f),
            }
        }
        Err(f) => {
            let code = runner.report(&f);
            let _ = runner.shutdown(FAILURE_GRACE).await;
            code
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Party;
    use crate::cli::output::Captured;
    use crate::cli::render::Format;
    use tokio::sync::mpsc;

    fn progress(call: u32) -> Event {
        Event::Progress {
            call: CallHandle(call),
            code: 180,
            reason: "Ringing".into(),
        }
    }

    fn accepted(call: u32) -> Event {
        Event::Accepted {
            call: CallHandle(call),
            code: 200,
        }
    }

    fn terminated(call: u32) -> Event {
        Event::Terminated {
            call: CallHandle(call),
            by: Party::Remote,
            cause: "bye".into(),
        }
    }

    #[test]
    fn queue_takes_oldest_fitting_event() {
        let mut q = EventQueue::new();
        q.push(progress(1));
        q.push(progress(2));
        q.push(accepted(2));
        q.push(accepted(1));
        q.push(progress(1));
        assert_eq!(q.take("accepted", None), Some(accepted(2)));
        assert_eq!(q.take("accepted", None), Some(accepted(1)));
        assert_eq!(q.take("accepted", None), None);
        assert_eq!(q.take("progress", Some(CallHandle(2))), Some(progress(2)));
        assert_eq!(q.take("progress", Some(CallHandle(2))), None);
        assert_eq!(q.take("progress", Some(CallHandle(1))), Some(progress(1)));
        assert_eq!(q.take("progress", None), Some(progress(1)));
        assert_eq!(q.take("progress", None), None);
        assert_eq!(q.pending().count(), 0);
        assert_eq!(q.take("terminated", None), None);
    }

    fn dtmf(call: u32, digit: &str) -> Event {
        Event::Dtmf {
            call: CallHandle(call),
            digit: digit.into(),
            duration_ms: 100,
            method: DtmfMode::Rfc4733,
        }
    }

    fn registered(account: &str) -> Event {
        Event::Registered {
            account: account.into(),
            expires: 600,
        }
    }

    #[test]
    fn dtmf_digits_are_spelled_in_order_and_consumed() {
        let mut q = EventQueue::new();
        for d in ["1", "2"] {
            q.push(dtmf(1, d));
        }
        q.push(progress(1));
        assert_eq!(
            q.match_dtmf("123#", None),
            DtmfMatch::Partial {
                call: Some(CallHandle(1)),
                got: "12".into()
            }
        );
        assert_eq!(q.pending().count(), 3, "a partial match consumes nothing");
        q.push(dtmf(1, "3"));
        q.push(dtmf(1, "#"));
        q.push(dtmf(1, "9"));
        assert_eq!(
            q.match_dtmf("123#", None),
            DtmfMatch::Done(vec![dtmf(1, "1"), dtmf(1, "2"), dtmf(1, "3"), dtmf(1, "#")])
        );
        // Only the digits that spelled it are gone.
        assert_eq!(
            q.pending().cloned().collect::<Vec<_>>(),
            [progress(1), dtmf(1, "9")]
        );
        assert_eq!(q.match_dtmf("9", None), DtmfMatch::Done(vec![dtmf(1, "9")]));
        assert_eq!(
            q.match_dtmf("9", None),
            DtmfMatch::Partial {
                call: None,
                got: String::new()
            }
        );
        // Letters compare without case.
        q.push(dtmf(1, "a"));
        assert!(matches!(q.match_dtmf("A", None), DtmfMatch::Done(_)));
    }

    #[test]
    fn a_wrong_dtmf_digit_is_reported() {
        let mut q = EventQueue::new();
        for d in ["1", "5", "7", "#"] {
            q.push(dtmf(1, d));
        }
        assert_eq!(
            q.match_dtmf("159#", None),
            DtmfMatch::Wrong {
                call: CallHandle(1),
                got: "15".into(),
                digit: "7".into(),
                method: DtmfMode::Rfc4733,
                expected: '9',
            }
        );
        assert_eq!(q.pending().cloned().collect::<Vec<_>>(), [dtmf(1, "#")]);
    }

    #[test]
    fn dtmf_matching_keeps_to_one_call() {
        let mut q = EventQueue::new();
        q.push(dtmf(2, "9"));
        q.push(dtmf(1, "1"));
        q.push(dtmf(2, "8"));
        q.push(dtmf(1, "2"));
        // Call 1 named: call 2's digits are neither matched nor consumed.
        assert_eq!(
            q.match_dtmf("12", Some(CallHandle(1))),
            DtmfMatch::Done(vec![dtmf(1, "1"), dtmf(1, "2")])
        );
        // No call named: the oldest digit's call (2) is the one.
        assert_eq!(
            q.match_dtmf("98", None),
            DtmfMatch::Done(vec![dtmf(2, "9"), dtmf(2, "8")])
        );
        q.push(dtmf(3, "1"));
        q.push(dtmf(4, "2"));
        assert_eq!(
            q.match_dtmf("12", None),
            DtmfMatch::Partial {
                call: Some(CallHandle(3)),
                got: "1".into()
            }
        );
    }

    #[test]
    fn waits_filter_registration_events_by_account() {
        let mut q = EventQueue::new();
        q.push(registered("office"));
        q.push(registered("alice"));
        let mut spec = WaitSpec::new("registered", None, Duration::from_secs(1));
        spec.account = Some("alice".into());
        assert_eq!(q.take_for(&spec), Some(registered("alice")));
        assert_eq!(q.take_for(&spec), None);
        spec.account = None;
        assert_eq!(q.take_for(&spec), Some(registered("office")));
        assert_eq!(account_of(&registered("x")), Some("x"));
        assert_eq!(account_of(&progress(1)), None);
    }

    #[test]
    fn queue_remembers_recent_events() {
        let mut q = EventQueue::new();
        assert_eq!(q.recent_summary(), "none");
        q.push(progress(1));
        assert_eq!(q.recent_summary(), "progress 1 180 Ringing");
        q.push(accepted(1));
        q.push(terminated(1));
        q.push(progress(2));
        q.take("progress", None);
        assert_eq!(
            q.recent_summary(),
            "accepted 1 200, terminated 1 remote bye, progress 2 180 Ringing"
        );
    }

    #[test]
    fn parse_script_reports_line_numbers() {
        let script =
            "# call and hang up\n\ninvite sip:100@127.0.0.1\nwait accepted 10s\nreject 99x\n";
        let err = parse_script(script.lines()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "script line 5: reject 99x: reject: '99x' is not a status code (expected 300-699)"
        );
        let ok = parse_script(script.lines().take(4)).unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[0].number, 3);
        assert_eq!(ok[1].number, 4);
        assert_eq!(ok[1].text, "wait accepted 10s");
    }

    /// A scripted fake engine: answers each command with canned events.
    struct Fake {
        commands: UnboundedSender<Command>,
        events: UnboundedReceiver<Event>,
        log: tokio::task::JoinHandle<Vec<Command>>,
    }

    /// Spawns an engine stand-in: `respond` maps each command to events it sends back.
    /// Shutdown ends it (closing the event channel) after the respond's events.
    fn fake(respond: impl Fn(&Command) -> Vec<Event> + Send + 'static) -> Fake {
        let (ctx, mut crx) = mpsc::unbounded_channel::<Command>();
        let (etx, erx) = mpsc::unbounded_channel();
        let log = tokio::spawn(async move {
            let mut seen = Vec::new();
            while let Some(cmd) = crx.recv().await {
                for ev in respond(&cmd) {
                    let _ = etx.send(ev);
                }
                let stop = cmd == Command::Shutdown;
                seen.push(cmd);
                if stop {
                    break;
                }
            }
            seen
        });
        Fake {
            commands: ctx,
            events: erx,
            log,
        }
    }

    async fn run_script(
        fake: &mut Fake,
        script: &str,
        timeout: Option<Duration>,
    ) -> (u8, Captured, Captured) {
        let lines = parse_script(script.lines()).expect("script parses");
        let (mut out, stdout, stderr) = Output::capture(Format::Human);
        let code = run(
            Source::Parsed(lines),
            &fake.commands,
            &mut fake.events,
            &mut out,
            Options {
                timeout,
                ..Options::default()
            },
        )
        .await;
        (code, stdout, stderr)
    }

    fn invite_answers(cmd: &Command) -> Vec<Event> {
        match cmd {
            Command::Invite { target } => vec![
                Event::Calling {
                    call: CallHandle(1),
                    to: target.clone(),
                    from: "<sip:sipline@127.0.0.1>".into(),
                },
                progress(1),
                accepted(1),
            ],
            Command::Hangup { call } => vec![Event::Terminated {
                call: call.unwrap_or(CallHandle(1)),
                by: Party::Local,
                cause: "bye".into(),
            }],
            _ => vec![],
        }
    }

    #[tokio::test]
    async fn events_before_wait_are_not_lost() {
        let mut f = fake(invite_answers);
        let script = "invite sip:100@127.0.0.1:5070\nsleep 50ms\nwait accepted 1 1s\nwait progress 1s\nsessions\nhangup\nwait terminated 1s\nsessions\necho done";
        let (code, stdout, stderr) = run_script(&mut f, script, None).await;
        assert_eq!(stderr.text(), "");
        assert_eq!(code, EXIT_OK);
        assert_eq!(
            stdout.lines(),
            [
                "[1] calling sip:100@127.0.0.1:5070",
                "[1] progress 180 Ringing",
                "[1] accepted 200",
                "[1] outgoing to sip:100@127.0.0.1:5070: established",
                "[1] terminated by local (bye)",
                "no calls",
                "done",
            ]
        );
        let sent = f.log.await.unwrap();
        assert_eq!(
            sent,
            [
                Command::Invite {
                    target: "sip:100@127.0.0.1:5070".into()
                },
                Command::Hangup { call: None },
                Command::Shutdown,
            ]
        );
    }

    #[tokio::test]
    async fn a_consumed_event_is_not_matched_twice() {
        let mut f = fake(invite_answers);
        let script = "invite sip:100@127.0.0.1\nwait accepted 1s\nwait accepted 100ms";
        let (code, _stdout, stderr) = run_script(&mut f, script, None).await;
        assert_eq!(code, EXIT_FAILED);
        assert_eq!(
            stderr.lines(),
            ["script line 3: wait accepted 100ms: timed out after 100ms (last events: calling 1 sip:100@127.0.0.1, progress 1 180 Ringing, accepted 1 200)"]
        );
        let sent = f.log.await.unwrap();
        assert_eq!(sent.last(), Some(&Command::Shutdown));
    }

    #[tokio::test]
    async fn wait_filters_by_call() {
        let mut f = fake(invite_answers);
        let script = "invite sip:100@127.0.0.1\nwait accepted 2 100ms";
        let (code, _stdout, stderr) = run_script(&mut f, script, None).await;
        assert_eq!(code, EXIT_FAILED);
        assert!(
            stderr.text().starts_with(
                "script line 2: wait accepted 2 100ms: timed out after 100ms (last events: "
            ),
            "{}",
            stderr.text()
        );
    }

    #[tokio::test]
    async fn wait_timeout_names_the_line() {
        let mut f = fake(|cmd| match cmd {
            Command::Invite { .. } => vec![progress(1)],
            _ => vec![],
        });
        let script = "# comment\ninvite sip:100@127.0.0.1\n\nwait accepted 50ms";
        let (code, stdout, stderr) = run_script(&mut f, script, None).await;
        assert_eq!(code, EXIT_FAILED);
        assert_eq!(stdout.lines(), ["[1] progress 180 Ringing"]);
        assert_eq!(
            stderr.lines(),
            ["script line 4: wait accepted 50ms: timed out after 50ms (last events: progress 1 180 Ringing)"]
        );
    }

    /// Answers `expect-audio` with a verdict: passed when the check is `tone:1000`.
    fn hears_1000_hz(cmd: &Command) -> Vec<Event> {
        match cmd {
            Command::ExpectAudio { call, check, .. } => {
                let passed = check.to_string() == "tone:1000";
                vec![Event::AudioChecked {
                    call: call.unwrap_or(CallHandle(1)),
                    check: check.to_string(),
                    passed,
                    percent: if passed { 96 } else { 0 },
                    level_dbfs: -13,
                }]
            }
            _ => vec![],
        }
    }

    #[tokio::test]
    async fn expect_audio_waits_for_its_verdict() {
        let mut f = fake(hears_1000_hz);
        let script = "expect-audio tone:1000 --for 20ms\necho after";
        let (code, stdout, stderr) = run_script(&mut f, script, None).await;
        assert_eq!(code, EXIT_OK, "{:?}", stderr.lines());
        assert_eq!(
            stdout.lines(),
            [
                "[1] audio tone:1000: ok (96% of blocks, level -13 dBFS)",
                "after"
            ]
        );
    }

    #[tokio::test]
    async fn a_failed_expect_audio_names_the_line_and_the_measure() {
        let mut f = fake(hears_1000_hz);
        let script = "echo before\nexpect-audio 1 tone:440 --for 1s\necho not reached";
        let (code, stdout, stderr) = run_script(&mut f, script, None).await;
        assert_eq!(code, EXIT_FAILED);
        assert_eq!(
            stdout.lines(),
            [
                "before",
                "[1] audio tone:440: FAILED (0% of blocks, level -13 dBFS)"
            ]
        );
        assert_eq!(
            stderr.lines(),
            [
                "script line 2: expect-audio 1 tone:440 --for 1s: call 1: tone:440 not heard: \
                 0% of 20 ms blocks hold it (needs 70%), level -13 dBFS"
            ]
        );
    }

    #[tokio::test]
    async fn command_error_fails_the_script() {
        let mut f = fake(|cmd| match cmd {
            Command::Accept { .. } => vec![Event::CommandError {
                message: "accept: there is no incoming call".into(),
            }],
            _ => vec![],
        });
        let script = "accept\nsleep 1s\necho not reached";
        let (code, stdout, stderr) = run_script(&mut f, script, None).await;
        assert_eq!(code, EXIT_FAILED);
        assert_eq!(stdout.lines(), ["error: accept: there is no incoming call"]);
        assert_eq!(
            stderr.lines(),
            ["script: command failed: accept: there is no incoming call (last command sent: line 1: accept)"]
        );
    }

    #[tokio::test]
    async fn command_error_during_shutdown_fails_the_script() {
        let mut f = fake(|cmd| match cmd {
            Command::Hangup { .. } => vec![Event::CommandError {
                message: "hangup: no call".into(),
            }],
            _ => vec![],
        });
        let (code, _stdout, stderr) = run_script(&mut f, "hangup", None).await;
        assert_eq!(code, EXIT_FAILED);
        assert!(stderr.text().contains("command failed: hangup: no call"));
    }

    #[tokio::test]
    async fn script_timeout_bounds_everything() {
        let mut f = fake(|_| vec![]);
        let (code, _stdout, stderr) =
            run_script(&mut f, "wait incoming 10s", Some(Duration::from_millis(50))).await;
        assert_eq!(code, EXIT_FAILED);
        assert_eq!(
            stderr.lines(),
            ["script line 1: wait incoming 10s: --timeout 50ms reached (last events: none)"]
        );
        let mut f = fake(|_| vec![]);
        let (code, _stdout, stderr) =
            run_script(&mut f, "sleep 10s", Some(Duration::from_millis(50))).await;
        assert_eq!(code, EXIT_FAILED);
        assert!(stderr.text().contains("--timeout 50ms reached"));
    }

    #[tokio::test]
    async fn quit_stops_early() {
        let mut f = fake(|_| vec![]);
        let (code, stdout, _stderr) = run_script(&mut f, "echo a\nquit\necho b", None).await;
        assert_eq!(code, EXIT_OK);
        assert_eq!(stdout.lines(), ["a"]);
        assert_eq!(f.log.await.unwrap(), [Command::Shutdown]);
    }

    #[tokio::test]
    async fn engine_stopping_fails_a_wait() {
        let (ctx, _crx) = mpsc::unbounded_channel::<Command>();
        let (etx, mut erx) = mpsc::unbounded_channel::<Event>();
        drop(etx);
        let (mut out, _stdout, stderr) = Output::capture(Format::Human);
        let lines = parse_script(["wait incoming 5s"]).unwrap();
        let code = run(
            Source::Parsed(lines),
            &ctx,
            &mut erx,
            &mut out,
            Options::default(),
        )
        .await;
        assert_eq!(code, EXIT_FAILED);
        assert_eq!(
            stderr.lines(),
            ["script line 1: wait incoming 5s: the engine stopped unexpectedly (last events: none)"]
        );
    }

    #[tokio::test]
    async fn stdin_lines_are_read_as_they_come_and_checked() {
        let mut f = fake(invite_answers);
        let input: &[u8] =
            b"# first a comment\n\ninvite sip:a@127.0.0.1\n  # another\nwait accepted 1s\nreject 99x\necho never\n";
        let (mut out, stdout, stderr) = Output::capture(Format::Json);
        let code = run(
            Source::Reader(Box::new(input)),
            &f.commands,
            &mut f.events,
            &mut out,
            Options::default(),
        )
        .await;
        assert_eq!(code, EXIT_USAGE);
        assert_eq!(
            stderr.lines(),
            ["script line 6: reject 99x: reject: '99x' is not a status code (expected 300-699)"]
        );
        let events: Vec<serde_json::Value> = stdout
            .lines()
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let names: Vec<&str> = events
            .iter()
            .map(|e| e["event"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["calling", "progress", "accepted"]);
        assert_eq!(f.log.await.unwrap().last(), Some(&Command::Shutdown));
    }

    #[tokio::test]
    async fn script_timeout_while_waiting_for_stdin() {
        use tokio::io::AsyncWriteExt;
        let mut f = fake(|_| vec![]);
        let (mut writer, reader) = tokio::io::duplex(64);
        writer.write_all(b"echo a\n").await.unwrap();
        let (mut out, stdout, stderr) = Output::capture(Format::Human);
        let code = run(
            Source::Reader(Box::new(tokio::io::BufReader::new(reader))),
            &f.commands,
            &mut f.events,
            &mut out,
            Options {
                timeout: Some(Duration::from_millis(50)),
                ..Options::default()
            },
        )
        .await;
        drop(writer);
        assert_eq!(code, EXIT_FAILED);
        assert_eq!(stdout.lines(), ["a"]);
        assert_eq!(
            stderr.lines(),
            ["script: --timeout 50ms reached (last events: none)"]
        );
    }

    #[tokio::test]
    async fn target_runs_first_and_duration_ends_the_call() {
        let mut f = fake(invite_answers);
        let (mut out, stdout, stderr) = Output::capture(Format::Human);
        let target = Command::Invite {
            target: "sip:bob@127.0.0.1".into(),
        };
        let code = run(
            Source::Parsed(parse_script(["echo script starts"]).unwrap()),
            &f.commands,
            &mut f.events,
            &mut out,
            Options {
                prelude: vec![ScriptLine {
                    number: 0,
                    text: "TARGET sip:bob@127.0.0.1".into(),
                    action: Action::Send(target.clone()),
                }],
                policy: Policy::new(None, Some(Duration::from_millis(50))),
                ..Options::default()
            },
        )
        .await;
        assert_eq!(code, EXIT_OK, "{}", stderr.text());
        assert_eq!(
            stdout.lines(),
            [
                "script starts",
                "[1] calling sip:bob@127.0.0.1",
                "[1] progress 180 Ringing",
                "[1] accepted 200",
                "[1] hanging up: --duration 50ms",
                "[1] terminated by local (bye)",
            ]
        );
        assert_eq!(
            f.log.await.unwrap(),
            [
                target,
                Command::Hangup {
                    call: Some(CallHandle(1))
                },
                Command::Shutdown
            ]
        );
    }

    #[tokio::test]
    async fn a_failing_target_is_named_as_the_command_line() {
        let mut f = fake(|cmd| match cmd {
            Command::Invite { .. } => vec![Event::CommandError {
                message: "invite: cannot reach 'sip:x@example.com'".into(),
            }],
            _ => vec![],
        });
        let (mut out, _stdout, stderr) = Output::capture(Format::Human);
        let code = run(
            Source::Parsed(parse_script(["sleep 1s"]).unwrap()),
            &f.commands,
            &mut f.events,
            &mut out,
            Options {
                prelude: vec![ScriptLine {
                    number: 0,
                    text: "TARGET sip:x@example.com".into(),
                    action: Action::Send(Command::Invite {
                        target: "sip:x@example.com".into(),
                    }),
                }],
                ..Options::default()
            },
        )
        .await;
        assert_eq!(code, EXIT_FAILED);
        assert_eq!(
            stderr.lines(),
            ["script: command failed: invite: cannot reach 'sip:x@example.com' (last command sent: command line: TARGET sip:x@example.com)"]
        );
    }

    #[tokio::test]
    async fn auto_answer_accepts_incoming_calls() {
        let (ctx, mut crx) = mpsc::unbounded_channel::<Command>();
        let (etx, mut erx) = mpsc::unbounded_channel::<Event>();
        let engine = tokio::spawn(async move {
            let _ = etx.send(Event::Incoming {
                call: CallHandle(1),
                from: "<sip:alice@127.0.0.1>".into(),
                to: "<sip:bob@127.0.0.1>".into(),
            });
            let mut seen = Vec::new();
            while let Some(cmd) = crx.recv().await {
                if let Command::Accept { call: Some(call) } = &cmd {
                    let _ = etx.send(accepted(call.0));
                }
                let stop = cmd == Command::Shutdown;
                seen.push(cmd);
                if stop {
                    break;
                }
            }
            seen
        });
        let (mut out, stdout, stderr) = Output::capture(Format::Human);
        let code = run(
            Source::Parsed(parse_script(["wait accepted 5s"]).unwrap()),
            &ctx,
            &mut erx,
            &mut out,
            Options {
                policy: Policy::new(Some(Duration::from_millis(100)), None),
                ..Options::default()
            },
        )
        .await;
        assert_eq!(code, EXIT_OK, "{}", stderr.text());
        assert_eq!(
            stdout.lines()[1..],
            ["[1] answering: --auto-answer=100ms", "[1] accepted 200"]
        );
        assert_eq!(
            engine.await.unwrap(),
            [
                Command::Accept {
                    call: Some(CallHandle(1))
                },
                Command::Shutdown
            ]
        );
    }

    /// A fake engine whose answer to SendDtmf is the `dtmf` events of `heard` on call 1.
    fn hears(heard: &'static [&'static str]) -> Fake {
        fake(move |cmd| match cmd {
            Command::SendDtmf { .. } => heard.iter().map(|d| dtmf(1, d)).collect(),
            _ => vec![],
        })
    }

    #[tokio::test]
    async fn wait_dtmf_succeeds_when_the_digits_are_spelled() {
        let mut f = hears(&["1", "5", "9", "#"]);
        let script = "dtmf 159#\nwait dtmf 1 159# 1s\necho ok";
        let (code, stdout, stderr) = run_script(&mut f, script, None).await;
        assert_eq!(code, EXIT_OK, "{}", stderr.text());
        assert_eq!(stdout.lines().last().map(String::as_str), Some("ok"));
        // A lone number is DIGITS: `wait dtmf 15` waits for 1 then 5, on any call.
        let mut f = hears(&["1", "5"]);
        let (code, _stdout, stderr) = run_script(&mut f, "dtmf 15\nwait dtmf 15 1s", None).await;
        assert_eq!(code, EXIT_OK, "{}", stderr.text());
        // Without DIGITS, one event each (the second of call 1 only).
        let mut f = hears(&["1", "5"]);
        let script = "dtmf 15\nwait dtmf 1s\nwait dtmf 1 5 1s\nwait dtmf 100ms";
        let (code, _stdout, stderr) = run_script(&mut f, script, None).await;
        assert_eq!(code, EXIT_FAILED);
        assert_eq!(
            stderr.lines(),
            ["script line 4: wait dtmf 100ms: timed out after 100ms (last events: dtmf 1 1 rfc4733, dtmf 1 5 rfc4733)"]
        );
    }

    #[tokio::test]
    async fn wait_dtmf_fails_at_once_on_a_wrong_digit() {
        let mut f = hears(&["1", "5", "7", "#"]);
        let script = "dtmf 159#\nwait dtmf 159# 20s\necho not reached";
        let started = Instant::now();
        let (code, stdout, stderr) = run_script(&mut f, script, None).await;
        assert!(started.elapsed() < Duration::from_secs(10));
        assert_eq!(code, EXIT_FAILED);
        assert!(!stdout.text().contains("not reached"));
        assert_eq!(
            stderr.lines(),
            ["script line 2: wait dtmf 159# 20s: call 1 sent '7' (rfc4733) where '9' was expected (so far: 15 of 159#)"]
        );
    }

    #[tokio::test]
    async fn wait_dtmf_timeout_says_how_far_it_got() {
        let mut f = hears(&["1", "5"]);
        let (code, _stdout, stderr) =
            run_script(&mut f, "dtmf 15\nwait dtmf 159# 100ms", None).await;
        assert_eq!(code, EXIT_FAILED);
        assert_eq!(
            stderr.lines(),
            ["script line 2: wait dtmf 159# 100ms: timed out after 100ms (got 15 of 159# on call 1; last events: dtmf 1 1 rfc4733, dtmf 1 5 rfc4733)"]
        );
        // Digits of another call do not count.
        let mut f = hears(&["1", "5", "9"]);
        let (code, _stdout, stderr) =
            run_script(&mut f, "dtmf 159\nwait dtmf 2 159 100ms", None).await;
        assert_eq!(code, EXIT_FAILED);
        assert!(
            stderr
                .text()
                .contains("timed out after 100ms (got none of 159; last events: "),
            "{}",
            stderr.text()
        );
    }

    #[tokio::test]
    async fn wait_registered_filters_by_account_and_status_shows_it() {
        let mut f = fake(|cmd| match cmd {
            Command::Register { account } => {
                vec![registered(account.as_deref().unwrap_or("alice"))]
            }
            Command::Shutdown => vec![Event::Unregistered {
                account: "alice".into(),
            }],
            _ => vec![],
        });
        let lines = parse_script(
            "register office\nregister\nwait registered alice 1s\nwait registered office 1s\nstatus\nwait registered 100ms"
                .lines(),
        )
        .unwrap();
        let (mut out, stdout, stderr) = Output::capture(Format::Human);
        let code = run(
            Source::Parsed(lines),
            &f.commands,
            &mut f.events,
            &mut out,
            Options {
                accounts: vec!["alice".into(), "office".into()],
                ..Options::default()
            },
        )
        .await;
        assert_eq!(code, EXIT_FAILED);
        let text = stdout.text();
        assert!(
            text.contains("registrations: 2\n  alice: registered, expires in 9:59\n  office: registered, expires in 9:59\ncalls: none")
                || text.contains("registrations: 2\n  alice: registered, expires in 10:00"),
            "{text}"
        );
        assert!(
            stderr
                .text()
                .starts_with("script line 6: wait registered 100ms: timed out after 100ms"),
            "{}",
            stderr.text()
        );
        // The unregistered event of the shutdown is printed before the end.
        assert_eq!(
            stdout.lines().last().map(String::as_str),
            Some("[alice] unregistered")
        );
    }

    #[tokio::test]
    async fn register_without_an_account_fails_the_script() {
        let mut f = fake(|cmd| match cmd {
            Command::Register { .. } => vec![Event::CommandError {
                message: "register: no account is configured".into(),
            }],
            _ => vec![],
        });
        let (code, _stdout, stderr) = run_script(&mut f, "register\nsleep 1s", None).await;
        assert_eq!(code, EXIT_FAILED);
        assert_eq!(
            stderr.lines(),
            ["script: command failed: register: no account is configured (last command sent: line 1: register)"]
        );
    }

    #[tokio::test]
    async fn interrupt_stops_the_script() {
        let mut f = fake(|_| vec![]);
        let (mut out, _stdout, stderr) = Output::capture(Format::Human);
        let lines = parse_script(["sleep 10s"]).unwrap();
        let code = run(
            Source::Parsed(lines),
            &f.commands,
            &mut f.events,
            &mut out,
            Options {
                interrupt: Some(Box::pin(tokio::time::sleep(Duration::from_millis(20)))),
                ..Options::default()
            },
        )
        .await;
        assert_eq!(code, EXIT_INTERRUPTED);
        assert_eq!(stderr.lines(), ["script: interrupted"]);
    }
}
