//! Reliable provisional responses (RFC 3262, `100rel`): `preaccept` sends a 183 Session
//! Progress with SDP that the caller acknowledges with PRACK, so early media can flow
//! before the answer; as the caller we PRACK the reliable 1xx we receive.
//!
//! UAS (§3): a reliable 1xx carries `Require: 100rel` and an `RSeq` (random start, +1 per
//! reliable 1xx); it is passed to the transaction again after T1, 2*T1, 4*T1, … (§3 doubles
//! without the T2 cap of RFC 3261 §17) until a PRACK whose `RAck` names it arrives, and after
//! 64*T1 without one the INVITE is rejected with a 5xx. Only one may be unacknowledged at a
//! time. A 2xx waits for the PRACK of a 1xx that carried SDP (§3).
//!
//! UAC (§4): a 1xx with `Require: 100rel` and `RSeq` is acknowledged by PRACK, a request of
//! its own (non-INVITE transaction) in the early dialog with `RAck: <RSeq> <CSeq> INVITE`.
//! Retransmissions (same dialog and RSeq) and out-of-order RSeqs are discarded. An offer in
//! the reliable 1xx (our INVITE had none) is answered in the PRACK (§5).

use std::time::{Duration, Instant};

use rand::Rng;

use super::challenge::SentRequest;
use super::{CallState, TxnPurpose};
use crate::api::{CallHandle, Event};
use crate::media::sdp::{self, Answer};
use crate::sip::dialog::{Dialog, DialogId};
use crate::sip::engine::{Engine, USER_AGENT};
use crate::sip::msg::{Headers, Method, Request, Response, SipMessage};
use crate::sip::txn::TxnKey;

/// The option tag of RFC 3262 §8.1.
pub(crate) const TAG_100REL: &str = "100rel";

/// True when `name` (Supported, Require) lists the option tag `tag`.
pub(crate) fn has_option_tag(headers: &Headers, name: &str, tag: &str) -> bool {
    headers
        .get_split(name)
        .iter()
        .any(|t| t.trim().eq_ignore_ascii_case(tag))
}

/// Add `tag` to the `name` header's list unless it is there already.
pub(crate) fn add_option_tag(headers: &mut Headers, name: &str, tag: &str) {
    if has_option_tag(headers, name, tag) {
        return;
    }
    let mut tags: Vec<String> = headers
        .get_split(name)
        .iter()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect();
    tags.push(tag.to_string());
    headers.set(name, tags.join(", "));
}

/// The INVITE lets us send provisionals reliably (§3: `100rel` in Supported or Require).
pub(crate) fn invite_allows_100rel(invite: &Request) -> bool {
    has_option_tag(&invite.headers, "Supported", TAG_100REL)
        || has_option_tag(&invite.headers, "Require", TAG_100REL)
}

/// `RAck: 776656 1 INVITE` (§7.2) → (776656, 1, INVITE).
fn parse_rack(value: &str) -> Option<(u32, u32, Method)> {
    let mut parts = value.split_whitespace();
    let rseq = parts.next()?.parse().ok()?;
    let cseq = parts.next()?.parse().ok()?;
    let method = Method::from_token(parts.next()?);
    parts.next().is_none().then_some((rseq, cseq, method))
}

/// `RSeq: 988789` (§7.1).
fn parse_rseq(resp: &Response) -> Option<u32> {
    resp.headers.get("RSeq")?.trim().parse().ok()
}

/// A reliable provisional of ours that has not been PRACKed (§3).
#[derive(Clone, Debug)]
pub(crate) struct Unacked {
    rseq: u32,
    resp: Response,
    /// It carried SDP: a 2xx must wait for its PRACK (§3).
    has_sdp: bool,
    /// The SDP was our offer (late-offer INVITE): the PRACK brings the answer (§5).
    offer: Option<String>,
    next: Instant,
    interval: Duration,
    give_up: Instant,
}

/// UAS side of one incoming call (§3).
#[derive(Clone, Debug)]
pub(crate) struct UasReliable {
    /// RSeq of the next reliable provisional.
    next_rseq: u32,
    /// The one unacknowledged reliable provisional (at most one at a time).
    pending: Option<Unacked>,
    /// `accept` came while a 1xx with SDP waited for its PRACK: (code, reason).
    accept_waiting: Option<(u16, Option<String>)>,
}

impl UasReliable {
    /// The next retransmission or the give-up, whichever is first.
    pub(crate) fn next_timeout(&self) -> Option<Instant> {
        self.pending.as_ref().map(|p| p.next.min(p.give_up))
    }
}

/// UAC side of one outgoing call (§4).
#[derive(Clone, Debug, Default)]
pub(crate) struct UacReliable {
    /// The last in-order reliable provisional PRACKed: (remote tag, RSeq).
    last: Vec<(String, u32)>,
    /// Offer/answer completed in a reliable 1xx and our PRACK (late offer, §5).
    pub(crate) early_answered: bool,
}

