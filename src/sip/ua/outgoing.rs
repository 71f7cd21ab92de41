//! The client context: placing a call (RFC 3261 §13.2), its responses, and CANCEL (§9.1).

use std::net::SocketAddr;

use super::{Call, CallState, TxnPurpose};
use crate::api::{CallHandle, Direction, Event, FailureCause, Party};
use crate::media::sdp::{self, LocalMedia};
use crate::media::{MediaCtl, MediaDirection, MediaParams};
use crate::sip::dialog::{Dialog, DialogId};
use crate::sip::engine::{Engine, ALLOW, USER_AGENT};
use crate::sip::msg::{Headers, Method, NameAddr, Request, Response, SipMessage, Uri};
use crate::sip::transport::{self, Target};
use crate::sip::txn::TxnKey;

/// Redirect targets tried per call at most (loops and long chains end there).
const MAX_REDIRECTS: usize = 5;

impl Engine {
    /// `invite <uri>`: check the target, open media, then send INVITE once it is open.
    pub(crate) fn cmd_invite(&mut self, target: &str, options: crate::api::InviteOptions) {
        let _ = self.invite_for_refer(target, options);
    }

    /// Place a call; its handle, or None when the target was refused (error emitted).
    pub(crate) fn invite_for_refer(
        &mut self,
        target: &str,
        options: crate::api::InviteOptions,
    ) -> Option<CallHandle> {
        let text = target.trim();
        // A bare `100@127.0.0.1:5070` or `127.0.0.1:5070` means a sip: URI.
        let has_scheme = text.split_once(':').is_some_and(|(s, _)| {
            ["sip", "sips", "tel"]
                .iter()
                .any(|k| s.eq_ignore_ascii_case(k))
        });
        let account = match options.account.as_deref() {
            Some(name) => match self.account_index("invite", Some(name)) {
                Some(i) => Some(i),
                None => return None,
            },
            None => (!self.accounts.is_empty() && !options.without_account).then_some(0),
        };
        let with_scheme = match (has_scheme, text.contains('@'), account) {
            (true, _, _) => text.to_string(),
            // A bare number or user: at the account's domain (`invite 100`).
            (false, false, Some(i)) if !text.contains('.') && !text.contains(':') => {
                let aor = &self.accounts[i].cfg.aor;
                match aor.port {
                    Some(p) => format!("sip:{text}@{}:{p}", aor.host),
                    None => format!("sip:{text}@{}", aor.host),
                }
            }
            _ => format!("sip:{text}"),
        };
        let uri = match Uri::parse(&with_scheme) {
            Ok(u) => u,
            Err(_) => {
                self.command_error(format!(
                    "invite: '{text}' is not a SIP URI (expected sip:user@host[:port])"
                ));
                return None;
            }
        };
        // §8.1.2: the account's outbound proxy, else the Request-URI's host, else (for the
        // account's own domain) its registrar.
        let hop = account.and_then(|i| {
            let cfg = &self.accounts[i].cfg;
            cfg.outbound_proxy.clone().or_else(|| {
                (transport::uri_destination(&uri).is_none() && uri.host == cfg.aor.host)
                    .then(|| cfg.registrar_uri())
            })
        });
        let hop_uri = hop.as_ref().unwrap_or(&uri);
        let Some(addr) = transport::uri_destination(hop_uri) else {
            self.command_error(format!(
                "invite: cannot reach '{text}': the host must be an IP address or localhost (e.g. sip:100@127.0.0.1:5070)"
            ));
            return None;
        };
        let h = self.allocate_call();
        let dest = Target {
            proto: transport::uri_protocol(hop_uri),
            addr,
            flow: None,
        };
        let mut call = Call::new(h, Direction::Outgoing, CallState::Opening, dest);
        call.account = account;
        call.invite_options = options;
        call.remote_display = uri.to_string();
        call.local_tag = self.new_tag();
        let invite = Request::new(Method::Invite, uri);
        call.invite = Some(invite);
        self.calls.insert(h, call);
        let from = match account {
            Some(i) => self.accounts[i].cfg.aor.to_string(),
            None => format!(
                "sip:{}@{}",
                self.cfg.user,
                transport::ip_host(self.local_ip_for(addr.ip()))
            ),
        };
        self.emit(Event::Calling {
            call: h,
            to: with_scheme,
            from,
        });
        self.media(MediaCtl::Open { call: h });
        Some(h)
    }

