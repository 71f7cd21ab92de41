//! The REPL as a person at a terminal sees it: the real `sipline` binary on a
//! pseudo-terminal, its output fed through a terminal emulator (vt100), and the screen read
//! back. Checks the prompt, tab completion, an event printed above a half-typed line
//! without garbling it (a second sipline, in script mode, calls the REPL one on 127.0.0.1),
//! and a clean exit on Ctrl-D; an account registered at a fake registrar
//! (`tests/cli_registrar`): its name completed, its `status`, its unregistration at quit.
//!
//! Every sipline here runs with `--audio-in silence --audio-out null` (no sound card on
//! these machines), its own history file in a temp dir, and hard deadlines: a test that
//! does not see what it waits for fails with the screen it saw, and its processes are
//! killed.

mod cli_registrar;
mod common;

use std::io::{Read, Write};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use portable_pty::{native_pty_system, Child, CommandBuilder, MasterPty, PtySize};

use cli_registrar::FakeRegistrar;
use common::*;

const ROWS: u16 = 30;
const COLS: u16 = 120;
const PROMPT: &str = "sipline> ";
/// The cursor-position request rustyline sends before each prompt.
const DSR: &[u8] = b"\x1b[6n";

/// A sipline REPL on a pseudo-terminal, and the screen it has drawn so far.
struct Term {
    child: Box<dyn Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    output: Receiver<Vec<u8>>,
    parser: vt100::Parser,
    /// Bytes not yet fed to the parser because they might start a DSR request.
    pending: Vec<u8>,
    /// Everything the program wrote, for failure messages.
    raw: Vec<u8>,
    _master: Box<dyn MasterPty + Send>,
    _rtp: Ports,
}

impl Term {
    /// Starts `sipline ARGS` on a new terminal with `--audio-in silence --audio-out null`,
    /// its own RTP ports, and HOME/XDG_DATA_HOME in `dir` (so history stays there).
    fn spawn(dir: &TempDir, args: &[String], env: &[(&str, &str)]) -> Term {
        let rtp = reserve_ports(10);
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pseudo-terminal");
        let mut cmd = CommandBuilder::new(sipline_bin());
        cmd.args(args);
        cmd.args([
            "--audio-in",
            "silence",
            "--audio-out",
            "null",
            "--rtp-ports",
            &format!("{}-{}", rtp.port(), rtp.nth(9)),
        ]);
        cmd.cwd(dir.path());
        cmd.env("TERM", "xterm-256color");
        cmd.env("HOME", dir.path());
        cmd.env("XDG_DATA_HOME", dir.join("data"));
        cmd.env("RUST_LOG", "warn");
        cmd.env_remove("NO_COLOR");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pty
            .slave
            .spawn_command(cmd)
            .expect("spawn sipline on a pty");
        // Only the child holds the terminal's slave side now, so reads end when it exits.
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().expect("pty reader");
        let writer = pty.master.take_writer().expect("pty writer");
        let (tx, output) = mpsc::channel();
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if tx.send(buf[..n].to_vec()).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        Term {
            child,
            writer,
            output,
            parser: vt100::Parser::new(
                std::num::NonZeroU16::new(ROWS).unwrap(),
                std::num::NonZeroU16::new(COLS).unwrap(),
                0,
            ),
            pending: Vec::new(),
            raw: Vec::new(),
            _master: pty.master,
            _rtp: rtp,
        }
    }

    /// Feeds program output to the emulator, answering cursor-position requests the way a
    /// terminal does (rustyline asks before each prompt).
    fn feed(&mut self, bytes: &[u8]) {
        self.raw.extend_from_slice(bytes);
        self.pending.extend_from_slice(bytes);
        loop {
            if let Some(i) = find(&self.pending, DSR) {
                let before: Vec<u8> = self.pending.drain(..i + DSR.len()).collect();
                self.parser.process(&before[..i]);
                let (row, col) = self.parser.screen().cursor_position();
                let answer = format!("\x1b[{};{}R", row + 1, col + 1);
                let _ = self.writer.write_all(answer.as_bytes());
                let _ = self.writer.flush();
                continue;
            }
            // Keep back a tail that could be the start of a request split across reads.
            let keep = (1..DSR.len())
                .rev()
                .find(|&k| self.pending.ends_with(&DSR[..k]))
                .unwrap_or(0);
            let done = self.pending.len() - keep;
            let chunk: Vec<u8> = self.pending.drain(..done).collect();
            self.parser.process(&chunk);
            return;
        }
    }