impl Engine {
    /// `preaccept [N]`: a reliable 183 Session Progress with our SDP (the answer, or an
    /// offer for a late-offer INVITE), so early media flows before the answer (RFC 3262).
    /// Fails with a command error when the INVITE did not offer `100rel`.
    pub(crate) fn cmd_preaccept(&mut self, call: Option<CallHandle>) {
        let Some(h) = self.resolve_call(
            "preaccept",
            call,
            Self::fits_incoming,
            "incoming call waiting for an answer",
        ) else {
            return;
        };
        let Some(c) = self.calls.get(&h) else {
            return;
        };
        if !c.invite.as_ref().is_some_and(invite_allows_100rel) {
            self.command_error(format!(
                "preaccept: call {h}'s INVITE does not support 100rel (no Supported/Require: 100rel), so a reliable 183 cannot be sent; use 'progress {h} 183' or 'accept {h}'"
            ));
            return;
        }
        let body = match (&c.answer, &c.local_media) {
            (Some(a), _) => (a.sdp.clone(), None),
            (None, Some(m)) if c.offer_in_2xx => {
                let offer = sdp::create_offer(m);
                (offer.clone(), Some(offer))
            }
            _ => {
                self.command_error(format!(
                    "preaccept: call {h} has no media ready yet; try again"
                ));
                return;
            }
        };
        let params = c.answer.as_ref().map(|a| a.params.clone());
        if !self.send_reliable(h, "preaccept", 183, None, Some(body)) {
            return;
        }
        self.emit(Event::Progress {
            call: h,
            code: 183,
            reason: crate::sip::msg::reason_phrase(183).to_string(),
            reliable: true,
        });
        // Early media: our answer is settled, so our side starts now (an offer waits for
        // the answer in the PRACK).
        if let Some(params) = params {
            self.start_media(h, params);
        }
    }

    /// Send a reliable provisional (§3). False (with a command error) while another one
    /// waits for its PRACK. `sdp`: (body, Some(offer) when the body is our offer).
    pub(crate) fn send_reliable(
        &mut self,
        h: CallHandle,
        verb: &str,
        code: u16,
        reason: Option<&str>,
        sdp: Option<(String, Option<String>)>,
    ) -> bool {
        // §3: the first RSeq is random in 1..2**31-1.
        let first = self.calls.get(&h).is_some_and(|c| c.prack_uas.is_none());
        let start = if first {
            self.rng.gen_range(1..(1u32 << 31) - 1)
        } else {
            1
        };
        let Some(c) = self.calls.get_mut(&h) else {
            return false;
        };
        let uas = c.prack_uas.get_or_insert(UasReliable {
            next_rseq: start,
            pending: None,
            accept_waiting: None,
        });
        if let Some(p) = &uas.pending {
            let rseq = p.rseq;
            self.command_error(format!(
                "{verb}: call {h}'s last reliable provisional (RSeq {rseq}) waits for its PRACK; only one may be unacknowledged (RFC 3262 §3)"
            ));
            return false;
        }
        let rseq = uas.next_rseq;
        uas.next_rseq = uas.next_rseq.wrapping_add(1);
        // A reliable provisional is retransmitted instead of refreshed every minute.
        c.provisional_refresh = None;
        let Some((key, mut resp)) = self.invite_response(h, code, reason) else {
            return false;
        };
        resp.headers.push("Require", TAG_100REL);
        resp.headers.push("RSeq", rseq.to_string());
        let (has_sdp, offer) = match sdp {
            Some((body, offer)) => {
                resp.headers.push("Content-Type", "application/sdp");
                resp.body = body.into_bytes();
                (true, offer)
            }
            None => (false, None),
        };
        self.respond(&key, &resp);
        let t1 = self.txns.timer_values().t1;
        let now = self.now;
        if let Some(uas) = self.calls.get_mut(&h).and_then(|c| c.prack_uas.as_mut()) {
            uas.pending = Some(Unacked {
                rseq,
                resp,
                has_sdp,
                offer,
                next: now + t1,
                interval: t1,
                give_up: now + 64 * t1,
            });
        }
        true
    }

    /// §3: a 2xx must not be sent while a reliable 1xx with SDP waits for its PRACK; the
    /// accept is kept and sent when the PRACK comes. True when deferred.
    pub(crate) fn defer_accept_for_prack(
        &mut self,
        h: CallHandle,
        code: u16,
        reason: Option<&str>,
    ) -> bool {
        let Some(uas) = self.calls.get_mut(&h).and_then(|c| c.prack_uas.as_mut()) else {
            return false;
        };
        match &uas.pending {
            Some(p) if p.has_sdp => {
                tracing::debug!(call = %h, rseq = p.rseq, "2xx waits for PRACK");
                uas.accept_waiting = Some((code, reason.map(str::to_string)));
                true
            }
            // A final response may go before the PRACK of a 1xx without SDP; the call
            // leaves `Incoming`, which ends the retransmissions, and a late PRACK for it
            // still matches (200, not 481).
            _ => false,
        }
    }

