//! Port reservation on 127.0.0.1 across parallel test processes.

use std::fs;
use std::io::Write;
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use super::*;

const PORT_RANGE: std::ops::Range<u16> = 20100..30000;

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
                let stale = match owner {
                    Some(pid) => !pid_alive(pid),
                    // No pid yet: another process is between creating and writing it,
                    // unless the file is old (a crash at exactly that point).
                    None => fs::metadata(&path)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| t.elapsed().ok())
                        .is_some_and(|age| age > Duration::from_secs(10)),
                };
                if !stale {
                    return None;
                }
                let _ = fs::remove_file(&path);
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
