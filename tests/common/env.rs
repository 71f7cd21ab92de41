//! Peer presence (skip or fail) and per-test temp dirs.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{SystemTime, UNIX_EPOCH};

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

/// A fresh directory under `std::env::temp_dir()`, removed on drop unless the test panicked
/// or `SIPLINE_TEST_KEEP` is set.
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
        } else if std::env::var_os("SIPLINE_TEST_KEEP").is_some() {
            eprintln!("SIPLINE_TEST_KEEP: keeping {}", self.path.display());
        } else {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}
