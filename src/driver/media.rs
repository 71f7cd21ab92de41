//! Per-call media tasks: one tokio task per call moves 20 ms frames between the audio ends
//! and the RTP socket (encode → packetise → send; receive → jitter buffer → decode → play).

use std::net::IpAddr;

use crate::media::audio::{AudioInSpec, AudioOutSpec};
use crate::media::{MediaCtl, MediaReport};

/// Audio ends used for every call.
#[derive(Clone, Debug)]
pub struct MediaConfig {
    /// Where our audio comes from.
    pub audio_in: AudioInSpec,
    /// Where the far end's audio goes.
    pub audio_out: AudioOutSpec,
    /// IP address to bind RTP sockets on.
    pub bind_ip: IpAddr,
    /// RTP port range to bind in (inclusive); even ports are used (RFC 3550 §11).
    pub rtp_ports: (u16, u16),
}

/// Owns every call's RTP socket and media task.
pub struct MediaManager {
    cfg: MediaConfig,
}

impl MediaManager {
    /// A manager with no calls.
    pub fn new(cfg: MediaConfig) -> Self {
        MediaManager { cfg }
    }

    /// Carry out one instruction from the engine. `Open` binds at once and returns the
    /// report the engine must get as its next input; the others return None.
    pub fn handle(&mut self, ctl: MediaCtl) -> Option<MediaReport> {
        let _ = (ctl, &self.cfg);
        todo!("driver::media::MediaManager::handle")
    }

    /// Stop every task and wait until each has flushed its sink (WAV headers written).
    pub async fn shutdown(&mut self) {
        todo!("driver::media::MediaManager::shutdown")
    }
}
