//! Process-test helpers: the real `sipline` binary driven by a stdin script with `--json`,
//! and the real peers (sipp, baresip) on 127.0.0.1 only.
//!
//! Rules every helper keeps:
//! - Every child process has a hard deadline and is killed on drop, so a test can fail but
//!   never hang, and never leaves a process behind.
//! - Ports come from [`reserve_ports`]: a lock file per port under the system temp dir plus a
//!   bind probe, so test binaries that cargo runs in parallel never collide. The range
//!   20100-29999 stays clear of sipline's default RTP range (10000-20000), of the RTP range
//!   given to baresip (30000-32699) and of Linux's ephemeral range (32768-60999). Each
//!   sipline also gets its own reserved `--rtp-ports` block.
//! - A missing peer binary skips the test with a loud message, unless `CI` is set: under CI
//!   it is a failure (scripts/test installs the peers).
//! - Each test gets a [`TempDir`] under `std::env::temp_dir()`; it is kept (and its path
//!   printed) when the test panics, for the logs and recordings inside.

#![allow(dead_code)] // every test binary uses a different subset of these helpers

mod baresip;
mod env;
mod kamailio;
mod ports;
mod process;
mod schema;
mod sipline_proc;
mod sipp;
mod wav;

#[allow(unused_imports)]
pub use baresip::*;
#[allow(unused_imports)]
pub use env::*;
#[allow(unused_imports)]
pub use kamailio::*;
#[allow(unused_imports)]
pub use ports::*;
#[allow(unused_imports)]
pub use process::*;
#[allow(unused_imports)]
pub use schema::*;
#[allow(unused_imports)]
pub use sipline_proc::*;
#[allow(unused_imports)]
pub use sipp::*;
#[allow(unused_imports)]
pub use wav::*;

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::Duration;

#[allow(unused_imports)] // not every test binary reads WAVs
pub use ::sipline::media::analysis::{read_wav, tone_fraction};

/// 127.0.0.1, the only address process tests use.
pub const LOCALHOST: Ipv4Addr = Ipv4Addr::LOCALHOST;

/// `127.0.0.1:port`.
pub fn local(port: u16) -> SocketAddr {
    SocketAddr::V4(SocketAddrV4::new(LOCALHOST, port))
}

/// Shorthand for seconds.
pub fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}
