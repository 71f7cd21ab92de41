//! Process-test helpers: the real `sipline` binary driven by a stdin script with `--json`,
//! and the real peers (sipp, baresip) on 127.0.0.1 only.
//!
//! Rules every helper keeps:
//! - Every child process has a hard deadline and is killed on drop, so a test can fail but
//!   never hang, and never leaves a process behind.
//! - Ports come from [`reserve_ports`]: a lock file per port under the system temp dir plus a
//!   bind probe, so test binaries that cargo runs in parallel never collide. The range
//!   20000-29999 is outside Linux's ephemeral range (32768-60999, where sipline's own RTP
//!   sockets may land) and outside the RTP range given to baresip (10000-19999).
//! - A missing peer binary skips the test with a loud message, unless `CI` is set: under CI
//!   it is a failure (scripts/test installs the peers).
//! - Each test gets a [`TempDir`] under `std::env::temp_dir()`; it is kept (and its path
//!   printed) when the test panics, for the logs and recordings inside.

#![allow(dead_code)] // every test binary uses a different subset of these helpers

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

#[allow(unused_imports)] // not every test binary reads WAVs
pub use sipline::media::analysis::{read_wav, tone_fraction};

/// 127.0.0.1, the only address process tests use.
pub const LOCALHOST: Ipv4Addr = Ipv4Addr::LOCALHOST;

/// `127.0.0.1:port`.
pub fn local(port: u16) -> SocketAddr {
    SocketAddr::V4(SocketAddrV4::new(LOCALHOST, port))
}

/// Shorthand for seconds.
pub fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

// ===================================================================================
// Peers present?
// ===================================================================================

/// The full path of `bin` on `PATH`, if any.
pub fn find_in_path(bin: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(bin))
        .find(|candidate| candidate.is_file())
}

/// True when the peer binary `bin` (from Debian package `package`) can be run. When it is
/// missing: under CI (`CI` set) this panics; otherwise it prints a loud SKIPPED banner and
/// returns false, and the test should return early.
pub fn peer_available(bin: &str, package: &str) -> bool {
    if find_in_path(bin).is_some() {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "`{bin}` is not installed and CI is set: a missing peer is a failure under CI. \
             scripts/test installs it (apt-get install {package})."
        );
    }
    eprintln!(
        "\n**********************************************************************\n\
         *** SKIPPED: `{bin}` is not on PATH (Debian package `{package}`).\n\
         *** Run scripts/test once: it installs the peers. Under CI this fails.\n\
         **********************************************************************\n"
    );
    false
}

// ===================================================================================
// Temp dirs
// ===================================================================================

/// A fresh directory under `std::env::temp_dir()`, removed on drop unless the test panicked.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates `sipline-test-LABEL-PID-N-NANOS`.
    pub fn new(label: &str) -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "sipline-test-{label}-{}-{}-{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir_all(&path).unwrap_or_else(|e| panic!("create {}: {e}", path.display()));
        TempDir { path }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A path inside the directory.
    pub fn join(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if thread::panicking() {
            eprintln!(
                "test failed: keeping {} for inspection",
                self.path.display()
            );
        } else {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

// ===================================================================================
// Ports
// ===================================================================================

const PORT_RANGE: std::ops::Range<u16> = 20000..30000;

/// `count` consecutive ports on 127.0.0.1, free for both UDP and TCP when reserved, and
/// held (by lock files) until dropped.
pub struct Ports {
    base: u16,
    count: u16,
    locks: Vec<PathBuf>,
}

impl Ports {
    /// The first port.
    pub fn port(&self) -> u16 {
        self.base
    }

    /// Port number `i` of the block.
    pub fn nth(&self, i: u16) -> u16 {
        assert!(i < self.count, "port {i} of a block of {}", self.count);
        self.base + i
    }

    /// `127.0.0.1:first port`.
    pub fn addr(&self) -> SocketAddr {
        local(self.base)
    }
}

impl Drop for Ports {
    fn drop(&mut self) {
        for lock in &self.locks {
            let _ = fs::remove_file(lock);
        }
    }
}

fn port_lock_dir() -> PathBuf {
    let dir = std::env::temp_dir().join("sipline-test-ports");
    let _ = fs::create_dir_all(&dir);
    dir
}

fn pid_alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Takes the lock file for `port`; a lock left by a dead process is taken over.
fn lock_port(port: u16) -> Option<PathBuf> {
    let path = port_lock_dir().join(port.to_string());
    for _ in 0..2 {
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut f) => {
                let _ = write!(f, "{}", std::process::id());
                return Some(path);
            }
            Err(_) => {
                let owner = fs::read_to_string(&path)
                    .ok()
                    .and_then(|s| s.trim().parse::<u32>().ok());
                match owner {
                    Some(pid) if pid_alive(pid) => return None,
                    // Stale (or being written right now: then the retry fails too).
                    _ => {
                        let _ = fs::remove_file(&path);
                    }
                }
            }
        }
    }
    None
}

