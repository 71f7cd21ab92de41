//! The interactive prompt (`sipline> `).
//!
//! rustyline reads lines on a blocking thread and sends parsed commands straight into the
//! driver's channel. Events are printed by the async side through rustyline's external
//! printer, so they appear above the prompt without garbling the line being typed.
//! Ctrl-C clears the line; Ctrl-D or `quit` sends `Command::Shutdown` and ends the REPL.
//! With calls up, the first Ctrl-D only warns (`1 call up; Ctrl-D again to hang up and
//! quit`). Tab completes command names (and unambiguous prefixes), call numbers after the
//! commands that take one (only the calls that command fits), account names after
//! `register`/`unregister`, and `.wav` paths for file arguments. Quitting with accounts
//! registered waits for their `unregistered` events (the engine unregisters at shutdown). Events are coloured by kind when stdout is a terminal and `NO_COLOR` is
//! unset. After `COMMAND ` the rest of its usage shows as a hint (`reject ` →
//! `[N] [CODE [REASON…]]`); Ctrl-R searches the history.
//! History lives in `$XDG_DATA_HOME/sipline/history` (or `~/.local/share/sipline/history`);
//! failing to read or write it is not an error.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::{Hint, Hinter};
use rustyline::history::FileHistory;
use rustyline::validate::Validator;
use rustyline::{Context, Editor, ExternalPrinter, Helper};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

use crate::api::{Command, Event, TestLine};
use crate::cli::calls::CallTable;
use crate::cli::commands::{self, help_text, parse_line, Action, Completes, Mode};
use crate::cli::output::{color_wanted, Output};
use crate::cli::policy::{until, Policy};
use crate::cli::registrations::{self, RegState, Registrations};
use crate::cli::render::Format;
use crate::cli::script::{EXIT_FAILED, EXIT_OK};

/// The prompt.
pub const PROMPT: &str = "sipline> ";

/// Where the history file lives: `$XDG_DATA_HOME/sipline/history`, else
/// `$HOME/.local/share/sipline/history`.
pub fn history_path() -> Option<PathBuf> {
    history_path_from(
        std::env::var_os("XDG_DATA_HOME").map(PathBuf::from),
        std::env::var_os("HOME").map(PathBuf::from),
    )
}

fn history_path_from(xdg: Option<PathBuf>, home: Option<PathBuf>) -> Option<PathBuf> {
    let base = match xdg.filter(|p| p.is_absolute()) {
        Some(dir) => dir,
        None => home
            .filter(|p| p.is_absolute())?
            .join(".local")
            .join("share"),
    };
    Some(base.join("sipline").join("history"))
}

/// Completions for the text before the cursor: (start of the word, candidates).
/// The first word completes to command names; the next to what that command takes (a call
/// number from `calls`, an account name from `accounts`, a command name after `help`, a
/// `.wav` path).
pub fn complete(before: &str, calls: &CallTable, accounts: &Registrations) -> (usize, Vec<Pair>) {
    complete_in(before, calls, accounts, Path::new("."))
}

fn complete_in(
    before: &str,
    calls: &CallTable,
    accounts: &Registrations,
    cwd: &Path,
) -> (usize, Vec<Pair>) {
    let start = before
        .rfind(char::is_whitespace)
        .map(|i| i + 1)
        .unwrap_or(0);
    let word = &before[start..];
    let earlier: Vec<&str> = before[..start].split_whitespace().collect();
    let wants = match earlier.as_slice() {
        [] => Completes::Command,
        [first] => commands::resolve(first, Mode::Repl)
            .map(|spec| spec.completes)
            .unwrap_or(Completes::Nothing),
        _ => Completes::Nothing,
    };
    let found = match wants {
        Completes::Nothing => Vec::new(),
        Completes::Command => command_names(word),
        Completes::Call(filter) => calls
            .candidates(filter)
            .into_iter()
            .map(|(n, what)| (n.to_string(), what))
            .filter(|(n, _)| n.starts_with(word))
            .map(|(n, what)| Pair {
                display: format!("{n}  {what}"),
                replacement: n,
            })
            .collect(),
        Completes::WavFile => wav_paths(word, cwd),
        Completes::Account => accounts
            .accounts()
            .iter()
            .filter(|a| a.account.starts_with(word))
            .map(|a| Pair {
                display: format!("{}  {}", a.account, account_state(&a.state)),
                replacement: a.account.clone(),
            })
            .collect(),
        Completes::TestLine => [
            (
                TestLine::Echo,
                "the built-in test line: sends back what it hears",
            ),
            (
                TestLine::Tone,
                "the built-in test line: plays a 1000 Hz tone",
            ),
        ]
        .into_iter()
        .filter(|(l, _)| l.as_str().starts_with(word))
        .map(|(l, what)| Pair {
            display: format!("{}  {what}", l.as_str()),
            replacement: l.as_str().to_string(),
        })
        .collect(),
    };
    (start, found)
}

