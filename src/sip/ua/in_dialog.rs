//! Requests inside a dialog (RFC 3261 §12.2): ACK for a 2xx (§13.3.1.4), BYE (§15),
//! re-INVITE (§14); anything else unknown to a dialog gets 481 (§12.2.2).

use super::{CallState, TxnPurpose};
use crate::api::{CallHandle, Party};
use crate::media::sdp;
use crate::sip::auth::AuthDecision;
use crate::sip::dialog::DialogId;
use crate::sip::engine::{Engine, ALLOW, USER_AGENT};
use crate::sip::msg::{Method, Request, Response, SipMessage};
use crate::sip::transport::Target;
use crate::sip::txn::TxnKey;

/// A BYE of a call already forgotten, with what a retry after a challenge needs.
pub(crate) struct SentBye {
    /// The BYE as sent.
    request: Request,
    /// Where it went (the dialog's next hop).
    dest: Target,
    /// The call's account, whose credentials answer the challenge.
    account: usize,
}

impl Engine {
    /// An ACK no transaction absorbed: the ACK for our 2xx (§13.3.1.4).
    pub(crate) fn on_ack(&mut self, req: Request) {
        let Some(id) = DialogId::of_incoming_request(&req) else {
            return;
        };
        let Some(h) = self.call_by_dialog(&id) else {
            return;
        };
        let Some(call) = self.calls.get_mut(&h) else {
            return;
        };
        if call.state != CallState::Accepted {
            return;
        }
        call.retransmit = None;
        call.state = CallState::Confirmed;
        if let Some(d) = call.dialog.as_mut() {
            d.confirmed = true;
        }
        if call.offer_in_2xx {
            // Late offer: the answer is in the ACK (§13.2.1).
            call.offer_in_2xx = false;
            let local = call.local_media.clone();
            if let (Some(local), false) = (local, req.body.is_empty()) {
                match sdp::process_answer(&req.body, &local) {
                    Ok(params) => self.start_media(h, params),
                    Err(e) => {
                        tracing::warn!(call = %h, error = %e, "unusable answer in ACK");
                        self.send_bye(h, "media");
                    }
                }
            } else {
                self.send_bye(h, "media");
            }
        }
    }

    /// A request with a To-tag (§12.2.2).
    pub(crate) fn on_in_dialog_request(&mut self, key: TxnKey, req: Request) {
        let call = DialogId::of_incoming_request(&req).and_then(|id| self.call_by_dialog(&id));
        let Some(h) = call else {
            if req.method == Method::Notify {
                if let Some(h) = self.ood_refer_of(&req) {
                    self.on_ood_notify(h, key, req);
                    return;
                }
            }
            self.respond_simple(&key, &req, 481);
            return;
        };
        let seq = req.cseq().map(|c| c.seq).unwrap_or(0);
        let in_order = self
            .calls
            .get_mut(&h)
            .and_then(|c| c.dialog.as_mut())
            .map(|d| d.accept_remote_seq(seq))
            .unwrap_or(false);
        if !in_order {
            // §12.2.2: a lower CSeq than the last one is out of order.
            let mut resp = req.make_response(500, Some("CSeq Out of Order"));
            resp.headers.push("User-Agent", USER_AGENT);
            self.respond(&key, &resp);
            return;
        }
        match req.method {
            Method::Bye => {
                // §15.1.2: 200 to the BYE and end the session.
                self.respond_simple(&key, &req, 200);
                self.terminate_call(h, Party::Remote, "bye");
            }
            Method::Invite => self.on_reinvite(h, key, req),
            Method::Info => self.on_info(h, key, req),
            Method::Update => self.on_update(h, key, req),
            Method::Refer => self.on_refer(h, key, req),
            Method::Notify => self.on_notify(h, key, req),
            Method::Prack => self.on_prack(h, key, req),
            Method::Options => self.respond_simple(&key, &req, 200),
            Method::Extension(_) => self.respond_simple(&key, &req, 501),
            _ => self.respond_simple(&key, &req, 405),
        }
    }

    /// §14.2: a re-INVITE. Answer its offer (or offer again if it has none) and follow
    /// the new parameters; 488 if the offer is unusable, 491 while our own is pending.
    fn on_reinvite(&mut self, h: CallHandle, key: TxnKey, req: Request) {
        let Some(call) = self.calls.get_mut(&h) else {
            return;
        };
        let Some(mut local) = call.local_media.clone() else {
            self.respond_simple(&key, &req, 488);
            return;
        };
        if call.state != CallState::Confirmed {
            // §14.2: a re-INVITE before the previous INVITE completed.
            self.respond_simple(&key, &req, 500);
            return;
        }
        if call.reinvite.as_ref().is_some_and(|r| r.retry_at.is_none()) {
            // §14.2: our own re-INVITE is in flight (glare).
            self.respond_simple(&key, &req, 491);
            return;
        }
        local.session_version += 1;
        local.direction = if call.local_hold {
            crate::media::MediaDirection::SendOnly
        } else {
            crate::media::MediaDirection::SendRecv
        };
        call.local_media = Some(local.clone());
        let peer = call.peer;
        let local_tag = call.local_tag.clone();
        let (body, params) = if req.body.is_empty() {
            (sdp::create_offer(&local), None)
        } else {
            match sdp::answer_offer(&req.body, &local) {
                Ok(a) => (a.sdp, Some(a.params)),
                Err(_) => {
                    let mut resp = req.make_response(488, None);
                    resp.headers.push("User-Agent", USER_AGENT);
                    self.respond(&key, &resp);
                    return;
                }
            }
        };
        let mut resp = req.make_response(200, None);
        if let Ok(mut to) = resp.to_hdr() {
            if to.tag().is_none() {
                to.set_tag(&local_tag);
                resp.headers.set("To", to.to_string());
            }
        }
        resp.headers.push("Contact", self.contact_for(&peer));
        resp.headers.push("Allow", ALLOW);
        resp.headers.push("User-Agent", USER_AGENT);
        resp.headers.push("Content-Type", "application/sdp");
        resp.body = body.into_bytes();
        // RFC 4028 §9: a re-INVITE refreshes (or starts) the session timer.
        if let Some((secs, refresher)) = self.session_timer_for_request(h, &req) {
            super::session_timer::answer_headers(&mut resp, &req, secs, refresher);
        }
        self.respond(&key, &resp);
        if let Some(params) = params {
            let ours = params.direction;
            self.start_media(h, params);
            self.note_remote_direction(h, ours);
        }
    }