    pub(crate) fn on_media_opened(&mut self, h: CallHandle, local: SocketAddr) {
        let Some(call) = self.calls.get(&h) else {
            // The call ended while the socket was being bound.
            self.media(MediaCtl::Stop { call: h });
            return;
        };
        let direction = call.direction;
        let peer = call.peer;
        let mut rtp = local;
        if rtp.ip().is_unspecified() {
            rtp.set_ip(self.local_ip_for(peer.addr.ip()));
        }
        let media = LocalMedia {
            rtp,
            codecs: call
                .account
                .and_then(|i| self.accounts.get(i))
                .and_then(|a| a.cfg.codecs.clone())
                .unwrap_or_else(|| self.cfg.codecs.clone()),
            telephone_event: true,
            session_id: self.random_u63(),
            session_version: 1,
            direction: MediaDirection::SendRecv,
        };
        match direction {
            Direction::Outgoing => self.send_invite(h, media),
            Direction::Incoming => self.incoming_media_ready(h, media),
        }
    }

    pub(crate) fn on_media_open_failed(&mut self, h: CallHandle) {
        let Some(call) = self.calls.get(&h) else {
            return;
        };
        match call.direction {
            Direction::Outgoing => {
                self.remove_call(h);
                self.emit(Event::Failed {
                    call: h,
                    cause: FailureCause::Media,
                });
            }
            Direction::Incoming => {
                // No RTP port: we cannot take the call (§21.5.4 500 with Retry-After would
                // also do; 503 tells the caller to try elsewhere).
                self.reject_incoming(h, 503, Some("No Media Port".into()));
            }
        }
    }

    /// §13.2.1: build and send the initial INVITE with our SDP offer.
    fn send_invite(&mut self, h: CallHandle, media: LocalMedia) {
        let call_id = self.new_call_id();
        let Some(call) = self.calls.get(&h) else {
            return;
        };
        let dest = call.peer;
        let Some(uri) = call.invite.as_ref().map(|r| r.uri.clone()) else {
            return;
        };
        let tag = call.local_tag.clone();
        let account = call.account;
        let options = call.invite_options.clone();
        let via = self.via_for(&dest);
        let local_host = transport::ip_host(self.local_ip_for(dest.addr.ip()));
        let mut req = Request::new(Method::Invite, uri.clone());
        let mut headers = Headers::default();
        headers.push("Via", via);
        headers.push("Max-Forwards", "70");
        let (from, contact_user, proxy) = match account {
            Some(i) => {
                let cfg = &self.accounts[i].cfg;
                let mut from = NameAddr::new(cfg.aor.clone());
                from.display = cfg.display_name.clone();
                from.set_tag(&tag);
                (
                    from.to_string(),
                    cfg.aor.user.clone().unwrap_or_default(),
                    cfg.outbound_proxy.clone(),
                )
            }
            None => (
                format!("<sip:{}@{}>;tag={tag}", self.cfg.user, local_host),
                self.cfg.user.clone(),
                None,
            ),
        };
        if let Some(proxy) = proxy {
            // §8.1.2: a pre-loaded Route to the outbound proxy (loose routing).
            headers.push("Route", format!("<{proxy};lr>"));
        }
        let from = if options.anonymous {
            // RFC 3323 §4.1.1.3: an anonymous From; RFC 3325 §9.3: Privacy: id.
            format!("\"Anonymous\" <sip:anonymous@anonymous.invalid>;tag={tag}")
        } else {
            from
        };
        headers.push("From", from);
        headers.push("To", NameAddr::new(uri).to_string());
        headers.push("Call-ID", call_id);
        headers.push("CSeq", "1 INVITE");
        let contact = match account {
            // The account's Contact (with the address a registrar saw us at, behind NAT).
            Some(i) => self.account_contact(i, &dest),
            None => self.contact_with_user(&contact_user, &dest),
        };
        headers.push("Contact", contact);
        headers.push("Allow", ALLOW);
        // RFC 3262 §4: we acknowledge reliable provisional responses.
        headers.push("Supported", super::prack::TAG_100REL);
        headers.push("User-Agent", USER_AGENT);
        if options.anonymous {
            headers.push("Privacy", "id");
        }
        for (name, value) in &options.headers {
            headers.push(name, value.clone());
        }
        if !options.no_sdp {
            headers.push("Content-Type", "application/sdp");
            req.body = sdp::create_offer(&media).into_bytes();
        }
        req.headers = headers;
        super::session_timer::offer_headers(
            &mut req,
            super::session_timer::DEFAULT_SESSION_EXPIRES,
        );
        if let Some(i) = account {
            self.authorize_for(i, &mut req);
        }
        let key = self.send_request(req.clone(), dest, h, TxnPurpose::Invite);
        if let Some(call) = self.calls.get_mut(&h) {
            call.state = CallState::Calling;
            call.invite = Some(req);
            call.invite_key = Some(key);
            call.local_media = Some(media);
        }
    }

