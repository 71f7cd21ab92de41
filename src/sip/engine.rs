//! The engine: one `handle_input`, then drain `poll_output` (ARCHITECTURE.md rules 1-2).
//!
//! The engine owns the transaction layer and the calls (invite sessions, in `ua`). It never
//! reads a clock, opens a socket or sleeps: time comes in with every input, randomness
//! from a seeded RNG, and everything it wants done comes out of [`Engine::poll_output`].

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::account::AccountConfig;
use super::msg::{Message, Method, ParseErrorKind, Request, Response, SipMessage};
use super::timers::TimerValues;
use super::transport::{self, FlowId, Protocol, Target};
use super::txn::{RequestMatch, ResponseMatch, TxnKey, TxnLayer};
use super::ua::{AccountState, Call, TxnPurpose};
use crate::api::{CallHandle, Command, Event};
use crate::media::codec::CodecKind;
use crate::media::{MediaCtl, MediaReport};

/// The option tags (§19.2) we support, so a Require naming them is no reason for 420:
/// reliable provisionals (RFC 3262), session timers (RFC 4028), Replaces (RFC 3891),
/// REFER without a subscription (RFC 4488).
pub const OPTION_TAGS: &[&str] = &["100rel", "timer", "replaces", "norefersub"];

/// Methods we answer (sent in Allow, §20.5).
pub const ALLOW: &str = "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE, REFER, NOTIFY, PRACK";

/// Our User-Agent header value.
pub const USER_AGENT: &str = concat!("sipline/", env!("CARGO_PKG_VERSION"));

/// Requests larger than this get 513 (a full INVITE with a rich SDP is a few KiB).
pub const MAX_REQUEST_BYTES: usize = 32 * 1024;

/// Live transactions beyond which new requests are refused with 503 (flood protection:
/// each lingers up to 64*T1 after its final response, §17.2.2).
pub const MAX_TRANSACTIONS: usize = 4096;

/// Calls beyond which a new INVITE is refused with 486 (a softphone, not a switch).
pub const MAX_CALLS: usize = 64;

/// How long shutdown waits for BYE/CANCEL transactions before giving up.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// Engine settings.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Address our SIP socket is bound to (Via sent-by, Contact).
    pub local: SocketAddr,
    /// IP to advertise when `local` is unspecified (0.0.0.0) and the peer is not loopback.
    pub advertise: Option<IpAddr>,
    /// User part of our From/Contact.
    pub user: String,
    /// Codecs offered and accepted, in preference order.
    pub codecs: Vec<CodecKind>,
    /// Seed for tags, branches and Call-IDs.
    pub seed: u64,
    /// T1, T2, T4.
    pub timers: TimerValues,
    /// Accounts, the first being the default (empty: calls come from `user@our-IP`).
    pub accounts: Vec<AccountConfig>,
}

/// One message received: a UDP datagram or one framed stream message.
#[derive(Clone, Debug)]
pub struct Receive {
    /// Who sent it.
    pub source: SocketAddr,
    /// The bytes.
    pub contents: Vec<u8>,
    /// Over which protocol.
    pub proto: Protocol,
    /// For streams: the connection it came on (responses go back on it, §18.2.2).
    pub flow: Option<FlowId>,
}

impl Receive {
    /// A UDP datagram.
    pub fn udp(source: SocketAddr, contents: Vec<u8>) -> Receive {
        Receive {
            source,
            contents,
            proto: Protocol::Udp,
            flow: None,
        }
    }
}

/// One message to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transmit {
    /// Where to.
    pub destination: SocketAddr,
    /// The bytes.
    pub contents: Vec<u8>,
    /// Over which protocol.
    pub proto: Protocol,
    /// For streams: the connection to use, if known; else the driver opens or reuses one.
    pub flow: Option<FlowId>,
}

