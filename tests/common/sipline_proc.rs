//! The sipline binary: flags, a stdin script, `--json` events, the outcome.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::*;

/// Path of the binary under test.
pub fn sipline_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_sipline"))
}

/// Flags for one sipline process (see the CLI contract in README.md).
#[derive(Clone, Debug)]
pub struct SiplineOpts {
    /// `--user`.
    pub user: String,
    /// `--listen 127.0.0.1:PORT`.
    pub port: u16,
    /// `--codecs`: `pcmu`, `opus`, `opus,pcmu,pcma`, …
    pub codecs: String,
    /// `--audio-in`: `tone:440`, a WAV path, `silence`.
    pub audio_in: String,
    /// `--audio-out`: a WAV path or `null`.
    pub audio_out: String,
    /// Anything else.
    pub extra: Vec<String>,
    /// Extra environment variables (e.g. `SIPLINE_PASSWORD`).
    pub env: Vec<(String, String)>,
}

impl SiplineOpts {
    /// `--user USER --listen 127.0.0.1:PORT --codecs pcmu --audio-in silence --audio-out null`.
    pub fn new(user: &str, port: u16) -> SiplineOpts {
        SiplineOpts {
            user: user.to_owned(),
            port,
            codecs: "pcmu".to_owned(),
            audio_in: "silence".to_owned(),
            audio_out: "null".to_owned(),
            extra: Vec::new(),
            env: Vec::new(),
        }
    }

    /// Sets `--codecs`.
    pub fn codecs(mut self, codecs: &str) -> Self {
        self.codecs = codecs.to_owned();
        self
    }

    /// Sets `--audio-in`.
    pub fn audio_in(mut self, source: &str) -> Self {
        self.audio_in = source.to_owned();
        self
    }

    /// Sets `--audio-out` to a file.
    pub fn record_to(mut self, path: &Path) -> Self {
        self.audio_out = path.display().to_string();
        self
    }

    /// The full argument list (always `--json --sip-trace`).
    pub fn args(&self) -> Vec<String> {
        let mut args = vec![
            "--listen".to_owned(),
            format!("127.0.0.1:{}", self.port),
            "--codecs".to_owned(),
            self.codecs.clone(),
            "--audio-in".to_owned(),
            self.audio_in.clone(),
            "--audio-out".to_owned(),
            self.audio_out.clone(),
            "--json".to_owned(),
            "--sip-trace".to_owned(),
            "--user".to_owned(),
            self.user.clone(),
        ];
        args.extend(self.extra.iter().cloned());
        args
    }

    /// `sip:USER@127.0.0.1:PORT`.
    pub fn uri(&self) -> String {
        format!("sip:{}@127.0.0.1:{}", self.user, self.port)
    }
}

/// A running sipline: commands go to its stdin, `--json` events are read from its stdout by
/// a thread, stderr (with `--sip-trace`) goes to a file.
pub struct Sipline {
    name: String,
    child: Option<Child>,
    stdin: Option<ChildStdin>,
    events_rx: Receiver<Value>,
    events: Vec<Value>,
    reader: Option<JoinHandle<Vec<String>>>,
    stderr_path: PathBuf,
    _rtp: Ports,
    /// The flags it was started with.
    pub opts: SiplineOpts,
}

/// How a sipline process ended.
pub struct Outcome {
    /// Its name in messages.
    pub name: String,
    /// Exit status; `None` when it had to be killed at the deadline.
    pub status: Option<ExitStatus>,
    /// Every JSON event on stdout, in order.
    pub events: Vec<Value>,
    /// Stdout lines that were not JSON objects.
    pub other_stdout: Vec<String>,
    /// All of stderr.
    pub stderr: String,
}

