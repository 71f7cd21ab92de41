//! kamailio as an in-memory registrar and record-routing proxy on 127.0.0.1 (no auth):
//! Debian's stock `/etc/kamailio/kamailio.cfg`, which imports a `kamailio-local.cfg` that
//! pins it to one address and port.

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::*;

/// A running kamailio; its worker processes share its process group and die with it.
pub struct Kamailio {
    /// The main process.
    pub peer: Peer,
    /// SIP port (UDP and TCP).
    pub sip: Ports,
    home: PathBuf,
    pgid: Option<i32>,
}

impl Kamailio {
    /// Starts kamailio in the foreground with its runtime files in `dir/kamailio`; returns
    /// once it has bound its UDP port.
    pub fn start(dir: &Path) -> Kamailio {
        Kamailio::start_with_aliases(dir, &[])
    }

    /// Like [`Kamailio::start`], and kamailio also takes `aliases` (domain names such as
    /// `sipline.test`, never resolved) as its own domains: a UA whose AoR is at such a
    /// domain reaches it as an outbound proxy.
    pub fn start_with_aliases(dir: &Path, aliases: &[&str]) -> Kamailio {
        let home = dir.join("kamailio");
        fs::create_dir_all(&home).expect("create kamailio dir");
        fs::copy("/etc/kamailio/kamailio.cfg", home.join("kamailio.cfg"))
            .expect("copy /etc/kamailio/kamailio.cfg (Debian package kamailio)");
        let sip = reserve_port();
        let p = sip.port();
        let mut local_cfg = format!(
            "listen=udp:127.0.0.1:{p}\nlisten=tcp:127.0.0.1:{p}\nalias=\"127.0.0.1:{p}\"\n\
             auto_aliases=no\n"
        );
        for alias in aliases {
            local_cfg.push_str(&format!("alias=\"{alias}\"\n"));
        }
        fs::write(home.join("kamailio-local.cfg"), local_cfg).expect("write kamailio-local.cfg");
        let mut cmd = Command::new("kamailio");
        cmd.arg("-f")
            .arg(home.join("kamailio.cfg"))
            .args(["-DD", "-E", "-Y"])
            .arg(&home)
            .arg("-P")
            .arg(home.join("kamailio.pid"))
            .args(["-m", "64", "-M", "8"])
            .process_group(0);
        let peer = Peer::spawn("kamailio", cmd, dir);
        let pgid = peer.pid().and_then(|pid| i32::try_from(pid).ok());
        let mut kamailio = Kamailio {
            peer,
            sip,
            home,
            pgid,
        };
        if !wait_udp_bound(p, secs(10)) {
            let logs = kamailio.peer.logs();
            kamailio.stop();
            panic!("kamailio never bound 127.0.0.1:{p}\n{logs}");
        }
        kamailio
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> SocketAddr {
        self.sip.addr()
    }

    /// `sip:USER@127.0.0.1:PORT`: a user registered here, reached through the proxy.
    pub fn uri(&self, user: &str) -> String {
        format!("sip:{user}@127.0.0.1:{}", self.sip.port())
    }

    /// The location table (`kamcmd ul.dump`), for failure messages.
    pub fn registrations(&self) -> String {
        let ctl = format!("unix:{}", self.home.join("kamailio_ctl").display());
        match Command::new("kamcmd")
            .args(["-s", &ctl, "ul.dump"])
            .output()
        {
            Ok(out) => String::from_utf8_lossy(&out.stdout).into_owned(),
            Err(e) => format!("(kamcmd: {e})"),
        }
    }

    /// Waits until `user` has a contact in the location table.
    pub fn wait_registered(&self, user: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let needle = format!("AoR: {user}\n");
        while Instant::now() < deadline {
            if self.registrations().contains(&needle) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    /// Waits until `user` has no contact left in the location table (after an unregister).
    pub fn wait_unregistered(&self, user: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let needle = format!("AoR: {user}\n");
        while Instant::now() < deadline {
            if !self.registrations().contains(&needle) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    /// SIGTERM to the whole process group, up to 5 s, then SIGKILL to the group.
    pub fn stop(&mut self) {
        if let Some(pgid) = self.pgid {
            signal_group(pgid, libc::SIGTERM);
            if self.peer.wait(secs(5)).is_none() {
                signal_group(pgid, libc::SIGKILL);
            }
            // The workers may outlive the main process by a moment.
            std::thread::sleep(Duration::from_millis(200));
            signal_group(pgid, libc::SIGKILL);
            self.pgid = None;
        }
    }
}

fn signal_group(pgid: i32, sig: i32) {
    // SAFETY: kill(2) on the process group we created for this kamailio (process_group(0)
    // makes the group id the main pid, which stays ours until `Peer` reaps it).
    unsafe {
        libc::kill(-pgid, sig);
    }
}

impl Drop for Kamailio {
    fn drop(&mut self) {
        self.stop();
    }
}
