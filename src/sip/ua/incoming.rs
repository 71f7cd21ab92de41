//! The server context: an incoming INVITE (RFC 3261 §13.3) that the user can `progress`,
//! `accept` or `reject` (SIP.js defaults 180, 200, 480), and CANCEL received (§9.2).

use super::{Call, CallState, Retransmit2xx};
use crate::api::{CallHandle, Direction, Event, Party};
use crate::media::sdp::{self, LocalMedia};
use crate::media::MediaCtl;
use crate::sip::dialog::Dialog;
use crate::sip::engine::{Engine, ALLOW, USER_AGENT};
use crate::sip::msg::{NameAddr, Request, Response, SipMessage};
use crate::sip::transport::Target;
use crate::sip::txn::TxnKey;

/// How often an unanswered call's provisional response is re-sent (§13.3.1.1).
const PROVISIONAL_REFRESH: std::time::Duration = std::time::Duration::from_secs(60);

impl Engine {
    /// A new INVITE outside any dialog: a new incoming call (§13.3.1).
    pub(crate) fn on_incoming_invite(&mut self, key: TxnKey, req: Request, source: Target) {
        // §8.2.2.2 merged requests, §8.2.3 extensions and §8.2.6 are refined in the SIP core
        // work; here: the headers a dialog needs must be there.
        let (Ok(from), Ok(_)) = (req.from_hdr(), req.to_hdr()) else {
            self.respond_simple(&key, &req, 400);
            return;
        };
        if req.contacts().is_err() {
            self.respond_simple(&key, &req, 400);
            return;
        }
        if !req.body.is_empty() {
            let is_sdp = req
                .content_type()
                .map(|ct| ct.to_ascii_lowercase().starts_with("application/sdp"))
                .unwrap_or(false);
            if !is_sdp {
                let mut resp = req.make_response(415, None);
                resp.headers.push("Accept", "application/sdp");
                self.respond_with_tag(&key, resp);
                return;
            }
        }
        // RFC 4028 §8.1: an interval below our minimum gets 422 with Min-SE.
        if super::session_timer::parse_session_expires(&req.headers)
            .is_some_and(|(s, _)| s < super::session_timer::MIN_SE)
        {
            let mut resp = req.make_response(422, None);
            resp.headers
                .push("Min-SE", super::session_timer::MIN_SE.to_string());
            self.respond_with_tag(&key, resp);
            return;
        }
        // RFC 3891 §3: Replaces names a call of ours this one takes over.
        let replaces = match self.replaced_call(&req) {
            Ok(r) => r,
            Err(code) => {
                self.respond_simple(&key, &req, code);
                return;
            }
        };
        if self.calls.len() >= crate::sip::engine::MAX_CALLS {
            self.respond_simple(&key, &req, 486);
            return;
        }
        let h = self.allocate_call();
        let mut call = Call::new(h, Direction::Incoming, CallState::Incoming, source);
        call.local_tag = self.new_tag();
        call.remote_display = from.to_string();
        // The account called: the one whose AOR user is the Request-URI's (or the To's).
        let called = req
            .uri
            .user
            .clone()
            .or_else(|| req.to_hdr().ok().and_then(|t| t.uri.user));
        call.account = self
            .accounts
            .iter()
            .position(|a| a.cfg.aor.user.is_some() && a.cfg.aor.user == called);
        call.invite_key = Some(key.clone());
        call.replaces = replaces;
        call.dialog = Dialog::from_uas(&req, &call.local_tag).ok();
        call.invite = Some(req);
        self.calls.insert(h, call);
        // 100 Trying comes from the transaction if we say nothing within 200 ms (§17.2.1).
        // The call is announced once media is open and the offer is known to be usable.
        self.media(MediaCtl::Open { call: h });
    }

