//! The interactive prompt (`sipline> `).
//!
//! rustyline reads lines on a blocking thread and sends parsed commands straight into the
//! driver's channel. Events are printed by the async side through rustyline's external
//! printer, so they appear above the prompt without garbling the line being typed.
//! Ctrl-C clears the line; Ctrl-D or `quit` sends `Command::Shutdown` and ends the REPL.
//! History lives in `$XDG_DATA_HOME/sipline/history` (or `~/.local/share/sipline/history`);
//! failing to read or write it is not an error.

use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rustyline::completion::Completer;
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::FileHistory;
use rustyline::validate::Validator;
use rustyline::{Context, Editor, ExternalPrinter, Helper};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

use crate::api::{Command, Event};
use crate::cli::calls::CallTable;
use crate::cli::commands::{self, help_text, parse_line, Action, Mode};
use crate::cli::output::Output;
use crate::cli::policy::{until, Policy};
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
/// Completes command names in the first word, and after `help`.
pub fn complete(before: &str) -> (usize, Vec<String>) {
    let start = before
        .rfind(char::is_whitespace)
        .map(|i| i + 1)
        .unwrap_or(0);
    let word = &before[start..];
    let earlier: Vec<&str> = before[..start].split_whitespace().collect();
    let wants_command = match earlier.as_slice() {
        [] => true,
        [first] => commands::lookup(first).is_some_and(|s| s.name == "help"),
        _ => false,
    };
    if !wants_command {
        return (start, Vec::new());
    }
    let lower = word.to_ascii_lowercase();
    let mut found: Vec<String> = commands::names(Mode::Repl)
        .filter(|n| n.starts_with(&lower))
        .map(str::to_string)
        .collect();
    found.sort();
    found.dedup();
    (start, found)
}

/// rustyline helper: completion from the command table; no hints, colours or validation.
struct ReplHelper;

impl Completer for ReplHelper {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        Ok(complete(&line[..pos]))
    }
}

impl Hinter for ReplHelper {
    type Hint = String;
}

impl Highlighter for ReplHelper {}

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
/// prints events until the engine closes its channel; the caller then joins the driver.
pub async fn run(
    commands: &UnboundedSender<Command>,
    events: &mut UnboundedReceiver<Event>,
    format: Format,
    banner: &str,
    mut policy: Policy,
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
    rl.set_helper(Some(ReplHelper));
    let history = history_path();
    if let Some(path) = &history {
        let _ = rl.load_history(path);
    }

    let mut out = match (rl.create_external_printer(), rl.create_external_printer()) {
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
    out.info(banner);

    let calls = Arc::new(Mutex::new(CallTable::new()));
    let table = calls.clone();
    let engine_gone = Arc::new(AtomicBool::new(false));
    let gone = engine_gone.clone();
    // Set by the prompt thread when the user quits, before it sends Shutdown: the engine
    // may close its event channel before the thread's end is seen here.
    let quitting = Arc::new(AtomicBool::new(false));
    let quit = quitting.clone();
    let tx = commands.clone();
    let mut reader = tokio::task::spawn_blocking(move || {
        loop {
            if gone.load(Ordering::SeqCst) {
                break;
            }
            match rl.readline(PROMPT) {
                Ok(line) => {
                    if !handle_line(&line, &tx, &table, format) {
                        break;
                    }
                }
                Err(ReadlineError::Interrupted) => continue,
                Err(ReadlineError::Eof) => break,
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
        if !gone.load(Ordering::SeqCst) {
            quit.store(true, Ordering::SeqCst);
        }
        let _ = tx.send(Command::Shutdown);
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
    if !reader_done && quitting.load(Ordering::SeqCst) {
        // The user quit and the engine stopped before the prompt thread's end was seen.
        let _ = reader.await;
        return EXIT_OK;
    }
    if reader_done {
        // quit or Ctrl-D: Shutdown is sent; say why we are not gone yet.
        let live = calls.lock().map(|t| t.calls().count()).unwrap_or(0);
        if live > 0 {
            out.info(&format!(
                "ending {live} call{}…",
                if live == 1 { "" } else { "s" }
            ));
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::mpsc;

    #[test]
    fn completes_command_names() {
        assert_eq!(complete(""), (0, names_sorted()));
        assert_eq!(complete("ac"), (0, vec!["accept".to_string()]));
        assert_eq!(complete("  ha"), (2, vec!["hangup".to_string()]));
        assert_eq!(
            complete("c"),
            (0, vec!["call".to_string(), "cancel".to_string()])
        );
        assert_eq!(
            complete("w"),
            (0, Vec::<String>::new()),
            "wait is script-only"
        );
        assert_eq!(complete("help re"), (5, vec!["reject".to_string()]));
        assert_eq!(complete("accept 1"), (7, Vec::<String>::new()));
        assert_eq!(complete("invite sip:a "), (13, Vec::<String>::new()));
        assert_eq!(complete("E"), (0, vec!["exit".to_string()]));
    }

    fn names_sorted() -> Vec<String> {
        let mut v: Vec<String> = commands::names(Mode::Repl).map(str::to_string).collect();
        v.sort();
        v
    }

    #[test]
    fn history_location() {
        assert_eq!(
            history_path_from(Some("/x/data".into()), Some("/home/u".into())),
            Some(PathBuf::from("/x/data/sipline/history"))
        );
        assert_eq!(
            history_path_from(None, Some("/home/u".into())),
            Some(PathBuf::from("/home/u/.local/share/sipline/history"))
        );
        assert_eq!(
            history_path_from(Some("relative".into()), Some("/home/u".into())),
            Some(PathBuf::from("/home/u/.local/share/sipline/history"))
        );
        assert_eq!(history_path_from(None, None), None);
    }

    #[test]
    fn lines_become_commands() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let calls = Mutex::new(CallTable::new());
        let h = |line| handle_line(line, &tx, &calls, Format::Human);
        assert!(h("accept 2"));
        assert!(h(""));
        assert!(h("reject 99x"));
        assert!(h("wait accepted"));
        assert!(h("sessions"));
        assert!(!h("quit"));
        assert!(!h("exit"));
        assert_eq!(
            rx.try_recv().unwrap(),
            Command::Accept {
                call: Some(crate::api::CallHandle(2))
            }
        );
        assert!(rx.try_recv().is_err());
    }
}
