//! Call transfer (RFC 3515 REFER, RFC 3891 Replaces, RFC 3892 Referred-By, RFC 5589) in
//! its three roles: transferor (we send REFER and follow the NOTIFYs), transferee (the
//! user accepts or rejects a REFER; accepting calls the target and reports its progress in
//! NOTIFYs with message/sipfrag bodies) and transfer target (an INVITE with Replaces takes
//! the place of the call it names).

use std::time::{Duration, Instant};

use super::{CallState, TxnPurpose};
use crate::api::{CallHandle, Event, InviteOptions, ReferOptions};
use crate::sip::account::ReferPolicy;
use crate::sip::auth::AuthDecision;
use crate::sip::dialog::DialogId;
use crate::sip::engine::{Engine, USER_AGENT};
use crate::sip::msg::{Method, NameAddr, Request, Response, Uri};
use crate::sip::txn::TxnKey;

/// How long a REFER waits for the user before it is rejected (never silently followed).
pub const REFER_ANSWER_TIMEOUT: Duration = Duration::from_secs(20);

/// A REFER the user has not decided on yet.
#[derive(Debug, Clone)]
pub(crate) struct IncomingRefer {
    key: TxnKey,
    req: Request,
    target: Uri,
    replaces: Option<String>,
    referred_by: Option<String>,
    /// RFC 4488: the REFER asked for no implicit subscription (`Refer-Sub: false`).
    no_sub: bool,
    pub(crate) deadline: Instant,
}

/// RFC 4488 §4: a `Refer-Sub: false` header field (parameters after `;` ignored).
pub(super) fn refer_sub_false(headers: &crate::sip::msg::Headers) -> bool {
    headers.get("Refer-Sub").is_some_and(|v| {
        v.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .eq_ignore_ascii_case("false")
    })
}

/// %-escape the characters of a Replaces value that cannot stand in a URI header.
fn escape_uri_header(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 2);
    for c in value.chars() {
        match c {
            ';' => out.push_str("%3B"),
            '=' => out.push_str("%3D"),
            '@' => out.push_str("%40"),
            '%' => out.push_str("%25"),
            '&' => out.push_str("%26"),
            '?' => out.push_str("%3F"),
            ' ' => out.push_str("%20"),
            c => out.push(c),
        }
    }
    out
}