    /// The RTP socket for an incoming call is open: answer the offer now (or 488).
    pub(crate) fn incoming_media_ready(&mut self, h: CallHandle, media: LocalMedia) {
        let Some(call) = self.calls.get_mut(&h) else {
            return;
        };
        let Some(invite) = call.invite.clone() else {
            return;
        };
        call.local_media = Some(media.clone());
        if invite.body.is_empty() {
            // Late offer (§13.2.1): we will offer in the 2xx and read the answer in ACK.
            call.offer_in_2xx = true;
        } else {
            match sdp::answer_offer(&invite.body, &media) {
                Ok(answer) => call.answer = Some(answer),
                Err(e) => {
                    tracing::info!(call = %h, error = %e, "unacceptable offer");
                    // §13.3.1.3: 488, with what we would accept in a Warning.
                    self.reject_incoming(h, 488, None);
                    return;
                }
            }
        }
        // Identities for people: display name and URI, without tags or other parameters.
        let identity = |mut n: NameAddr| {
            n.params.clear();
            n.to_string()
        };
        let from = invite.from_hdr().map(identity).unwrap_or_default();
        let to = invite.to_hdr().map(identity).unwrap_or_default();
        self.emit(Event::Incoming { call: h, from, to });
        // A transfer's new call replacing one of ours is answered at once, and the old call
        // ends (RFC 3891 §3, RFC 5589 §7).
        let replaces = self.calls.get(&h).and_then(|c| c.replaces);
        if let Some(old) = replaces {
            self.accept_incoming(h, 200, None);
            self.end_call(old, "replaced");
        }
        self.apply_answer_mode(h);
    }

    /// A response in the INVITE server transaction, with our To-tag and Contact (§12.1.1).
    pub(super) fn invite_response(
        &mut self,
        h: CallHandle,
        code: u16,
        reason: Option<&str>,
    ) -> Option<(TxnKey, Response)> {
        let call = self.calls.get(&h)?;
        let invite = call.invite.as_ref()?;
        let key = call.invite_key.clone()?;
        let mut resp = invite.make_response(code, reason);
        if code > 100 {
            if let Ok(mut to) = resp.to_hdr() {
                to.set_tag(&call.local_tag);
                resp.headers.set("To", to.to_string());
            }
        }
        let peer = call.peer;
        let account = call.account;
        if (101..300).contains(&code) {
            // §12.1.1: a response that creates a dialog copies the Record-Route, in order,
            // so the peer's later requests pass the same proxies.
            let routes: Vec<String> = invite
                .headers
                .get_all("Record-Route")
                .map(str::to_string)
                .collect();
            for r in routes {
                resp.headers.push("Record-Route", r);
            }
            let contact = match account {
                Some(i) => self.account_contact(i, &peer),
                None => self.contact_for(&peer),
            };
            resp.headers.push("Contact", contact);
        }
        if code >= 200 {
            resp.headers.push("Allow", ALLOW);
        }
        resp.headers.push("User-Agent", USER_AGENT);
        if let Some(extras) = self.response_options.take() {
            super::respond_with::apply(&mut resp, extras);
        }
        Some((key, resp))
    }

    /// Send a provisional response: whether it went reliably, or None (command error
    /// emitted) when it could not go.
    fn send_provisional(&mut self, h: CallHandle, code: u16, reason: Option<&str>) -> Option<bool> {
        let required = self
            .calls
            .get(&h)
            .and_then(|c| c.invite.as_ref())
            .is_some_and(|i| {
                super::prack::has_option_tag(&i.headers, "Require", super::prack::TAG_100REL)
            });
        if code > 100 && required {
            // RFC 3262 §3: with Require: 100rel every non-100 provisional goes reliably.
            return self
                .send_reliable(h, "progress", code, reason, None)
                .then_some(true);
        }
        let Some((key, resp)) = self.invite_response(h, code, reason) else {
            return Some(false);
        };
        self.respond(&key, &resp);
        if code > 100 {
            self.schedule_provisional_refresh(h, resp);
        }
        Some(false)
    }

    /// Re-send `resp` in a minute unless the call is answered first (§13.3.1.1).
    fn schedule_provisional_refresh(&mut self, h: CallHandle, resp: Response) {
        let next = self.now + PROVISIONAL_REFRESH;
        if let Some(c) = self.calls.get_mut(&h) {
            c.provisional_refresh = Some((next, resp));
        }
    }

    /// §13.3.1.1: while the user has not answered, re-send the last non-100 provisional
    /// every minute.
    pub(crate) fn refresh_provisional_if_due(&mut self, h: CallHandle) {
        let Some(c) = self.calls.get_mut(&h) else {
            return;
        };
        if c.state != CallState::Incoming {
            c.provisional_refresh = None;
            return;
        }
        match c.provisional_refresh.take() {
            Some((at, resp)) if at <= self.now => {
                if let Some(key) = c.invite_key.clone() {
                    self.respond(&key, &resp);
                    self.schedule_provisional_refresh(h, resp);
                }
            }
            other => c.provisional_refresh = other,
        }
    }

