//! The user agent core: invite sessions in the SIP.js model (RFC 3261 §13-§15).
//!
//! - `outgoing`: the client context (INVITE, provisional and final responses, CANCEL §9.1).
//! - `incoming`: the server context (progress, accept, reject, CANCEL received §9.2).
//! - `in_dialog`: requests inside a dialog (ACK for 2xx, BYE §15, re-INVITE §14).
//! - `prack`: reliable provisional responses and PRACK (RFC 3262 100rel, `preaccept`).
//!
//! Each call is a [`Call`]; its SIP state is named after RFC 3261 (`Calling`, `Proceeding`,
//! `Early`, `Confirmed`, `Terminated`) and it holds SDP only as opaque bodies plus the
//! offer/answer results from `media::sdp` (ARCHITECTURE.md rule 8).

mod answer_mode;
pub(crate) mod challenge;
mod dtmf;
mod hold;
mod in_dialog;
mod incoming;
mod outgoing;
mod prack;
mod redirected;
pub(crate) mod refer;
mod refer_ood;
mod registration;
mod request;
mod respond_with;
mod session_timer;

pub(crate) use in_dialog::SentBye;
pub(crate) use registration::AccountState;
pub(crate) use request::OwnRequest;

use std::time::{Duration, Instant};

use super::dialog::{Dialog, DialogId};
use super::engine::Engine;
use super::msg::{Request, Response};
use super::transport::Target;
use super::txn::TxnKey;
use crate::api::{CallHandle, Direction, Event, FailureCause, Party};
use crate::media::sdp::{Answer, LocalMedia};
use crate::media::{MediaCtl, MediaParams};

/// How many ended calls keep receiving their media task's last reports (see
/// `Engine::media_stopped`): a media task stops within milliseconds, so a few are plenty.
const MEDIA_STOPPED_KEPT: usize = 16;

/// Why a client transaction was started, so its responses reach the right handler.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TxnPurpose {
    /// The call's initial INVITE.
    Invite,
    /// A CANCEL for the call's INVITE.
    Cancel,
    /// A BYE ending the call.
    Bye,
    /// An INFO carrying one DTMF digit.
    Info,
    /// A re-INVITE of ours (hold, resume).
    ReInvite,
    /// A REFER of ours (transfer).
    Refer,
    /// A NOTIFY of ours (transfer progress).
    Notify,
    /// A PRACK of ours for a reliable provisional response (RFC 3262 §4).
    Prack,
}

/// Invite-session state, named after RFC 3261 and SIP.js.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CallState {
    /// Outgoing: waiting for the media plane to bind an RTP port before sending INVITE.
    Opening,
    /// Outgoing: INVITE sent, no provisional response yet (§17.1.1 Calling).
    Calling,
    /// Outgoing: a provisional response arrived (§17.1.1 Proceeding / early dialog).
    Proceeding,
    /// Incoming: waiting for the user to accept or reject.
    Incoming,
    /// Incoming: 2xx sent, retransmitted until ACK (§13.3.1.4).
    Accepted,
    /// Both: the dialog is confirmed (ACK sent or received).
    Confirmed,
}

impl CallState {
    /// Lower-case name for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            CallState::Opening => "opening",
            CallState::Calling => "calling",
            CallState::Proceeding => "proceeding",
            CallState::Incoming => "incoming",
            CallState::Accepted => "accepted",
            CallState::Confirmed => "confirmed",
        }
    }
}

/// §13.3.1.4: a 2xx retransmitted from T1 doubling to T2 until the ACK comes, for 64*T1.
#[derive(Clone, Debug)]
pub(crate) struct Retransmit2xx {
    pub(crate) bytes: Vec<u8>,
    pub(crate) dest: Target,
    pub(crate) next: Instant,
    pub(crate) interval: Duration,
    pub(crate) give_up: Instant,
}

