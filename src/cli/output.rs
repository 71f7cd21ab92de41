//! Where lines go: events to stdout (human or NDJSON), diagnostics to stderr.
//!
//! With `--json`, stdout carries only event objects; help and `echo` text go to stderr so a
//! reader of stdout can parse every line. Write errors (a closed pipe) are ignored: the
//! softphone keeps its calls in order even when nobody reads its output.

use std::collections::BTreeMap;
use std::io::{self, IsTerminal, Write};
use std::sync::{Arc, Mutex, PoisonError};

use crate::api::{CallHandle, Event};
use crate::cli::render::{self, Format};

/// Calls whose identities are remembered for `--json` lines (the newest; a call number
/// is never reused, so the oldest go first).
const MAX_IDENTITIES: usize = 1024;

/// The front-end's output streams.
pub struct Output {
    format: Format,
    color: bool,
    stdout: Box<dyn Write + Send>,
    stderr: Box<dyn Write + Send>,
    /// Call → (our identity, the peer's), from its `calling` or `incoming` event: every
    /// later `--json` line of the call carries both.
    identities: BTreeMap<CallHandle, (String, String)>,
}

impl Output {
    /// Real stdout and stderr.
    pub fn std(format: Format) -> Self {
        Output::new(format, Box::new(io::stdout()), Box::new(io::stderr()))
    }

    /// Any two writers (the REPL routes stdout through rustyline's external printer).
    pub fn new(
        format: Format,
        stdout: Box<dyn Write + Send>,
        stderr: Box<dyn Write + Send>,
    ) -> Self {
        Output {
            format,
            color: false,
            stdout,
            stderr,
            identities: BTreeMap::new(),
        }
    }

    /// Writers into memory, for tests: (output, stdout buffer, stderr buffer).
    pub fn capture(format: Format) -> (Self, Captured, Captured) {
        let out = Captured::default();
        let err = Captured::default();
        (
            Output::new(format, Box::new(out.clone()), Box::new(err.clone())),
            out,
            err,
        )
    }

    /// Colour human event lines by kind (ANSI); ignored for JSON.
    pub fn with_color(mut self, on: bool) -> Self {
        self.color = on && self.format == Format::Human;
        self
    }

    /// The event format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Print an event (stdout). With `--json`, an event of a call placed or received
    /// carries the call's identities (`local_identity`, `remote_identity`).
    pub fn event(&mut self, event: &Event) {
        self.learn_identities(event);
        let known = event.call().and_then(|c| self.identities.get(&c));
        let line = match (self.format, self.color, known) {
            (Format::Json, _, Some((local, remote))) => {
                render::json_identified(event, render::unix_now(), local, remote)
            }
            (Format::Human, true, _) => render::colored(event),
            (format, _, _) => render::line(event, format),
        };
        write_line(&mut self.stdout, &line);
    }

    /// A call's first event names both parties: `calling` (From is ours, the Request-URI
    /// the peer's) or `incoming` (From is the peer's, To ours).
    fn learn_identities(&mut self, event: &Event) {
        let (call, local, remote) = match event {
            Event::Calling { call, to, from } => (*call, from, to),
            Event::Incoming { call, from, to, .. } => (*call, to, from),
            _ => return,
        };
        let local = render::without_header_params(local).to_string();
        self.identities.insert(call, (local, remote.clone()));
        while self.identities.len() > MAX_IDENTITIES {
            self.identities.pop_first();
        }
    }

    /// Print text the user asked for (help, echo): stdout, or stderr with `--json`.
    pub fn info(&mut self, text: &str) {
        match self.format {
            Format::Human => write_line(&mut self.stdout, text),
            Format::Json => write_line(&mut self.stderr, text),
        }
    }

    /// Print a diagnostic (stderr).
    pub fn error(&mut self, text: &str) {
        write_line(&mut self.stderr, text);
    }
}

/// Colours for a terminal: stdout is one, and `NO_COLOR` is unset or empty
/// (<https://no-color.org>).
pub fn color_wanted() -> bool {
    color_allowed(
        std::io::stdout().is_terminal(),
        std::env::var_os("NO_COLOR"),
    )
}

