//! DTMF on a call: RFC 4733 telephone-events (sent and decoded by the media task) and SIP
//! INFO (RFC 6086 with the de-facto `application/dtmf-relay` and `application/dtmf` bodies),
//! one INFO per digit, the next after the previous got its final response.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::{CallState, TxnPurpose};
use crate::api::{CallHandle, DtmfMode, Event};
use crate::media::dtmf::DtmfSender;
use crate::media::MediaCtl;
use crate::sip::auth::AuthDecision;
use crate::sip::engine::{Engine, USER_AGENT};
use crate::sip::msg::{Method, Request, Response, SipMessage};
use crate::sip::txn::TxnKey;

/// SIP.js `sendDTMF` defaults.
pub const DEFAULT_DURATION_MS: u32 = 100;
/// Pause after each tone (SIP.js `interToneGap`).
pub const DEFAULT_GAP_MS: u32 = 500;
/// What `,` waits.
const PAUSE: Duration = Duration::from_secs(2);

/// Digits waiting to go out by SIP INFO on one call.
#[derive(Debug, Default)]
pub(crate) struct InfoQueue {
    digits: VecDeque<char>,
    duration_ms: u32,
    gap: Duration,
    /// An INFO is out, waiting for its final response.
    in_flight: Option<char>,
    /// That INFO as sent, to answer a 401/407 challenge to it (§22.2).
    sent: Option<Request>,
    /// The INFO in flight already answers a challenge: another one fails the digit.
    challenged: bool,
    /// Nothing may be sent before this moment (gap after a digit, or a `,` pause).
    pub(crate) not_before: Option<Instant>,
}

impl Engine {
    /// `dtmf [N] <digits> [--mode …] [--duration MS] [--gap MS]`.
    pub(crate) fn cmd_send_dtmf(
        &mut self,
        call: Option<CallHandle>,
        digits: &str,
        mode: DtmfMode,
        duration_ms: Option<u32>,
        gap_ms: Option<u32>,
    ) {
        if digits.is_empty() {
            self.command_error("dtmf: no digits given (expected 0-9 * # A-D ,)".into());
            return;
        }
        if let Some(bad) = digits
            .chars()
            .find(|c| *c != ',' && crate::media::dtmf::digit_to_event(*c).is_none())
        {
            self.command_error(format!("dtmf: '{bad}' is not a DTMF digit (0-9 * # A-D ,)"));
            return;
        }
        debug_assert!(DtmfSender::validate(digits).is_ok());
        let Some(h) = self.resolve_call(
            "dtmf",
            call,
            |c| c.state == CallState::Confirmed,
            "call that is up",
        ) else {
            return;
        };
        let account = self
            .calls
            .get(&h)
            .and_then(|c| c.account)
            .and_then(|i| self.accounts.get(i))
            .map(|a| (a.cfg.dtmf_duration_ms, a.cfg.dtmf_gap_ms));
        let (acct_duration, acct_gap) = account.unwrap_or((None, None));
        let duration = duration_ms.or(acct_duration).unwrap_or(DEFAULT_DURATION_MS);
        let gap = gap_ms.or(acct_gap).unwrap_or(DEFAULT_GAP_MS);
        let negotiated = self
            .calls
            .get(&h)
            .and_then(|c| c.media_params.as_ref())
            .is_some_and(|p| p.dtmf.is_some());
        // The account's dtmf_mode stands in for `auto` on its calls.
        let account_mode = self
            .calls
            .get(&h)
            .and_then(|c| c.account)
            .and_then(|i| self.accounts.get(i))
            .and_then(|a| a.cfg.dtmf_mode);
        let mode = match (mode, account_mode) {
            (DtmfMode::Auto, Some(m)) => m,
            (m, _) => m,
        };
        let method = match mode {
            DtmfMode::Auto if negotiated => DtmfMode::Rfc4733,
            DtmfMode::Auto => DtmfMode::Info,
            m => m,
        };
        if method == DtmfMode::Rfc4733 && !negotiated {
            self.command_error(format!(
                "dtmf: call {h} did not negotiate telephone-event; use --mode info"
            ));
            return;
        }
        match method {
            DtmfMode::Rfc4733 => {
                let digits: String = digits.to_ascii_uppercase();
                self.media(MediaCtl::SendDtmf {
                    call: h,
                    digits,
                    duration_ms: duration,
                    gap_ms: gap,
                });
            }
            _ => {
                let Some(c) = self.calls.get_mut(&h) else {
                    return;
                };
                let q = c.info_dtmf.get_or_insert_with(InfoQueue::default);
                q.digits
                    .extend(digits.chars().map(|d| d.to_ascii_uppercase()));
                q.duration_ms = duration;
                q.gap = Duration::from_millis(u64::from(gap));
                self.pump_info_dtmf(h);
            }
        }
    }

