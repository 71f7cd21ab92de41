//! Headless baresip with a generated config dir and a ctrl_tcp connection.

use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::*;

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
    /// Register there (every 60 s) with the AOR `sip:USER@REGISTRAR`; None: no REGISTER.
    pub registrar: Option<SocketAddr>,
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
            registrar: None,
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
        // With a registrar the AOR's domain is the registrar, and baresip registers there.
        let (domain, regint) = match opts.registrar {
            Some(registrar) => (registrar.to_string(), "60"),
            None => (format!("127.0.0.1:{}", sip.port()), "0"),
        };
        let accounts = BARESIP_ACCOUNTS
            .replace("@USER@", &opts.user)
            .replace("@DOMAIN@", &domain)
            .replace("@REGINT@", regint)
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
