//! Non-INVITE server transaction (RFC 3261 §17.2.2).
//!
//! ```text
//! Trying --1xx from TU--> Proceeding --200-699 from TU--> Completed --Timer J--> Terminated
//! ```
//! Request retransmissions are answered with the last response sent.

use std::time::Instant;

use super::{Transmit, TxnOutcome};
use crate::sip::msg::Response;
use crate::sip::timers::{TimerTable, TimerValues};
use crate::sip::transport::Target;

/// States of §17.2.2 figure 8.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum State {
    /// Waiting for the TU.
    Trying,
    /// A provisional response was sent.
    Proceeding,
    /// A final response was sent.
    Completed,
    /// Done.
    Terminated,
}

/// Timer J: linger in Completed for 64*T1 (UDP).
const J: usize = 0;

/// One non-INVITE server transaction.
#[derive(Debug)]
pub struct ServerNonInvite {
    pub(super) state: State,
    pub(super) timers: TimerTable<1>,
    last_response: Option<Vec<u8>>,
    target: Target,
}

impl ServerNonInvite {
    /// A new transaction; responses go to `dest` (§18.2.2).
    pub fn new(target: Target) -> Self {
        ServerNonInvite {
            state: State::Trying,
            timers: TimerTable::default(),
            last_response: None,
            target,
        }
    }

    /// True once a final response was sent.
    pub fn is_final(&self) -> bool {
        matches!(self.state, State::Completed | State::Terminated)
    }

    /// The request was retransmitted: repeat the last response, if any.
    pub fn on_retransmission(&mut self, out: &mut Vec<Transmit>) {
        if let Some(bytes) = &self.last_response {
            out.push(self.target.transmit(bytes.clone()));
        }
    }

    /// The TU sends a response.
    pub fn send_response(
        &mut self,
        now: Instant,
        resp: &Response,
        tv: &TimerValues,
        out: &mut Vec<Transmit>,
    ) {
        if self.is_final() {
            return;
        }
        let bytes = resp.to_bytes();
        out.push(self.target.transmit(bytes.clone()));
        self.last_response = Some(bytes);
        if resp.code < 200 {
            self.state = State::Proceeding;
        } else {
            self.state = State::Completed;
            // Timer J: 64*T1 for unreliable transports, zero for reliable ones.
            let j = if self.target.proto.is_reliable() {
                std::time::Duration::ZERO
            } else {
                tv.t1x64()
            };
            self.timers.set(J, now + j);
        }
    }

    /// A timer fired.
    pub fn on_timer(&mut self, timer: usize) -> TxnOutcome {
        if timer == J {
            self.state = State::Terminated;
            self.timers.stop_all();
        }
        TxnOutcome::Absorbed
    }
}