fn port_free(port: u16) -> bool {
    UdpSocket::bind(local(port)).is_ok() && TcpListener::bind(local(port)).is_ok()
}

/// Reserves `count` consecutive free ports on 127.0.0.1 (UDP and TCP).
pub fn reserve_ports(count: u16) -> Ports {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let span = u32::from(PORT_RANGE.end - PORT_RANGE.start - count);
    // Spread processes over the range so that they rarely even try the same ports.
    let seed = std::process::id().wrapping_mul(7919);
    for _ in 0..2000 {
        let n = NEXT.fetch_add(u32::from(count), Ordering::Relaxed);
        let base = PORT_RANGE.start + (seed.wrapping_add(n) % span) as u16;
        let mut locks = Vec::new();
        let mut ok = true;
        for p in base..base + count {
            match lock_port(p) {
                Some(lock) if port_free(p) => locks.push(lock),
                Some(lock) => {
                    let _ = fs::remove_file(lock);
                    ok = false;
                    break;
                }
                None => {
                    ok = false;
                    break;
                }
            }
        }
        if ok {
            return Ports { base, count, locks };
        }
        for lock in locks {
            let _ = fs::remove_file(lock);
        }
    }
    panic!("no {count} free consecutive ports on 127.0.0.1 in {PORT_RANGE:?}");
}

/// One reserved port.
pub fn reserve_port() -> Ports {
    reserve_ports(1)
}

/// Waits until some process has bound UDP `port` on 127.0.0.1 (our own bind fails).
pub fn wait_udp_bound(port: u16, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if UdpSocket::bind(local(port)).is_err() {
            return true;
        }
        thread::sleep(Duration::from_millis(25));
    }
    false
}

/// Waits until something accepts TCP connections on 127.0.0.1:`port`.
pub fn wait_tcp_listening(port: u16, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&local(port), Duration::from_millis(200)).is_ok() {
            return true;
        }
        thread::sleep(Duration::from_millis(50));
    }
    false
}

// ===================================================================================
// Child processes
// ===================================================================================

/// Waits for `child` until `deadline`; kills it then. `None` means it was killed.
fn wait_deadline(child: &mut Child, deadline: Instant) -> Option<ExitStatus> {
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            Ok(None) => thread::sleep(Duration::from_millis(20)),
            Err(e) => panic!("waiting for a child: {e}"),
        }
    }
}

/// Sends SIGTERM (so that the child can flush files) without waiting.
fn terminate(child: &Child) {
    if let Ok(pid) = i32::try_from(child.id()) {
        // SAFETY: kill(2) on the pid of our own child that has not been reaped yet (the
        // `Child` is still held), so the pid cannot belong to another process.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
    }
}

/// The last `max` bytes of a file, as text (for failure messages).
pub fn tail_of(path: &Path, max: usize) -> String {
    match fs::read(path) {
        Ok(bytes) => {
            let start = bytes.len().saturating_sub(max);
            let text = String::from_utf8_lossy(&bytes[start..]).into_owned();
            if start > 0 {
                format!("[… {start} bytes cut …]{text}")
            } else {
                text
            }
        }
        Err(e) => format!("({}: {e})", path.display()),
    }
}

/// A peer process whose stdout and stderr go to files `NAME.out` / `NAME.err` in a dir.
pub struct Peer {
    name: String,
    child: Option<Child>,
    out: PathBuf,
    err: PathBuf,
    status: Option<ExitStatus>,
}