    pub(super) fn fits_incoming(c: &Call) -> bool {
        c.direction == Direction::Incoming && c.state == CallState::Incoming
    }

    /// For a response command: `code` must lie in `codes` (else one error line naming the
    /// `kind` of status code expected), then the incoming call it answers.
    fn waiting_call(
        &mut self,
        verb: &str,
        call: Option<CallHandle>,
        code: u16,
        codes: std::ops::RangeInclusive<u16>,
        kind: &str,
    ) -> Option<CallHandle> {
        if !codes.contains(&code) {
            self.command_error(format!(
                "{verb}: {code} is not a {kind}status code (expected {}-{})",
                codes.start(),
                codes.end()
            ));
            return None;
        }
        self.resolve_call(
            verb,
            call,
            Self::fits_incoming,
            "incoming call waiting for an answer",
        )
    }

    /// `progress [N] [code [reason]]` (SIP.js `progress`, default 180 Ringing).
    pub(crate) fn cmd_progress(
        &mut self,
        call: Option<CallHandle>,
        code: u16,
        reason: Option<String>,
    ) {
        let Some(h) = self.waiting_call("progress", call, code, 101..=199, "provisional ") else {
            return;
        };
        let Some(reliable) = self.send_provisional(h, code, reason.as_deref()) else {
            return;
        };
        let reason = reason.unwrap_or_else(|| crate::sip::msg::reason_phrase(code).to_string());
        self.emit(Event::Progress {
            call: h,
            code,
            reason,
            reliable,
        });
    }

    /// `accept [N]` (SIP.js `accept`, 200 OK with our SDP answer).
    pub(crate) fn cmd_accept(&mut self, call: Option<CallHandle>) {
        let Some(h) = self.resolve_call(
            "accept",
            call,
            Self::fits_incoming,
            "incoming call waiting for an answer",
        ) else {
            return;
        };
        self.accept_incoming(h, 200, None);
    }

    /// Answer with a 2xx carrying our SDP (the answer, or an offer for a late-offer INVITE).
    pub(crate) fn accept_incoming(&mut self, h: CallHandle, code: u16, reason: Option<&str>) {
        if self.defer_accept_for_prack(h, code, reason) {
            return;
        }
        let Some((key, mut resp)) = self.invite_response(h, code, reason) else {
            return;
        };
        let (body, params) = {
            let Some(call) = self.calls.get(&h) else {
                return;
            };
            match (&call.answer, &call.local_media) {
                (Some(a), _) => (a.sdp.clone(), Some(a.params.clone())),
                (None, Some(m)) if call.offer_in_2xx => (sdp::create_offer(m), None),
                _ => {
                    self.command_error(format!(
                        "accept: call {h} has no media ready yet; try again"
                    ));
                    return;
                }
            }
        };
        resp.headers.push("Content-Type", "application/sdp");
        resp.body = body.into_bytes();
        let invite = self.calls.get(&h).and_then(|c| c.invite.clone());
        if let Some(invite) = invite {
            if let Some((secs, refresher)) = self.session_timer_for_request(h, &invite) {
                super::session_timer::answer_headers(&mut resp, &invite, secs, refresher);
            }
        }
        self.respond(&key, &resp);
        let t1 = self.txns.timer_values().t1;
        let t1x64 = self.txns.timer_values().t1x64();
        let now = self.now;
        if let Some(call) = self.calls.get_mut(&h) {
            call.state = CallState::Accepted;
            call.answered_at.get_or_insert(now);
            call.retransmit = Some(Retransmit2xx {
                bytes: resp.to_bytes(),
                dest: call.peer,
                next: now + t1,
                interval: t1,
                give_up: now + t1x64,
            });
        }
        self.emit(Event::Accepted { call: h, code });
        if let Some(params) = params {
            self.start_media(h, params);
        }
    }

