//! kamailio as an in-memory registrar and record-routing proxy on 127.0.0.1, in two
//! configurations:
//!
//! - [`Kamailio::start`] / [`Kamailio::start_with_aliases`]: Debian's stock
//!   `/etc/kamailio/kamailio.cfg`, without auth (its auth needs a database server), which
//!   imports a `kamailio-local.cfg` that pins it to one address and port.
//! - [`Kamailio::start_with_auth`]: our `assets/kamailio/registrar-auth.cfg`, with digest
//!   auth and no database: 401 on REGISTER, 407 on initial requests (qop=auth), passwords
//!   from an in-memory htable that a generated `kamailio-users.cfg` fills at start-up.

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::*;

/// Settings of the auth config ([`Kamailio::start_with_auth_options`]).
#[derive(Clone, Debug)]
pub struct AuthOptions {
    /// The challenges' `algorithm`: `MD5` or `SHA-256` (kamailio's `auth` module).
    pub algorithm: &'static str,
    /// Seconds a nonce stays valid (`nonce_expire`; default 300).
    pub nonce_expire: u32,
    /// The shortest registration granted, in seconds (registrar `min_expires`; default 60).
    pub min_expires: u32,
    /// Also challenge in-dialog BYE, INFO and REFER with 407 (default: no, like the stock
    /// config).
    pub challenge_in_dialog: bool,
}

impl Default for AuthOptions {
    fn default() -> Self {
        AuthOptions {
            algorithm: "MD5",
            nonce_expire: 300,
            min_expires: 60,
            challenge_in_dialog: false,
        }
    }
}

/// A running kamailio; its worker processes share its process group and die with it.
pub struct Kamailio {
    /// The main process.
    pub peer: Peer,
    /// SIP port (UDP and TCP).
    pub sip: Ports,
    home: PathBuf,
    log: PathBuf,
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
        Kamailio::launch(dir, home, aliases)
    }

    /// Starts kamailio with `assets/kamailio/registrar-auth.cfg`: a registrar and
    /// record-routing proxy that challenges REGISTER with 401 and other initial requests
    /// with 407 (MD5, qop=auth, realm = the To/From domain, here `127.0.0.1`), knowing only
    /// `users` (name, password). A wrong password is challenged again with a fresh nonce.
    pub fn start_with_auth(dir: &Path, users: &[(&str, &str)]) -> Kamailio {
        Kamailio::start_with_auth_options(dir, users, &AuthOptions::default())
    }

    /// Like [`Kamailio::start_with_auth`], with other [`AuthOptions`].
    pub fn start_with_auth_options(
        dir: &Path,
        users: &[(&str, &str)],
        options: &AuthOptions,
    ) -> Kamailio {
        let home = dir.join("kamailio");
        fs::create_dir_all(&home).expect("create kamailio dir");
        let cfg = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/kamailio/registrar-auth.cfg");
        fs::copy(&cfg, home.join("kamailio.cfg"))
            .unwrap_or_else(|e| panic!("copy {}: {e}", cfg.display()));
        let AuthOptions {
            algorithm,
            nonce_expire,
            min_expires,
            challenge_in_dialog,
        } = options;
        let mut users_cfg = format!(
            "#!define AUTH_ALGORITHM \"{algorithm}\"\n\
             #!define NONCE_EXPIRE {nonce_expire}\n\
             #!define MIN_EXPIRES {min_expires}\n\
             event_route[htable:mod-init] {{\n"
        );
        if *challenge_in_dialog {
            users_cfg.insert_str(0, "#!define CHALLENGE_IN_DIALOG\n");
        }
        for (user, password) in users {
            let plain = |s: &str| {
                s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            };
            assert!(
                plain(user) && plain(password),
                "test users and passwords are plain words (they go into a kamailio string)"
            );
            users_cfg.push_str(&format!("\t$sht(passwd=>{user}) = \"{password}\";\n"));
        }
        users_cfg.push_str("}\n");
        fs::write(home.join("kamailio-users.cfg"), users_cfg).expect("write kamailio-users.cfg");
        Kamailio::launch(dir, home, &[])
    }

    /// Writes `kamailio-local.cfg` (a fresh port, `aliases`) next to `home/kamailio.cfg`
    /// and runs kamailio in the foreground; returns once it has bound its UDP port.
    fn launch(dir: &Path, home: PathBuf, aliases: &[&str]) -> Kamailio {
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
            log: dir.join("kamailio.err"),
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

    /// All of kamailio's log (stderr, `-E`) so far. With the auth config each request
    /// logs a line `request METHOD R-URI (Call-ID …, CSeq N) from IP:PORT (auth user: …)`.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// How many distinct `method` requests kamailio has received (auth config only: its
    /// `request METHOD ` log lines, a retransmission counted once).
    pub fn requests_logged(&self, method: &str) -> usize {
        let needle = format!("request {method} ");
        let mut seen: Vec<&str> = Vec::new();
        let log = self.log();
        for line in log.lines() {
            if let Some(at) = line.find(&needle) {
                if !seen.contains(&&line[at..]) {
                    seen.push(&line[at..]);
                }
            }
        }
        seen.len()
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
