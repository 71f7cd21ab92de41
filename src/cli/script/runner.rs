//! The runner: carries out script lines, waits for events, applies the policy and
//! reports failures.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, Lines};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::time::Instant;

use crate::api::{Command, Event};
use crate::cli::calls::CallTable;
use crate::cli::commands::{help_text, Action, Mode, WaitSpec};
use crate::cli::duration::format_duration;
use crate::cli::expect_audio;
use crate::cli::output::Output;
use crate::cli::policy::{until, Policy};
use crate::cli::registrations::{self, Registrations};

use super::{Options, Source, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE};

use super::{parse_script_line, BadLine, DtmfMatch, EventQueue, ScriptLine};

/// How long the engine may take to stop after a failure before we give up on it.
const FAILURE_GRACE: Duration = Duration::from_secs(5);

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
            Action::Status => {
                self.out.info(&registrations::status(
                    &self.calls,
                    &self.registrations,
                    std::time::Instant::now(),
                ));
                // Live audio (level, jitter, loss): one `stats` event per call with media.
                if self.calls.has_media() {
                    let _ = self.commands.send(Command::Stats { call: None });
                }
            }
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