fn color_allowed(terminal: bool, no_color: Option<std::ffi::OsString>) -> bool {
    terminal && no_color.is_none_or(|v| v.is_empty())
}

fn write_line(w: &mut Box<dyn Write + Send>, text: &str) {
    let _ = w.write_all(text.as_bytes());
    let _ = w.write_all(b"\n");
    let _ = w.flush();
}

/// An in-memory writer shared with a test.
#[derive(Clone, Default, Debug)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }

    /// Everything written so far, as lines.
    pub fn lines(&self) -> Vec<String> {
        self.text().lines().map(str::to_string).collect()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::CallHandle;

    #[test]
    fn json_mode_keeps_stdout_for_events() {
        let (mut out, stdout, stderr) = Output::capture(Format::Json);
        out.event(&Event::Accepted {
            call: CallHandle(1),
            code: 200,
        });
        out.info("hello");
        out.error("oops");
        let lines = stdout.lines();
        assert_eq!(lines.len(), 1);
        assert!(lines[0].contains("\"event\":\"accepted\""));
        assert_eq!(stderr.lines(), ["hello", "oops"]);
    }

    #[test]
    fn json_call_events_carry_both_identities() {
        let (mut out, stdout, _) = Output::capture(Format::Json);
        out.event(&Event::Incoming {
            call: CallHandle(2),
            from: "\"Bob\" <sip:bob@example.com>".into(),
            to: "<sip:alice@127.0.0.1>".into(),
        });
        out.event(&Event::Calling {
            call: CallHandle(3),
            to: "sip:carol@127.0.0.1:5063".into(),
            from: "<sip:alice@127.0.0.1>;tag=x1".into(),
        });
        for call in [2, 3, 4] {
            out.event(&Event::Accepted {
                call: CallHandle(call),
                code: 200,
            });
        }
        let lines: Vec<serde_json::Value> = stdout
            .lines()
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let ids = |v: &serde_json::Value| {
            (
                v["local_identity"].as_str().map(str::to_string),
                v["remote_identity"].as_str().map(str::to_string),
            )
        };
        let bob = (
            Some("<sip:alice@127.0.0.1>".to_string()),
            Some("\"Bob\" <sip:bob@example.com>".to_string()),
        );
        let carol = (
            Some("<sip:alice@127.0.0.1>".to_string()),
            Some("sip:carol@127.0.0.1:5063".to_string()),
        );
        assert_eq!(ids(&lines[0]), bob);
        assert_eq!(ids(&lines[1]), carol, "our tag is not part of our identity");
        assert_eq!(ids(&lines[2]), bob);
        assert_eq!(ids(&lines[3]), carol);
        assert_eq!(ids(&lines[4]), (None, None), "call 4 was never announced");
    }

    #[test]
    fn colours_only_when_asked_and_human() {
        let ev = Event::Accepted {
            call: CallHandle(1),
            code: 200,
        };
        let (out, stdout, _) = Output::capture(Format::Human);
        let mut out = out.with_color(true);
        out.event(&ev);
        out.info("help text");
        assert_eq!(
            stdout.lines(),
            ["\x1b[32m[1] accepted 200\x1b[0m", "help text"]
        );
        let (out, stdout, _) = Output::capture(Format::Json);
        let mut out = out.with_color(true);
        out.event(&ev);
        assert!(!stdout.text().contains('\x1b'));
        assert!(color_allowed(true, None));
        assert!(color_allowed(true, Some("".into())));
        assert!(!color_allowed(true, Some("1".into())));
        assert!(!color_allowed(false, None));
    }

    #[test]
    fn human_mode_prints_info_on_stdout() {
        let (mut out, stdout, stderr) = Output::capture(Format::Human);
        out.event(&Event::Accepted {
            call: CallHandle(1),
            code: 200,
        });
        out.info("hello");
        out.error("oops");
        assert_eq!(stdout.lines(), ["[1] accepted 200", "hello"]);
        assert_eq!(stderr.lines(), ["oops"]);
    }
}