/// A word for an account's state in the completion list.
fn account_state(state: &RegState) -> &'static str {
    match state {
        RegState::NotRegistered => "not registered",
        RegState::Registered { .. } => "registered",
        RegState::Failed { .. } => "registration failed",
        RegState::Unregistered => "unregistered",
    }
}

fn command_names(word: &str) -> Vec<Pair> {
    let lower = word.to_ascii_lowercase();
    let mut found: Vec<String> = commands::names(Mode::Repl)
        .filter(|n| n.starts_with(&lower))
        .map(str::to_string)
        .collect();
    found.sort();
    found.dedup();
    found
        .into_iter()
        .map(|n| Pair {
            display: n.clone(),
            replacement: n,
        })
        .collect()
}

/// Directories (to go on into) and `.wav` files whose path starts with `word`, relative
/// paths taken from `cwd`; `~/` is the home directory. Hidden entries only when asked for.
pub fn wav_paths(word: &str, cwd: &Path) -> Vec<Pair> {
    let (dir_part, prefix) = match word.rfind('/') {
        Some(i) => (&word[..=i], &word[i + 1..]),
        None => ("", word),
    };
    let dir = if let Some(rest) = dir_part.strip_prefix("~/") {
        match std::env::var_os("HOME") {
            Some(home) => PathBuf::from(home).join(rest),
            None => return Vec::new(),
        }
    } else if dir_part.starts_with('/') {
        PathBuf::from(dir_part)
    } else {
        cwd.join(dir_part)
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut found: Vec<Pair> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            if !name.starts_with(prefix) || (name.starts_with('.') && !prefix.starts_with('.')) {
                return None;
            }
            let is_dir = e.file_type().ok()?.is_dir()
                || (e.file_type().ok()?.is_symlink() && e.path().is_dir());
            let is_wav = name.to_ascii_lowercase().ends_with(".wav");
            match (is_dir, is_wav) {
                (true, _) => Some(Pair {
                    display: format!("{name}/"),
                    replacement: format!("{dir_part}{name}/"),
                }),
                (false, true) => Some(Pair {
                    display: name.clone(),
                    replacement: format!("{dir_part}{name}"),
                }),
                (false, false) => None,
            }
        })
        .collect();
    found.sort_by(|a, b| a.replacement.cmp(&b.replacement));
    found
}

/// What to show after `COMMAND ` while nothing else is typed: the rest of its usage, e.g.
/// `[N] [CODE [REASON…]]` after `reject `.
pub fn usage_hint(line: &str, pos: usize) -> Option<String> {
    if pos != line.len() || !line.ends_with(char::is_whitespace) {
        return None;
    }
    let mut words = line.split_whitespace();
    let (Some(first), None) = (words.next(), words.next()) else {
        return None;
    };
    let spec = commands::resolve(first, Mode::Repl)
        .ok()
        .filter(|s| !s.script_only)?;
    let rest = spec.usage[spec.name.len()..].trim();
    (!rest.is_empty()).then(|| rest.to_string())
}

/// A hint that is only shown: Right arrow must not type the usage into the line.
pub struct UsageHint(String);

impl Hint for UsageHint {
    fn display(&self) -> &str {
        &self.0
    }

    fn completion(&self) -> Option<&str> {
        None
    }
}

/// rustyline helper: completion from the command table and the call table, usage hints
/// (dim when colours are on); no validation.
struct ReplHelper {
    calls: Arc<Mutex<CallTable>>,
    registrations: Arc<Mutex<Registrations>>,
    color: bool,
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let calls = self.calls.lock().map(|t| t.clone()).unwrap_or_default();
        let accounts = self
            .registrations
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default();
        Ok(complete(&line[..pos], &calls, &accounts))
    }
}