    /// A response to our INVITE, from its transaction (§13.2.2).
    pub(crate) fn on_invite_response(&mut self, h: CallHandle, key: TxnKey, resp: Response) {
        match resp.code {
            100..=199 => self.on_invite_provisional(h, resp),
            200..=299 => self.on_invite_2xx(h, resp),
            401 | 407 if self.retry_invite_with_credentials(h, &resp) => {}
            422 if self.retry_invite_with_min_se(h, &resp) => {}
            300..=399 if !self.follows_redirects(h) => self.report_redirect(h, &resp),
            300..=399 if self.follow_redirect(h, &resp) => {}
            _ if self.try_next_redirect_target(h) => {}
            _ => {
                // §13.2.2.3: the transaction already sent the ACK.
                let _ = key;
                let Some(call) = self.remove_call(h) else {
                    return;
                };
                if resp.code == 487 && (call.canceled || call.cancel_pending) {
                    self.emit(Event::Canceled {
                        call: h,
                        by: Party::Local,
                    });
                } else {
                    self.emit(Event::Rejected {
                        call: h,
                        code: resp.code,
                        reason: resp.reason.clone(),
                    });
                }
            }
        }
    }

    fn on_invite_provisional(&mut self, h: CallHandle, resp: Response) {
        let Some(call) = self.calls.get_mut(&h) else {
            return;
        };
        if call.state == CallState::Calling {
            call.state = CallState::Proceeding;
        }
        // §12.1.2: a provisional response with a To-tag creates an early dialog.
        if resp.code > 100 && call.dialog.is_none() {
            if let Some(invite) = &call.invite {
                call.dialog = Dialog::from_uac(invite, &resp).ok();
            }
        }
        // RFC 3262 §4: PRACK a reliable one; drop its retransmissions.
        if !self.on_reliable_provisional(h, &resp) {
            return;
        }
        let Some(call) = self.calls.get_mut(&h) else {
            return;
        };
        let cancel_now = call.cancel_pending && !call.canceled;
        // Early media: an answer in a 18x. With a late offer a 18x SDP is an offer, answered
        // only in the PRACK of a reliable 18x (RFC 3262 §5, done above).
        let late = call.invite.as_ref().is_some_and(|i| i.body.is_empty());
        let early_sdp = !late && !resp.body.is_empty() && call.media_params.is_none();
        if early_sdp {
            // Early media: play the answer of a 18x before the call is answered.
            self.apply_answer(h, &resp.body);
        }
        if resp.code > 100 {
            let reliable = super::prack::has_option_tag(&resp.headers, "Require", "100rel")
                && resp.headers.get("RSeq").is_some();
            self.emit(Event::Progress {
                call: h,
                code: resp.code,
                reason: resp.reason.clone(),
                reliable,
            });
        }
        if cancel_now {
            self.cancel_invite(h);
        }
    }

