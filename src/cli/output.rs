//! Where lines go: events to stdout (human or NDJSON), diagnostics to stderr.
//!
//! With `--json`, stdout carries only event objects; help and `echo` text go to stderr so a
//! reader of stdout can parse every line. Write errors (a closed pipe) are ignored: the
//! softphone keeps its calls in order even when nobody reads its output.

use std::io::{self, IsTerminal, Write};
use std::sync::{Arc, Mutex, PoisonError};

use crate::api::Event;
use crate::cli::render::{self, Format};

/// The front-end's output streams.
pub struct Output {
    format: Format,
    color: bool,
    stdout: Box<dyn Write + Send>,
    stderr: Box<dyn Write + Send>,
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

    /// Print an event (stdout).
    pub fn event(&mut self, event: &Event) {
        let line = match (self.format, self.color) {
            (Format::Human, true) => render::colored(event),
            (format, _) => render::line(event, format),
        };
        write_line(&mut self.stdout, &line);
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
