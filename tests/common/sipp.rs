//! sipp's built-in `uas` and `uac` scenarios, and scenario files (`tests/sipp/*.xml`, the
//! shared corpus in `../shared/corpora/sipp/`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::*;

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

/// `-sf FILE` instead of `-sn ROLE`, and a label for its log files.
fn sipp_scenario_command(
    label: &str,
    scenario: &Path,
    sip: &Ports,
    media: &Ports,
    dir: &Path,
) -> Command {
    let mut cmd = Command::new("sipp");
    cmd.arg("-sf")
        .arg(scenario)
        .args(["-i", "127.0.0.1", "-p"])
        .arg(sip.port().to_string())
        .arg("-mp")
        .arg(media.port().to_string())
        .args(["-m", "1", "-nostdin", "-timeout", "60s", "-timeout_error"])
        .args(["-trace_err", "-error_file"])
        .arg(dir.join(format!("sipp-{label}-errors.log")))
        .args(["-trace_msg", "-message_file"])
        .arg(dir.join(format!("sipp-{label}-messages.log")));
    cmd
}

/// `tests/sipp/NAME` in this repository.
pub fn sipp_scenario(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/sipp")
        .join(name)
}

/// The shared corpora folder: `SIPLINE_SHARED` (the shared folder or its `corpora`), else
/// `../shared/corpora` beside the repository.
pub fn corpora_dir() -> PathBuf {
    match std::env::var_os("SIPLINE_SHARED") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.join("corpora").is_dir() {
                dir.join("corpora")
            } else {
                dir
            }
        }
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora"),
    }
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

    /// sipp running scenario file `scenario` as a server (it waits for the first message);
    /// `extra` flags are appended. Returns once its port is bound.
    pub fn scenario_server(dir: &Path, label: &str, scenario: &Path, extra: &[&str]) -> Sipp {
        let sip = reserve_port();
        let media = reserve_ports(4);
        let mut cmd = sipp_scenario_command(label, scenario, &sip, &media, dir);
        cmd.args(extra);
        let mut sipp = Sipp {
            peer: Peer::spawn(&format!("sipp-{label}"), cmd, dir),
            messages: dir.join(format!("sipp-{label}-messages.log")),
            sip,
            media,
        };
        if !wait_udp_bound(sipp.sip.port(), secs(10)) {
            sipp.peer.stop(secs(1));
            panic!("sipp {label} never bound its port\n{}", sipp.peer.logs());
        }
        sipp
    }

    /// sipp running scenario file `scenario` as a client towards `target`, with `extra`
    /// flags (e.g. `-s SERVICE`, `-au`, `-ap`); `cwd` is where relative paths in the
    /// scenario (pcap files) are resolved.
    pub fn scenario_client(
        dir: &Path,
        label: &str,
        scenario: &Path,
        target: SocketAddr,
        extra: &[&str],
        cwd: &Path,
    ) -> Sipp {
        let sip = reserve_port();
        let media = reserve_ports(4);
        let mut cmd = sipp_scenario_command(label, scenario, &sip, &media, dir);
        cmd.arg(target.to_string()).args(extra);
        let peer = Peer::spawn_in(&format!("sipp-{label}"), cmd, dir, cwd);
        Sipp {
            peer,
            messages: dir.join(format!("sipp-{label}-messages.log")),
            sip,
            media,
        }
    }

    /// Its whole message trace (`-trace_msg`) so far.
    pub fn messages(&self) -> String {
        std::fs::read_to_string(&self.messages).unwrap_or_default()
    }

    /// The SIP messages sipp received, each as text (from the message trace).
    pub fn received(&self) -> Vec<String> {
        let trace = self.messages();
        trace
            .split("----------------------------------------------- ")
            .filter(|block| block.contains("message received"))
            .map(|block| {
                // Drop the timestamp line and the "UDP message received [N] bytes :" line.
                block
                    .lines()
                    .skip_while(|l| !l.contains("message received"))
                    .skip(1)
                    .skip_while(|l| l.trim().is_empty())
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .collect()
    }

    /// The requests of `method` sipp received, in order.
    pub fn received_requests(&self, method: &str) -> Vec<String> {
        let start = format!("{method} ");
        self.received()
            .into_iter()
            .filter(|m| m.starts_with(&start))
            .collect()
    }

    /// The tail of the message trace, for failure messages.
    pub fn trace_tail(&self) -> String {
        tail_of(&self.messages, 6000)
    }

    /// `127.0.0.1:PORT` of this sipp.
    pub fn addr(&self) -> SocketAddr {
        self.sip.addr()
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
