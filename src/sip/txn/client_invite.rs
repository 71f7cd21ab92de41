//! INVITE client transaction (RFC 3261 §17.1.1, with the RFC 6026 Accepted state).
//!
//! ```text
//! Calling --1xx--> Proceeding --2xx--> Accepted --Timer M--> Terminated
//!    |                 |--300-699--> Completed (ACK sent) --Timer D--> Terminated
//!    +--Timer B--> Terminated (timeout reported to the TU)
//! ```

use std::time::{Duration, Instant};

use super::{Transmit, TxnOutcome};
use crate::sip::msg::{Headers, Method, Request, Response, SipMessage};
use crate::sip::timers::{TimerTable, TimerValues};
use crate::sip::transport::Target;

/// States of §17.1.1.2 figure 5, plus Accepted (RFC 6026 §7.2).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum State {
    /// INVITE sent, nothing heard.
    Calling,
    /// A provisional response arrived.
    Proceeding,
    /// A 2xx arrived; further 2xx are passed up so the TU can re-ACK (RFC 6026).
    Accepted,
    /// A 300-699 arrived and was ACKed.
    Completed,
    /// Done.
    Terminated,
}

/// Timer A: retransmit INVITE (UDP), doubling from T1.
const A: usize = 0;
/// Timer B: give up after 64*T1.
const B: usize = 1;
/// Timer D: wait for response retransmits in Completed (32 s on UDP).
const D: usize = 2;
/// Timer M: stay in Accepted for 64*T1 (RFC 6026).
const M: usize = 3;

/// One INVITE client transaction.
#[derive(Debug)]
pub struct ClientInvite {
    pub(super) state: State,
    pub(super) timers: TimerTable<4>,
    a_interval: Duration,
    request: Request,
    bytes: Vec<u8>,
    target: Target,
    ack: Option<Vec<u8>>,
}

impl ClientInvite {
    /// Send the INVITE and start Timers A and B (§17.1.1.2).
    pub fn start(
        now: Instant,
        request: Request,
        target: Target,
        tv: &TimerValues,
        out: &mut Vec<Transmit>,
    ) -> Self {
        let bytes = request.to_bytes();
        out.push(target.transmit(bytes.clone()));
        let mut timers = TimerTable::default();
        if !target.proto.is_reliable() {
            timers.set(A, now + tv.t1);
        }
        timers.set(B, now + tv.t1x64());
        ClientInvite {
            state: State::Calling,
            timers,
            a_interval: tv.t1,
            request,
            bytes,
            target,
            ack: None,
        }
    }

    /// The INVITE this transaction sent.
    pub fn request(&self) -> &Request {
        &self.request
    }

    /// Where the INVITE went (a CANCEL goes there too, §9.1).
    pub fn target(&self) -> Target {
        self.target
    }

    /// A response matched this transaction (§17.1.1.2).
    pub fn on_response(
        &mut self,
        now: Instant,
        resp: &Response,
        tv: &TimerValues,
        out: &mut Vec<Transmit>,
    ) -> TxnOutcome {
        match (self.state, resp.code) {
            (State::Calling | State::Proceeding, 100..=199) => {
                // §17.1.1.2: Proceeding waits for the final response without a limit (a
                // phone may ring for minutes; the UAS refreshes its 1xx, §13.3.1.1).
                self.state = State::Proceeding;
                self.timers.stop(A);
                self.timers.stop(B);
                TxnOutcome::PassUp
            }
            (State::Calling | State::Proceeding, 200..=299) => {
                self.state = State::Accepted;
                self.timers.stop_all();
                self.timers.set(M, now + tv.t1x64());
                TxnOutcome::PassUp
            }
            (State::Accepted, 200..=299) => TxnOutcome::PassUp,
            (State::Calling | State::Proceeding, _) => {
                let ack = build_ack(&self.request, resp).to_bytes();
                out.push(self.target.transmit(ack.clone()));
                self.ack = Some(ack);
                self.state = State::Completed;
                self.timers.stop_all();
                // Timer D: at least 32 s for unreliable transports, zero for reliable ones.
                let d = if self.target.proto.is_reliable() {
                    Duration::ZERO
                } else {
                    Duration::from_secs(32)
                };
                self.timers.set(D, now + d);
                TxnOutcome::PassUp
            }
            (State::Completed, 300..=699) => {
                // §17.1.1.2: retransmit the ACK, do not pass the response up again.
                if let Some(ack) = &self.ack {
                    out.push(self.target.transmit(ack.clone()));
                }
                TxnOutcome::Absorbed
            }
            _ => TxnOutcome::Absorbed,
        }
    }

    /// A timer fired.
    pub fn on_timer(&mut self, now: Instant, timer: usize, out: &mut Vec<Transmit>) -> TxnOutcome {
        match timer {
            A if self.state == State::Calling => {
                out.push(self.target.transmit(self.bytes.clone()));
                self.a_interval *= 2;
                self.timers.set(A, now + self.a_interval);
                TxnOutcome::Absorbed
            }
            B if self.state == State::Calling => {
                self.state = State::Terminated;
                self.timers.stop_all();
                TxnOutcome::TimedOut
            }
            D | M => {
                self.state = State::Terminated;
                self.timers.stop_all();
                TxnOutcome::Absorbed
            }
            _ => TxnOutcome::Absorbed,
        }
    }
}

/// §17.1.1.3: the ACK for a non-2xx final response, built by the transaction.
pub fn build_ack(invite: &Request, resp: &Response) -> Request {
    let mut ack = Request::new(Method::Ack, invite.uri.clone());
    let mut headers = Headers::default();
    if let Some(via) = invite.headers.get_split("Via").first() {
        headers.push("Via", *via);
    }
    headers.push("Max-Forwards", "70");
    for name in ["From", "Call-ID"] {
        if let Some(v) = invite.headers.get(name) {
            headers.push(name, v);
        }
    }
    if let Some(to) = resp.headers.get("To") {
        headers.push("To", to);
    }
    if let Ok(cseq) = invite.cseq() {
        headers.push("CSeq", format!("{} ACK", cseq.seq));
    }
    for route in invite.headers.get_all("Route") {
        headers.push("Route", route);
    }
    ack.headers = headers;
    ack
}