impl Hinter for ReplHelper {
    type Hint = UsageHint;

    fn hint(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> Option<UsageHint> {
        usage_hint(line, pos).map(UsageHint)
    }
}

impl Highlighter for ReplHelper {
    fn highlight_hint<'h>(&self, hint: &'h str) -> std::borrow::Cow<'h, str> {
        if self.color {
            format!("\x1b[2m{hint}\x1b[0m").into()
        } else {
            hint.into()
        }
    }
}

impl Validator for ReplHelper {}

impl Helper for ReplHelper {}

/// A `Write` that hands each complete line to rustyline's external printer.
struct PrinterWriter<P: ExternalPrinter> {
    printer: P,
    buf: Vec<u8>,
}

impl<P: ExternalPrinter> Write for PrinterWriter<P> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        while let Some(nl) = self.buf.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.buf.drain(..=nl).collect();
            let text = String::from_utf8_lossy(&line).into_owned();
            self.printer
                .print(text)
                .map_err(|e| io::Error::other(e.to_string()))?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What the readline thread does with one line. Returns false to stop.
fn handle_line(
    line: &str,
    commands: &UnboundedSender<Command>,
    calls: &Mutex<CallTable>,
    accounts: &Mutex<Registrations>,
    format: Format,
) -> bool {
    let info = |text: &str| match format {
        Format::Human => println!("{text}"),
        Format::Json => eprintln!("{text}"),
    };
    match parse_line(line, Mode::Repl) {
        Ok(None) => true,
        Ok(Some(Action::Send(cmd))) => {
            if commands.send(cmd).is_err() {
                eprintln!("error: the engine has stopped");
                return false;
            }
            true
        }
        Ok(Some(Action::Help(topic))) => {
            info(&help_text(topic, Mode::Repl));
            true
        }
        Ok(Some(Action::Sessions)) => {
            let text = calls.lock().map(|t| t.render()).unwrap_or_default();
            info(&text);
            true
        }
        Ok(Some(Action::Status)) => {
            let now = std::time::Instant::now();
            let calls = calls.lock().map(|t| t.clone()).unwrap_or_default();
            let accounts = accounts.lock().map(|r| r.clone()).unwrap_or_default();
            info(&registrations::status(&calls, &accounts, now));
            // The live audio (level, jitter, loss) comes from the media: one `stats` line
            // per call with media follows.
            if calls.has_media() && commands.send(Command::Stats { call: None }).is_err() {
                eprintln!("error: the engine has stopped");
                return false;
            }
            true
        }
        Ok(Some(Action::Registrations)) => {
            let accounts = accounts.lock().map(|r| r.clone()).unwrap_or_default();
            info(&accounts.status(std::time::Instant::now()));
            true
        }
        Ok(Some(Action::Quit)) => false,
        // The parser refuses script-only commands in the REPL.
        Ok(Some(Action::Wait(_) | Action::Sleep(_) | Action::Echo(_))) => true,
        Err(e) => {
            eprintln!("{e}");
            true
        }
    }
}

