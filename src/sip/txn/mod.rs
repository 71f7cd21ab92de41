//! The transaction layer (RFC 3261 §17): four machines, each its own type, and the
//! matching rules that route messages to them (§17.1.3 for responses, §17.2.3 for requests).
//!
//! Sans-IO: the layer takes messages and time, queues datagrams in `transmits`, and tells
//! the caller (the UA core) what to do with each message through the return values.

pub mod client_invite;
pub mod client_non_invite;
pub mod server_invite;
pub mod server_non_invite;

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

pub use super::engine::Transmit;
use super::msg::{Method, Request, Response, SipMessage};
use super::timers::TimerValues;
use super::transport::{Protocol, Target};
use client_invite::ClientInvite;
use client_non_invite::ClientNonInvite;
use server_invite::ServerInvite;
use server_non_invite::ServerNonInvite;

/// The branch prefix that marks RFC 3261 branches (§8.1.1.7).
pub const MAGIC_COOKIE: &str = "z9hG4bK";

/// Why a client transaction ended without a final response.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TxnFailure {
    /// Timer B or F fired (§17.1.1.2, §17.1.2.2); H for server INVITEs.
    Timeout,
    /// The transport reported the destination unreachable (§8.1.3.1).
    Transport,
}

/// What a machine tells the layer after an input.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TxnOutcome {
    /// Hand the message to the TU.
    PassUp,
    /// Nothing for the TU.
    Absorbed,
    /// Timer B, F or H fired: tell the TU (§17.1.1.2, §17.1.2.2).
    TimedOut,
}

/// Identifies a transaction (§17.1.3, §17.2.3).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct TxnKey {
    /// Top Via branch (or an RFC 2543 fallback key built from the request).
    pub branch: String,
    /// CSeq method; ACK is folded into INVITE for server matching.
    pub method: Method,
    /// Server transactions also match on sent-by (§17.2.3).
    pub sent_by: Option<String>,
}

/// How a received request relates to the server transactions.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum RequestMatch {
    /// A new server transaction was created; the TU must answer it through `send_response`.
    New(TxnKey),
    /// A retransmission, answered by the transaction.
    Retransmission,
    /// An ACK for a non-2xx final response, absorbed by the INVITE server transaction.
    AckAbsorbed,
    /// An ACK that matches no transaction (ACK for 2xx, §17.2.3): for the TU's dialogs.
    StrayAck,
}

/// How a received response relates to the client transactions.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum ResponseMatch {
    /// For the TU, from this transaction.
    PassUp(TxnKey),
    /// Absorbed (retransmission, or late).
    Absorbed,
    /// No transaction: a 2xx retransmission after the INVITE transaction ended, or a
    /// stray. The TU decides (§13.2.2.4).
    Unmatched,
}

/// The four machines of §17, named as the RFC names them.
#[derive(Debug)]
#[allow(clippy::enum_variant_names)]
enum Txn {
    ClientInvite(Box<ClientInvite>),
    ClientNonInvite(ClientNonInvite),
    ServerInvite(ServerInvite),
    ServerNonInvite(ServerNonInvite),
}

impl Txn {
    fn next_timeout(&self) -> Option<Instant> {
        match self {
            Txn::ClientInvite(t) => t.timers.next(),
            Txn::ClientNonInvite(t) => t.timers.next(),
            Txn::ServerInvite(t) => t.timers.next(),
            Txn::ServerNonInvite(t) => t.timers.next(),
        }
    }

    fn is_terminated(&self) -> bool {
        match self {
            Txn::ClientInvite(t) => t.state == client_invite::State::Terminated,
            Txn::ClientNonInvite(t) => t.state == client_non_invite::State::Terminated,
            Txn::ServerInvite(t) => t.state == server_invite::State::Terminated,
            Txn::ServerNonInvite(t) => t.state == server_non_invite::State::Terminated,
        }
    }
}

/// All live transactions.
#[derive(Debug)]
pub struct TxnLayer {
    txns: HashMap<TxnKey, Txn>,
    tv: TimerValues,
    /// Datagrams to send, drained by the engine.
    pub transmits: Vec<Transmit>,
    timed_out: VecDeque<(TxnKey, TxnFailure)>,
}

impl TxnLayer {
    /// An empty layer.
    pub fn new(tv: TimerValues) -> Self {
        TxnLayer {
            txns: HashMap::new(),
            tv,
            transmits: Vec::new(),
            timed_out: VecDeque::new(),
        }
    }

    /// Timer values in force.
    pub fn timer_values(&self) -> &TimerValues {
        &self.tv
    }

    /// Start a client transaction for `req` (never ACK) toward `dest`. The top Via must
    /// carry a fresh RFC 3261 branch.
    pub fn send_request(&mut self, now: Instant, req: Request, dest: Target) -> TxnKey {
        let key = client_key(&req);
        let txn = if req.method == Method::Invite {
            Txn::ClientInvite(Box::new(ClientInvite::start(
                now,
                req,
                dest,
                &self.tv,
                &mut self.transmits,
            )))
        } else {
            Txn::ClientNonInvite(ClientNonInvite::start(
                now,
                &req,
                dest,
                &self.tv,
                &mut self.transmits,
            ))
        };
        self.txns.insert(key.clone(), txn);
        key
    }

