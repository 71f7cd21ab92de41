//! Hold and resume by re-INVITE (RFC 3261 §14, RFC 3264 §8.4, RFC 6337 §5): holding offers
//! `sendonly` (`inactive` when the peer already holds us), resuming offers `sendrecv`.
//! Glare (491) is retried after the §14.1 random wait; 408 or 481 end the dialog; a 401/407
//! is answered once with the account's credentials (§22.2).

use std::time::{Duration, Instant};

use rand::Rng;

use super::{CallState, TxnPurpose};
use crate::api::{CallHandle, Direction, Event, Party};
use crate::media::sdp;
use crate::media::MediaDirection;
use crate::sip::auth::AuthDecision;
use crate::sip::engine::{Engine, ALLOW, USER_AGENT};
use crate::sip::msg::{Method, Request, Response, SipMessage};

/// A re-INVITE of ours in flight, or waiting to be retried after 491.
#[derive(Debug, Clone)]
pub(crate) struct PendingReinvite {
    /// Hold (true) or resume (false).
    pub(crate) hold: bool,
    /// When a 491 asked us to wait, the moment to try again.
    pub(crate) retry_at: Option<Instant>,
    /// CSeq of the re-INVITE in flight (for its ACK).
    pub(crate) cseq: u32,
    /// A session refresh (RFC 4028), not a change the user asked for: no event.
    pub(crate) refresh: bool,
    /// The re-INVITE as sent, to answer a 401/407 challenge to it (§22.2).
    pub(crate) sent: Option<Request>,
    /// This re-INVITE already answers a challenge: a second one is refused, not retried.
    pub(crate) challenged: bool,
    /// `refer --hold`: the REFER (Refer-To, options) to send once the hold is accepted.
    pub(crate) then_refer: Option<(String, crate::api::ReferOptions)>,
}

/// The direction we offer, from our own hold and the peer's (RFC 6337 §5.1).
pub(crate) fn wanted_direction(local_hold: bool, remote_hold: bool) -> MediaDirection {
    match (local_hold, remote_hold) {
        (false, false) => MediaDirection::SendRecv,
        (true, false) => MediaDirection::SendOnly,
        (false, true) => MediaDirection::RecvOnly,
        (true, true) => MediaDirection::Inactive,
    }
}

impl Engine {
    /// `hold [N]` / `unhold [N]`.
    pub(crate) fn cmd_hold(&mut self, call: Option<CallHandle>, hold: bool) {
        let verb = if hold { "hold" } else { "unhold" };
        let Some(h) = self.resolve_call(
            verb,
            call,
            |c| c.state == CallState::Confirmed && c.local_media.is_some(),
            "call that is up",
        ) else {
            return;
        };
        let Some(c) = self.calls.get(&h) else {
            return;
        };
        if c.local_hold == hold {
            let what = if hold {
                "already on hold"
            } else {
                "not on hold"
            };
            self.command_error(format!("{verb}: call {h} is {what}"));
            return;
        }
        if c.reinvite.is_some() {
            self.command_error(format!(
                "{verb}: call {h} is still changing its session; try again in a moment"
            ));
            return;
        }
        self.send_reinvite(h, hold, false);
    }

    /// RFC 4028 §10: refresh the session with a re-INVITE that changes nothing.
    pub(crate) fn send_refresh(&mut self, h: CallHandle, hold: bool) {
        self.send_reinvite(h, hold, true);
    }

