//! Non-INVITE client transaction (RFC 3261 §17.1.2).
//!
//! ```text
//! Trying --1xx--> Proceeding --200-699--> Completed --Timer K--> Terminated
//!    +--200-699--> Completed;   Trying/Proceeding --Timer F--> Terminated (timeout)
//! ```
//! Timer E retransmits from T1, doubling up to T2 (and at T2 in Proceeding).

use std::time::{Duration, Instant};

use super::{Transmit, TxnOutcome};
use crate::sip::msg::{Request, Response};
use crate::sip::timers::{TimerTable, TimerValues};
use crate::sip::transport::Target;

/// States of §17.1.2.2 figure 6.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum State {
    /// Request sent, nothing heard.
    Trying,
    /// A provisional response arrived.
    Proceeding,
    /// A final response arrived; absorbing retransmissions.
    Completed,
    /// Done.
    Terminated,
}

/// Timer E: retransmit.
const E: usize = 0;
/// Timer F: give up after 64*T1.
const F: usize = 1;
/// Timer K: linger in Completed for T4.
const K: usize = 2;

/// One non-INVITE client transaction.
#[derive(Debug)]
pub struct ClientNonInvite {
    pub(super) state: State,
    pub(super) timers: TimerTable<3>,
    e_interval: Duration,
    bytes: Vec<u8>,
    pub(super) target: Target,
}

impl ClientNonInvite {
    /// Send the request and start Timers E and F.
    pub fn start(
        now: Instant,
        request: &Request,
        target: Target,
        tv: &TimerValues,
        out: &mut Vec<Transmit>,
    ) -> Self {
        let bytes = request.to_bytes();
        out.push(target.transmit(bytes.clone()));
        let mut timers = TimerTable::default();
        if !target.proto.is_reliable() {
            timers.set(E, now + tv.t1);
        }
        timers.set(F, now + tv.t1x64());
        ClientNonInvite {
            state: State::Trying,
            timers,
            e_interval: tv.t1,
            bytes,
            target,
        }
    }

    /// A response matched.
    pub fn on_response(&mut self, now: Instant, resp: &Response, tv: &TimerValues) -> TxnOutcome {
        match (self.state, resp.code) {
            (State::Trying | State::Proceeding, 100..=199) => {
                self.state = State::Proceeding;
                TxnOutcome::PassUp
            }
            (State::Trying | State::Proceeding, _) => {
                self.state = State::Completed;
                self.timers.stop_all();
                // Timer K: T4 for unreliable transports, zero for reliable ones.
                let k = if self.target.proto.is_reliable() {
                    std::time::Duration::ZERO
                } else {
                    tv.t4
                };
                self.timers.set(K, now + k);
                TxnOutcome::PassUp
            }
            _ => TxnOutcome::Absorbed,
        }
    }

    /// A timer fired.
    pub fn on_timer(
        &mut self,
        now: Instant,
        timer: usize,
        tv: &TimerValues,
        out: &mut Vec<Transmit>,
    ) -> TxnOutcome {
        match timer {
            E if matches!(self.state, State::Trying | State::Proceeding) => {
                out.push(self.target.transmit(self.bytes.clone()));
                self.e_interval = if self.state == State::Trying {
                    (self.e_interval * 2).min(tv.t2)
                } else {
                    tv.t2
                };
                self.timers.set(E, now + self.e_interval);
                TxnOutcome::Absorbed
            }
            F if matches!(self.state, State::Trying | State::Proceeding) => {
                self.state = State::Terminated;
                self.timers.stop_all();
                TxnOutcome::TimedOut
            }
            K => {
                self.state = State::Terminated;
                self.timers.stop_all();
                TxnOutcome::Absorbed
            }
            _ => TxnOutcome::Absorbed,
        }
    }
}