    /// Route a response to its client transaction (§17.1.3).
    pub fn handle_response(&mut self, now: Instant, resp: &Response) -> ResponseMatch {
        let Some(key) = response_key(resp) else {
            return ResponseMatch::Unmatched;
        };
        let outcome = match self.txns.get_mut(&key) {
            Some(Txn::ClientInvite(t)) => t.on_response(now, resp, &self.tv, &mut self.transmits),
            Some(Txn::ClientNonInvite(t)) => t.on_response(now, resp, &self.tv),
            _ => return ResponseMatch::Unmatched,
        };
        match outcome {
            TxnOutcome::PassUp => ResponseMatch::PassUp(key),
            _ => ResponseMatch::Absorbed,
        }
    }

    /// Route a request to its server transaction, creating one for a new request (§17.2.3).
    /// `dest` is where responses go (§18.2.2).
    pub fn handle_request(&mut self, now: Instant, req: &Request, dest: Target) -> RequestMatch {
        let key = server_key(req);
        match (self.txns.get_mut(&key), &req.method) {
            (Some(Txn::ServerInvite(t)), Method::Ack) => {
                if t.state == server_invite::State::Completed
                    || t.state == server_invite::State::Confirmed
                {
                    t.on_ack(now, &self.tv);
                    RequestMatch::AckAbsorbed
                } else {
                    RequestMatch::StrayAck
                }
            }
            (Some(Txn::ServerInvite(t)), _) => {
                t.on_retransmission(&mut self.transmits);
                RequestMatch::Retransmission
            }
            (Some(Txn::ServerNonInvite(t)), _) => {
                t.on_retransmission(&mut self.transmits);
                RequestMatch::Retransmission
            }
            (_, Method::Ack) => RequestMatch::StrayAck,
            _ => {
                let txn = if req.method == Method::Invite {
                    let mut trying = req.make_response(100, None);
                    trying.headers.push("User-Agent", super::engine::USER_AGENT);
                    Txn::ServerInvite(ServerInvite::new(now, dest, trying, &self.tv))
                } else {
                    Txn::ServerNonInvite(ServerNonInvite::new(dest))
                };
                self.txns.insert(key.clone(), txn);
                RequestMatch::New(key)
            }
        }
    }

    /// The TU answers a server transaction. Unknown or finished transactions ignore it.
    pub fn send_response(&mut self, now: Instant, key: &TxnKey, resp: &Response) {
        match self.txns.get_mut(key) {
            Some(Txn::ServerInvite(t)) => t.send_response(now, resp, &self.tv, &mut self.transmits),
            Some(Txn::ServerNonInvite(t)) => {
                t.send_response(now, resp, &self.tv, &mut self.transmits)
            }
            _ => {}
        }
    }

    /// True if `key` is a server transaction that has sent a final response (or is gone).
    pub fn server_is_final(&self, key: &TxnKey) -> bool {
        match self.txns.get(key) {
            Some(Txn::ServerInvite(t)) => t.is_final(),
            Some(Txn::ServerNonInvite(t)) => t.is_final(),
            _ => true,
        }
    }

    /// The INVITE server transaction a CANCEL targets (§9.2: same key but the method).
    pub fn invite_key_for_cancel(&self, cancel: &Request) -> Option<TxnKey> {
        let mut key = server_key(cancel);
        key.method = Method::Invite;
        match self.txns.get(&key) {
            Some(Txn::ServerInvite(_)) => Some(key),
            _ => None,
        }
    }

    /// The INVITE client transaction, if still alive (to build a CANCEL, §9.1).
    pub fn client_invite(&self, key: &TxnKey) -> Option<&ClientInvite> {
        match self.txns.get(key) {
            Some(Txn::ClientInvite(t)) => Some(t),
            _ => None,
        }
    }

    /// True if the client INVITE transaction has received a provisional response and no
    /// final one (§9.1: only then may a CANCEL be sent).
    pub fn client_invite_proceeding(&self, key: &TxnKey) -> bool {
        matches!(self.txns.get(key), Some(Txn::ClientInvite(t)) if t.state == client_invite::State::Proceeding)
    }

    /// Fire every due timer.
    pub fn handle_timeout(&mut self, now: Instant) {
        for (key, txn) in self.txns.iter_mut() {
            loop {
                let outcome = match txn {
                    Txn::ClientInvite(t) => match t.timers.take_expired(now) {
                        Some(i) => t.on_timer(now, i, &mut self.transmits),
                        None => break,
                    },
                    Txn::ClientNonInvite(t) => match t.timers.take_expired(now) {
                        Some(i) => t.on_timer(now, i, &self.tv, &mut self.transmits),
                        None => break,
                    },
                    Txn::ServerInvite(t) => match t.timers.take_expired(now) {
                        Some(i) => t.on_timer(now, i, &self.tv, &mut self.transmits),
                        None => break,
                    },
                    Txn::ServerNonInvite(t) => match t.timers.take_expired(now) {
                        Some(i) => t.on_timer(i),
                        None => break,
                    },
                };
                if outcome == TxnOutcome::TimedOut {
                    self.timed_out.push_back((key.clone(), TxnFailure::Timeout));
                }
            }
        }
        self.txns.retain(|_, t| !t.is_terminated());
    }