/// One call (invite session).
#[derive(Debug)]
pub struct Call {
    pub(crate) handle: CallHandle,
    pub(crate) direction: Direction,
    /// The account the call belongs to (index into the engine's accounts).
    pub(crate) account: Option<usize>,
    pub(crate) state: CallState,
    /// Outgoing: the INVITE we sent; incoming: the INVITE we received.
    pub(crate) invite: Option<Request>,
    /// The INVITE's transaction (client or server).
    pub(crate) invite_key: Option<TxnKey>,
    /// Where the INVITE went (outgoing) or came from (incoming), with its transport.
    pub(crate) peer: Target,
    /// Request-URI (outgoing) or From (incoming), for events.
    pub(crate) remote_display: String,
    /// Our tag (From-tag outgoing; To-tag incoming).
    pub(crate) local_tag: String,
    pub(crate) dialog: Option<Dialog>,
    /// Our media description (known once the RTP socket is open).
    pub(crate) local_media: Option<LocalMedia>,
    /// Incoming: our answer to the INVITE's offer, computed when media opened.
    pub(crate) answer: Option<Answer>,
    /// Incoming without SDP (late offer): we offered in the 2xx; the answer comes in ACK.
    pub(crate) offer_in_2xx: bool,
    /// What the media task runs with, once known.
    pub(crate) media_params: Option<MediaParams>,
    /// Outgoing: the user asked to cancel before any provisional response (§9.1).
    pub(crate) cancel_pending: bool,
    /// Outgoing: the Reason header (RFC 3326) for our CANCEL, kept while it waits.
    pub(crate) cancel_reason: Option<String>,
    /// Outgoing: a CANCEL was sent.
    pub(crate) canceled: bool,
    /// Outgoing: the ACK for the 2xx, resent on 2xx retransmissions (§13.2.2.4).
    pub(crate) ack: Option<(Vec<u8>, Target)>,
    /// Incoming: the accepted 2xx being retransmitted.
    pub(crate) retransmit: Option<Retransmit2xx>,
    /// Incoming, not yet answered: when to re-send our last non-100 provisional, and it
    /// as sent, with any `-H`/`--body` (§13.3.1.1: every minute, so proxies' INVITE
    /// transactions do not time out).
    pub(crate) provisional_refresh: Option<(Instant, Response)>,
    /// When the call was answered (our 2xx sent, or theirs received): `terminated`
    /// reports the talk time from here.
    pub(crate) answered_at: Option<Instant>,
    /// DTMF digits going out by SIP INFO.
    pub(crate) info_dtmf: Option<dtmf::InfoQueue>,
    /// Outgoing: Contacts from 3xx responses still to try, and those tried (§8.1.3.4).
    pub(crate) redirect_queue: std::collections::VecDeque<super::msg::Uri>,
    pub(crate) redirect_tried: Vec<super::msg::Uri>,
    /// We put the call on hold.
    pub(crate) local_hold: bool,
    /// The peer put the call on hold.
    pub(crate) remote_hold: bool,
    /// Our re-INVITE in flight or waiting after 491.
    pub(crate) reinvite: Option<hold::PendingReinvite>,
    /// Outgoing: options of the INVITE (late offer, anonymity, extra headers).
    pub(crate) invite_options: crate::api::InviteOptions,
    /// RFC 4028 session timer, when negotiated.
    pub(crate) session_timer: Option<session_timer::SessionTimer>,
    /// Outgoing: 422 retries so far (RFC 4028 §7.4).
    pub(crate) interval_retries: u32,
    /// A REFER from the peer waiting for the user.
    pub(crate) incoming_refer: Option<refer::IncomingRefer>,
    /// Incoming: this call replaces that one (RFC 3891).
    pub(crate) replaces: Option<CallHandle>,
    /// Incoming: our reliable provisional responses (RFC 3262 §3).
    pub(crate) prack_uas: Option<prack::UasReliable>,
    /// Outgoing: the reliable provisional responses we PRACKed (RFC 3262 §4).
    pub(crate) prack_uac: prack::UacReliable,
}

impl Call {
    pub(crate) fn new(
        handle: CallHandle,
        direction: Direction,
        state: CallState,
        peer: Target,
    ) -> Call {
        Call {
            handle,
            direction,
            account: None,
            state,
            invite: None,
            invite_key: None,
            peer,
            remote_display: String::new(),
            local_tag: String::new(),
            dialog: None,
            local_media: None,
            answer: None,
            offer_in_2xx: false,
            media_params: None,
            cancel_pending: false,
            cancel_reason: None,
            canceled: false,
            ack: None,
            retransmit: None,
            provisional_refresh: None,
            answered_at: None,
            info_dtmf: None,
            redirect_queue: Default::default(),
            redirect_tried: Vec::new(),
            local_hold: false,
            remote_hold: false,
            reinvite: None,
            invite_options: Default::default(),
            session_timer: None,
            interval_retries: 0,
            incoming_refer: None,
            replaces: None,
            prack_uas: None,
            prack_uac: Default::default(),
        }
    }