    /// `reply [N] <code> [reason]` (SIP.js `reply`): any status from 100 to 699.
    pub(crate) fn cmd_reply(
        &mut self,
        call: Option<CallHandle>,
        code: u16,
        reason: Option<String>,
    ) {
        let Some(h) = self.waiting_call("reply", call, code, 100..=699, "") else {
            return;
        };
        match code {
            100..=199 => {
                let sent = self.send_provisional(h, code, reason.as_deref());
                if let (Some(reliable), true) = (sent, code > 100) {
                    let reason =
                        reason.unwrap_or_else(|| crate::sip::msg::reason_phrase(code).to_string());
                    self.emit(Event::Progress {
                        call: h,
                        code,
                        reason,
                        reliable,
                    });
                }
            }
            200..=299 => self.accept_incoming(h, code, reason.as_deref()),
            _ => self.reject_incoming(h, code, reason),
        }
    }

    /// `redirect [N] <uri>… [--code 300|301|302]` (§13.3.1.2): a 3xx listing the Contacts.
    pub(crate) fn cmd_redirect(&mut self, call: Option<CallHandle>, targets: &[String], code: u16) {
        if !(300..=399).contains(&code) {
            self.command_error(format!(
                "redirect: {code} is not a redirection code (expected 300-399)"
            ));
            return;
        }
        if targets.is_empty() {
            self.command_error("redirect: no target given (expected redirect [N] URI...)".into());
            return;
        }
        let mut contacts = Vec::new();
        for t in targets {
            let text = if t.contains(':') {
                t.clone()
            } else {
                format!("sip:{t}")
            };
            match crate::sip::msg::Uri::parse(&text) {
                Ok(u) => contacts.push(u),
                Err(_) => {
                    self.command_error(format!(
                        "redirect: '{t}' is not a SIP URI (expected sip:user@host[:port])"
                    ));
                    return;
                }
            }
        }
        let Some(h) = self.resolve_call(
            "redirect",
            call,
            Self::fits_incoming,
            "incoming call waiting for an answer",
        ) else {
            return;
        };
        if let Some((key, mut resp)) = self.invite_response(h, code, None) {
            resp.headers.remove("Contact");
            for c in &contacts {
                resp.headers
                    .push("Contact", NameAddr::new(c.clone()).to_string());
            }
            self.respond(&key, &resp);
            let announced = self
                .calls
                .get(&h)
                .is_some_and(|c| c.answer.is_some() || c.offer_in_2xx);
            self.remove_call(h);
            if announced {
                self.emit(Event::Rejected {
                    call: h,
                    code,
                    reason: resp.reason,
                });
            }
        }
    }

    /// `reject [N] [code [reason]]` (SIP.js `reject`, default 480).
    pub(crate) fn cmd_reject(
        &mut self,
        call: Option<CallHandle>,
        code: u16,
        reason: Option<String>,
    ) {
        let Some(h) = self.waiting_call("reject", call, code, 300..=699, "rejection ") else {
            return;
        };
        self.reject_incoming(h, code, reason);
    }

    /// Send a final non-2xx to an incoming INVITE and forget the call.
    pub(crate) fn reject_incoming(&mut self, h: CallHandle, code: u16, reason: Option<String>) {
        if let Some((key, resp)) = self.invite_response(h, code, reason.as_deref()) {
            self.respond(&key, &resp);
            let announced = self
                .calls
                .get(&h)
                .is_some_and(|c| c.answer.is_some() || c.offer_in_2xx);
            self.remove_call(h);
            if announced {
                self.emit(Event::Rejected {
                    call: h,
                    code,
                    reason: resp.reason,
                });
            }
        }
    }

    /// §9.2: CANCEL received. 200 to the CANCEL; 487 to the INVITE if it has no final
    /// response yet; 481 when no INVITE matches.
    pub(crate) fn on_cancel(&mut self, key: TxnKey, req: Request) {
        let Some(invite_key) = self.txns.invite_key_for_cancel(&req) else {
            self.respond_simple(&key, &req, 481);
            return;
        };
        self.respond_simple(&key, &req, 200);
        if self.txns.server_is_final(&invite_key) {
            return;
        }
        let call = self
            .calls
            .values()
            .find(|c| c.invite_key.as_ref() == Some(&invite_key))
            .map(|c| (c.handle, c.answer.is_some() || c.offer_in_2xx));
        if let Some((h, announced)) = call {
            if let Some((k, resp)) = self.invite_response(h, 487, None) {
                self.respond(&k, &resp);
            }
            self.remove_call(h);
            if announced {
                self.emit(Event::Canceled {
                    call: h,
                    by: Party::Remote,
                });
            }
        }
    }
}