    /// Send the next queued INFO digit if nothing is in flight and no pause runs.
    pub(crate) fn pump_info_dtmf(&mut self, h: CallHandle) {
        let now = self.now;
        let Some(c) = self.calls.get_mut(&h) else {
            return;
        };
        if c.state != CallState::Confirmed {
            return;
        }
        let Some(q) = c.info_dtmf.as_mut() else {
            return;
        };
        if q.in_flight.is_some() || q.not_before.is_some_and(|t| t > now) {
            return;
        }
        q.not_before = None;
        let digit = match q.digits.pop_front() {
            Some(',') => {
                q.not_before = Some(now + PAUSE);
                return;
            }
            Some(d) => d,
            None => return,
        };
        q.in_flight = Some(digit);
        let duration = q.duration_ms;
        let peer = c.peer;
        let Some((mut info, hop)) = c
            .dialog
            .as_mut()
            .map(|d| (d.new_request(Method::Info), d.next_hop()))
        else {
            return;
        };
        let dest = self.hop_target(&hop, peer);
        let via = self.via_for(&dest);
        info.headers.insert(0, "Via", via);
        info.headers.push("Max-Forwards", "70");
        info.headers.push("User-Agent", USER_AGENT);
        info.headers.push("Content-Type", "application/dtmf-relay");
        info.body = format!("Signal={digit}\r\nDuration={duration}\r\n").into_bytes();
        let account = self.calls.get(&h).and_then(|c| c.account);
        if let Some(i) = account {
            self.authorize_for(i, &mut info);
        }
        if let Some(q) = self.calls.get_mut(&h).and_then(|c| c.info_dtmf.as_mut()) {
            q.sent = Some(info.clone());
        }
        self.send_request(info, dest, h, TxnPurpose::Info);
    }

    /// A 401/407 to our INFO (a proxy may challenge requests inside a dialog, §22.3): put
    /// the digit back first in line and send it again at once with the account's
    /// credentials (§22.2: a new request, new CSeq). False when it cannot be answered.
    fn retry_info_with_credentials(&mut self, h: CallHandle, digit: char, resp: &Response) -> bool {
        let Some(c) = self.calls.get_mut(&h) else {
            return false;
        };
        let account = c.account;
        let Some(q) = c.info_dtmf.as_mut() else {
            return false;
        };
        let sent = q.sent.take();
        if std::mem::take(&mut q.challenged) {
            return false;
        }
        let (Some(i), Some(sent)) = (account, sent) else {
            return false;
        };
        let Some(a) = self.accounts.get_mut(i) else {
            return false;
        };
        if !matches!(
            a.auth.handle_challenge(&sent, resp),
            Ok(AuthDecision::Retry | AuthDecision::RetryStale)
        ) {
            return false;
        }
        if let Some(q) = self.calls.get_mut(&h).and_then(|c| c.info_dtmf.as_mut()) {
            q.digits.push_front(digit);
            q.not_before = None;
            q.challenged = true;
        }
        self.pump_info_dtmf(h);
        true
    }

    /// The final response (or failure) of one of our INFO digits.
    pub(crate) fn on_info_done(&mut self, h: CallHandle, resp: Option<&Response>) {
        let now = self.now;
        let Some(q) = self.calls.get_mut(&h).and_then(|c| c.info_dtmf.as_mut()) else {
            return;
        };
        let Some(digit) = q.in_flight.take() else {
            return;
        };
        q.not_before = Some(now + q.gap);
        if let Some(r) = resp.filter(|r| matches!(r.code, 401 | 407)) {
            if self.retry_info_with_credentials(h, digit, r) {
                return;
            }
        } else if let Some(q) = self.calls.get_mut(&h).and_then(|c| c.info_dtmf.as_mut()) {
            q.challenged = false;
            q.sent = None;
        }
        match resp {
            Some(r) if (200..300).contains(&r.code) => {
                self.emit(Event::DtmfSent {
                    call: h,
                    digit: digit.to_string(),
                    method: DtmfMode::Info,
                });
            }
            other => {
                let why = match other {
                    Some(r) => format!("{} {}", r.code, r.reason),
                    None => "no answer".into(),
                };
                // The peer refused INFO: drop the rest rather than repeat the failure.
                if let Some(q) = self.calls.get_mut(&h).and_then(|c| c.info_dtmf.as_mut()) {
                    q.digits.clear();
                }
                self.command_error(format!(
                    "dtmf: call {h}: the peer refused the INFO for '{digit}' ({why}); try --mode rfc4733"
                ));
            }
        }
    }

