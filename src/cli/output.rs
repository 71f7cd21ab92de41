//! Where lines go: events to stdout (human or NDJSON), diagnostics to stderr.
//!
//! With `--json`, stdout carries only event objects; help and `echo` text go to stderr so a
//! reader of stdout can parse every line. Write errors (a closed pipe) are ignored: the
//! softphone keeps its calls in order even when nobody reads its output.

use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use crate::api::Event;
use crate::cli::render::{self, Format};

/// The front-end's output streams.
pub struct Output {
    format: Format,
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

    /// The event format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Print an event (stdout).
    pub fn event(&mut self, event: &Event) {
        let line = render::line(event, self.format);
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
        String::from_utf8_lossy(&self.0.lock().expect("not poisoned")).into_owned()
    }

    /// Everything written so far, as lines.
    pub fn lines(&self) -> Vec<String> {
        self.text().lines().map(str::to_string).collect()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().expect("not poisoned").extend_from_slice(buf);
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