/// Everything that can change the engine.
#[derive(Clone, Debug)]
pub enum Input {
    /// A datagram arrived.
    Receive(Receive),
    /// The deadline from `poll_timeout` passed (spurious calls are harmless).
    Timeout,
    /// A user command.
    Command(Command),
    /// A media-plane report.
    Media(MediaReport),
    /// The transport could not deliver to this address (connection refused or reset).
    TransportError {
        /// Protocol of the failed flow.
        proto: Protocol,
        /// The peer.
        remote: SocketAddr,
    },
}

/// Everything the engine asks the outside world to do.
#[derive(Clone, Debug)]
pub enum Output {
    /// Send bytes.
    Transmit(Transmit),
    /// Media instruction.
    Media(MediaCtl),
    /// Something for the front-end.
    Event(Event),
}

/// The sans-IO SIP user agent.
///
/// Contract: after every [`handle_input`](Engine::handle_input), call
/// [`poll_output`](Engine::poll_output) until it returns `None`, then wait for the earliest
/// of [`poll_timeout`](Engine::poll_timeout), a datagram, a command or a media report.
/// `now` must never go backwards.
pub struct Engine {
    pub(crate) cfg: EngineConfig,
    pub(crate) rng: SmallRng,
    pub(crate) now: Instant,
    pub(crate) txns: TxnLayer,
    pub(crate) calls: BTreeMap<CallHandle, Call>,
    /// The last calls whose media was stopped: the media task's final report (a digit the
    /// peer ended just before its BYE) may still arrive for them.
    pub(crate) media_stopped: VecDeque<CallHandle>,
    pub(crate) owners: HashMap<TxnKey, (CallHandle, TxnPurpose)>,
    pub(crate) accounts: Vec<AccountState>,
    /// REGISTER transactions → the account they belong to.
    pub(crate) reg_owners: HashMap<TxnKey, usize>,
    /// Calls placed for a REFER → the call the REFER came on, and whether NOTIFYs report
    /// them to the transferor (not with `Refer-Sub: false`, RFC 4488).
    pub(crate) refer_links: HashMap<CallHandle, (CallHandle, bool)>,
    /// BYEs in flight for ended calls, kept to answer a 401/407 (§22.2).
    pub(crate) byes: HashMap<TxnKey, crate::sip::ua::SentBye>,
    /// REFERs in flight inside a dialog, kept to answer a 401/407 (§22.2).
    pub(crate) sent_refers: HashMap<TxnKey, crate::sip::ua::refer::SentRefer>,
    /// The extras of the response command being carried out (`Command::RespondWith`),
    /// taken by the first response it builds.
    pub(crate) response_options: Option<crate::api::ResponseOptions>,
    /// Our `request` transactions (in or out of a dialog) → what to report.
    pub(crate) requests: HashMap<TxnKey, super::ua::OwnRequest>,
    /// Our out-of-dialog REFERs whose subscription may still notify: number → (Call-ID,
    /// our tag).
    pub(crate) ood_refers: HashMap<CallHandle, (String, String)>,
    /// Out-of-dialog REFERs sent with an account, until their final response (a 401/407
    /// is answered once with credentials).
    pub(crate) ood_refers_sent: HashMap<TxnKey, crate::sip::ua::challenge::SentRequest>,
    /// Our PRACKs sent with an account, until their final response (likewise).
    pub(crate) pracks_sent: HashMap<TxnKey, crate::sip::ua::challenge::SentRequest>,
    next_call: u32,
    out: VecDeque<Output>,
    shutdown_deadline: Option<Instant>,
}