/// Run the REPL until `quit`, Ctrl-D or the engine stops. Sends `Command::Shutdown` and
/// prints events until the engine closes its channel (so the `unregistered` events of the
/// accounts it unregisters are shown); the caller then joins the driver. `accounts` are
/// the configured account names, the default first.
pub async fn run(
    commands: &UnboundedSender<Command>,
    events: &mut UnboundedReceiver<Event>,
    format: Format,
    banner: &str,
    mut policy: Policy,
    accounts: Vec<String>,
) -> u8 {
    let config = rustyline::Config::builder()
        .auto_add_history(true)
        .max_history_size(1000)
        .map(|b| b.build())
        .unwrap_or_default();
    let mut rl: Editor<ReplHelper, FileHistory> = match Editor::with_config(config) {
        Ok(rl) => rl,
        Err(e) => {
            eprintln!("sipline: cannot start the prompt: {e}");
            return crate::cli::script::EXIT_USAGE;
        }
    };
    let calls = Arc::new(Mutex::new(CallTable::new()));
    let regs = Arc::new(Mutex::new(Registrations::new(accounts)));
    let color = format == Format::Human && color_wanted();
    rl.set_helper(Some(ReplHelper {
        calls: calls.clone(),
        registrations: regs.clone(),
        color,
    }));
    let history = history_path();
    if let Some(path) = &history {
        let _ = rl.load_history(path);
    }

    let out = match (rl.create_external_printer(), rl.create_external_printer()) {
        (Ok(p1), Ok(p2)) => Output::new(
            format,
            Box::new(PrinterWriter {
                printer: p1,
                buf: Vec::new(),
            }),
            Box::new(PrinterWriter {
                printer: p2,
                buf: Vec::new(),
            }),
        ),
        _ => Output::std(format),
    };
    let mut out = out.with_color(color);
    out.info(banner);

    let table = calls.clone();
    let reg_table = regs.clone();
    let engine_gone = Arc::new(AtomicBool::new(false));
    let gone = engine_gone.clone();
    let tx = commands.clone();
    let mut reader = tokio::task::spawn_blocking(move || {
        // Set by a Ctrl-D that only warned because calls were up.
        let mut eof_warned = false;
        loop {
            if gone.load(Ordering::SeqCst) {
                break;
            }
            match rl.readline(PROMPT) {
                Ok(line) => {
                    eof_warned = false;
                    if !handle_line(&line, &tx, &table, &reg_table, format) {
                        break;
                    }
                }
                Err(ReadlineError::Interrupted) => {
                    eof_warned = false;
                    continue;
                }
                Err(ReadlineError::Eof) => {
                    let live = table.lock().map(|t| t.calls().count()).unwrap_or(0);
                    if live > 0 && !eof_warned {
                        eof_warned = true;
                        let text = eof_warning(live);
                        match format {
                            Format::Human => println!("{text}"),
                            Format::Json => eprintln!("{text}"),
                        }
                        continue;
                    }
                    break;
                }
                Err(e) => {
                    eprintln!("sipline: cannot read the prompt: {e}");
                    break;
                }
            }
        }
        if let Some(path) = &history {
            if let Some(dir) = path.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            let _ = rl.save_history(path);
        }
        // Shutdown is sent by the event loop once it has seen this thread end, after it
        // said what quitting waits for: sent from here, the engine could finish (and its
        // `unregistered` lines print) before that note.
    });

    let mut reader_done = false;
    while !reader_done {
        let policy_at = policy.deadline();
        tokio::select! {
            ev = events.recv() => match ev {
                Some(ev) => {
                    if let Ok(mut t) = calls.lock() {
                        t.update(&ev);
                    }
                    if let Ok(mut r) = regs.lock() {
                        r.update(&ev);
                    }
                    policy.observe(&ev, tokio::time::Instant::now());
                    out.event(&ev);
                }
                None => break,
            },
            _ = &mut reader => reader_done = true,
            () = until(policy_at), if policy_at.is_some() => {
                for due in policy.due(tokio::time::Instant::now()) {
                    out.info(&due.note);
                    let _ = commands.send(due.command);
                }
            }
        }
    }
    if reader_done {
        // quit or Ctrl-D: say why we are not gone yet, then send Shutdown.
        let live = calls.lock().map(|t| t.calls().count()).unwrap_or(0);
        if live > 0 {
            out.info(&format!(
                "ending {live} call{}…",
                if live == 1 { "" } else { "s" }
            ));
        }
        let registered: Vec<String> = regs
            .lock()
            .map(|r| {
                r.accounts()
                    .iter()
                    .filter(|a| matches!(a.state, RegState::Registered { .. }))
                    .map(|a| a.account.clone())
                    .collect()
            })
            .unwrap_or_default();
        if !registered.is_empty() {
            out.info(&format!("unregistering {}…", registered.join(", ")));
        }
        let _ = commands.send(Command::Shutdown);
        while let Some(ev) = events.recv().await {
            out.event(&ev);
        }
        EXIT_OK
    } else {
        engine_gone.store(true, Ordering::SeqCst);
        out.error("sipline: the engine stopped; press Enter to exit");
        let _ = reader.await;
        EXIT_FAILED
    }
}

/// What the first Ctrl-D says when calls are up.
pub fn eof_warning(live: usize) -> String {
    format!(
        "{live} call{} up; Ctrl-D again to hang up and quit",
        if live == 1 { "" } else { "s" }
    )
}

#[cfg(test)]
mod tests;
