//! Keeps the audio system's own diagnostics off the user's terminal while devices are probed
//! and opened.
//!
//! alsa-lib reports failures (for instance `ALSA lib confmisc.c:...: cannot find card '0'`
//! on a machine without a sound card) by printing to the process's standard error from C,
//! outside Rust's control. While a [`QuietStderr`] is alive, file descriptor 2 points at
//! `/dev/null`; dropping it restores the original. Because a file descriptor is shared by the
//! whole process, anything another thread writes to stderr in that window (a few
//! milliseconds at start-up or call set-up) is lost too; a process-wide lock keeps two
//! guards from interleaving. Set `SIPLINE_AUDIO_DEBUG=1` to see the audio system's messages.
#![allow(unsafe_code)]

use std::sync::{Mutex, MutexGuard};

static LOCK: Mutex<()> = Mutex::new(());

/// While alive, stderr (fd 2) is redirected to `/dev/null`.
pub(crate) struct QuietStderr {
    saved_fd: Option<libc::c_int>,
    _lock: MutexGuard<'static, ()>,
}

impl QuietStderr {
    /// Redirect fd 2 to `/dev/null` (does nothing if that fails or if
    /// `SIPLINE_AUDIO_DEBUG` is set).
    pub(crate) fn new() -> Self {
        // A panic while holding the lock leaves nothing inconsistent behind (the guard's
        // Drop restores fd 2), so a poisoned lock is fine to take.
        let lock = LOCK.lock().unwrap_or_else(|p| p.into_inner());
        let saved_fd = if std::env::var_os("SIPLINE_AUDIO_DEBUG").is_some() {
            None
        } else {
            redirect_to_null()
        };
        QuietStderr {
            saved_fd,
            _lock: lock,
        }
    }
}

fn redirect_to_null() -> Option<libc::c_int> {
    // SAFETY: plain POSIX calls on file descriptors we own: `open` returns a new fd or -1;
    // `fcntl(F_DUPFD_CLOEXEC)` duplicates fd 2 to a new fd or returns -1; `dup2` makes fd 2 a
    // copy of the /dev/null fd; every fd we opened is closed on every path except the saved
    // copy of stderr, which the guard owns and restores/closes in Drop. No pointers are
    // retained; the path is a NUL-terminated static C string.
    unsafe {
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
        if null < 0 {
            return None;
        }
        let saved = libc::fcntl(2, libc::F_DUPFD_CLOEXEC, 3);
        if saved < 0 {
            libc::close(null);
            return None;
        }
        if libc::dup2(null, 2) < 0 {
            libc::close(saved);
            libc::close(null);
            return None;
        }
        libc::close(null);
        Some(saved)
    }
}

impl Drop for QuietStderr {
    fn drop(&mut self) {
        if let Some(saved) = self.saved_fd.take() {
            // SAFETY: `saved` is the duplicate of the original stderr made in
            // `redirect_to_null` and owned only by this guard; dup2 puts it back on fd 2 and
            // the duplicate is then closed exactly once.
            unsafe {
                libc::dup2(saved, 2);
                libc::close(saved);
            }
        }
    }
}