impl Engine {
    /// A new engine; `now` is the time origin.
    pub fn new(cfg: EngineConfig, now: Instant) -> Self {
        let mut rng = SmallRng::seed_from_u64(cfg.seed);
        let accounts = cfg
            .accounts
            .iter()
            .map(|a| {
                let call_id = hex(&mut rng, 24);
                let tag = hex(&mut rng, 10);
                AccountState::new(a.clone(), call_id, tag, now)
            })
            .collect();
        Engine {
            rng,
            accounts,
            reg_owners: HashMap::new(),
            refer_links: HashMap::new(),
            byes: HashMap::new(),
            sent_refers: HashMap::new(),
            ood_refers: HashMap::new(),
            ood_refers_sent: HashMap::new(),
            pracks_sent: HashMap::new(),
            txns: TxnLayer::new(cfg.timers),
            cfg,
            now,
            calls: BTreeMap::new(),
            media_stopped: VecDeque::new(),
            owners: HashMap::new(),
            response_options: None,
            requests: HashMap::new(),
            next_call: 1,
            out: VecDeque::new(),
            shutdown_deadline: None,
        }
    }

    /// One mutation (spurious timeouts are harmless).
    pub fn handle_input(&mut self, now: Instant, input: Input) {
        if now > self.now {
            self.now = now;
        }
        match input {
            Input::Receive(r) => self.on_receive(r),
            Input::Timeout => self.on_timeout(),
            Input::Command(c) => self.on_command(c),
            Input::Media(m) => self.on_media_report(m),
            Input::TransportError { proto, remote } => {
                self.txns.handle_transport_error(proto, remote);
                self.on_txn_failures();
            }
        }
        self.collect_txn_output();
    }