    /// Takes in whatever output arrives within `wait`.
    fn pump(&mut self, wait: Duration) -> bool {
        match self.output.recv_timeout(wait) {
            Ok(bytes) => {
                self.feed(&bytes);
                while let Ok(bytes) = self.output.try_recv() {
                    self.feed(&bytes);
                }
                true
            }
            Err(RecvTimeoutError::Timeout) => true,
            Err(RecvTimeoutError::Disconnected) => false,
        }
    }

    /// The visible rows, without trailing blanks.
    fn rows(&self) -> Vec<String> {
        self.parser
            .screen()
            .rows(0, COLS)
            .map(|r| r.trim_end().to_string())
            .collect()
    }

    /// The row the cursor is on, and the cursor's column.
    fn cursor_row(&self) -> (usize, String, u16) {
        let (row, col) = self.parser.screen().cursor_position();
        (row as usize, self.rows()[row as usize].clone(), col)
    }

    /// The screen, for failure messages.
    fn dump(&self) -> String {
        let (row, col) = self.parser.screen().cursor_position();
        let mut out = format!("--- screen (cursor at row {row}, col {col}) ---\n");
        for (i, r) in self.rows().iter().enumerate() {
            out.push_str(&format!("{i:2}|{r}\n"));
        }
        let start = self.raw.len().saturating_sub(3000);
        out.push_str(&format!(
            "--- last raw output ---\n{:?}",
            String::from_utf8_lossy(&self.raw[start..])
        ));
        out
    }

    /// Waits until `check` holds for the screen; panics with the screen after `timeout`.
    fn wait_for(&mut self, what: &str, timeout: Duration, check: impl Fn(&Term) -> bool) {
        let deadline = Instant::now() + timeout;
        loop {
            if check(self) {
                return;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                panic!("waited {timeout:?} for {what}\n{}", self.dump());
            }
            if !self.pump(left.min(Duration::from_millis(200))) && !check(self) {
                panic!(
                    "sipline closed the terminal while we waited for {what} (exit: {:?})\n{}",
                    self.child.try_wait(),
                    self.dump()
                );
            }
        }
    }

    /// Waits for the prompt with exactly `line` typed after it, cursor at its end.
    fn wait_prompt_line(&mut self, line: &str, timeout: Duration) {
        let want = format!("{PROMPT}{line}");
        self.wait_for(&format!("the prompt line {want:?}"), timeout, |t| {
            let (_, text, col) = t.cursor_row();
            text == want.trim_end() && usize::from(col) == want.chars().count()
        });
    }

    /// Types bytes (keys) into the terminal.
    fn type_keys(&mut self, keys: &str) {
        self.writer
            .write_all(keys.as_bytes())
            .and_then(|()| self.writer.flush())
            .expect("type into the terminal");
    }

    /// Waits for the program to exit, reading its output meanwhile; kills it after
    /// `timeout`. Returns the exit code, or None when it had to be killed.
    fn wait_exit(&mut self, timeout: Duration) -> Option<u32> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                // Read what it wrote last, until the terminal closes (bounded).
                let until = Instant::now() + Duration::from_secs(2);
                while Instant::now() < until && self.pump(Duration::from_millis(100)) {}
                return Some(status.exit_code());
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                return None;
            }
            self.pump(Duration::from_millis(50));
        }
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn listen_args(port: u16, user: &str) -> Vec<String> {
    vec![
        "--listen".into(),
        format!("127.0.0.1:{port}"),
        "--user".into(),
        user.into(),
        "--codecs".into(),
        "pcmu".into(),
    ]
}

const CTRL_C: &str = "\x03";
const CTRL_D: &str = "\x04";

