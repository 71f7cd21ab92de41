//! sipp's built-in `uas` and `uac` scenarios.

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