    /// Drain: the next thing to do, or None when fully drained.
    #[must_use]
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// Earliest deadline over every transaction, call and the shutdown grace period.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let calls = self.calls.values().filter_map(Call::next_timeout).min();
        let accounts = self
            .accounts
            .iter()
            .flat_map(|a| [a.next, a.keepalive_next])
            .flatten()
            .min();
        [
            self.txns.poll_timeout(),
            calls,
            accounts,
            self.shutdown_deadline,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// True after `Command::Shutdown` once every call has ended and our BYEs/CANCELs were
    /// answered (or the grace period passed).
    pub fn is_shut_down(&self) -> bool {
        match self.shutdown_deadline {
            None => false,
            Some(deadline) => {
                (self.calls.is_empty() && !self.txns.has_pending_client()) || self.now >= deadline
            }
        }
    }

    /// Number of live calls.
    pub fn call_count(&self) -> usize {
        self.calls.len()
    }

    /// Number of live transactions (for flood and leak checks).
    pub fn transaction_count(&self) -> usize {
        self.txns.len()
    }

    // ===== plumbing used by the ua modules =====

    pub(crate) fn emit(&mut self, event: Event) {
        let referrer = event.call().and_then(|c| self.refer_links.get(&c).copied());
        match referrer {
            Some((orig, notify)) => {
                self.out.push_back(Output::Event(event.clone()));
                self.notify_referrer(orig, notify, &event);
            }
            None => self.out.push_back(Output::Event(event)),
        }
    }

    pub(crate) fn media(&mut self, ctl: MediaCtl) {
        self.out.push_back(Output::Media(ctl));
    }

    pub(crate) fn transmit(&mut self, target: Target, contents: Vec<u8>) {
        self.out
            .push_back(Output::Transmit(target.transmit(contents)));
    }

    pub(crate) fn command_error(&mut self, message: String) {
        self.emit(Event::CommandError { message });
    }

    pub(crate) fn allocate_call(&mut self) -> CallHandle {
        let h = CallHandle(self.next_call);
        self.next_call += 1;
        h
    }

    /// Send a request in a new client transaction owned by `call`. A request over UDP
    /// larger than 1300 bytes goes over TCP instead (§18.1.1).
    pub(crate) fn send_request(
        &mut self,
        req: Request,
        dest: Target,
        call: CallHandle,
        purpose: TxnPurpose,
    ) -> TxnKey {
        let key = self.send_unowned_request(req, dest);
        self.owners.insert(key.clone(), (call, purpose));
        key
    }

    /// Start a client transaction for `req` (UDP above 1300 bytes goes over TCP, §18.1.1);
    /// who owns it is the caller's business.
    pub(crate) fn send_unowned_request(&mut self, mut req: Request, mut dest: Target) -> TxnKey {
        if dest.proto == Protocol::Udp && req.to_bytes().len() > transport::UDP_SIZE_LIMIT {
            if let Ok(mut via) = req.top_via() {
                via.transport = Protocol::Tcp.via_token().to_string();
                transport::replace_top_via(&mut req, &via);
                dest.proto = Protocol::Tcp;
            }
        }
        self.txns.send_request(self.now, req, dest)
    }

    /// Answer a server transaction.
    pub(crate) fn respond(&mut self, key: &TxnKey, resp: &Response) {
        self.txns.send_response(self.now, key, resp);
    }

    /// Answer a request in its (new) server transaction with a bare response.
    pub(crate) fn respond_simple(&mut self, key: &TxnKey, req: &Request, code: u16) {
        let mut resp = req.make_response(code, None);
        if code == 405 || code == 501 || (code == 200 && req.method == Method::Options) {
            resp.headers.push("Allow", ALLOW);
        }
        if req.method == Method::Options && code == 200 {
            resp.headers.push("Accept", "application/sdp");
        }
        self.respond_with_tag(key, resp);
    }

    /// Send a final response, adding a To-tag when the request had none (§8.2.6.2) and our
    /// User-Agent.
    pub(crate) fn respond_with_tag(&mut self, key: &TxnKey, mut resp: Response) {
        if let Ok(mut to) = resp.to_hdr() {
            if to.tag().is_none() && resp.code >= 200 {
                let tag = self.new_tag();
                to.set_tag(&tag);
                resp.headers.set("To", to.to_string());
            }
        }
        resp.headers.push("User-Agent", USER_AGENT);
        self.respond(key, &resp);
    }

    // ===== dispatch =====

    fn collect_txn_output(&mut self) {
        for t in std::mem::take(&mut self.txns.transmits) {
            self.out.push_back(Output::Transmit(t));
        }
    }

    fn on_timeout(&mut self) {
        self.txns.handle_timeout(self.now);
        self.on_txn_failures();
        let due: Vec<CallHandle> = self
            .calls
            .iter()
            .filter(|(_, c)| c.next_timeout().is_some_and(|t| t <= self.now))
            .map(|(h, _)| *h)
            .collect();
        for h in due {
            self.on_call_timer(h);
        }
        self.on_registration_timers();
        let txns = &self.txns;
        self.owners.retain(|k, _| txns.contains(k));
        self.reg_owners.retain(|k, _| txns.contains(k));
        self.byes.retain(|k, _| txns.contains(k));
        self.sent_refers.retain(|k, _| txns.contains(k));
        self.requests.retain(|k, _| txns.contains(k));
        if self.shutdown_deadline.is_some_and(|d| self.now >= d) {
            // Grace period over: forget whatever is left.
            let left: Vec<CallHandle> = self.calls.keys().copied().collect();
            for h in left {
                self.media(MediaCtl::Stop { call: h });
                self.calls.remove(&h);
            }
        }
    }

    fn on_txn_failures(&mut self) {
        while let Some((key, failure)) = self.txns.poll_timed_out() {
            if let Some(own) = self.requests.remove(&key) {
                self.on_request_failure(own, failure);
            } else if let Some((call, purpose)) = self.owners.remove(&key) {
                self.on_txn_timeout(call, purpose, failure);
            } else if let Some(i) = self.reg_owners.remove(&key) {
                self.on_register_txn_failure(i, key, failure);
            }
        }
    }

    pub(crate) fn on_command(&mut self, cmd: Command) {
        if self.shutdown_deadline.is_some() && !matches!(cmd, Command::Shutdown) {
            self.command_error("shutting down: no new commands are taken".into());
            return;
        }
        match cmd {
            Command::Invite { target } => self.cmd_invite(&target, Default::default()),
            Command::InviteWith { target, options } => self.cmd_invite(&target, options),
            Command::Reply { call, code, reason } => self.cmd_reply(call, code, reason),
            Command::Redirect {
                call,
                targets,
                code,
            } => self.cmd_redirect(call, &targets, code),
            Command::Progress { call, code, reason } => self.cmd_progress(call, code, reason),
            Command::Accept { call } => self.cmd_accept(call),
            Command::PreAccept { call } => self.cmd_preaccept(call),
            Command::Reject { call, code, reason } => self.cmd_reject(call, code, reason),
            Command::RespondWith { command, options } => {
                self.cmd_respond_with(*command, options);
            }
            Command::Request {
                call,
                target,
                account,
                method,
                options,
            } => self.cmd_request(call, target, account.as_deref(), &method, options),
            Command::Cancel { call, reason } => self.cmd_cancel(call, reason),
            Command::Hangup { call } => self.cmd_hangup(call),
            Command::Bye { call } => self.cmd_bye(call),
            Command::SendDtmf {
                call,
                digits,
                mode,
                duration_ms,
                gap_ms,
            } => self.cmd_send_dtmf(call, &digits, mode, duration_ms, gap_ms),
            Command::Refer {
                call,
                target,
                replace,
                options,
            } => self.cmd_refer(call, &target, replace, options),
            Command::ReferOutOfDialog {
                recipient,
                target,
                options,
            } => self.cmd_refer_out_of_dialog(&recipient, &target, options),
            Command::ReferAccept { call } => self.cmd_refer_accept(call),
            Command::ReferProgress { call } => self.cmd_refer_progress(call),
            Command::ReferReject { call, code } => self.cmd_refer_reject(call, code),
            Command::Hold { call } => self.cmd_hold(call, true),
            Command::Unhold { call } => self.cmd_hold(call, false),
            Command::Register { account } => self.cmd_register(account),
            Command::Unregister { account } => self.cmd_unregister(account),
            Command::Shutdown => self.cmd_shutdown(),
            // Media counters live in the driver, which answers this itself.
            // Answered by the driver, which runs the media.
            Command::Stats { .. } | Command::ExpectAudio { .. } => {}
            // The driver resolves a test line to its address and sends `InviteWith`.
            Command::InviteTestLine { line, .. } => self.command_error(format!(
                "invite: the {} test line is run by the driver, not the engine",
                line.as_str()
            )),
        }
    }

    fn cmd_shutdown(&mut self) {
        if self.shutdown_deadline.is_none() {
            self.shutdown_deadline = Some(self.now + SHUTDOWN_GRACE);
        }
        let calls: Vec<CallHandle> = self.calls.keys().copied().collect();
        for h in calls {
            self.end_call(h, "shutdown");
        }
        self.unregister_all();
    }

    fn on_media_report(&mut self, report: MediaReport) {
        match report {
            MediaReport::Opened { call, local } => self.on_media_opened(call, local),
            MediaReport::OpenFailed { call } => self.on_media_open_failed(call),
            MediaReport::DtmfReceived {
                call,
                digit,
                duration_ms,
            } => self.on_media_dtmf(call, digit, Some(duration_ms)),
            MediaReport::DtmfSent { call, digit } => self.on_media_dtmf(call, digit, None),
            // The driver turns it into an event itself.
            MediaReport::AudioChecked { .. } => {}
        }
    }

    fn on_receive(&mut self, r: Receive) {
        let (source, bytes) = (r.source, r.contents.as_slice());
        let reply_to = |req: &Request| response_target(req, source, r.proto, r.flow);
        // §7.5: keep-alive CRLFs and stray whitespace between messages are not messages.
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            return;
        }
        match Message::parse(bytes) {
            Ok(Message::Request(req)) if bytes.len() > MAX_REQUEST_BYTES => {
                // §21.5.11: far larger than any request a call needs; refuse it whole.
                let to = reply_to(&req);
                self.reply_stateless(&req, to, 513, "Message Too Large", &[]);
            }
            Ok(Message::Request(req)) => {
                let to = reply_to(&req);
                self.on_request(req, source, to);
            }
            Ok(Message::Response(resp)) => self.on_response(resp),
            Err(e) => {
                tracing::debug!(%source, error = %e, "unparseable SIP message");
                if let Some(partial) = e.partial.as_deref() {
                    let code = if e.kind == ParseErrorKind::Version {
                        505
                    } else {
                        400
                    };
                    let reason = if code == 400 {
                        format!("Bad Request ({e})")
                    } else {
                        "Version Not Supported".to_string()
                    };
                    let to = reply_to(partial);
                    self.reply_stateless(partial, to, code, &reason, &[]);
                }
            }
        }
    }