#[test]
fn account_completion_status_and_unregistration_at_quit() {
    let registrar = FakeRegistrar::start(200, "OK");
    let dir = TempDir::new("repl-pty-accounts");
    let port = reserve_port();
    let mut args = listen_args(port.port(), "alice");
    args.extend([
        "--domain".to_string(),
        registrar.addr.to_string(),
        "--register".to_string(),
    ]);
    let mut term = Term::spawn(&dir, &args, &[("NO_COLOR", "1")]);
    term.wait_for("the registered line", secs(10), |t| {
        t.rows()
            .iter()
            .any(|r| r == "[alice] registered (expires in 3600s)")
    });
    term.wait_prompt_line("", secs(5));
    // `unreg` TAB → unregister; space TAB → the one account.
    term.type_keys("unreg\t");
    term.wait_prompt_line("unregister", secs(5));
    term.type_keys(" \t");
    term.wait_prompt_line("unregister alice", secs(5));
    term.type_keys(CTRL_C);
    term.wait_prompt_line("", secs(5));
    term.type_keys("status\r");
    term.wait_for("the registration in status", secs(5), |t| {
        let rows = t.rows();
        rows.iter().any(|r| r == "registrations: 1")
            && rows
                .iter()
                .any(|r| r.starts_with("  alice: registered, expires in "))
    });
    // Quitting unregisters, and says so before it exits.
    term.wait_prompt_line("", secs(5));
    term.type_keys(CTRL_D);
    let code = term.wait_exit(secs(15));
    assert_eq!(code, Some(0), "{}", term.dump());
    let rows = term.rows();
    let saying = rows.iter().position(|r| r == "unregistering alice…");
    let done = rows.iter().position(|r| r == "[alice] unregistered");
    assert!(
        saying.is_some() && done.is_some() && saying < done,
        "{}",
        term.dump()
    );
    assert_eq!(registrar.expires_seen(), ["3600", "0"]);
}

#[test]
fn prompt_completion_and_ctrl_d() {
    let dir = TempDir::new("repl-pty-basic");
    let port = reserve_port();
    let mut term = Term::spawn(&dir, &listen_args(port.port(), "bob"), &[("NO_COLOR", "1")]);
    term.wait_for("the banner", secs(20), |t| {
        t.rows()
            .iter()
            .any(|r| r.starts_with("sipline ") && r.contains("listening on 127.0.0.1:"))
    });
    term.wait_prompt_line("", secs(10));

    // `inv<TAB>` completes to the one command it can be.
    term.type_keys("inv\t");
    term.wait_prompt_line("invite", secs(5));
    // Ctrl-C clears the line and gives a fresh prompt.
    term.type_keys(CTRL_C);
    term.wait_prompt_line("", secs(5));

    // After `reject ` its usage shows as a hint, after the cursor; Right arrow does not
    // type it.
    term.type_keys("reject ");
    term.wait_for("the usage hint", secs(5), |t| {
        let (_, text, col) = t.cursor_row();
        text == "sipline> reject [N] [CODE [REASON…]] [-H 'Name: value']... [--body TEXT [--content-type TYPE]]"
            && usize::from(col) == "sipline> reject ".len()
    });
    term.type_keys("\x1b[C");
    term.type_keys("2");
    term.wait_prompt_line("reject 2", secs(5));
    term.type_keys(CTRL_C);
    term.wait_prompt_line("", secs(5));

    // A command's output shows, then a new prompt.
    term.type_keys("help accept\r");
    term.wait_for("help for accept", secs(5), |t| {
        t.rows()
            .iter()
            .any(|r| r == "usage: accept [N] [-H 'Name: value']")
    });
    term.wait_prompt_line("", secs(5));

    // A mistake the engine reports: plain text, since NO_COLOR is set.
    term.type_keys("reject 7\r");
    term.wait_for("the engine's error line", secs(5), |t| {
        t.rows()
            .iter()
            .any(|r| r == "error: reject: 7 is not a call (calls: none)")
    });
    // A line the front-end cannot parse names the problem and the expected form.
    term.type_keys("reject 1 99x\r");
    term.wait_for("the parse error", secs(5), |t| {
        t.rows()
            .iter()
            .any(|r| r == "reject: '99x' is not a status code (expected 300-699)")
    });
    assert_eq!(
        row_color(&term, "error: reject"),
        Some(vt100::Color::Default),
        "NO_COLOR=1 means no colours\n{}",
        term.dump()
    );
    assert!(
        !term.raw.windows(2).any(|w| w == b"\x1b[3"),
        "no colour codes at all"
    );
    term.wait_prompt_line("", secs(5));

    // Ctrl-D on an empty line quits cleanly.
    term.type_keys(CTRL_D);
    let code = term.wait_exit(secs(15));
    assert_eq!(code, Some(0), "Ctrl-D should exit 0\n{}", term.dump());
    assert!(
        dir.join("data/sipline/history").exists(),
        "history was not saved under XDG_DATA_HOME\n{}",
        term.dump()
    );
}