    /// RFC 3311: an UPDATE changes the session without a re-INVITE; an offer in it is
    /// answered in the 200 (and 491 while our own offer is out, §5.2).
    fn on_update(&mut self, h: CallHandle, key: TxnKey, req: Request) {
        let Some(call) = self.calls.get_mut(&h) else {
            return;
        };
        if req.body.is_empty() {
            self.respond_simple(&key, &req, 200);
            return;
        }
        if call.reinvite.as_ref().is_some_and(|r| r.retry_at.is_none()) {
            self.respond_simple(&key, &req, 491);
            return;
        }
        let Some(mut local) = call.local_media.clone() else {
            self.respond_simple(&key, &req, 488);
            return;
        };
        local.session_version += 1;
        local.direction = if call.local_hold {
            crate::media::MediaDirection::SendOnly
        } else {
            crate::media::MediaDirection::SendRecv
        };
        let answer = match sdp::answer_offer(&req.body, &local) {
            Ok(a) => a,
            Err(_) => {
                self.respond_simple(&key, &req, 488);
                return;
            }
        };
        call.local_media = Some(local);
        let peer = call.peer;
        let mut resp = req.make_response(200, None);
        resp.headers.push("Contact", self.contact_for(&peer));
        resp.headers.push("Content-Type", "application/sdp");
        resp.body = answer.sdp.into_bytes();
        if let Some((secs, refresher)) = self.session_timer_for_request(h, &req) {
            super::session_timer::answer_headers(&mut resp, &req, secs, refresher);
        }
        self.respond_with_tag(&key, resp);
        let ours = answer.params.direction;
        self.start_media(h, answer.params);
        self.note_remote_direction(h, ours);
    }

    /// §15.1.1: send BYE in the call's dialog, then forget the call.
    pub(crate) fn send_bye(&mut self, h: CallHandle, cause: &str) {
        let Some(call) = self.calls.get_mut(&h) else {
            return;
        };
        let peer = call.peer;
        let account = call.account;
        let bye = call
            .dialog
            .as_mut()
            .map(|d| (d.new_request(Method::Bye), d.next_hop()));
        if let Some((mut bye, hop)) = bye {
            let dest = self.hop_target(&hop, peer);
            let via = self.via_for(&dest);
            bye.headers.insert(0, "Via", via);
            bye.headers.push("Max-Forwards", "70");
            bye.headers.push("User-Agent", USER_AGENT);
            match account {
                Some(i) => {
                    // §22.1: credentials cached from earlier challenges go along at once.
                    self.authorize_for(i, &mut bye);
                    self.send_bye_request(h, bye, dest, i);
                }
                None => {
                    self.send_request(bye, dest, h, TxnPurpose::Bye);
                }
            }
        }
        self.terminate_call(h, Party::Local, cause);
    }

    fn send_bye_request(&mut self, h: CallHandle, bye: Request, dest: Target, account: usize) {
        let key = self.send_request(bye.clone(), dest, h, TxnPurpose::Bye);
        let sent = SentBye {
            request: bye,
            dest,
            account,
        };
        self.byes.insert(key, sent);
    }

    /// A response to our BYE: a 401/407 is answered once with credentials (§22.2; a proxy
    /// may challenge requests inside a dialog too, §22.3); the call is already over, so a
    /// challenge we cannot answer is only logged.
    pub(crate) fn on_bye_response(&mut self, h: CallHandle, key: TxnKey, resp: &Response) {
        if resp.code < 200 {
            return;
        }
        let Some(sent) = self.byes.remove(&key) else {
            return;
        };
        if !matches!(resp.code, 401 | 407) {
            return;
        }
        let Some(a) = self.accounts.get_mut(sent.account) else {
            return;
        };
        match a.auth.handle_challenge(&sent.request, resp) {
            Ok(AuthDecision::Retry | AuthDecision::RetryStale) => {
                let mut retry = self.retry_copy(&sent.request, &sent.dest);
                self.authorize_for(sent.account, &mut retry);
                self.send_bye_request(h, retry, sent.dest, sent.account);
            }
            Ok(AuthDecision::Fail(_)) | Err(_) => {
                tracing::warn!(call = %h, code = resp.code, "BYE: challenge not answered");
            }
        }
    }

    /// `bye [N]` (SIP.js `bye`): only a confirmed call — §15: the callee sends no BYE
    /// before the ACK of its 2xx, and an unanswered call is canceled or rejected instead.
    pub(crate) fn cmd_bye(&mut self, call: Option<CallHandle>) {
        let confirmed = |c: &super::Call| c.state == CallState::Confirmed;
        let Some(h) = self.resolve_call("bye", call, confirmed, "confirmed call") else {
            return;
        };
        self.send_bye(h, "bye");
    }

    /// `hangup [N]` (SIP.js `terminate`).
    pub(crate) fn cmd_hangup(&mut self, call: Option<CallHandle>) {
        let Some(h) = self.resolve_call("hangup", call, |_| true, "call to hang up") else {
            return;
        };
        self.end_call(h, "hangup");
    }
}