    /// The call's own timer (2xx retransmission).
    pub(crate) fn next_timeout(&self) -> Option<Instant> {
        let retx = self.retransmit.as_ref().map(|r| r.next.min(r.give_up));
        let info = self.info_dtmf.as_ref().and_then(|q| q.not_before);
        let reinvite = self.reinvite.as_ref().and_then(|r| r.retry_at);
        let session = self.session_timer.as_ref().and_then(|t| t.next());
        let refer = self.incoming_refer.as_ref().map(|r| r.deadline);
        let provisional = self
            .provisional_refresh
            .as_ref()
            .filter(|_| self.state == CallState::Incoming)
            .map(|p| p.0);
        let reliable = self
            .prack_uas
            .as_ref()
            .filter(|_| self.state == CallState::Incoming)
            .and_then(prack::UasReliable::next_timeout);
        [retx, info, reinvite, session, refer, provisional, reliable]
            .into_iter()
            .flatten()
            .min()
    }

    fn dialog_id(&self) -> Option<&DialogId> {
        self.dialog.as_ref().map(|d| &d.id)
    }
}

impl Engine {
    /// Pick the call a command means: the one given, or the only one that fits (§ the
    /// "call number may be left out" rule). Errors are one line for the user.
    pub(crate) fn resolve_call(
        &mut self,
        verb: &str,
        call: Option<CallHandle>,
        fits: impl Fn(&Call) -> bool,
        what: &str,
    ) -> Option<CallHandle> {
        match call {
            Some(h) => match self.calls.get(&h) {
                Some(c) if fits(c) => Some(h),
                Some(c) => {
                    let msg = format!(
                        "{verb}: call {h} is {} and {}; {verb} needs {what}",
                        match c.direction {
                            Direction::Incoming => "incoming",
                            Direction::Outgoing => "outgoing",
                        },
                        c.state.as_str()
                    );
                    self.command_error(msg);
                    None
                }
                None => {
                    let list = self.call_list();
                    self.command_error(format!("{verb}: {h} is not a call (calls: {list})"));
                    None
                }
            },
            None => {
                let fitting: Vec<CallHandle> = self
                    .calls
                    .values()
                    .filter(|c| fits(c))
                    .map(|c| c.handle)
                    .collect();
                match fitting.as_slice() {
                    [one] => Some(*one),
                    [] => {
                        self.command_error(format!("{verb}: there is no {what}"));
                        None
                    }
                    many => {
                        let list: Vec<String> = many.iter().map(|h| h.to_string()).collect();
                        self.command_error(format!(
                            "{verb}: several calls fit ({}); say which, e.g. '{verb} {}'",
                            list.join(", "),
                            list[0]
                        ));
                        None
                    }
                }
            }
        }
    }