#[test]
fn incoming_call_prints_above_a_half_typed_line() {
    let dir = TempDir::new("repl-pty-incoming");
    let (pa, pb) = (reserve_port(), reserve_port());
    let mut term = Term::spawn(&dir, &listen_args(pb.port(), "bob"), &[("NO_COLOR", "1")]);
    term.wait_prompt_line("", secs(20));
    assert!(wait_udp_bound(pb.port(), secs(10)), "{}", term.dump());

    // Half a command, not yet entered.
    term.type_keys("reje");
    term.wait_prompt_line("reje", secs(5));

    // Alice (script mode) calls bob's REPL and expects to be turned away.
    let mut alice = Sipline::spawn("alice", SiplineOpts::new("alice", pa.port()), dir.path());
    alice.send(&format!(
        "invite sip:bob@127.0.0.1:{}\nwait rejected 20s\nquit\n",
        pb.port()
    ));

    term.wait_for(
        "the incoming call line above the intact prompt line",
        secs(20),
        |t| {
            let rows = t.rows();
            let (cursor_row, text, col) = t.cursor_row();
            let incoming = rows.iter().position(|r| {
                r.starts_with("[1] incoming call from ") && r.contains("sip:alice@127.0.0.1")
            });
            incoming.is_some_and(|i| i < cursor_row)
                && text == "sipline> reje"
                && usize::from(col) == "sipline> reje".len()
        },
    );
    // Nothing of the event leaked onto the prompt row, and the event line is whole.
    let rows = term.rows();
    let line = rows
        .iter()
        .find(|r| r.starts_with("[1] incoming call from "))
        .unwrap();
    assert!(
        line.ends_with("— accept 1 / reject 1"),
        "{line:?}\n{}",
        term.dump()
    );
    assert_eq!(
        rows.iter()
            .filter(|r| r.starts_with("sipline> reje"))
            .count(),
        1,
        "the half-typed line shows once\n{}",
        term.dump()
    );

    // Finish the line that was interrupted: `reje` + `ct 1 486` is `reject 1 486`.
    term.type_keys("ct 1 486\r");
    term.wait_for("the rejected line", secs(10), |t| {
        t.rows().iter().any(|r| r == "[1] rejected 486 Busy Here")
    });
    let out = alice.finish(secs(20));
    out.assert_success();
    assert_eq!(out.first("rejected")["code"], 486, "{}", out.report());

    term.wait_prompt_line("", secs(5));
    term.type_keys(CTRL_D);
    let code = term.wait_exit(secs(15));
    assert_eq!(code, Some(0), "Ctrl-D should exit 0\n{}", term.dump());
}

/// The foreground colour of the first cell of the first row that starts with `prefix`.
fn row_color(term: &Term, prefix: &str) -> Option<vt100::Color> {
    let row = term.rows().iter().position(|r| r.starts_with(prefix))?;
    let cell = term.parser.screen().cell(row as u16, 0)?;
    Some(cell.fgcolor())
}