    fn on_invite_2xx(&mut self, h: CallHandle, resp: Response) {
        let Some(call) = self.calls.get_mut(&h) else {
            return;
        };
        if call.state == CallState::Confirmed {
            // A 2xx from another fork after we confirmed one dialog.
            self.on_stray_response(resp);
            return;
        }
        let Some(invite) = call.invite.clone() else {
            return;
        };
        let peer = call.peer;
        let dialog = match call.dialog.take() {
            Some(mut d) if DialogId::of_response(&resp).as_ref() == Some(&d.id) => {
                d.update_from_response(&resp);
                Ok(d)
            }
            _ => Dialog::from_uac(&invite, &resp),
        };
        let Ok(dialog) = dialog else {
            // A 2xx without a To-tag cannot be ACKed within a dialog; give up on it.
            self.remove_call(h);
            self.emit(Event::Failed {
                call: h,
                cause: FailureCause::Transport,
            });
            return;
        };
        // Late offer (§13.2.1): the 2xx carries the offer; our answer goes in the ACK.
        // An offer answered in a reliable 18x's PRACK settled it already (RFC 3262 §5).
        let early_answered = self
            .calls
            .get(&h)
            .is_some_and(|c| c.prack_uac.early_answered);
        let late = invite.body.is_empty();
        let mut late_params = None;
        let mut answer_body = None;
        if late && !early_answered && !resp.body.is_empty() {
            let local = self.calls.get(&h).and_then(|c| c.local_media.clone());
            if let Some(local) = local {
                match sdp::answer_offer(&resp.body, &local) {
                    Ok(a) => {
                        answer_body = Some(a.sdp);
                        late_params = Some(a.params);
                    }
                    Err(e) => tracing::warn!(call = %h, error = %e, "unusable offer in 2xx"),
                }
            }
        }
        let ack = self.build_ack(&dialog, &invite, peer, answer_body.as_deref());
        self.transmit(ack.1, ack.0.clone());
        let now = self.now;
        let Some(call) = self.calls.get_mut(&h) else {
            return;
        };
        call.dialog = Some(dialog);
        call.ack = Some(ack);
        call.state = CallState::Confirmed;
        call.answered_at.get_or_insert(now);
        let was_canceled = call.canceled || call.cancel_pending;
        if was_canceled {
            // §9.1: the 2xx crossed our CANCEL: ACK it, then BYE.
            self.send_bye(h, "canceled");
            return;
        }
        self.session_timer_from_2xx(h, &resp);
        self.emit(Event::Accepted {
            call: h,
            code: resp.code,
        });
        let has_media = self.calls.get(&h).is_some_and(|c| c.media_params.is_some());
        if let Some(params) = late_params {
            self.start_media(h, params);
        } else if !resp.body.is_empty() && !late {
            self.apply_answer(h, &resp.body);
        } else if !has_media {
            tracing::warn!(call = %h, "2xx without an SDP answer");
        }
        let has_media = self.calls.get(&h).is_some_and(|c| c.media_params.is_some());
        if !has_media {
            self.send_bye(h, "media");
        }
    }

    /// Read an SDP answer (from a 18x or 2xx) and start or update media.
    fn apply_answer(&mut self, h: CallHandle, body: &[u8]) {
        let Some(local) = self.calls.get(&h).and_then(|c| c.local_media.clone()) else {
            return;
        };
        match sdp::process_answer(body, &local) {
            Ok(params) => self.start_media(h, params),
            Err(e) => tracing::warn!(call = %h, error = %e, "unusable SDP answer"),
        }
    }

    /// Start (or update) the call's media task and tell the user what was negotiated.
    pub(crate) fn start_media(&mut self, h: CallHandle, params: MediaParams) {
        let Some(call) = self.calls.get_mut(&h) else {
            return;
        };
        if call.media_params.as_ref() == Some(&params) {
            return;
        }
        call.media_params = Some(params.clone());
        self.emit(Event::Media {
            call: h,
            codec: params.codec.kind.display_name().to_string(),
            remote: params.remote,
        });
        self.media(MediaCtl::Start { call: h, params });
    }

    /// §13.2.2.4: the ACK for a 2xx, sent to the remote target, outside any transaction.
    fn build_ack(
        &mut self,
        dialog: &Dialog,
        invite: &Request,
        peer: Target,
        body: Option<&str>,
    ) -> (Vec<u8>, Target) {
        let seq = invite.cseq().map(|c| c.seq).unwrap_or(1);
        let mut ack = dialog.ack(seq);
        if let Some(body) = body {
            ack.headers.push("Content-Type", "application/sdp");
            ack.body = body.as_bytes().to_vec();
        }
        let dest = self.hop_target(&dialog.next_hop(), peer);
        let via = self.via_for(&dest);
        ack.headers.insert(0, "Via", via);
        ack.headers.push("Max-Forwards", "70");
        ack.headers.push("User-Agent", USER_AGENT);
        (ack.to_bytes(), dest)
    }

    /// `cancel [N] [--reason R]`; the reason goes on the CANCEL, even a deferred one.
    pub(crate) fn cmd_cancel(&mut self, call: Option<CallHandle>, reason: Option<String>) {
        let Some(h) = self.resolve_call(
            "cancel",
            call,
            |c| {
                c.direction == Direction::Outgoing
                    && matches!(
                        c.state,
                        CallState::Opening | CallState::Calling | CallState::Proceeding
                    )
            },
            "outgoing call that is not yet answered",
        ) else {
            return;
        };
        if let Some(c) = self.calls.get_mut(&h) {
            if !c.canceled && !c.cancel_pending {
                c.cancel_reason = reason;
            }
        }
        if self
            .calls
            .get(&h)
            .is_some_and(|c| c.state == CallState::Opening)
        {
            self.end_call(h, "cancel");
        } else {
            self.cancel_invite(h);
        }
    }