    /// Answer a request outside any transaction (§8.2.6 for requests that cannot be
    /// processed): never for ACK (§17), only when there is a Via to answer to.
    fn reply_stateless(
        &mut self,
        req: &Request,
        dest: Target,
        code: u16,
        reason: &str,
        extra: &[(&str, &str)],
    ) {
        if req.method == Method::Ack || req.headers.get("Via").is_none() {
            return;
        }
        let mut req = req.clone();
        transport::stamp_received(&mut req, dest.addr);
        let mut resp = req.make_response(code, Some(reason));
        for (name, value) in extra {
            resp.headers.push(name, *value);
        }
        resp.headers.push("User-Agent", USER_AGENT);
        self.transmit(dest, resp.to_bytes());
    }

    fn on_request(&mut self, mut req: Request, source: SocketAddr, dest: Target) {
        if self.txns.len() >= MAX_TRANSACTIONS && req.method != Method::Ack {
            // Refuse statelessly (no transaction is created): memory stays bounded under a
            // flood, and a real peer retries later (§21.5.4).
            self.reply_stateless(
                &req,
                dest,
                503,
                "Service Unavailable",
                &[("Retry-After", "5")],
            );
            return;
        }
        transport::stamp_received(&mut req, source);
        match self.txns.handle_request(self.now, &req, dest) {
            RequestMatch::Retransmission | RequestMatch::AckAbsorbed => {}
            RequestMatch::StrayAck => self.on_ack(req),
            RequestMatch::New(key) => self.on_new_request(key, req, dest),
        }
    }