    /// Retransmit the unacknowledged reliable provisional, or give up after 64*T1 (§3).
    pub(crate) fn retransmit_reliable_if_due(&mut self, h: CallHandle) {
        let now = self.now;
        let Some(c) = self.calls.get_mut(&h) else {
            return;
        };
        if c.state != CallState::Incoming {
            c.prack_uas = None;
            return;
        }
        let key = c.invite_key.clone();
        let reliable_transport = c.peer.proto.is_reliable();
        let Some(uas) = c.prack_uas.as_mut() else {
            return;
        };
        let Some(p) = uas.pending.as_mut() else {
            return;
        };
        if now >= p.give_up {
            // §3: no PRACK within 64*T1: reject the INVITE with a 5xx.
            tracing::info!(call = %h, rseq = p.rseq, "no PRACK for reliable provisional");
            uas.pending = None;
            uas.accept_waiting = None;
            self.reject_incoming(h, 500, Some("Reliable Provisional Not Acknowledged".into()));
            return;
        }
        if now < p.next {
            return;
        }
        p.interval *= 2;
        p.next = now + p.interval;
        let resp = p.resp.clone();
        // Like the 2xx (§13.3.1.4), only unreliable transports need the copies.
        if let (Some(key), false) = (key, reliable_transport) {
            self.respond(&key, &resp);
        }
    }

    /// §3: a PRACK in the early dialog. 200 when its RAck names our unacknowledged
    /// reliable provisional (taking the answer from its body if the 1xx offered), else 481.
    pub(crate) fn on_prack(&mut self, h: CallHandle, key: TxnKey, req: Request) {
        let rack = req.headers.get("RAck").and_then(parse_rack);
        let Some(c) = self.calls.get_mut(&h) else {
            return;
        };
        let invite_seq = c.invite.as_ref().and_then(|i| i.cseq().ok()).map(|s| s.seq);
        let matches = |p: &Unacked| {
            rack.as_ref().is_some_and(|(rseq, cseq, method)| {
                *rseq == p.rseq && Some(*cseq) == invite_seq && *method == Method::Invite
            })
        };
        let acked = match c.prack_uas.as_mut() {
            Some(u) if u.pending.as_ref().is_some_and(matches) => u.pending.take(),
            _ => None,
        };
        let local = c.local_media.clone();
        let Some(acked) = acked else {
            tracing::debug!(call = %h, ?rack, "PRACK matches no reliable provisional");
            self.respond_simple(&key, &req, 481);
            return;
        };
        if let (Some(offer), Some(local)) = (acked.offer, local) {
            // §5: the PRACK answers the offer in our 1xx.
            match sdp::process_answer(&req.body, &local) {
                Ok(params) => {
                    if let Some(c) = self.calls.get_mut(&h) {
                        c.offer_in_2xx = false;
                        c.answer = Some(Answer {
                            sdp: offer,
                            params: params.clone(),
                        });
                    }
                    self.respond_simple(&key, &req, 200);
                    self.start_media(h, params);
                }
                Err(e) => {
                    tracing::info!(call = %h, error = %e, "no usable answer in PRACK");
                    self.respond_simple(&key, &req, 488);
                    self.reject_incoming(h, 488, None);
                    return;
                }
            }
        } else {
            self.respond_simple(&key, &req, 200);
        }
        let waiting = self
            .calls
            .get_mut(&h)
            .and_then(|c| c.prack_uas.as_mut())
            .and_then(|u| u.accept_waiting.take());
        if let Some((code, reason)) = waiting {
            self.accept_incoming(h, code, reason.as_deref());
        }
    }

    /// The final response to our PRACK: a 401/407 is answered once with the account's
    /// credentials (RFC 3261 §22.2, §22.3); anything else ends it.
    pub(crate) fn on_prack_response(&mut self, h: CallHandle, key: TxnKey, resp: &Response) {
        if resp.code < 200 {
            return;
        }
        let Some(sent) = self.pracks_sent.remove(&key) else {
            return;
        };
        let Some(retry) = self.answer_challenge(&sent, resp) else {
            if resp.code >= 300 {
                tracing::info!(call = %h, code = resp.code, "PRACK refused");
            }
            return;
        };
        // The dialog's next request must still get a higher CSeq than the retry (§12.2.1.1).
        if let (Ok(cseq), Some(d)) = (
            retry.request.cseq(),
            self.calls.get_mut(&h).and_then(|c| c.dialog.as_mut()),
        ) {
            d.local_seq = d.local_seq.max(cseq.seq);
        }
        let key = self.send_request(retry.request.clone(), retry.dest, h, TxnPurpose::Prack);
        self.pracks_sent.insert(key, retry);
    }