    /// §14.1: send a re-INVITE with a new offer for the wanted hold state.
    pub(crate) fn send_reinvite(&mut self, h: CallHandle, hold: bool, refresh: bool) {
        let Some(c) = self.calls.get_mut(&h) else {
            return;
        };
        let Some(mut media) = c.local_media.clone() else {
            return;
        };
        media.direction = wanted_direction(hold, c.remote_hold);
        media.session_version += 1;
        c.local_media = Some(media.clone());
        let peer = c.peer;
        let account = c.account;
        let Some((mut req, hop)) = c
            .dialog
            .as_mut()
            .map(|d| (d.new_request(Method::Invite), d.next_hop()))
        else {
            return;
        };
        let cseq = req.cseq().map(|x| x.seq).unwrap_or(0);
        c.reinvite = Some(PendingReinvite {
            hold,
            retry_at: None,
            cseq,
            refresh,
            sent: None,
            challenged: false,
            then_refer: None,
        });
        let session = c.session_timer.map(|t| t.interval.as_secs() as u32);
        let dest = self.hop_target(&hop, peer);
        let via = self.via_for(&dest);
        req.headers.insert(0, "Via", via);
        req.headers.push("Max-Forwards", "70");
        req.headers.push("Contact", self.contact_for(&dest));
        req.headers.push("Allow", ALLOW);
        req.headers.push("User-Agent", USER_AGENT);
        req.headers.push("Content-Type", "application/sdp");
        req.body = sdp::create_offer(&media).into_bytes();
        if let Some(secs) = session {
            super::session_timer::offer_headers(&mut req, secs);
        }
        if let Some(i) = account {
            self.authorize_for(i, &mut req);
        }
        if let Some(p) = self.calls.get_mut(&h).and_then(|c| c.reinvite.as_mut()) {
            p.sent = Some(req.clone());
        }
        self.send_request(req, dest, h, TxnPurpose::ReInvite);
    }

    /// A 401/407 to our re-INVITE (a proxy may challenge requests inside a dialog, §22.3):
    /// send it again once, as a new request with the account's credentials (§22.2). False
    /// when it cannot be answered (no account, a second challenge, wrong password).
    fn retry_reinvite_with_credentials(
        &mut self,
        h: CallHandle,
        pending: &PendingReinvite,
        resp: &Response,
    ) -> bool {
        if pending.challenged {
            return false;
        }
        let (Some(i), Some(sent)) = (
            self.calls.get(&h).and_then(|c| c.account),
            pending.sent.as_ref(),
        ) else {
            return false;
        };
        let Some(a) = self.accounts.get_mut(i) else {
            return false;
        };
        if !matches!(
            a.auth.handle_challenge(sent, resp),
            Ok(AuthDecision::Retry | AuthDecision::RetryStale)
        ) {
            return false;
        }
        // The offer we made was never applied: offer the same hold state again.
        self.send_reinvite(h, pending.hold, pending.refresh);
        if let Some(p) = self.calls.get_mut(&h).and_then(|c| c.reinvite.as_mut()) {
            p.challenged = true;
            p.then_refer = pending.then_refer.clone();
        }
        true
    }