    fn on_new_request(&mut self, key: TxnKey, req: Request, source: Target) {
        if matches!(
            req.uri.scheme,
            super::msg::Scheme::Other(_) | super::msg::Scheme::Tel
        ) && req.method != Method::Cancel
        {
            // §8.2.2.1: a Request-URI scheme we do not understand.
            self.respond_simple(&key, &req, 416);
            return;
        }
        if req.method != Method::Cancel {
            // §8.2.2.3: option tags in Require that we do not support → 420 + Unsupported.
            let unsupported: Vec<&str> = req
                .headers
                .get_split("Require")
                .into_iter()
                .filter(|t| !t.is_empty() && !OPTION_TAGS.iter().any(|o| t.eq_ignore_ascii_case(o)))
                .collect();
            if !unsupported.is_empty() {
                let mut resp = req.make_response(420, None);
                resp.headers.push("Unsupported", unsupported.join(", "));
                self.respond_with_tag(&key, resp);
                return;
            }
        }
        if req.method == Method::Invite && !accepts_sdp(&req) {
            // §8.2.3 / RFC 4475 §3.3.15: our answer would be SDP, which the caller refuses.
            let mut resp = req.make_response(406, None);
            resp.headers.push("Accept", "application/sdp");
            self.respond_with_tag(&key, resp);
            return;
        }
        let in_dialog = req.to_hdr().ok().and_then(|t| t.tag().map(str::to_string));
        if in_dialog.is_none() && req.method == Method::Invite && self.is_merged(&key, &req) {
            // §8.2.2.2: the same request reached us by another path (forking loop).
            self.respond_simple(&key, &req, 482);
            return;
        }
        match (&req.method, in_dialog) {
            (Method::Invite, None) => self.on_incoming_invite(key, req, source),
            (Method::Cancel, _) => self.on_cancel(key, req),
            (Method::Options, None) => self.respond_simple(&key, &req, 200),
            (Method::Invite | Method::Bye, Some(_)) => self.on_in_dialog_request(key, req),
            (_, Some(_)) => self.on_in_dialog_request(key, req),
            (Method::Extension(_), None) => self.respond_simple(&key, &req, 501),
            (Method::Bye, None) => self.respond_simple(&key, &req, 481),
            (_, None) => self.respond_simple(&key, &req, 405),
        }
    }