impl Peer {
    /// Spawns `cmd` with stdin from /dev/null, cwd `dir`, output to files in `dir`.
    pub fn spawn(name: &str, mut cmd: Command, dir: &Path) -> Peer {
        let out = dir.join(format!("{name}.out"));
        let err = dir.join(format!("{name}.err"));
        let stdout = fs::File::create(&out).expect("create peer stdout file");
        let stderr = fs::File::create(&err).expect("create peer stderr file");
        cmd.current_dir(dir)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {name} ({cmd:?}): {e}"));
        Peer {
            name: name.to_owned(),
            child: Some(child),
            out,
            err,
            status: None,
        }
    }

    /// Waits up to `timeout` for the exit; kills the process then. `None` = killed.
    pub fn wait(&mut self, timeout: Duration) -> Option<ExitStatus> {
        if let Some(mut child) = self.child.take() {
            self.status = wait_deadline(&mut child, Instant::now() + timeout);
        }
        self.status
    }

    /// SIGTERM, then up to `grace` for the exit, then SIGKILL.
    pub fn stop(&mut self, grace: Duration) -> Option<ExitStatus> {
        if let Some(child) = &self.child {
            terminate(child);
        }
        self.wait(grace)
    }

    /// Is it still running?
    pub fn running(&mut self) -> bool {
        match &mut self.child {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Tails of stdout and stderr, for failure messages.
    pub fn logs(&self) -> String {
        format!(
            "--- {} stdout ({}) ---\n{}\n--- {} stderr ---\n{}",
            self.name,
            self.out.display(),
            tail_of(&self.out, 3000),
            self.name,
            tail_of(&self.err, 2000)
        )
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

// ===================================================================================
// sipline
// ===================================================================================

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
        let stderr_path = dir.join(format!("{name}.err"));
        let stderr = fs::File::create(&stderr_path).expect("create sipline stderr file");
        let mut cmd = Command::new(sipline_bin());
        cmd.args(opts.args())
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr);
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("spawn sipline {:?}: {e}", opts.args()));
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

    /// Closes stdin (end of script).
    pub fn close_stdin(&mut self) {
        self.stdin = None;
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

// ===================================================================================
// sipp
// ===================================================================================

/// sipp's common flags: 127.0.0.1 only, one call, no stdin, a global timeout that fails the
/// run, unexpected messages and the full message trace logged in `dir`.
fn sipp_command(role: &str, sip: &Ports, media: &Ports, dir: &Path) -> Command {
    let mut cmd = Command::new("sipp");
    cmd.args(["-sn", role, "-i", "127.0.0.1", "-p"])
        .arg(sip.port().to_string())
        .arg("-mp")
        .arg(media.port().to_string())
        .args(["-m", "1", "-nostdin", "-timeout", "60s", "-timeout_error"])
        .args(["-trace_err", "-error_file"])
        .arg(dir.join(format!("sipp-{role}-errors.log")))
        .args(["-trace_msg", "-message_file"])
        .arg(dir.join(format!("sipp-{role}-messages.log")));
    cmd
}

/// A sipp instance and the ports it holds.
pub struct Sipp {
    /// The process.
    pub peer: Peer,
    /// Its SIP port.
    pub sip: Ports,
    /// Its media (`-mp`) ports.
    pub media: Ports,
    messages: PathBuf,
}

impl Sipp {
    /// `sipp -sn uas` answering one call on 127.0.0.1; returns once its port is bound.
    pub fn uas(dir: &Path) -> Sipp {
        let sip = reserve_port();
        let media = reserve_ports(4);
        let cmd = sipp_command("uas", &sip, &media, dir);
        let mut sipp = Sipp {
            peer: Peer::spawn("sipp-uas", cmd, dir),
            messages: dir.join("sipp-uas-messages.log"),
            sip,
            media,
        };
        if !wait_udp_bound(sipp.sip.port(), secs(10)) {
            sipp.peer.stop(secs(1));
            panic!("sipp uas never bound its port\n{}", sipp.peer.logs());
        }
        sipp
    }

    /// `sipp -sn uac` calling `service@target` once and hanging up after `call_ms`.
    pub fn uac(dir: &Path, target: SocketAddr, service: &str, call_ms: u32) -> Sipp {
        let sip = reserve_port();
        let media = reserve_ports(4);
        let mut cmd = sipp_command("uac", &sip, &media, dir);
        cmd.arg(target.to_string())
            .args(["-s", service, "-d"])
            .arg(call_ms.to_string());
        Sipp {
            peer: Peer::spawn("sipp-uac", cmd, dir),
            messages: dir.join("sipp-uac-messages.log"),
            sip,
            media,
        }
    }

    /// `sip:USER@127.0.0.1:PORT` of this sipp.
    pub fn uri(&self, user: &str) -> String {
        format!("sip:{user}@127.0.0.1:{}", self.sip.port())
    }

    /// Waits for the exit (kills at the deadline) and panics unless it exited 0.
    pub fn assert_success(&mut self, timeout: Duration, context: &str) {
        let status = self.peer.wait(timeout);
        assert!(
            status.is_some_and(|s| s.success()),
            "sipp did not exit 0 ({}): {context}\n{}\n--- sipp message trace ---\n{}",
            match status {
                Some(s) => s.to_string(),
                None => "killed at the deadline".to_owned(),
            },
            self.peer.logs(),
            tail_of(&self.messages, 6000)
        );
    }
}

// ===================================================================================
// WAV files
// ===================================================================================

/// Writes a mono 16-bit WAV holding a sine of `hz` at half scale for `seconds`.
pub fn write_tone_wav(path: &Path, hz: f64, rate: u32, seconds: f64) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).expect("create tone WAV");
    let n = (f64::from(rate) * seconds) as usize;
    for i in 0..n {
        let t = i as f64 / f64::from(rate);
        let s = (2.0 * std::f64::consts::PI * hz * t).sin() * 16384.0;
        w.write_sample(s as i16).expect("write tone sample");
    }
    w.finalize().expect("finalize tone WAV");
}

/// Reads any 16-bit PCM WAV (baresip's sndfile dumps are 48 kHz stereo for Opus) and mixes
/// it down to mono: (samples, rate).
pub fn read_wav_mono(path: &Path) -> (Vec<i16>, u32) {
    let mut r =
        hound::WavReader::open(path).unwrap_or_else(|e| panic!("open WAV {}: {e}", path.display()));
    let spec = r.spec();
    assert_eq!(
        (spec.bits_per_sample, spec.sample_format),
        (16, hound::SampleFormat::Int),
        "{}: expected 16-bit PCM",
        path.display()
    );
    let ch = usize::from(spec.channels.max(1));
    let all: Vec<i16> = r.samples::<i16>().map_while(Result::ok).collect();
    let mono = all
        .chunks(ch)
        .map(|frame| (frame.iter().map(|&s| i32::from(s)).sum::<i32>() / frame.len() as i32) as i16)
        .collect();
    (mono, spec.sample_rate)
}

/// Asserts that `samples` hold a `hz` tone in more than `min` of the time; the message
/// names `what` and gives the fraction measured.
pub fn assert_tone(what: &str, samples: &[i16], rate: u32, hz: f64, min: f64) {
    assert!(
        !samples.is_empty(),
        "{what}: the recording is empty (rate {rate})"
    );
    // `as _`: the analysis API's exact numeric types are its own business.
    let frac = tone_fraction(samples, rate as _, hz as _) as f64;
    eprintln!(
        "{what}: {hz} Hz in {:.0}% of {:.2} s",
        frac * 100.0,
        samples.len() as f64 / f64::from(rate)
    );
    assert!(
        frac > min,
        "{what}: a {hz} Hz tone in only {:.1}% of {:.2} s at {rate} Hz (want > {:.0}%)",
        frac * 100.0,
        samples.len() as f64 / f64::from(rate),
        min * 100.0
    );
}

// ===================================================================================
// baresip
// ===================================================================================

const BARESIP_CONFIG: &str = include_str!("../../assets/baresip/config.template");
const BARESIP_ACCOUNTS: &str = include_str!("../../assets/baresip/accounts.template");

/// What a baresip instance does.
#[derive(Clone, Debug)]
pub struct BaresipOpts {
    /// Account user (baresip answers only requests for it).
    pub user: String,
    /// The tone it sends, from an aufile WAV.
    pub tone_hz: f64,
    /// Seconds of tone; aufile hangs up when it ends, so longer than the call.
    pub tone_seconds: f64,
    /// `auto` answers at once; `manual` waits for an `accept` command.
    pub answermode: String,
    /// `audio_codecs` account parameter, e.g. `pcmu` or `opus/48000/2`.
    pub codecs: String,
}

impl BaresipOpts {
    /// User `baresip`, 1000 Hz, 60 s, auto-answer, the given codecs.
    pub fn new(codecs: &str) -> BaresipOpts {
        BaresipOpts {
            user: "baresip".to_owned(),
            tone_hz: 1000.0,
            tone_seconds: 60.0,
            answermode: "auto".to_owned(),
            codecs: codecs.to_owned(),
        }
    }
}

/// A headless baresip on 127.0.0.1 with its ctrl_tcp connection.
pub struct Baresip {
    /// The process.
    pub peer: Peer,
    /// SIP port (and the TLS port right after it, which baresip also binds).
    pub sip: Ports,
    /// ctrl_tcp port.
    pub ctrl: Ports,
    /// The flags it was started with.
    pub opts: BaresipOpts,
    rec_dir: PathBuf,
    conn: TcpStream,
    msgs: Receiver<Value>,
    events: Vec<Value>,
}

/// Writes a netstring-framed JSON command.
fn netstring(v: &Value) -> Vec<u8> {
    let body = v.to_string();
    format!("{}:{},", body.len(), body).into_bytes()
}

/// Reads netstrings from `stream` and sends each parsed JSON object to `tx`.
fn netstring_reader(mut stream: TcpStream, tx: mpsc::Sender<Value>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        while let Some(colon) = buf.iter().position(|&b| b == b':') {
            let Some(len) = std::str::from_utf8(&buf[..colon])
                .ok()
                .and_then(|s| s.trim().parse::<usize>().ok())
            else {
                return; // not a netstring: stop reading
            };
            if buf.len() < colon + 1 + len + 1 {
                break;
            }
            let body = buf[colon + 1..colon + 1 + len].to_vec();
            buf.drain(..colon + 1 + len + 1);
            if let Ok(v) = serde_json::from_slice::<Value>(&body) {
                if tx.send(v).is_err() {
                    return;
                }
            }
        }
    }
}

