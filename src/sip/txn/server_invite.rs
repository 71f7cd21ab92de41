//! INVITE server transaction (RFC 3261 §17.2.1, with the RFC 6026 Accepted state).
//!
//! ```text
//! Proceeding --2xx from TU--> Accepted --Timer L--> Terminated
//!     |--300-699 from TU--> Completed --ACK--> Confirmed --Timer I--> Terminated
//!                               +--Timer H--> Terminated (no ACK)
//! ```
//! Timer G retransmits the final non-2xx response from T1, doubling up to T2. 2xx
//! retransmission is the TU's job (§13.3.1.4).

use std::time::{Duration, Instant};

use super::{Transmit, TxnOutcome};
use crate::sip::msg::Response;
use crate::sip::timers::{TimerTable, TimerValues};
use crate::sip::transport::Target;

/// States of §17.2.1 figure 7, plus Accepted (RFC 6026 §7.1).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum State {
    /// Waiting for the TU; provisional responses may be sent.
    Proceeding,
    /// A 2xx was sent; INVITE retransmissions are absorbed (RFC 6026).
    Accepted,
    /// A 300-699 was sent; retransmitting it until ACK.
    Completed,
    /// ACK received; absorbing ACK retransmissions.
    Confirmed,
    /// Done.
    Terminated,
}

/// Timer G: retransmit the final response.
const G: usize = 0;
/// Timer H: give up waiting for ACK.
const H: usize = 1;
/// Timer I: linger in Confirmed (T4).
const I: usize = 2;
/// Timer L: linger in Accepted (64*T1, RFC 6026).
const L: usize = 3;
/// §17.2.1: send 100 Trying if the TU has not answered within 200 ms.
const TRYING: usize = 4;

/// How long the TU has to answer before the transaction sends 100 Trying itself.
pub const TRYING_DELAY: Duration = Duration::from_millis(200);

/// One INVITE server transaction.
#[derive(Debug)]
pub struct ServerInvite {
    pub(super) state: State,
    pub(super) timers: TimerTable<5>,
    g_interval: Duration,
    last_response: Option<Vec<u8>>,
    /// The 100 Trying to send if the TU is slow (§17.2.1).
    trying: Option<Vec<u8>>,
    target: Target,
}

impl ServerInvite {
    /// A new transaction for a received INVITE; responses go to `dest` (§18.2.2). If the
    /// TU sends nothing within 200 ms, the transaction sends `trying` (§17.2.1).
    pub fn new(now: Instant, target: Target, trying: Response, tv: &TimerValues) -> Self {
        let mut timers = TimerTable::default();
        timers.set(TRYING, now + TRYING_DELAY);
        ServerInvite {
            state: State::Proceeding,
            timers,
            g_interval: tv.t1,
            last_response: None,
            trying: Some(trying.to_bytes()),
            target,
        }
    }

    /// True once a final response was sent.
    pub fn is_final(&self) -> bool {
        self.state != State::Proceeding
    }

    /// The INVITE was retransmitted (§17.2.1): repeat the last response in Proceeding
    /// and Completed.
    pub fn on_retransmission(&mut self, out: &mut Vec<Transmit>) {
        if matches!(self.state, State::Proceeding | State::Completed) {
            if let Some(bytes) = &self.last_response {
                out.push(self.target.transmit(bytes.clone()));
            }
        }
    }

    /// An ACK matched (non-2xx final, §17.2.1): Completed → Confirmed.
    pub fn on_ack(&mut self, now: Instant, tv: &TimerValues) {
        if self.state == State::Completed {
            self.state = State::Confirmed;
            self.timers.stop_all();
            // Timer I: T4 for unreliable transports, zero for reliable ones.
            let i = if self.target.proto.is_reliable() {
                Duration::ZERO
            } else {
                tv.t4
            };
            self.timers.set(I, now + i);
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
        if self.state != State::Proceeding {
            return;
        }
        self.timers.stop(TRYING);
        self.trying = None;
        let bytes = resp.to_bytes();
        out.push(self.target.transmit(bytes.clone()));
        match resp.code {
            100..=199 => {}
            200..=299 => {
                self.state = State::Accepted;
                self.timers.set(L, now + tv.t1x64());
            }
            _ => {
                self.state = State::Completed;
                if !self.target.proto.is_reliable() {
                    self.timers.set(G, now + self.g_interval);
                }
                self.timers.set(H, now + tv.t1x64());
            }
        }
        self.last_response = Some(bytes);
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
            TRYING if self.state == State::Proceeding => {
                if let Some(bytes) = self.trying.take() {
                    out.push(self.target.transmit(bytes.clone()));
                    self.last_response = Some(bytes);
                }
                TxnOutcome::Absorbed
            }
            G if self.state == State::Completed => {
                if let Some(bytes) = &self.last_response {
                    out.push(self.target.transmit(bytes.clone()));
                }
                self.g_interval = (self.g_interval * 2).min(tv.t2);
                self.timers.set(G, now + self.g_interval);
                TxnOutcome::Absorbed
            }
            H if self.state == State::Completed => {
                self.state = State::Terminated;
                self.timers.stop_all();
                TxnOutcome::TimedOut
            }
            I | L => {
                self.state = State::Terminated;
                self.timers.stop_all();
                TxnOutcome::Absorbed
            }
            _ => TxnOutcome::Absorbed,
        }
    }
}