impl Sipline {
    /// Starts sipline with `opts`; `dir` receives `NAME.err`.
    pub fn spawn(name: &str, opts: SiplineOpts, dir: &Path) -> Sipline {
        // Its own RTP ports, so parallel tests never race for the default range.
        let rtp = reserve_ports(10);
        let mut args = opts.args();
        if !args.iter().any(|a| a == "--rtp-ports") {
            args.push("--rtp-ports".to_owned());
            args.push(format!("{}-{}", rtp.port(), rtp.nth(9)));
        }
        let stderr_path = dir.join(format!("{name}.err"));
        let stderr = fs::File::create(&stderr_path).expect("create sipline stderr file");
        let mut cmd = Command::new(sipline_bin());
        cmd.args(&args)
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .envs(opts.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr);
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("spawn sipline {args:?}: {e}"));
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, events_rx) = mpsc::channel();
        let reader = thread::spawn(move || {
            let mut other = Vec::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                match serde_json::from_str::<Value>(&line) {
                    Ok(v) if v.is_object() => {
                        let _ = tx.send(v);
                    }
                    _ => other.push(line),
                }
            }
            other
        });
        Sipline {
            name: name.to_owned(),
            child: Some(child),
            stdin,
            events_rx,
            events: Vec::new(),
            reader: Some(reader),
            stderr_path,
            _rtp: rtp,
            opts,
        }
    }

    /// Writes command lines to stdin (a script, or single commands). A write to a process
    /// that already exited is ignored here and shows up in the outcome instead.
    pub fn send(&mut self, lines: &str) {
        if let Some(stdin) = &mut self.stdin {
            let mut text = lines.to_owned();
            if !text.ends_with('\n') {
                text.push('\n');
            }
            if stdin
                .write_all(text.as_bytes())
                .and_then(|_| stdin.flush())
                .is_err()
            {
                self.stdin = None;
            }
        }
    }

    /// Waits until sipline has bound its UDP port; false at the deadline or if it exited.
    pub fn wait_listening(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if UdpSocket::bind(local(self.opts.port)).is_err() {
                return true;
            }
            match self.child.as_mut().map(|c| c.try_wait()) {
                Some(Ok(None)) => thread::sleep(Duration::from_millis(25)),
                _ => return false,
            }
        }
        false
    }

    /// Like [`Sipline::wait_listening`], but panics with the outcome so far.
    pub fn expect_listening(&mut self) {
        if !self.wait_listening(secs(10)) {
            let mut report = format!("{} never bound {}", self.name, local(self.opts.port));
            if let Some(mut child) = self.child.take() {
                let status = wait_deadline(&mut child, Instant::now() + secs(1));
                report.push_str(&format!(" (exit: {status:?})"));
            }
            self.drain();
            panic!(
                "{report}\nevents:\n{}\nstderr tail:\n{}",
                render_events(&self.events),
                tail_of(&self.stderr_path, 6000)
            );
        }
    }

    fn drain(&mut self) {
        while let Ok(v) = self.events_rx.try_recv() {
            self.events.push(v);
        }
    }

    /// The first event named `name` (for `call` if given), already seen or arriving within
    /// `timeout`. `None` at the deadline or when sipline's stdout closed first.
    pub fn wait_event(
        &mut self,
        name: &str,
        call: Option<u64>,
        timeout: Duration,
    ) -> Option<Value> {
        let matches =
            |v: &Value| v["event"] == name && call.is_none_or(|c| v["call"].as_u64() == Some(c));
        self.drain();
        if let Some(v) = self.events.iter().find(|v| matches(v)) {
            return Some(v.clone());
        }
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events_rx.recv_timeout(left) {
                Ok(v) => {
                    let hit = matches(&v);
                    self.events.push(v.clone());
                    if hit {
                        return Some(v);
                    }
                }
                Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => {
                    return None
                }
            }
        }
    }

    /// Waits until `n` events named `name` have come (those already seen count); false at
    /// the deadline or when sipline's stdout closed first.
    pub fn wait_events(&mut self, name: &str, n: usize, timeout: Duration) -> bool {
        self.drain();
        let deadline = Instant::now() + timeout;
        loop {
            if self.events.iter().filter(|v| v["event"] == name).count() >= n {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events_rx.recv_timeout(left) {
                Ok(v) => self.events.push(v),
                Err(_) => return false,
            }
        }
    }

    /// Like [`Sipline::wait_event`], but panics with the whole story when it does not come.
    pub fn expect_event(&mut self, name: &str, timeout: Duration) -> Value {
        match self.wait_event(name, None, timeout) {
            Some(v) => v,
            None => {
                let events = self.events.clone();
                let stderr = tail_of(&self.stderr_path, 6000);
                panic!(
                    "{}: no `{name}` event within {timeout:?} (or sipline's stdout closed \
                     first).\nevents so far:\n{}\nstderr tail:\n{stderr}",
                    self.name,
                    render_events(&events)
                );
            }
        }
    }

    /// Closes stdin, waits up to `timeout` for the exit (kills it then), collects everything.
    pub fn finish(mut self, timeout: Duration) -> Outcome {
        self.stdin = None;
        let status = match self.child.take() {
            Some(mut child) => wait_deadline(&mut child, Instant::now() + timeout),
            None => None,
        };
        // The process is gone, so its stdout is closed and the reader ends.
        let other_stdout = self
            .reader
            .take()
            .and_then(|r| r.join().ok())
            .unwrap_or_default();
        self.drain();
        Outcome {
            name: self.name.clone(),
            status,
            events: std::mem::take(&mut self.events),
            other_stdout,
            stderr: fs::read_to_string(&self.stderr_path).unwrap_or_default(),
        }
    }
}