    fn call_list(&self) -> String {
        if self.calls.is_empty() {
            return "none".into();
        }
        self.calls
            .keys()
            .map(|h| h.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Remove a call and stop its media. Events are the caller's job.
    /// End call `h` and report `terminated` (talk time from its answer), if it was still
    /// ours.
    pub(crate) fn terminate_call(&mut self, h: CallHandle, by: Party, cause: &str) {
        let now = self.now;
        if let Some(call) = self.remove_call(h) {
            let talked = call
                .answered_at
                .map_or(Duration::ZERO, |at| now.saturating_duration_since(at));
            self.emit(Event::Terminated {
                call: h,
                by,
                cause: cause.to_string(),
                duration_ms: u64::try_from(talked.as_millis()).unwrap_or(u64::MAX),
            });
        }
    }

    pub(crate) fn remove_call(&mut self, h: CallHandle) -> Option<Call> {
        let call = self.calls.remove(&h)?;
        if call.local_media.is_some() {
            self.media(MediaCtl::Stop { call: h });
            if self.media_stopped.len() >= MEDIA_STOPPED_KEPT {
                self.media_stopped.pop_front();
            }
            self.media_stopped.push_back(h);
        }
        Some(call)
    }

    /// SIP.js `terminate`: CANCEL, reject, BYE, or forget, depending on the state.
    pub(crate) fn end_call(&mut self, h: CallHandle, cause: &str) {
        let Some(call) = self.calls.get(&h) else {
            return;
        };
        match (call.direction, call.state) {
            (_, CallState::Opening) => {
                self.remove_call(h);
                self.emit(Event::Canceled {
                    call: h,
                    by: Party::Local,
                });
            }
            (Direction::Outgoing, CallState::Calling | CallState::Proceeding) => {
                self.cancel_invite(h);
            }
            (Direction::Incoming, CallState::Incoming) => {
                self.reject_incoming(h, 480, None);
            }
            (_, CallState::Accepted | CallState::Confirmed) => {
                self.send_bye(h, cause);
            }
            (Direction::Incoming, _) | (Direction::Outgoing, _) => {
                self.remove_call(h);
            }
        }
    }

    pub(crate) fn on_txn_timeout(
        &mut self,
        h: CallHandle,
        purpose: TxnPurpose,
        failure: super::txn::TxnFailure,
    ) {
        if purpose == TxnPurpose::Refer {
            self.on_refer_timeout(h);
            return;
        }
        if purpose == TxnPurpose::ReInvite {
            // §14.1: no answer to a re-INVITE ends the dialog.
            if let Some(c) = self.calls.get_mut(&h) {
                c.reinvite = None;
            }
            self.send_bye(h, "timeout");
            return;
        }
        if purpose == TxnPurpose::Info {
            self.on_info_done(h, None);
            self.pump_info_dtmf(h);
            return;
        }
        if purpose != TxnPurpose::Invite {
            return;
        }
        let Some(call) = self.remove_call(h) else {
            return;
        };
        if call.canceled || call.cancel_pending {
            self.emit(Event::Canceled {
                call: h,
                by: Party::Local,
            });
        } else {
            let cause = match failure {
                super::txn::TxnFailure::Timeout => FailureCause::Timeout,
                super::txn::TxnFailure::Transport => FailureCause::Transport,
            };
            self.emit(Event::Failed { call: h, cause });
        }
    }

    pub(crate) fn on_call_timer(&mut self, h: CallHandle) {
        self.retry_reinvite_if_due(h);
        self.on_session_timer(h);
        self.expire_refer_if_due(h);
        self.refresh_provisional_if_due(h);
        self.retransmit_reliable_if_due(h);
        let now = self.now;
        let info_due = self
            .calls
            .get(&h)
            .and_then(|c| c.info_dtmf.as_ref())
            .and_then(|q| q.not_before)
            .is_some_and(|t| t <= now);
        if info_due {
            if let Some(q) = self.calls.get_mut(&h).and_then(|c| c.info_dtmf.as_mut()) {
                q.not_before = None;
            }
            self.pump_info_dtmf(h);
        }
        let t2 = self.txns.timer_values().t2;
        let Some(call) = self.calls.get_mut(&h) else {
            return;
        };
        let Some(r) = call.retransmit.as_mut() else {
            return;
        };
        if now >= r.give_up {
            // §13.3.1.4: no ACK within 64*T1 — confirm, then end the session with BYE.
            call.retransmit = None;
            call.state = CallState::Confirmed;
            self.send_bye(h, "no-ack");
            return;
        }
        if now >= r.next {
            let (bytes, dest) = (r.bytes.clone(), r.dest);
            r.interval = (r.interval * 2).min(t2);
            r.next = now + r.interval;
            // §13.3.1.4 retransmits over unreliable transports only; on a stream the
            // timer just bounds the wait for the ACK.
            if !dest.proto.is_reliable() {
                self.transmit(dest, bytes);
            }
        }
    }

    pub(crate) fn on_owned_response(
        &mut self,
        h: CallHandle,
        purpose: TxnPurpose,
        key: TxnKey,
        resp: Response,
    ) {
        match purpose {
            TxnPurpose::Invite => self.on_invite_response(h, key, resp),
            TxnPurpose::ReInvite => self.on_reinvite_response(h, resp),
            TxnPurpose::Refer => self.on_refer_response(h, key, &resp),
            TxnPurpose::Notify => {}
            TxnPurpose::Info => {
                if resp.code >= 200 {
                    self.on_info_done(h, Some(&resp));
                    self.pump_info_dtmf(h);
                }
            }
            TxnPurpose::Bye => self.on_bye_response(h, key, &resp),
            TxnPurpose::Prack => self.on_prack_response(h, key, &resp),
            TxnPurpose::Cancel => {
                tracing::debug!(call = %h, code = resp.code, ?purpose, "response");
            }
        }
    }

    /// Find the call a dialog id belongs to.
    pub(crate) fn call_by_dialog(&self, id: &DialogId) -> Option<CallHandle> {
        self.calls
            .values()
            .find(|c| c.dialog_id() == Some(id))
            .map(|c| c.handle)
    }
}