    /// §9.1: CANCEL the INVITE — only once a provisional response has arrived; before
    /// that, remember and send it when one does.
    pub(crate) fn cancel_invite(&mut self, h: CallHandle) {
        let Some(call) = self.calls.get_mut(&h) else {
            return;
        };
        if call.canceled {
            return;
        }
        let Some(key) = call.invite_key.clone() else {
            return;
        };
        if !self.txns.client_invite_proceeding(&key) {
            call.cancel_pending = true;
            return;
        }
        call.canceled = true;
        let reason = call.cancel_reason.clone();
        let Some(cinv) = self.txns.client_invite(&key) else {
            return;
        };
        let invite = cinv.request().clone();
        let dest = cinv.target();
        let mut cancel = Request::new(Method::Cancel, invite.uri.clone());
        let mut headers = Headers::default();
        // §9.1: same Request-URI, Call-ID, To, From, CSeq number and top Via as the INVITE.
        if let Some(via) = invite.headers.get_split("Via").first() {
            headers.push("Via", *via);
        }
        headers.push("Max-Forwards", "70");
        for name in ["From", "To", "Call-ID"] {
            if let Some(v) = invite.headers.get(name) {
                headers.push(name, v);
            }
        }
        let seq = invite.cseq().map(|c| c.seq).unwrap_or(1);
        headers.push("CSeq", format!("{seq} CANCEL"));
        for r in invite.headers.get_all("Route") {
            headers.push("Route", r);
        }
        if let Some(reason) = reason {
            // RFC 3326 §2: why the request was canceled.
            headers.push("Reason", reason);
        }
        headers.push("User-Agent", USER_AGENT);
        cancel.headers = headers;
        self.send_request(cancel, dest, h, TxnPurpose::Cancel);
    }

    /// A response no transaction claims: a retransmitted or forked 2xx to our INVITE
    /// (§13.2.2.4): re-ACK the confirmed dialog; ACK then BYE any other.
    pub(crate) fn on_stray_response(&mut self, resp: Response) {
        if !(200..300).contains(&resp.code) {
            return;
        }
        if !matches!(resp.cseq(), Ok(c) if c.method == Method::Invite) {
            return;
        }
        let Some(id) = DialogId::of_response(&resp) else {
            return;
        };
        if let Some(h) = self.call_by_dialog(&id) {
            if let Some((bytes, dest)) = self.calls.get(&h).and_then(|c| c.ack.clone()) {
                self.transmit(dest, bytes);
            }
            return;
        }
        // A 2xx from a dialog we did not keep (forking): find the INVITE by Call-ID.
        let Some((owner, peer, invite)) = self
            .calls
            .values()
            .filter_map(|c| c.invite.as_ref().map(|i| (c.handle, c.peer, i)))
            .find(|(_, _, i)| i.call_id().ok() == Some(id.call_id.as_str()))
            .map(|(h, p, i)| (h, p, i.clone()))
        else {
            return;
        };
        let Ok(mut dialog) = Dialog::from_uac(&invite, &resp) else {
            return;
        };
        let (ack, dest) = self.build_ack(&dialog, &invite, peer, None);
        self.transmit(dest, ack);
        let mut bye = dialog.new_request(Method::Bye);
        let via = self.via_for(&dest);
        bye.headers.insert(0, "Via", via);
        bye.headers.push("Max-Forwards", "70");
        bye.headers.push("User-Agent", USER_AGENT);
        self.send_request(bye, dest, owner, TxnPurpose::Bye);
    }

