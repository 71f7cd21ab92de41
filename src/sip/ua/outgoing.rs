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

impl Engine {
    /// `invite <uri>`: check the target, open media, then send INVITE once it is open.
    pub(crate) fn cmd_invite(&mut self, target: &str) {
        let text = target.trim();
        // A bare `100@127.0.0.1:5070` or `127.0.0.1:5070` means a sip: URI.
        let has_scheme = text.split_once(':').is_some_and(|(s, _)| {
            ["sip", "sips", "tel"]
                .iter()
                .any(|k| s.eq_ignore_ascii_case(k))
        });
        let with_scheme = if has_scheme {
            text.to_string()
        } else {
            format!("sip:{text}")
        };
        let uri = match Uri::parse(&with_scheme) {
            Ok(u) => u,
            Err(_) => {
                self.command_error(format!(
                    "invite: '{text}' is not a SIP URI (expected sip:user@host[:port])"
                ));
                return;
            }
        };
        let Some(addr) = transport::uri_destination(&uri) else {
            self.command_error(format!(
                "invite: cannot reach '{text}': the host must be an IP address or localhost (e.g. sip:100@127.0.0.1:5070)"
            ));
            return;
        };
        let h = self.allocate_call();
        let dest = Target {
            proto: transport::uri_protocol(&uri),
            addr,
            flow: None,
        };
        let mut call = Call::new(h, Direction::Outgoing, CallState::Opening, dest);
        call.remote_display = uri.to_string();
        call.local_tag = self.new_tag();
        let invite = Request::new(Method::Invite, uri);
        call.invite = Some(invite);
        self.calls.insert(h, call);
        let from = format!(
            "sip:{}@{}",
            self.cfg.user,
            transport::ip_host(self.local_ip_for(addr.ip()))
        );
        self.emit(Event::Calling {
            call: h,
            to: with_scheme,
            from,
        });
        self.media(MediaCtl::Open { call: h });
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
            codecs: self.cfg.codecs.clone(),
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
        let via = self.via_for(&dest);
        let local_host = transport::ip_host(self.local_ip_for(dest.addr.ip()));
        let mut req = Request::new(Method::Invite, uri.clone());
        let mut headers = Headers::default();
        headers.push("Via", via);
        headers.push("Max-Forwards", "70");
        headers.push(
            "From",
            format!("<sip:{}@{}>;tag={tag}", self.cfg.user, local_host),
        );
        headers.push("To", NameAddr::new(uri).to_string());
        headers.push("Call-ID", call_id);
        headers.push("CSeq", "1 INVITE");
        headers.push("Contact", self.contact_for(&dest));
        headers.push("Allow", ALLOW);
        headers.push("User-Agent", USER_AGENT);
        headers.push("Content-Type", "application/sdp");
        req.headers = headers;
        req.body = sdp::create_offer(&media).into_bytes();
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
        let cancel_now = call.cancel_pending && !call.canceled;
        let early_sdp = !resp.body.is_empty() && call.media_params.is_none();
        if early_sdp {
            // Early media: play the answer of a 18x before the call is answered.
            self.apply_answer(h, &resp.body);
        }
        if resp.code > 100 {
            self.emit(Event::Progress {
                call: h,
                code: resp.code,
                reason: resp.reason.clone(),
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
        let ack = self.build_ack(&dialog, &invite, peer);
        self.transmit(ack.1, ack.0.clone());
        let Some(call) = self.calls.get_mut(&h) else {
            return;
        };
        call.dialog = Some(dialog);
        call.ack = Some(ack);
        call.state = CallState::Confirmed;
        let was_canceled = call.canceled || call.cancel_pending;
        if was_canceled {
            // §9.1: the 2xx crossed our CANCEL: ACK it, then BYE.
            self.send_bye(h, "canceled");
            return;
        }
        self.emit(Event::Accepted {
            call: h,
            code: resp.code,
        });
        let has_media = self.calls.get(&h).is_some_and(|c| c.media_params.is_some());
        if !resp.body.is_empty() {
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
    fn build_ack(&mut self, dialog: &Dialog, invite: &Request, peer: Target) -> (Vec<u8>, Target) {
        let seq = invite.cseq().map(|c| c.seq).unwrap_or(1);
        let mut ack = dialog.ack(seq);
        let dest = self.hop_target(&dialog.next_hop(), peer);
        let via = self.via_for(&dest);
        ack.headers.0.insert(
            0,
            crate::sip::msg::Header {
                name: "Via".into(),
                value: via,
            },
        );
        ack.headers.push("Max-Forwards", "70");
        ack.headers.push("User-Agent", USER_AGENT);
        (ack.to_bytes(), dest)
    }

    /// `cancel [N]`.
    pub(crate) fn cmd_cancel(&mut self, call: Option<crate::api::CallHandle>) {
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
        let (ack, dest) = self.build_ack(&dialog, &invite, peer);
        self.transmit(dest, ack);
        let mut bye = dialog.new_request(Method::Bye);
        let via = self.via_for(&dest);
        bye.headers.0.insert(
            0,
            crate::sip::msg::Header {
                name: "Via".into(),
                value: via,
            },
        );
        bye.headers.push("Max-Forwards", "70");
        bye.headers.push("User-Agent", USER_AGENT);
        self.send_request(bye, dest, owner, TxnPurpose::Bye);
    }
}