impl Drop for Sipline {
    fn drop(&mut self) {
        self.stdin = None;
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs sipline with a whole script on stdin (then EOF) and collects the outcome.
pub fn run_sipline(
    name: &str,
    opts: SiplineOpts,
    script: &str,
    dir: &Path,
    timeout: Duration,
) -> Outcome {
    let mut sipline = Sipline::spawn(name, opts, dir);
    sipline.send(script);
    sipline.finish(timeout)
}

/// One event per line, for failure messages.
pub fn render_events(events: &[Value]) -> String {
    if events.is_empty() {
        return "  (none)".to_owned();
    }
    events
        .iter()
        .map(|e| format!("  {e}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl Outcome {
    /// Events named `name`, in order.
    pub fn named(&self, name: &str) -> Vec<&Value> {
        self.events.iter().filter(|e| e["event"] == name).collect()
    }

    /// The first event named `name`, or a panic with the whole story.
    pub fn first(&self, name: &str) -> &Value {
        self.events
            .iter()
            .find(|e| e["event"] == name)
            .unwrap_or_else(|| panic!("{}: no `{name}` event\n{}", self.name, self.report()))
    }

    /// The SIP messages of its `--sip-trace` (stderr): (direction line, message text), where
    /// the direction line reads `----- sent [over TCP ]to ADDR (N bytes)` or `----- received
    /// [over TCP ]from ADDR (N bytes)`.
    pub fn trace_messages(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        for line in self.stderr.lines() {
            if line.starts_with("----- sent") || line.starts_with("----- received") {
                out.push((line.to_owned(), String::new()));
            } else if let Some((_, msg)) = out.last_mut() {
                msg.push_str(line);
                msg.push('\n');
            }
        }
        out
    }

    /// Messages it sent whose first line starts with `start` (e.g. `BYE `, `SIP/2.0 200`),
    /// with their direction lines.
    pub fn sent_messages(&self, start: &str) -> Vec<(String, String)> {
        self.trace_messages()
            .into_iter()
            .filter(|(dir, msg)| dir.starts_with("----- sent") && msg.starts_with(start))
            .collect()
    }

    /// Messages it received whose first line starts with `start`.
    pub fn received_messages(&self, start: &str) -> Vec<(String, String)> {
        self.trace_messages()
            .into_iter()
            .filter(|(dir, msg)| dir.starts_with("----- received") && msg.starts_with(start))
            .collect()
    }

    /// Exit code, if it exited by itself.
    pub fn code(&self) -> Option<i32> {
        self.status.and_then(|s| s.code())
    }

    /// Everything, for failure messages: status, events, other stdout, stderr tail.
    pub fn report(&self) -> String {
        let status = match self.status {
            Some(s) => format!("{s}"),
            None => "killed at the test's deadline".to_owned(),
        };
        let start = self.stderr.len().saturating_sub(8000);
        let start = (start..self.stderr.len())
            .find(|&i| self.stderr.is_char_boundary(i))
            .unwrap_or(self.stderr.len());
        format!(
            "== {} ==\nexit: {status}\nevents:\n{}\nother stdout:\n  {}\nstderr tail:\n{}",
            self.name,
            render_events(&self.events),
            self.other_stdout.join("\n  "),
            &self.stderr[start..]
        )
    }

    /// Panics unless the process exited 0.
    pub fn assert_success(&self) {
        assert_eq!(
            self.code(),
            Some(0),
            "{} did not exit 0\n{}",
            self.name,
            self.report()
        );
    }
}
