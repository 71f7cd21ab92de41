//! Session timers (RFC 4028): the session is refreshed by re-INVITE every half interval by
//! the refresher; the other side ends it with BYE if no refresh comes before it expires.
//! Offered by default (`Supported: timer`), since many PBXs require it.

use std::time::{Duration, Instant};

use super::CallState;
use crate::api::CallHandle;
use crate::sip::engine::Engine;
use crate::sip::msg::{Headers, Request, Response};

/// The interval we ask for (RFC 4028 §4: 1800 s recommended).
pub const DEFAULT_SESSION_EXPIRES: u32 = 1800;
/// The smallest interval we accept (RFC 4028 §4: at least 90 s).
pub const MIN_SE: u32 = 90;

/// One call's session timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SessionTimer {
    /// Negotiated interval.
    pub(crate) interval: Duration,
    /// We send the refreshes.
    pub(crate) we_refresh: bool,
    /// When we refresh next (refresher only).
    pub(crate) refresh_at: Option<Instant>,
    /// When the session ends without a refresh (the other side only; §10: the interval
    /// minus the smaller of 32 s and a third of it).
    pub(crate) expires_at: Option<Instant>,
}

impl SessionTimer {
    /// Timers for a session (re)started at `now`.
    pub(crate) fn start(now: Instant, seconds: u32, we_refresh: bool) -> SessionTimer {
        let interval = Duration::from_secs(u64::from(seconds.max(MIN_SE)));
        if we_refresh {
            SessionTimer {
                interval,
                we_refresh,
                refresh_at: Some(now + interval / 2),
                expires_at: None,
            }
        } else {
            let margin = Duration::from_secs(32).min(interval / 3);
            SessionTimer {
                interval,
                we_refresh,
                refresh_at: None,
                expires_at: Some(now + interval - margin),
            }
        }
    }

    /// The earliest of its deadlines.
    pub(crate) fn next(&self) -> Option<Instant> {
        [self.refresh_at, self.expires_at]
            .into_iter()
            .flatten()
            .min()
    }
}

/// `Session-Expires: 1800;refresher=uac` → (1800, Some("uac")).
pub(crate) fn parse_session_expires(headers: &Headers) -> Option<(u32, Option<String>)> {
    let value = headers.get("Session-Expires")?;
    let mut parts = value.split(';');
    let seconds = parts.next()?.trim().parse().ok()?;
    let refresher = parts.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("refresher")
            .then(|| v.trim().to_ascii_lowercase())
    });
    Some((seconds, refresher))
}

/// True when the message lists `timer` in Supported (or Require).
pub(crate) fn supports_timer(headers: &Headers) -> bool {
    ["Supported", "Require"].iter().any(|h| {
        headers
            .get_split(h)
            .iter()
            .any(|t| t.eq_ignore_ascii_case("timer"))
    })
}

/// Headers a request of ours offering session timers carries (RFC 4028 §7.1).
pub(crate) fn offer_headers(req: &mut Request, seconds: u32) {
    super::prack::add_option_tag(&mut req.headers, "Supported", "timer");
    req.headers
        .set("Session-Expires", format!("{seconds};refresher=uac"));
    req.headers.set("Min-SE", MIN_SE.to_string());
}

/// Put the negotiated interval into a 2xx we send (§9): Session-Expires with the
/// refresher, Require: timer when the peer supports it, and our Supported.
pub(crate) fn answer_headers(resp: &mut Response, req: &Request, secs: u32, refresher: &str) {
    resp.headers
        .set("Session-Expires", format!("{secs};refresher={refresher}"));
    if supports_timer(&req.headers) {
        resp.headers.set("Require", "timer");
    }
    resp.headers.set("Supported", "timer");
}

impl Engine {
    /// UAC side (§7.2): start the timer from the 2xx to our INVITE or re-INVITE.
    pub(crate) fn session_timer_from_2xx(&mut self, h: CallHandle, resp: &Response) {
        let now = self.now;
        let Some(c) = self.calls.get_mut(&h) else {
            return;
        };
        c.session_timer = parse_session_expires(&resp.headers).map(|(secs, refresher)| {
            // Without a refresher in the 2xx, the UAC (we) refreshes (§7.2).
            let we_refresh = refresher.as_deref() != Some("uas");
            SessionTimer::start(now, secs, we_refresh)
        });
    }

    /// UAS side (§9): the interval and refresher to put in our 2xx for `req`, and start
    /// the timer. None when the request does not ask for a session timer.
    pub(crate) fn session_timer_for_request(
        &mut self,
        h: CallHandle,
        req: &Request,
    ) -> Option<(u32, &'static str)> {
        let (secs, refresher) = parse_session_expires(&req.headers)?;
        // §9: the UAC refreshes when it supports timers and did not ask otherwise.
        let uac_refreshes = match refresher.as_deref() {
            Some("uas") => false,
            Some(_) => true,
            None => supports_timer(&req.headers),
        };
        let now = self.now;
        if let Some(c) = self.calls.get_mut(&h) {
            c.session_timer = Some(SessionTimer::start(now, secs, !uac_refreshes));
        }
        Some((secs.max(MIN_SE), if uac_refreshes { "uac" } else { "uas" }))
    }

    /// A refresh or expiry is due.
    pub(crate) fn on_session_timer(&mut self, h: CallHandle) {
        let now = self.now;
        let Some(c) = self.calls.get(&h) else {
            return;
        };
        let Some(t) = c.session_timer else {
            return;
        };
        if t.expires_at.is_some_and(|e| e <= now) {
            // §10: no refresh came: end the session.
            if let Some(c) = self.calls.get_mut(&h) {
                c.session_timer = None;
            }
            self.send_bye(h, "session-expired");
            return;
        }
        if t.refresh_at.is_some_and(|r| r <= now) {
            let idle = c.state == CallState::Confirmed && c.reinvite.is_none();
            let hold = c.local_hold;
            if let Some(c) = self.calls.get_mut(&h) {
                // Retry in a few seconds if a re-INVITE of ours is busy; the answer to the
                // refresh restarts the timer.
                c.session_timer = Some(SessionTimer {
                    refresh_at: Some(now + Duration::from_secs(if idle { 32 } else { 2 })),
                    ..t
                });
            }
            if idle {
                self.send_refresh(h, hold);
            }
        }
    }
}