/// Completion of a call number from the call table, `status`, colours on a terminal, and
/// the two Ctrl-Ds it takes to quit with a call up (the caller sees the hang-up).
#[test]
fn answer_by_completion_status_colours_and_double_ctrl_d() {
    let dir = TempDir::new("repl-pty-answer");
    let (pa, pb) = (reserve_port(), reserve_port());
    // NO_COLOR unset: events are coloured by kind.
    let mut term = Term::spawn(&dir, &listen_args(pb.port(), "bob"), &[]);
    term.wait_prompt_line("", secs(20));
    assert!(wait_udp_bound(pb.port(), secs(10)), "{}", term.dump());

    let mut alice = Sipline::spawn("alice", SiplineOpts::new("alice", pa.port()), dir.path());
    alice.send(&format!(
        "invite sip:bob@127.0.0.1:{}\nwait accepted 20s\nwait terminated 30s\nquit\n",
        pb.port()
    ));
    term.wait_for("the incoming call", secs(20), |t| {
        t.rows()
            .iter()
            .any(|r| r.starts_with("[1] incoming call from "))
    });
    assert_eq!(
        row_color(&term, "[1] incoming call from "),
        Some(vt100::Color::Idx(3)),
        "incoming calls are yellow\n{}",
        term.dump()
    );

    // `acc` TAB → accept; space TAB → the one call waiting.
    term.type_keys("acc\t");
    term.wait_prompt_line("accept", secs(5));
    term.type_keys(" \t");
    term.wait_prompt_line("accept 1", secs(5));
    term.type_keys("\r");
    term.wait_for("the accepted line", secs(10), |t| {
        t.rows().iter().any(|r| r == "[1] accepted 200")
    });
    assert_eq!(
        row_color(&term, "[1] accepted 200"),
        Some(vt100::Color::Idx(2)),
        "answered calls are green\n{}",
        term.dump()
    );
    alice.expect_event("accepted", secs(10));

    term.wait_prompt_line("", secs(5));
    term.type_keys("status\r");
    term.wait_for("the status of call 1", secs(5), |t| {
        let rows = t.rows();
        rows.iter().any(|r| r.starts_with("registrations: none"))
            && rows.iter().any(|r| {
                r.starts_with("  [1] incoming from ")
                    && r.contains("sip:alice@127.0.0.1")
                    && r.contains(": established talking 0:0")
            })
    });

    // With a call up, the first Ctrl-D only warns.
    term.wait_prompt_line("", secs(5));
    term.type_keys(CTRL_D);
    term.wait_for("the Ctrl-D warning", secs(5), |t| {
        t.rows()
            .iter()
            .any(|r| r == "1 call up; Ctrl-D again to hang up and quit")
    });
    term.wait_prompt_line("", secs(5));
    assert!(
        matches!(term.child.try_wait(), Ok(None)),
        "one Ctrl-D must not quit with a call up\n{}",
        term.dump()
    );
    term.type_keys(CTRL_D);
    let code = term.wait_exit(secs(15));
    assert_eq!(code, Some(0), "the second Ctrl-D exits 0\n{}", term.dump());
    assert!(
        term.rows()
            .iter()
            .any(|r| r.starts_with("[1] terminated by local")),
        "the call is hung up on the way out\n{}",
        term.dump()
    );
    let out = alice.finish(secs(20));
    out.assert_success();
    assert_eq!(out.first("terminated")["by"], "remote", "{}", out.report());
}

/// History outlives the session (in XDG_DATA_HOME) and Ctrl-R finds an old line.
#[test]
fn history_is_kept_and_searchable() {
    let dir = TempDir::new("repl-pty-history");
    let port = reserve_port();
    let args = listen_args(port.port(), "bob");
    let mut first = Term::spawn(&dir, &args, &[("NO_COLOR", "1")]);
    first.wait_prompt_line("", secs(20));
    first.type_keys("help status\r");
    first.wait_for("help for status", secs(5), |t| {
        t.rows().iter().any(|r| r == "usage: status")
    });
    first.wait_prompt_line("", secs(5));
    first.type_keys(CTRL_D);
    assert_eq!(first.wait_exit(secs(15)), Some(0), "{}", first.dump());
    drop(first);
    assert!(wait_udp_free(port.port(), secs(5)));

    let mut second = Term::spawn(&dir, &args, &[("NO_COLOR", "1")]);
    second.wait_prompt_line("", secs(20));
    second.type_keys("\x12stat");
    second.wait_for("the reverse search finding the old line", secs(5), |t| {
        t.rows()
            .iter()
            .any(|r| r.contains("stat") && r.contains("help status") && r.contains("search"))
    });
    // Enter runs the found line.
    second.type_keys("\r");
    second.wait_for("help for status again", secs(5), |t| {
        t.rows().iter().any(|r| r == "usage: status")
    });
    second.wait_prompt_line("", secs(5));
    second.type_keys(CTRL_D);
    assert_eq!(second.wait_exit(secs(15)), Some(0), "{}", second.dump());
}

/// Waits until nobody holds UDP `port` on 127.0.0.1 any more.
fn wait_udp_free(port: u16, timeout: std::time::Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if std::net::UdpSocket::bind(local(port)).is_ok() {
            return true;
        }
        thread::sleep(Duration::from_millis(25));
    }
    false
}