    /// §8.2.2.2: a request without To-tag whose From-tag, Call-ID and CSeq match a
    /// request already in progress under another transaction.
    fn is_merged(&self, key: &TxnKey, req: &Request) -> bool {
        let ident = |r: &Request| {
            Some((
                r.call_id().ok()?.to_string(),
                r.from_hdr().ok()?.tag()?.to_string(),
                r.cseq().ok()?.seq,
            ))
        };
        let Some(mine) = ident(req) else {
            return false;
        };
        self.calls.values().any(|c| {
            c.direction == crate::api::Direction::Incoming
                && c.invite_key.as_ref() != Some(key)
                && c.invite.as_ref().and_then(ident).as_ref() == Some(&mine)
        })
    }

    fn on_response(&mut self, resp: Response) {
        // §8.1.3.3: more than one Via in a response means it was not meant for us.
        match resp.vias() {
            Ok(v) if v.len() == 1 => {}
            _ => return,
        }
        match self.txns.handle_response(self.now, &resp) {
            ResponseMatch::PassUp(key) => {
                // Owners live as long as their transaction (cleaned on timeouts): an INVITE
                // transaction in Accepted passes further 2xx up (RFC 6026), and those need
                // their call to be re-ACKed or, from another fork, ACKed and ended.
                if let Some(&i) = self.reg_owners.get(&key) {
                    self.on_register_response(i, key, resp);
                    return;
                }
                if self.requests.contains_key(&key) {
                    self.on_request_response(key, resp);
                    return;
                }
                match self.owners.get(&key).copied() {
                    Some((call, purpose)) => self.on_owned_response(call, purpose, key, resp),
                    None => self.on_stray_response(resp),
                }
            }
            ResponseMatch::Absorbed => {}
            ResponseMatch::Unmatched => self.on_stray_response(resp),
        }
    }
}

/// True unless the request has an Accept header that rules out `application/sdp`.
fn accepts_sdp(req: &Request) -> bool {
    let accept = req.headers.get_split("Accept");
    if req.headers.get("Accept").is_none() {
        return true;
    }
    accept.iter().any(|a| {
        let media = a
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        media == "application/sdp" || media == "application/*" || media == "*/*"
    }) || accept.iter().all(|a| a.trim().is_empty())
}

/// §18.2.2: where the response to `req` goes. On a stream, back on the connection it came
/// in on; over UDP, to the Via's `received`/`rport` (stamped by §18.2.1), else the sender.
fn response_target(
    req: &Request,
    source: SocketAddr,
    proto: Protocol,
    flow: Option<FlowId>,
) -> Target {
    if proto.is_reliable() {
        return Target {
            proto,
            addr: source,
            flow,
        };
    }
    let mut stamped = req.clone();
    transport::stamp_received(&mut stamped, source);
    let addr = stamped
        .top_via()
        .ok()
        .and_then(|v| transport::response_destination(&v))
        .unwrap_or(source);
    Target::udp(addr)
}

/// `len` random lowercase hex digits.
fn hex(rng: &mut SmallRng, len: usize) -> String {
    const HEX: &[u8] = b"0123456789abcdef";
    (0..len)
        .map(|_| HEX[rng.gen_range(0..16)] as char)
        .collect()
}