    /// A transaction that failed (Timer B, F or H, or a transport error) since the last call.
    pub fn poll_timed_out(&mut self) -> Option<(TxnKey, TxnFailure)> {
        self.timed_out.pop_front()
    }

    /// §8.1.3.1, §18.4: the transport could not reach `addr` over `proto` (connection
    /// refused or reset, ICMP error). Every client transaction still waiting for a final
    /// response from there ends with a transport error.
    pub fn handle_transport_error(&mut self, proto: Protocol, addr: std::net::SocketAddr) {
        for (key, txn) in self.txns.iter_mut() {
            let hit = match txn {
                Txn::ClientInvite(t) => {
                    t.target().proto == proto
                        && t.target().addr == addr
                        && matches!(
                            t.state,
                            client_invite::State::Calling | client_invite::State::Proceeding
                        )
                }
                Txn::ClientNonInvite(t) => {
                    t.target.proto == proto
                        && t.target.addr == addr
                        && matches!(
                            t.state,
                            client_non_invite::State::Trying | client_non_invite::State::Proceeding
                        )
                }
                _ => false,
            };
            if hit {
                match txn {
                    Txn::ClientInvite(t) => {
                        t.state = client_invite::State::Terminated;
                        t.timers.stop_all();
                    }
                    Txn::ClientNonInvite(t) => {
                        t.state = client_non_invite::State::Terminated;
                        t.timers.stop_all();
                    }
                    _ => {}
                }
                self.timed_out
                    .push_back((key.clone(), TxnFailure::Transport));
            }
        }
        self.txns.retain(|_, t| !t.is_terminated());
    }

    /// Earliest timer of any transaction.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.txns.values().filter_map(Txn::next_timeout).min()
    }

    /// True if the transaction is alive.
    pub fn contains(&self, key: &TxnKey) -> bool {
        self.txns.contains_key(key)
    }

    /// Number of live transactions.
    pub fn len(&self) -> usize {
        self.txns.len()
    }

    /// True when no transaction is alive.
    pub fn is_empty(&self) -> bool {
        self.txns.is_empty()
    }

    /// True if any live transaction is a client transaction still waiting for a final
    /// response (shutdown waits for these).
    pub fn has_pending_client(&self) -> bool {
        self.txns.values().any(|t| match t {
            Txn::ClientInvite(t) => matches!(
                t.state,
                client_invite::State::Calling | client_invite::State::Proceeding
            ),
            Txn::ClientNonInvite(t) => matches!(
                t.state,
                client_non_invite::State::Trying | client_non_invite::State::Proceeding
            ),
            _ => false,
        })
    }
}

/// RFC 2543 fallback key (§17.2.3) for a branch without the magic cookie.
fn fallback_branch(msg: &impl SipMessage, branch: Option<&str>) -> String {
    let call_id = msg.call_id().unwrap_or("");
    let seq = msg.cseq().map(|c| c.seq).unwrap_or(0);
    let from_tag = msg
        .from_hdr()
        .ok()
        .and_then(|f| f.tag().map(str::to_string))
        .unwrap_or_default();
    format!("2543|{}|{call_id}|{seq}|{from_tag}", branch.unwrap_or(""))
}

fn branch_of(msg: &impl SipMessage) -> (String, Option<String>) {
    match msg.top_via() {
        Ok(via) => {
            let sent_by = format!(
                "{}:{}",
                via.host.to_ascii_lowercase(),
                via.port.unwrap_or(5060)
            );
            let branch = match via.branch() {
                Some(b) if b.starts_with(MAGIC_COOKIE) => b.to_string(),
                b => fallback_branch(msg, b),
            };
            (branch, Some(sent_by))
        }
        Err(_) => (fallback_branch(msg, None), None),
    }
}

fn client_key(req: &Request) -> TxnKey {
    let (branch, _) = branch_of(req);
    TxnKey {
        branch,
        method: req.method.clone(),
        sent_by: None,
    }
}

fn response_key(resp: &Response) -> Option<TxnKey> {
    let (branch, _) = branch_of(resp);
    let method = resp.cseq().ok()?.method;
    Some(TxnKey {
        branch,
        method,
        sent_by: None,
    })
}

fn server_key(req: &Request) -> TxnKey {
    let (branch, sent_by) = branch_of(req);
    let method = match req.method {
        Method::Ack => Method::Invite,
        ref m => m.clone(),
    };
    TxnKey {
        branch,
        method,
        sent_by,
    }
}