    /// An INFO inside a call's dialog (RFC 6086): DTMF bodies are reported, others refused.
    pub(crate) fn on_info(&mut self, h: CallHandle, key: TxnKey, req: Request) {
        let ct = req
            .content_type()
            .map(|c| {
                c.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .unwrap_or_default();
        let digits = match ct.as_str() {
            "application/dtmf-relay" => parse_dtmf_relay(&req.body),
            "application/dtmf" => parse_dtmf_plain(&req.body),
            // An INFO without a body is a keep-alive some PBXs send.
            "" if req.body.is_empty() => None,
            _ => {
                let mut resp = req.make_response(415, None);
                resp.headers
                    .push("Accept", "application/dtmf-relay, application/dtmf");
                self.respond_with_tag(&key, resp);
                return;
            }
        };
        self.respond_simple(&key, &req, 200);
        if let Some((digit, duration_ms)) = digits {
            self.emit(Event::Dtmf {
                call: h,
                digit: digit.to_string(),
                duration_ms,
                method: DtmfMode::Info,
            });
        }
    }

    /// A digit the media task decoded or finished sending.
    pub(crate) fn on_media_dtmf(&mut self, h: CallHandle, digit: char, duration: Option<u32>) {
        // A call just ended still gets the digits its media task reported on the way out.
        if !self.calls.contains_key(&h) && !self.media_stopped.contains(&h) {
            return;
        }
        match duration {
            Some(duration_ms) => self.emit(Event::Dtmf {
                call: h,
                digit: digit.to_string(),
                duration_ms,
                method: DtmfMode::Rfc4733,
            }),
            None => self.emit(Event::DtmfSent {
                call: h,
                digit: digit.to_string(),
                method: DtmfMode::Rfc4733,
            }),
        }
    }
}

/// `Signal=5\r\nDuration=160` (Cisco's `application/dtmf-relay`); the digit and its duration.
fn parse_dtmf_relay(body: &[u8]) -> Option<(char, u32)> {
    let text = std::str::from_utf8(body).ok()?;
    let mut digit = None;
    let mut duration = DEFAULT_DURATION_MS;
    for line in text.lines() {
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        match k.trim().to_ascii_lowercase().as_str() {
            "signal" => digit = v.trim().chars().next().map(|c| c.to_ascii_uppercase()),
            "duration" => duration = v.trim().parse().unwrap_or(duration),
            _ => {}
        }
    }
    let d = digit?;
    crate::media::dtmf::digit_to_event(d)?;
    Some((d, duration))
}

/// `application/dtmf`: the body is the digit itself.
fn parse_dtmf_plain(body: &[u8]) -> Option<(char, u32)> {
    let d = std::str::from_utf8(body)
        .ok()?
        .trim()
        .chars()
        .next()?
        .to_ascii_uppercase();
    crate::media::dtmf::digit_to_event(d)?;
    Some((d, DEFAULT_DURATION_MS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dtmf_relay_bodies() {
        assert_eq!(
            parse_dtmf_relay(b"Signal=5\r\nDuration=160\r\n"),
            Some(('5', 160))
        );
        assert_eq!(
            parse_dtmf_relay(b"signal= #\nduration=250"),
            Some(('#', 250))
        );
        assert_eq!(parse_dtmf_relay(b"Signal=d\r\n"), Some(('D', 100)));
        assert_eq!(parse_dtmf_relay(b"Signal=x\r\n"), None);
        assert_eq!(parse_dtmf_relay(b"Duration=100"), None);
        assert_eq!(parse_dtmf_relay(&[0xff, 0xfe]), None);
        assert_eq!(parse_dtmf_plain(b"*\r\n"), Some(('*', 100)));
        assert_eq!(parse_dtmf_plain(b""), None);
    }
}
