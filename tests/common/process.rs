//! Child processes with deadlines and logs on disk.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Waits for `child` until `deadline`; kills it then. `None` means it was killed.
pub(crate) fn wait_deadline(child: &mut Child, deadline: Instant) -> Option<ExitStatus> {
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
    pub fn spawn(name: &str, cmd: Command, dir: &Path) -> Peer {
        Peer::spawn_in(name, cmd, dir, dir)
    }

    /// Like [`Peer::spawn`], but runs in `cwd` (where relative paths of the peer resolve).
    pub fn spawn_in(name: &str, mut cmd: Command, dir: &Path, cwd: &Path) -> Peer {
        let out = dir.join(format!("{name}.out"));
        let err = dir.join(format!("{name}.err"));
        let stdout = fs::File::create(&out).expect("create peer stdout file");
        let stderr = fs::File::create(&err).expect("create peer stderr file");
        cmd.current_dir(cwd)
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

    /// Its pid while it has not been waited for.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
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