    /// §4: a provisional response to our INVITE. Returns false when it must not be
    /// processed further (a retransmission or out of order); for a new reliable one, sends
    /// the PRACK (with our answer when it carried an offer to our late-offer INVITE).
    pub(crate) fn on_reliable_provisional(&mut self, h: CallHandle, resp: &Response) -> bool {
        if !has_option_tag(&resp.headers, "Require", TAG_100REL) || resp.code == 100 {
            return true;
        }
        let (Some(rseq), Some(id)) = (parse_rseq(resp), DialogId::of_response(resp)) else {
            // §4: a reliable 1xx without RSeq (or To-tag) cannot be acknowledged.
            return true;
        };
        let Some(c) = self.calls.get_mut(&h) else {
            return false;
        };
        let uac = &mut c.prack_uac;
        match uac.last.iter_mut().find(|(tag, _)| *tag == id.remote_tag) {
            Some((_, last)) if rseq == last.wrapping_add(1) => *last = rseq,
            Some((_, last)) => {
                tracing::debug!(call = %h, rseq, last = *last, "reliable 1xx discarded");
                return false;
            }
            None => uac.last.push((id.remote_tag.clone(), rseq)),
        }
        let Some(invite) = c.invite.clone() else {
            return false;
        };
        // §5: an offer in the reliable 1xx (our INVITE had none) is answered in the PRACK.
        let mut answer = None;
        if invite.body.is_empty() && !resp.body.is_empty() && !c.prack_uac.early_answered {
            if let Some(local) = c.local_media.clone() {
                match sdp::answer_offer(&resp.body, &local) {
                    Ok(a) => {
                        c.prack_uac.early_answered = true;
                        answer = Some(a);
                    }
                    Err(e) => tracing::warn!(call = %h, error = %e, "unusable offer in 1xx"),
                }
            }
        }
        // The PRACK goes in the 1xx's early dialog: ours if it is the one we keep, else
        // one made for it (another fork).
        let (peer, account) = (c.peer, c.account);
        let prack = match c.dialog.as_mut() {
            Some(d) if d.id == id => Some((d.new_request(Method::Prack), d.next_hop())),
            _ => Dialog::from_uac(&invite, resp)
                .ok()
                .map(|mut d| (d.new_request(Method::Prack), d.next_hop())),
        };
        let Some((mut prack, hop)) = prack else {
            return true;
        };
        let seq = invite.cseq().map(|s| s.seq).unwrap_or(1);
        prack.headers.push("RAck", format!("{rseq} {seq} INVITE"));
        let dest = self.hop_target(&hop, peer);
        let via = self.via_for(&dest);
        prack.headers.insert(0, "Via", via);
        prack.headers.push("Max-Forwards", "70");
        prack.headers.push("User-Agent", USER_AGENT);
        let params = answer.map(|a| {
            prack.headers.push("Content-Type", "application/sdp");
            prack.body = a.sdp.into_bytes();
            a.params
        });
        // A proxy may challenge it (§22.3): cached credentials go along, and a challenge is
        // answered once (see `on_prack_response`).
        if let Some(i) = account {
            self.authorize_for(i, &mut prack);
        }
        let key = self.send_request(prack.clone(), dest, h, TxnPurpose::Prack);
        if let Some(account) = account {
            let sent = SentRequest {
                request: prack,
                dest,
                account,
                challenged: false,
            };
            self.pracks_sent.insert(key, sent);
        }
        if let Some(params) = params {
            self.start_media(h, params);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rack_needs_three_parts() {
        assert_eq!(
            parse_rack("776656 1 INVITE"),
            Some((776656, 1, Method::Invite))
        );
        assert_eq!(parse_rack(" 5  2 INVITE "), Some((5, 2, Method::Invite)));
        assert_eq!(parse_rack("5 INVITE"), None);
        assert_eq!(parse_rack("x 1 INVITE"), None);
        assert_eq!(parse_rack("5 1 INVITE extra"), None);
    }

    #[test]
    fn option_tags_are_added_once() {
        let mut h = Headers::default();
        add_option_tag(&mut h, "Supported", "timer");
        add_option_tag(&mut h, "Supported", "100rel");
        add_option_tag(&mut h, "Supported", "100REL");
        assert_eq!(h.get("Supported"), Some("timer, 100rel"));
        assert!(has_option_tag(&h, "Supported", "100rel"));
        assert!(!has_option_tag(&h, "Require", "100rel"));
    }
}