    /// A final response to our re-INVITE.
    pub(crate) fn on_reinvite_response(&mut self, h: CallHandle, resp: Response) {
        if resp.code < 200 {
            return;
        }
        let Some(pending) = self.calls.get_mut(&h).and_then(|c| c.reinvite.take()) else {
            return;
        };
        if matches!(resp.code, 401 | 407)
            && self.retry_reinvite_with_credentials(h, &pending, &resp)
        {
            return;
        }
        let Some(c) = self.calls.get_mut(&h) else {
            return;
        };
        match resp.code {
            200..=299 => {
                // §13.2.2.4: ACK the 2xx (same CSeq number), then apply the answer.
                let peer = c.peer;
                let ack = c
                    .dialog
                    .as_ref()
                    .map(|d| (d.ack(pending.cseq), d.next_hop()));
                if let Some((mut ack, hop)) = ack {
                    let dest = self.hop_target(&hop, peer);
                    let via = self.via_for(&dest);
                    ack.headers.insert(0, "Via", via);
                    ack.headers.push("Max-Forwards", "70");
                    ack.headers.push("User-Agent", USER_AGENT);
                    self.transmit(dest, ack.to_bytes());
                }
                let local = self.calls.get(&h).and_then(|c| c.local_media.clone());
                if let Some(local) = local {
                    match sdp::process_answer(&resp.body, &local) {
                        Ok(params) => self.start_media(h, params),
                        Err(e) => {
                            tracing::warn!(call = %h, error = %e, "unusable answer to re-INVITE")
                        }
                    }
                }
                if let Some(c) = self.calls.get_mut(&h) {
                    c.local_hold = pending.hold;
                }
                self.session_timer_from_2xx(h, &resp);
                if pending.refresh {
                    return;
                }
                let by = Party::Local;
                self.emit(if pending.hold {
                    Event::Held { call: h, by }
                } else {
                    Event::Resumed { call: h, by }
                });
                if let Some((refer_to, options)) = pending.then_refer {
                    self.send_refer(h, refer_to, options);
                }
            }
            491 => {
                // §14.1: glare; the owner of the Call-ID waits 2.1-4 s, the other 0-2 s.
                let owner = c.direction == Direction::Outgoing;
                let ms = if owner {
                    self.rng.gen_range(2100..=4000)
                } else {
                    self.rng.gen_range(0..=2000)
                };
                let at = self.now + Duration::from_millis(ms);
                if let Some(c) = self.calls.get_mut(&h) {
                    c.reinvite = Some(PendingReinvite {
                        retry_at: Some(at),
                        ..pending
                    });
                }
            }
            408 | 481 => {
                // §14.1: the dialog is gone.
                self.send_bye(h, "no-dialog");
            }
            code if pending.then_refer.is_some() => {
                self.command_error(format!(
                    "refer: call {h}: the peer refused the hold ({code} {}); the REFER was not sent",
                    resp.reason
                ));
                if let Some(c) = self.calls.get_mut(&h) {
                    if let Some(m) = c.local_media.as_mut() {
                        m.direction = wanted_direction(c.local_hold, c.remote_hold);
                    }
                }
            }
            code => {
                // §14.1: the session is unchanged; say so (a refresh just tries later).
                if pending.refresh {
                    return;
                }
                let verb = if pending.hold { "hold" } else { "unhold" };
                self.command_error(format!(
                    "{verb}: call {h}: the peer refused ({code} {}); the call continues unchanged",
                    resp.reason
                ));
                if let Some(c) = self.calls.get_mut(&h) {
                    if let Some(m) = c.local_media.as_mut() {
                        m.direction = wanted_direction(c.local_hold, c.remote_hold);
                    }
                }
            }
        }
    }

    /// A re-INVITE waiting after 491 is due.
    pub(crate) fn retry_reinvite_if_due(&mut self, h: CallHandle) {
        let now = self.now;
        let due = self
            .calls
            .get(&h)
            .and_then(|c| c.reinvite.as_ref())
            .and_then(|r| r.retry_at)
            .is_some_and(|t| t <= now);
        if !due {
            return;
        }
        let Some(r) = self.calls.get_mut(&h).and_then(|c| c.reinvite.take()) else {
            return;
        };
        self.send_reinvite(h, r.hold, false);
        if let Some(p) = self.calls.get_mut(&h).and_then(|c| c.reinvite.as_mut()) {
            p.then_refer = r.then_refer;
        }
    }

    /// After answering a peer's re-INVITE: report a change of its hold state.
    pub(crate) fn note_remote_direction(&mut self, h: CallHandle, ours: MediaDirection) {
        // From our side of the negotiation: the peer holds us when we may only receive
        // (it offered sendonly) or nothing flows (it offered inactive, RFC 6337 §5.3).
        let peer_holds = matches!(ours, MediaDirection::RecvOnly | MediaDirection::Inactive);
        let Some(c) = self.calls.get_mut(&h) else {
            return;
        };
        if peer_holds == c.remote_hold {
            return;
        }
        c.remote_hold = peer_holds;
        let by = Party::Remote;
        self.emit(if peer_holds {
            Event::Held { call: h, by }
        } else {
            Event::Resumed { call: h, by }
        });
    }
}