impl Baresip {
    /// Writes a config dir inside `dir` (config, accounts, tone WAV, recordings dir), starts
    /// `baresip -f`, and connects to ctrl_tcp (waiting up to 10 s for it).
    pub fn start(dir: &Path, opts: BaresipOpts) -> Baresip {
        let home = dir.join(format!("baresip-{}", opts.user));
        let rec_dir = home.join("rec");
        fs::create_dir_all(&rec_dir).expect("create baresip dirs");
        let tone = home.join("tone.wav");
        write_tone_wav(&tone, opts.tone_hz, 8000, opts.tone_seconds);
        let sip = reserve_ports(2); // baresip binds TLS on SIP port + 1
        let ctrl = reserve_port();
        let config = BARESIP_CONFIG
            .replace("@SIP_PORT@", &sip.port().to_string())
            .replace("@CTRL_PORT@", &ctrl.port().to_string())
            .replace("@AUDIO_SOURCE@", &tone.display().to_string())
            .replace("@AUDIO_SOURCE_RATE@", "8000")
            .replace("@SND_PATH@", &rec_dir.display().to_string());
        fs::write(home.join("config"), config).expect("write baresip config");
        let accounts = BARESIP_ACCOUNTS
            .replace("@USER@", &opts.user)
            .replace("@SIP_PORT@", &sip.port().to_string())
            .replace("@ANSWERMODE@", &opts.answermode)
            .replace("@CODECS@", &opts.codecs);
        fs::write(home.join("accounts"), accounts).expect("write baresip accounts");

        let mut cmd = Command::new("baresip");
        cmd.arg("-f").arg(&home);
        let mut peer = Peer::spawn(&format!("baresip-{}", opts.user), cmd, dir);
        let deadline = Instant::now() + secs(10);
        let conn = loop {
            if let Ok(c) = TcpStream::connect_timeout(&ctrl.addr(), Duration::from_millis(200)) {
                break c;
            }
            if Instant::now() >= deadline || !peer.running() {
                peer.stop(secs(1));
                panic!(
                    "baresip's ctrl_tcp never listened on {}\n{}",
                    ctrl.addr(),
                    peer.logs()
                );
            }
            thread::sleep(Duration::from_millis(50));
        };
        let (tx, msgs) = mpsc::channel();
        let reader = conn.try_clone().expect("clone ctrl_tcp stream");
        thread::spawn(move || netstring_reader(reader, tx));
        Baresip {
            peer,
            sip,
            ctrl,
            opts,
            rec_dir,
            conn,
            msgs,
            events: Vec::new(),
        }
    }