/// Undo %-escapes (RFC 3261 §19.1.2).
fn unescape(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A Replaces header field value (RFC 3891 §6.1): the dialog it names and its flag.
#[derive(Debug, PartialEq, Eq)]
struct Replaces {
    /// The dialog seen from the receiver: local tag = to-tag, remote tag = from-tag.
    dialog: DialogId,
    /// `early-only`: replace the dialog only while it is early (§3: 486 otherwise).
    early_only: bool,
}

/// `callid;to-tag=X;from-tag=Y[;early-only]` (RFC 3891 §6.1); other parameters ignored.
fn parse_replaces(value: &str) -> Option<Replaces> {
    let mut parts = value.split(';');
    let call_id = parts.next()?.trim().to_string();
    let (mut to_tag, mut from_tag, mut early_only) = (None, None, false);
    for p in parts {
        let Some((k, v)) = p.split_once('=') else {
            early_only |= p.trim().eq_ignore_ascii_case("early-only");
            continue;
        };
        match k.trim().to_ascii_lowercase().as_str() {
            "to-tag" => to_tag = Some(v.trim().to_string()),
            "from-tag" => from_tag = Some(v.trim().to_string()),
            _ => {}
        }
    }
    if call_id.is_empty() {
        return None;
    }
    Some(Replaces {
        dialog: DialogId {
            call_id,
            local_tag: to_tag?,
            remote_tag: from_tag?,
        },
        early_only,
    })
}

/// A REFER of ours in a dialog, as sent, to answer a 401/407 challenge to it (§22.2).
pub(crate) struct SentRefer {
    request: Request,
    refer_to: String,
    options: ReferOptions,
    /// It already answers a challenge: a second one fails the transfer.
    challenged: bool,
}

impl Engine {
    // ===== transferor =====

    /// `refer [N] <uri>` / `refer [N] --replace M` (RFC 3515 §2.4.1, RFC 5589 §6-7).
    pub(crate) fn cmd_refer(
        &mut self,
        call: Option<CallHandle>,
        target: &str,
        replace: Option<CallHandle>,
        options: ReferOptions,
    ) {
        let up = |c: &super::Call| c.state == CallState::Confirmed;
        let Some(h) = self.resolve_call("refer", call, up, "call that is up") else {
            return;
        };
        let refer_to = match replace {
            Some(m) => {
                let Some(other) = self.calls.get(&m).filter(|c| up(c)) else {
                    self.command_error(format!(
                        "refer: --replace {m} is not a call that is up (expected refer [N] --replace M)"
                    ));
                    return;
                };
                if m == h {
                    self.command_error("refer: a call cannot replace itself".into());
                    return;
                }
                let Some(d) = other.dialog.as_ref() else {
                    return;
                };
                // RFC 3891 §3: the target checks to-tag against its own tag (our remote)
                // and from-tag against ours.
                let replaces = format!(
                    "{};to-tag={};from-tag={}",
                    d.id.call_id, d.id.remote_tag, d.id.local_tag
                );
                format!(
                    "<{}?Replaces={}>",
                    d.remote_target,
                    escape_uri_header(&replaces)
                )
            }
            None => {
                let text = target.trim();
                let text = if text.contains(':') {
                    text.to_string()
                } else {
                    format!("sip:{text}")
                };
                match Uri::parse(&text) {
                    Ok(u) => format!("<{u}>"),
                    Err(_) => {
                        self.command_error(format!(
                            "refer: '{target}' is not a SIP URI (expected refer [N] sip:user@host[:port])"
                        ));
                        return;
                    }
                }
            }
        };
        if options.hold {
            let Some(c) = self.calls.get(&h) else {
                return;
            };
            if !c.local_hold {
                if c.local_media.is_none() || c.reinvite.is_some() {
                    self.command_error(format!(
                        "refer: call {h} cannot be put on hold now (it is changing its session); try again in a moment"
                    ));
                    return;
                }
                // The REFER waits for the hold's 2xx (see `on_reinvite_response`).
                self.send_reinvite(h, true, false);
                if let Some(r) = self.calls.get_mut(&h).and_then(|c| c.reinvite.as_mut()) {
                    r.then_refer = Some((refer_to, options));
                }
                return;
            }
        }
        self.send_refer(h, refer_to, options);
    }

    /// The REFER itself, in call `h`'s dialog, asking for `refer_to` (a name-addr).
    pub(crate) fn send_refer(&mut self, h: CallHandle, refer_to: String, options: ReferOptions) {
        self.send_refer_once(h, refer_to, options, false);
    }

    /// [`Engine::send_refer`]; `challenged` when it answers a 401/407 (no second retry).
    fn send_refer_once(
        &mut self,
        h: CallHandle,
        refer_to: String,
        options: ReferOptions,
        challenged: bool,
    ) {
        let Some(c) = self.calls.get_mut(&h) else {
            return;
        };
        let peer = c.peer;
        let account = c.account;
        let Some((mut req, hop, me)) = c.dialog.as_mut().map(|d| {
            (
                d.new_request(Method::Refer),
                d.next_hop(),
                NameAddr::new(d.local.uri.clone()).to_string(),
            )
        }) else {
            return;
        };
        let dest = self.hop_target(&hop, peer);
        let via = self.via_for(&dest);
        req.headers.insert(0, "Via", via);
        req.headers.push("Max-Forwards", "70");
        req.headers.push("Contact", self.contact_for(&dest));
        req.headers.push("Refer-To", refer_to.clone());
        req.headers.push("Referred-By", me);
        if options.no_sub {
            // RFC 4488 §4: no implicit subscription, and we know the extension.
            req.headers.push("Refer-Sub", "false");
            req.headers.push("Supported", "norefersub");
        }
        req.headers.push("User-Agent", USER_AGENT);
        if let Some(i) = account {
            self.authorize_for(i, &mut req);
        }
        let key = self.send_request(req.clone(), dest, h, TxnPurpose::Refer);
        self.sent_refers.insert(
            key,
            SentRefer {
                request: req,
                refer_to,
                options,
                challenged,
            },
        );
    }

    /// A 401/407 to our REFER in a dialog (a proxy may challenge requests inside a dialog,
    /// §22.3): send it again once, as a new request of the dialog with the account's
    /// credentials (§22.2). False when it cannot be answered.
    fn retry_refer_with_credentials(
        &mut self,
        h: CallHandle,
        key: &TxnKey,
        resp: &Response,
    ) -> bool {
        let Some(sent) = self.sent_refers.remove(key) else {
            return false;
        };
        if sent.challenged {
            return false;
        }
        let Some(i) = self.calls.get(&h).and_then(|c| c.account) else {
            return false;
        };
        let Some(a) = self.accounts.get_mut(i) else {
            return false;
        };
        if !matches!(
            a.auth.handle_challenge(&sent.request, resp),
            Ok(AuthDecision::Retry | AuthDecision::RetryStale)
        ) {
            return false;
        }
        self.send_refer_once(h, sent.refer_to, sent.options, true);
        true
    }

    /// The final response to our REFER (RFC 3515 §2.4.2: 202 Accepted).
    pub(crate) fn on_refer_response(&mut self, h: CallHandle, key: TxnKey, resp: &Response) {
        if self.retry_ood_refer_with_credentials(h, &key, resp) {
            return;
        }
        if matches!(resp.code, 401 | 407) && self.retry_refer_with_credentials(h, &key, resp) {
            return;
        }
        if resp.code >= 200 {
            self.sent_refers.remove(&key);
        }
        if resp.code >= 300 || (resp.code >= 200 && refer_sub_false(&resp.headers)) {
            // No subscription: an out-of-dialog REFER is over.
            self.ood_refers.remove(&h);
        }
        match resp.code {
            100..=199 => {}
            200..=299 => {
                self.emit(Event::ReferProgress {
                    call: h,
                    code: resp.code,
                    reason: resp.reason.clone(),
                });
                // RFC 4488 §4: the transferee agreed to send no NOTIFYs; accepting the
                // REFER is all we will hear, so our part is done.
                if refer_sub_false(&resp.headers) {
                    self.transfer_done(h);
                }
            }
            code => self.emit(Event::ReferFailed {
                call: h,
                code,
                reason: resp.reason.clone(),
            }),
        }
    }

    /// Our REFER's transaction ended without a final response.
    pub(crate) fn on_refer_timeout(&mut self, h: CallHandle) {
        self.ood_refers.remove(&h);
        self.emit(Event::ReferFailed {
            call: h,
            code: 0,
            reason: "timeout".into(),
        });
    }

    /// A NOTIFY in a call's dialog (RFC 3515 §2.4.4): the transferee's progress.
    pub(crate) fn on_notify(&mut self, h: CallHandle, key: TxnKey, req: Request) {
        let event = req.headers.get("Event").map(|e| {
            e.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
        if event.as_deref() != Some("refer") {
            // RFC 6665 §4.1.3: we hold no other subscription.
            self.respond_simple(&key, &req, 489);
            return;
        }
        self.respond_simple(&key, &req, 200);
        // message/sipfrag (RFC 3420): the status line of the transferee's call.
        let text = String::from_utf8_lossy(&req.body);
        let status = text.lines().next().and_then(|l| {
            let mut it = l.splitn(3, ' ');
            let version = it.next()?;
            if !version.eq_ignore_ascii_case("SIP/2.0") {
                return None;
            }
            let code: u16 = it.next()?.parse().ok()?;
            Some((code, it.next().unwrap_or("").trim().to_string()))
        });
        let Some((code, reason)) = status else {
            return;
        };
        match code {
            100..=199 => self.emit(Event::ReferProgress {
                call: h,
                code,
                reason,
            }),
            200..=299 => self.transfer_done(h),
            // RFC 3515 §2.4.5: the transferee's call to the target did not succeed.
            _ => self.emit(Event::ReferRejected {
                call: h,
                code,
                reason,
            }),
        }
    }

    /// Our transfer succeeded: report it and leave the call (RFC 5589 §6).
    fn transfer_done(&mut self, h: CallHandle) {
        self.emit(Event::ReferAccepted { call: h });
        if self
            .calls
            .get(&h)
            .is_some_and(|c| c.state == CallState::Confirmed)
        {
            self.send_bye(h, "transferred");
        }
    }

    // ===== transferee =====

    /// A REFER in a call's dialog (RFC 3515 §2.4.2): the user decides.
    pub(crate) fn on_refer(&mut self, h: CallHandle, key: TxnKey, req: Request) {
        let Some(refer_to) = req
            .headers
            .get("Refer-To")
            .and_then(|v| NameAddr::parse(v).ok())
        else {
            // RFC 3515 §2.4.1: exactly one Refer-To.
            let resp = req.make_response(400, Some("Missing Refer-To"));
            self.respond_with_tag(&key, resp);
            return;
        };
        if self
            .calls
            .get(&h)
            .is_some_and(|c| c.incoming_refer.is_some())
        {
            self.respond_simple(&key, &req, 491);
            return;
        }
        let mut target = refer_to.uri.clone();
        let replaces = target
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("Replaces"))
            .map(|(_, v)| unescape(v));
        target.headers.clear();
        let referred_by = req.headers.get("Referred-By").map(str::to_string);
        let no_sub = refer_sub_false(&req.headers);
        let deadline = self.now + REFER_ANSWER_TIMEOUT;
        if let Some(c) = self.calls.get_mut(&h) {
            c.incoming_refer = Some(IncomingRefer {
                key,
                req,
                target: target.clone(),
                replaces: replaces.clone(),
                referred_by: referred_by.clone(),
                no_sub,
                deadline,
            });
        }
        self.emit(Event::Referred {
            call: h,
            refer_to: target.to_string(),
            referred_by: referred_by.unwrap_or_default(),
            replaces: replaces.is_some(),
        });
        // The account's `refer` policy may decide instead of the user.
        let policy = self
            .calls
            .get(&h)
            .and_then(|c| c.account)
            .and_then(|i| self.accounts.get(i))
            .map(|a| a.cfg.refer)
            .unwrap_or_default();
        match policy {
            ReferPolicy::Ask => {}
            ReferPolicy::Accept => self.cmd_refer_accept(Some(h)),
            ReferPolicy::Reject => self.cmd_refer_reject(Some(h), 603),
        }
    }

    fn fits_referred(c: &super::Call) -> bool {
        c.incoming_refer.is_some()
    }

    /// `refer-accept [N]`: 202, NOTIFY 100 Trying, call the target (RFC 3515 §2.4.3).
    pub(crate) fn cmd_refer_accept(&mut self, call: Option<CallHandle>) {
        let Some(h) = self.resolve_call(
            "refer-accept",
            call,
            Self::fits_referred,
            "call with a REFER waiting",
        ) else {
            return;
        };
        let Some(r) = self.calls.get_mut(&h).and_then(|c| c.incoming_refer.take()) else {
            return;
        };
        let mut resp = r.req.make_response(202, None);
        if r.no_sub {
            // RFC 4488 §4: we honour the request; no subscription, no NOTIFYs.
            resp.headers.push("Refer-Sub", "false");
        }
        self.respond_with_tag(&r.key, resp);
        if !r.no_sub {
            self.send_notify(h, 100, "Trying", false);
        }
        let mut options = InviteOptions::default();
        if let Some(by) = &r.referred_by {
            // RFC 3892: tell the target who asked for the call.
            options.headers.push(("Referred-By".into(), by.clone()));
        }
        if let Some(rep) = &r.replaces {
            options.headers.push(("Replaces".into(), rep.clone()));
        }
        match self.invite_for_refer(&r.target.to_string(), options) {
            Some(new_call) => {
                self.refer_links.insert(new_call, (h, !r.no_sub));
                self.emit(Event::ReferInviteSent { call: h, new_call });
            }
            None if r.no_sub => {}
            None => self.send_notify(h, 503, "Service Unavailable", true),
        }
    }

    /// `refer-progress [N]` (SIP.js ReferServerContext `progress`): 100 Trying to the
    /// waiting REFER (RFC 3261 §17.2.2). The REFER still waits for the user, within the
    /// same timeout.
    pub(crate) fn cmd_refer_progress(&mut self, call: Option<CallHandle>) {
        let Some(h) = self.resolve_call(
            "refer-progress",
            call,
            Self::fits_referred,
            "call with a REFER waiting",
        ) else {
            return;
        };
        let Some((key, resp)) = self
            .calls
            .get(&h)
            .and_then(|c| c.incoming_refer.as_ref())
            .map(|r| (r.key.clone(), r.req.make_response(100, None)))
        else {
            return;
        };
        self.respond(&key, &resp);
    }

    /// `refer-reject [N] [code]`.
    pub(crate) fn cmd_refer_reject(&mut self, call: Option<CallHandle>, code: u16) {
        if !(300..=699).contains(&code) {
            self.command_error(format!(
                "refer-reject: {code} is not a rejection status code (expected 300-699)"
            ));
            return;
        }
        let Some(h) = self.resolve_call(
            "refer-reject",
            call,
            Self::fits_referred,
            "call with a REFER waiting",
        ) else {
            return;
        };
        if let Some(r) = self.calls.get_mut(&h).and_then(|c| c.incoming_refer.take()) {
            let resp = r.req.make_response(code, None);
            self.respond_with_tag(&r.key, resp);
        }
    }

    /// A REFER nobody decided on within the timeout is rejected (never followed).
    pub(crate) fn expire_refer_if_due(&mut self, h: CallHandle) {
        let now = self.now;
        let due = self
            .calls
            .get(&h)
            .and_then(|c| c.incoming_refer.as_ref())
            .is_some_and(|r| r.deadline <= now);
        if due {
            if let Some(r) = self.calls.get_mut(&h).and_then(|c| c.incoming_refer.take()) {
                let resp = r.req.make_response(480, None);
                self.respond_with_tag(&r.key, resp);
            }
        }
    }

    /// Events of a call placed for a REFER become NOTIFYs to the transferor (unless
    /// `notify` is false: `Refer-Sub: false`), and the transferee's own `refer-progress`,
    /// `refer-accepted` or `refer-rejected` on the original call (SIP.js names).
    pub(crate) fn notify_referrer(&mut self, orig: CallHandle, notify: bool, event: &Event) {
        let (code, reason, done) = match event {
            Event::Progress { code, reason, .. } => (*code, reason.clone(), false),
            Event::Accepted { code, .. } => (*code, "OK".to_string(), true),
            Event::Rejected { code, reason, .. } => (*code, reason.clone(), true),
            Event::Failed { .. } => (503, "Service Unavailable".to_string(), true),
            Event::Canceled { .. } => (487, "Request Terminated".to_string(), true),
            _ => return,
        };
        if done {
            if let Some(new) = event.call() {
                self.refer_links.remove(&new);
            }
        }
        if notify {
            self.send_notify(orig, code, &reason, done);
        }
        self.emit(match (done, code) {
            (false, _) => Event::ReferProgress {
                call: orig,
                code,
                reason,
            },
            (true, 200..=299) => Event::ReferAccepted { call: orig },
            (true, _) => Event::ReferRejected {
                call: orig,
                code,
                reason,
            },
        });
    }

    /// NOTIFY in the original call's dialog with a message/sipfrag status (RFC 3515 §2.4.4).
    fn send_notify(&mut self, h: CallHandle, code: u16, reason: &str, terminated: bool) {
        let Some(c) = self.calls.get_mut(&h) else {
            return;
        };
        let peer = c.peer;
        let Some((mut req, hop)) = c
            .dialog
            .as_mut()
            .map(|d| (d.new_request(Method::Notify), d.next_hop()))
        else {
            return;
        };
        let dest = self.hop_target(&hop, peer);
        let via = self.via_for(&dest);
        req.headers.insert(0, "Via", via);
        req.headers.push("Max-Forwards", "70");
        req.headers.push("Contact", self.contact_for(&dest));
        req.headers.push("Event", "refer");
        req.headers.push(
            "Subscription-State",
            if terminated {
                "terminated;reason=noresource"
            } else {
                "active;expires=60"
            },
        );
        req.headers.push("User-Agent", USER_AGENT);
        req.headers
            .push("Content-Type", "message/sipfrag;version=2.0");
        req.body = format!("SIP/2.0 {code} {reason}\r\n").into_bytes();
        self.send_request(req, dest, h, TxnPurpose::Notify);
    }

    // ===== transfer target =====

    /// RFC 3891 §3: an INVITE with Replaces. `Ok(Some(old))` when it replaces our call
    /// `old` (confirmed, or early and placed by us); `Ok(None)` without Replaces;
    /// `Err(code)` to refuse it: 481 when it matches nothing or an early dialog we did not
    /// place (that call is left as it is), 486 when `early-only` names a confirmed call.
    pub(crate) fn replaced_call(&self, req: &Request) -> Result<Option<CallHandle>, u16> {
        let Some(value) = req.headers.get("Replaces") else {
            return Ok(None);
        };
        let Some(rep) = parse_replaces(value) else {
            return Err(400);
        };
        let Some(h) = self.call_by_dialog(&rep.dialog) else {
            return Err(481);
        };
        let Some(c) = self.calls.get(&h) else {
            return Err(481);
        };
        match (c.state, c.direction) {
            (CallState::Confirmed | CallState::Accepted, _) if rep.early_only => Err(486),
            (CallState::Confirmed | CallState::Accepted, _) => Ok(Some(h)),
            (_, crate::api::Direction::Outgoing) => Ok(Some(h)),
            (_, crate::api::Direction::Incoming) => Err(481),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_round_trips_through_refer_to_escaping() {
        let v = "abc@host;to-tag=t1;from-tag=f1";
        let escaped = escape_uri_header(v);
        assert_eq!(escaped, "abc%40host%3Bto-tag%3Dt1%3Bfrom-tag%3Df1");
        assert_eq!(unescape(&escaped), v);
        let rep = parse_replaces(v).unwrap();
        assert_eq!(rep.dialog.call_id, "abc@host");
        assert_eq!(rep.dialog.local_tag, "t1");
        assert_eq!(rep.dialog.remote_tag, "f1");
        assert!(!rep.early_only);
        assert!(parse_replaces("abc;to-tag=1").is_none());
        assert!(parse_replaces(";to-tag=1;from-tag=2").is_none());
    }

    #[test]
    fn the_early_only_flag_is_read_not_refused() {
        let rep = parse_replaces("abc@host; to-tag=t1 ;EARLY-ONLY;from-tag=f1;x=y").unwrap();
        assert!(rep.early_only);
        assert_eq!(rep.dialog.local_tag, "t1");
        assert_eq!(rep.dialog.remote_tag, "f1");
    }
}
