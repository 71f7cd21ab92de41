//! Timer values and the per-machine timer table (RFC 3261 §17, table 4 in appendix A).
//!
//! Timers are data (ARCHITECTURE.md rule 4): each machine keeps its RFC-named timers in a
//! [`TimerTable`] and the engine's `poll_timeout` is the earliest deadline of all tables.

use std::time::{Duration, Instant};

/// The base timer values, configurable for tests and for reliable networks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimerValues {
    /// T1: RTT estimate, default 500 ms (§17.1.1.1).
    pub t1: Duration,
    /// T2: maximum retransmit interval for non-INVITE requests and INVITE responses, 4 s.
    pub t2: Duration,
    /// T4: maximum duration a message remains in the network, 5 s.
    pub t4: Duration,
}

impl Default for TimerValues {
    fn default() -> Self {
        TimerValues {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
        }
    }
}

impl TimerValues {
    /// 64*T1: Timers B, F, H, J, L, M (§17.1.1.2, RFC 6026).
    pub fn t1x64(&self) -> Duration {
        self.t1 * 64
    }
}

/// Deadlines for a small closed set of named timers `T` (an enum with `INDEX`).
#[derive(Clone, Debug)]
pub struct TimerTable<const N: usize> {
    at: [Option<Instant>; N],
}

impl<const N: usize> Default for TimerTable<N> {
    fn default() -> Self {
        TimerTable { at: [None; N] }
    }
}

impl<const N: usize> TimerTable<N> {
    /// Arm timer `i` to fire at `at`.
    pub fn set(&mut self, i: usize, at: Instant) {
        if let Some(slot) = self.at.get_mut(i) {
            *slot = Some(at);
        }
    }
    /// Disarm timer `i`.
    pub fn stop(&mut self, i: usize) {
        if let Some(slot) = self.at.get_mut(i) {
            *slot = None;
        }
    }
    /// Disarm every timer.
    pub fn stop_all(&mut self) {
        self.at = [None; N];
    }
    /// The deadline of timer `i`.
    pub fn get(&self, i: usize) -> Option<Instant> {
        self.at.get(i).copied().flatten()
    }
    /// The earliest armed deadline.
    pub fn next(&self) -> Option<Instant> {
        self.at.iter().flatten().min().copied()
    }
    /// Disarm and return the index of one timer due at `now`, if any (earliest first).
    pub fn take_expired(&mut self, now: Instant) -> Option<usize> {
        let (i, _) = self
            .at
            .iter()
            .enumerate()
            .filter_map(|(i, t)| t.map(|t| (i, t)))
            .filter(|(_, t)| *t <= now)
            .min_by_key(|(_, t)| *t)?;
        self.at[i] = None;
        Some(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expired_timers_come_out_earliest_first_and_once() {
        let t0 = Instant::now();
        let mut t: TimerTable<3> = TimerTable::default();
        t.set(0, t0 + Duration::from_secs(2));
        t.set(2, t0 + Duration::from_secs(1));
        assert_eq!(t.next(), Some(t0 + Duration::from_secs(1)));
        assert_eq!(t.take_expired(t0), None);
        let later = t0 + Duration::from_secs(3);
        assert_eq!(t.take_expired(later), Some(2));
        assert_eq!(t.take_expired(later), Some(0));
        assert_eq!(t.take_expired(later), None);
        assert_eq!(t.next(), None);
    }
}