    /// §22.2: answer a 401/407 to our INVITE with credentials. True when a new INVITE went
    /// out; false when the challenge cannot be answered (then the call fails with `auth`).
    fn retry_invite_with_credentials(&mut self, h: CallHandle, resp: &Response) -> bool {
        let Some(call) = self.calls.get(&h) else {
            return true;
        };
        let (Some(i), Some(invite)) = (call.account, call.invite.clone()) else {
            return false;
        };
        let peer = call.peer;
        let decision = self.accounts[i].auth.handle_challenge(&invite, resp);
        if !matches!(
            decision,
            Ok(crate::sip::auth::AuthDecision::Retry | crate::sip::auth::AuthDecision::RetryStale)
        ) {
            self.remove_call(h);
            self.emit(Event::Failed {
                call: h,
                cause: FailureCause::Auth,
            });
            return true;
        }
        let mut retry = self.retry_copy(&invite, &peer);
        self.authorize_for(i, &mut retry);
        let key = self.send_request(retry.clone(), peer, h, TxnPurpose::Invite);
        if let Some(call) = self.calls.get_mut(&h) {
            call.state = CallState::Calling;
            call.invite = Some(retry);
            call.invite_key = Some(key);
        }
        true
    }

    /// §8.1.3.4 / §13.2.2.2: a 3xx lists Contacts to try; queue them (highest q first, the
    /// listed order among equals), skipping URIs already tried, and call the first. False
    /// when none is usable (the 3xx then ends the call as `rejected`).
    fn follow_redirect(&mut self, h: CallHandle, resp: &Response) -> bool {
        let targets = super::redirected::contacts_by_q(resp);
        let Some(call) = self.calls.get_mut(&h) else {
            return false;
        };
        for uri in targets {
            if !call.redirect_tried.contains(&uri) && call.redirect_queue.len() < MAX_REDIRECTS {
                call.redirect_queue.push_back(uri);
            }
        }
        self.try_next_redirect_target(h)
    }

    /// Call the next queued redirect target. False when there is none (or too many tried).
    fn try_next_redirect_target(&mut self, h: CallHandle) -> bool {
        let Some(call) = self.calls.get_mut(&h) else {
            return false;
        };
        if call.canceled || call.cancel_pending || call.redirect_tried.len() >= MAX_REDIRECTS {
            return false;
        }
        let Some(invite) = call.invite.clone() else {
            return false;
        };
        let peer = call.peer;
        let next = loop {
            let Some(uri) = call.redirect_queue.pop_front() else {
                return false;
            };
            if call.redirect_tried.contains(&uri) {
                continue;
            }
            match transport::uri_destination(&uri) {
                Some(addr) => break (uri, addr),
                None => continue,
            }
        };
        let (uri, addr) = next;
        call.redirect_tried.push(uri.clone());
        let account = call.account;
        let target = Target {
            proto: transport::uri_protocol(&uri),
            addr,
            flow: None,
        };
        // Same Call-ID, From and body; a new Request-URI, branch and CSeq (§8.1.3.4).
        let mut req = self.retry_copy(&invite, &target);
        req.uri = uri;
        req.headers.remove("Authorization");
        req.headers.remove("Proxy-Authorization");
        if let Some(i) = account {
            self.authorize_for(i, &mut req);
        }
        let key = self.send_request(req.clone(), target, h, TxnPurpose::Invite);
        if let Some(call) = self.calls.get_mut(&h) {
            call.peer = if peer.addr == addr { peer } else { target };
            call.state = CallState::Calling;
            call.invite = Some(req);
            call.invite_key = Some(key);
        }
        true
    }

    /// RFC 4028 §7.4: 422 Session Interval Too Small: ask again with its Min-SE (twice at
    /// most). False when there is nothing to retry.
    fn retry_invite_with_min_se(&mut self, h: CallHandle, resp: &Response) -> bool {
        let min = resp
            .headers
            .get("Min-SE")
            .and_then(|v| v.split(';').next())
            .and_then(|v| v.trim().parse::<u32>().ok());
        let Some(call) = self.calls.get_mut(&h) else {
            return true;
        };
        let (Some(min), Some(invite)) = (min, call.invite.clone()) else {
            return false;
        };
        if call.interval_retries >= 2 {
            return false;
        }
        call.interval_retries += 1;
        let peer = call.peer;
        let account = call.account;
        let mut retry = self.retry_copy(&invite, &peer);
        super::session_timer::offer_headers(&mut retry, min);
        retry.headers.set("Min-SE", min.to_string());
        if let Some(i) = account {
            self.authorize_for(i, &mut retry);
        }
        let key = self.send_request(retry.clone(), peer, h, TxnPurpose::Invite);
        if let Some(call) = self.calls.get_mut(&h) {
            call.state = CallState::Calling;
            call.invite = Some(retry);
            call.invite_key = Some(key);
        }
        true
    }
}