    /// `sip:USER@127.0.0.1:PORT` of this baresip.
    pub fn uri(&self) -> String {
        format!("sip:{}@127.0.0.1:{}", self.opts.user, self.sip.port())
    }

    /// Sends a ctrl_tcp command (`dial`, `hangup`, `accept`, `quit`, …) and returns its
    /// response object; events that arrive meanwhile are kept for [`Baresip::wait_event`].
    pub fn command(
        &mut self,
        command: &str,
        params: &str,
        timeout: Duration,
    ) -> Result<Value, String> {
        let msg =
            serde_json::json!({"command": command, "params": params, "token": "sipline-test"});
        self.conn
            .write_all(&netstring(&msg))
            .map_err(|e| format!("ctrl_tcp write: {e}"))?;
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.msgs.recv_timeout(left) {
                Ok(v) if v["response"] == true => {
                    return if v["ok"] == true {
                        Ok(v)
                    } else {
                        Err(format!("baresip refused `{command} {params}`: {v}"))
                    };
                }
                Ok(v) => self.events.push(v),
                Err(_) => {
                    return Err(format!(
                        "no ctrl_tcp response to `{command}` in {timeout:?}"
                    ))
                }
            }
        }
    }

    /// Waits for a ctrl_tcp event of `kind` (`CALL_ESTABLISHED`, `CALL_CLOSED`, …).
    pub fn wait_event(&mut self, kind: &str, timeout: Duration) -> Option<Value> {
        if let Some(v) = self.events.iter().find(|v| v["type"] == kind) {
            return Some(v.clone());
        }
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.msgs.recv_timeout(left) {
                Ok(v) => {
                    let hit = v["type"] == kind;
                    self.events.push(v.clone());
                    if hit {
                        return Some(v);
                    }
                }
                Err(_) => return None,
            }
        }
    }

    /// ctrl_tcp events so far, one per line (for failure messages).
    pub fn events_text(&mut self) -> String {
        while let Ok(v) = self.msgs.try_recv() {
            self.events.push(v);
        }
        render_events(&self.events)
    }

    /// Ends baresip cleanly (ctrl `quit`, then SIGTERM, then SIGKILL) so that its sndfile
    /// recordings are complete on disk.
    pub fn stop(&mut self) {
        let _ = self.command("quit", "", secs(2));
        if self.peer.wait(secs(3)).is_none() {
            self.peer.stop(secs(2));
        }
    }

    /// The recordings of the (single) call: (sent `-enc.wav`, received `-dec.wav`).
    pub fn recordings(&self) -> (Option<PathBuf>, Option<PathBuf>) {
        let mut enc = None;
        let mut dec = None;
        if let Ok(entries) = fs::read_dir(&self.rec_dir) {
            for entry in entries.flatten() {
                let p = entry.path();
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if name.ends_with("-enc.wav") {
                    enc = Some(p.clone());
                } else if name.ends_with("-dec.wav") {
                    dec = Some(p.clone());
                }
            }
        }
        (enc, dec)
    }

    /// The received (decoded) audio of the call, mixed to mono, or a panic with the logs.
    pub fn received_audio(&mut self) -> (Vec<i16>, u32) {
        if let Some(p) = self.recordings().1 {
            return read_wav_mono(&p);
        }
        let events = self.events_text();
        panic!(
            "baresip wrote no -dec.wav recording in {}\nctrl events:\n{events}\n{}",
            self.rec_dir.display(),
            self.peer.logs()
        );
    }
}

impl Drop for Baresip {
    fn drop(&mut self) {
        if self.peer.running() {
            self.peer.stop(secs(2));
        }
    }
}
