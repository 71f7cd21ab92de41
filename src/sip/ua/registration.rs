//! Registration (RFC 3261 §10.2): REGISTER an account's binding, refresh it before it
//! expires, honour the Expires and Min-Expires (423) the registrar gives, authenticate
//! (§22), retry failures with capped exponential back-off and jitter, and remove the
//! binding (Expires: 0) on request or at shutdown.

use std::time::{Duration, Instant};

use rand::Rng;

use crate::api::Event;
use crate::sip::account::AccountConfig;
use crate::sip::auth::{AuthDecision, Credentials, DigestClient};
use crate::sip::engine::{Engine, ALLOW, USER_AGENT};
use crate::sip::msg::{Headers, Method, NameAddr, Request, Response, SipMessage};
use crate::sip::transport::{self, Target};
use crate::sip::txn::{TxnFailure, TxnKey};

/// The shortest refresh interval we schedule, whatever the registrar grants.
const MIN_REFRESH: Duration = Duration::from_secs(5);

/// What the user wants for this account's binding.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Want {
    /// Keep it registered.
    Registered,
    /// Keep it unregistered.
    Unregistered,
}

/// An account and its registration state.
#[derive(Debug)]
pub(crate) struct AccountState {
    pub(crate) cfg: AccountConfig,
    pub(crate) auth: DigestClient,
    want: Want,
    /// §10.2: one Call-ID for all REGISTERs of this binding, CSeq increasing.
    call_id: String,
    tag: String,
    cseq: u32,
    /// Lifetime we ask for (raised by 423 Min-Expires).
    expires: u32,
    /// Registered until this moment, if registered.
    registered_until: Option<Instant>,
    /// Next refresh or retry.
    pub(crate) next: Option<Instant>,
    failures: u32,
    /// The REGISTER in flight, as sent (for the digest challenge).
    pending: Option<(TxnKey, Request)>,
    /// 423 retries for the current attempt (a registrar that keeps asking is an error).
    interval_retries: u32,
    /// Where the registrar saw us (its Via `received`/`rport`, RFC 3581), when that differs
    /// from our own address: a NAT in between. Used in Contact from then on.
    pub(crate) public: Option<std::net::SocketAddr>,
    /// A Contact we registered before learning the public address: removed (expires=0)
    /// in the next REGISTER so the registrar does not fork to a dead binding.
    stale_contact: Option<String>,
    /// Next keep-alive, while registered with keep-alives on.
    pub(crate) keepalive_next: Option<Instant>,
}

impl AccountState {
    pub(crate) fn new(cfg: AccountConfig, call_id: String, tag: String, now: Instant) -> Self {
        let mut creds = Vec::new();
        if let Some(pw) = &cfg.password {
            creds.push(Credentials::new(cfg.username(), pw.expose()));
        }
        let register = cfg.register;
        AccountState {
            expires: cfg.expires,
            auth: DigestClient::new(creds),
            want: if register {
                Want::Registered
            } else {
                Want::Unregistered
            },
            call_id,
            tag,
            cseq: 0,
            registered_until: None,
            // Register at the first poll (the driver wakes at once).
            next: register.then_some(now),
            failures: 0,
            pending: None,
            interval_retries: 0,
            public: None,
            stale_contact: None,
            keepalive_next: None,
            cfg,
        }
    }

    /// True while a binding is believed to exist.
    pub(crate) fn is_registered(&self, now: Instant) -> bool {
        self.registered_until.is_some_and(|u| u > now)
    }
}

/// libre's `failwait`: min(1800, 30·2^min(n,6)) seconds, scaled by a random 50–100 %
/// so clients do not retry in lockstep. `n` counts failures in a row, from 1.
pub(crate) fn failwait(n: u32, unit: f64) -> Duration {
    let base = (30u64 << n.min(6)).min(1800) as f64;
    Duration::from_secs_f64(base * (0.5 + 0.5 * unit.clamp(0.0, 1.0)))
}

impl Engine {
    /// Index of the account named `name` (None = the first), or a user-facing error.
    pub(crate) fn account_index(&mut self, verb: &str, name: Option<&str>) -> Option<usize> {
        if self.accounts.is_empty() {
            self.command_error(format!(
                "{verb}: no account is configured (give --user, --domain and --password, or an account in the config file)"
            ));
            return None;
        }
        match name {
            None => Some(0),
            Some(n) => match self.accounts.iter().position(|a| a.cfg.name == n) {
                Some(i) => Some(i),
                None => {
                    let names: Vec<&str> =
                        self.accounts.iter().map(|a| a.cfg.name.as_str()).collect();
                    self.command_error(format!(
                        "{verb}: '{n}' is not an account (accounts: {})",
                        names.join(", ")
                    ));
                    None
                }
            },
        }
    }

    /// `register [--account NAME]`.
    pub(crate) fn cmd_register(&mut self, name: Option<String>) {
        let Some(i) = self.account_index("register", name.as_deref()) else {
            return;
        };
        self.accounts[i].want = Want::Registered;
        self.accounts[i].failures = 0;
        self.send_register(i);
    }

    /// `unregister [--account NAME]`.
    pub(crate) fn cmd_unregister(&mut self, name: Option<String>) {
        let Some(i) = self.account_index("unregister", name.as_deref()) else {
            return;
        };
        self.accounts[i].want = Want::Unregistered;
        self.send_register(i);
    }

    /// At shutdown: remove every binding we hold.
    pub(crate) fn unregister_all(&mut self) {
        for i in 0..self.accounts.len() {
            let now = self.now;
            let a = &mut self.accounts[i];
            a.next = None;
            if a.is_registered(now) || a.pending.is_some() {
                a.want = Want::Unregistered;
                self.send_register(i);
            }
        }
    }

    /// Where requests of account `i` go: its outbound proxy, else its registrar.
    fn registrar_target(&self, i: usize) -> Option<Target> {
        let cfg = &self.accounts[i].cfg;
        let hop = cfg
            .outbound_proxy
            .clone()
            .unwrap_or_else(|| cfg.registrar_uri());
        Some(Target {
            proto: transport::uri_protocol(&hop),
            addr: transport::uri_destination(&hop)?,
            flow: None,
        })
    }

    /// Send (or resend, after a challenge or 423) the account's REGISTER (§10.2.1).
    pub(crate) fn send_register(&mut self, i: usize) {
        let Some(target) = self.registrar_target(i) else {
            let name = self.accounts[i].cfg.name.clone();
            self.accounts[i].want = Want::Unregistered;
            self.emit(Event::RegistrationFailed {
                account: name,
                code: 0,
                reason: "the registrar's host must be an IP address or localhost".into(),
                retry_in: 0,
            });
            return;
        };
        let via = self.via_for(&target);
        let mut contact = format!("<{}>", self.account_contact_uri(i, &target));
        if self.accounts[i].cfg.outbound {
            // RFC 5626 §4.2: one flow (reg-id 1) of this instance.
            let urn = self.accounts[i].cfg.instance_urn();
            contact.push_str(&format!(";reg-id=1;+sip.instance=\"<{urn}>\""));
        }
        let cnonce = self.random_hex(16);
        let a = &mut self.accounts[i];
        a.cseq += 1;
        a.next = None;
        let expires = match a.want {
            Want::Registered => a.expires,
            Want::Unregistered => 0,
        };
        let mut aor = NameAddr::new(a.cfg.aor.clone());
        aor.display = a.cfg.display_name.clone();
        let mut from = aor.clone();
        from.set_tag(&a.tag);
        let mut req = Request::new(Method::Register, a.cfg.registrar_uri());
        let mut h = Headers::default();
        h.push("Via", via);
        h.push("Max-Forwards", "70");
        if let Some(proxy) = &a.cfg.outbound_proxy {
            h.push("Route", format!("<{proxy};lr>"));
        }
        h.push("From", from.to_string());
        h.push("To", aor.to_string());
        h.push("Call-ID", a.call_id.clone());
        h.push("CSeq", format!("{} REGISTER", a.cseq));
        if let Some(old) = a.stale_contact.take() {
            h.push("Contact", format!("{old};expires=0"));
        }
        h.push("Contact", contact);
        h.push("Expires", expires.to_string());
        h.push("Allow", ALLOW);
        if a.cfg.outbound {
            h.push("Supported", "outbound, path");
        }
        h.push("User-Agent", USER_AGENT);
        req.headers = h;
        a.auth.authorize(&mut req, &cnonce);
        let key = self.txns.send_request(self.now, req.clone(), target);
        self.reg_owners.insert(key.clone(), i);
        self.accounts[i].pending = Some((key, req));
    }

    /// Our Contact for account `i`'s dialogs toward `target` (§8.1.1.8), with `;ob` when the
    /// account uses SIP Outbound (RFC 5626 §4.3: keep the dialog on the registered flow).
    pub(crate) fn account_contact(&self, i: usize, target: &Target) -> String {
        let ob = if self.accounts[i].cfg.outbound {
            ";ob"
        } else {
            ""
        };
        format!("<{}{ob}>", self.account_contact_uri(i, target))
    }

    /// Our Contact URI for account `i` toward `target` (§10.2.1: where we are reachable).
    pub(crate) fn account_contact_uri(&self, i: usize, target: &Target) -> String {
        let user = self.accounts[i].cfg.aor.user.clone().unwrap_or_default();
        let transport = match target.proto {
            transport::Protocol::Udp => "",
            transport::Protocol::Tcp => ";transport=tcp",
            transport::Protocol::Tls => ";transport=tls",
        };
        let (ip, port) = match self.accounts[i].public {
            Some(p) => (p.ip(), p.port()),
            None => (self.local_ip_for(target.addr.ip()), self.cfg.local.port()),
        };
        format!("sip:{user}@{}:{port}{transport}", transport::ip_host(ip))
    }

    /// A final response to the account's REGISTER (§10.2.4).
    pub(crate) fn on_register_response(&mut self, i: usize, key: TxnKey, resp: Response) {
        if resp.code < 200 {
            return;
        }
        let Some((pending_key, sent)) = self.accounts[i].pending.take() else {
            return;
        };
        if pending_key != key {
            // A late answer to an older REGISTER.
            self.accounts[i].pending = Some((pending_key, sent));
            return;
        }
        let name = self.accounts[i].cfg.name.clone();
        match resp.code {
            200..=299 => self.on_register_ok(i, &sent, &resp),
            401 | 407 => match self.accounts[i].auth.handle_challenge(&sent, &resp) {
                Ok(AuthDecision::Retry | AuthDecision::RetryStale) => self.send_register(i),
                Ok(AuthDecision::Fail(_)) | Err(_) => {
                    self.register_failed(i, Some(resp.code), "auth failed".into());
                }
            },
            423 => {
                // §10.2.8: ask again with at least Min-Expires.
                let min = resp
                    .headers
                    .get("Min-Expires")
                    .and_then(|v| v.trim().parse::<u32>().ok());
                let a = &mut self.accounts[i];
                match min {
                    Some(m) if m > a.expires && a.interval_retries < 3 => {
                        a.expires = m;
                        a.interval_retries += 1;
                        self.send_register(i);
                    }
                    _ => self.register_failed(i, Some(423), resp.reason.clone()),
                }
            }
            _ => {
                let _ = name;
                self.register_failed(i, Some(resp.code), resp.reason.clone());
            }
        }
    }

    fn on_register_ok(&mut self, i: usize, sent: &Request, resp: &Response) {
        let now = self.now;
        let name = self.accounts[i].cfg.name.clone();
        let a = &mut self.accounts[i];
        a.failures = 0;
        a.interval_retries = 0;
        if a.want == Want::Unregistered {
            a.registered_until = None;
            a.next = None;
            self.emit(Event::Unregistered { account: name });
            return;
        }
        // RFC 3581 §4 / RFC 5626 §5: the registrar saw us elsewhere (NAT). Register once
        // more with the address it saw, so calls reach us there.
        // Only over UDP: on a stream the source port is the connection's, not a mapping,
        // and the registrar reaches us over that connection anyway (RFC 5626 §5).
        let over_udp = sent
            .top_via()
            .is_ok_and(|v| v.transport.eq_ignore_ascii_case("UDP"));
        if let Some(seen) = seen_address(resp).filter(|_| over_udp) {
            let ours = sent
                .contacts()
                .ok()
                .and_then(|c| c.into_iter().last())
                .and_then(|c| transport::uri_destination(&c.uri));
            if ours.is_some_and(|o| o != seen) && a.public != Some(seen) {
                a.public = Some(seen);
                a.stale_contact = sent
                    .headers
                    .get_split("Contact")
                    .last()
                    .map(|c| c.to_string());
                self.send_register(i);
                return;
            }
        }
        let a = &mut self.accounts[i];
        let granted = granted_expires(sent, resp).unwrap_or(a.expires);
        if granted == 0 {
            a.registered_until = None;
            a.next = None;
            self.emit(Event::Unregistered { account: name });
            return;
        }
        let lifetime = Duration::from_secs(u64::from(granted));
        a.registered_until = Some(now + lifetime);
        if let Some(k) = a.cfg.keepalive.filter(|k| *k > 0) {
            a.keepalive_next
                .get_or_insert(now + Duration::from_secs(u64::from(k)));
        }
        // Refresh at about half the granted time (§10.2.4 leaves the margin to us).
        a.next = Some(now + (lifetime / 2).max(MIN_REFRESH));
        self.emit(Event::Registered {
            account: name,
            expires: granted,
        });
    }

    fn register_failed(&mut self, i: usize, code: Option<u16>, reason: String) {
        let unit: f64 = self.rng.gen();
        let now = self.now;
        let name = self.accounts[i].cfg.name.clone();
        let a = &mut self.accounts[i];
        a.pending = None;
        a.interval_retries = 0;
        a.registered_until = None;
        let retry_in = if a.want == Want::Registered {
            a.failures += 1;
            let wait = failwait(a.failures, unit);
            a.next = Some(now + wait);
            Some(wait.as_secs() as u32)
        } else {
            a.next = None;
            None
        };
        self.emit(Event::RegistrationFailed {
            account: name,
            code: code.unwrap_or(0),
            reason,
            retry_in: retry_in.unwrap_or(0),
        });
    }

    /// The REGISTER's transaction ended without a final response.
    pub(crate) fn on_register_txn_failure(&mut self, i: usize, key: TxnKey, failure: TxnFailure) {
        if self.accounts[i].pending.as_ref().map(|(k, _)| k) != Some(&key) {
            return;
        }
        let reason = match failure {
            TxnFailure::Timeout => "timeout",
            TxnFailure::Transport => "transport",
        };
        self.register_failed(i, None, reason.into());
    }

    /// Refreshes, retries and keep-alives that are due.
    pub(crate) fn on_registration_timers(&mut self) {
        for i in 0..self.accounts.len() {
            let now = self.now;
            let a = &mut self.accounts[i];
            if a.keepalive_next.is_some_and(|t| t <= now) {
                match (a.is_registered(now), a.cfg.keepalive) {
                    (true, Some(k)) if k > 0 => {
                        a.keepalive_next = Some(now + Duration::from_secs(u64::from(k)));
                        if let Some(target) = self.registrar_target(i) {
                            // RFC 5626 §4.4.1: a double CRLF ping.
                            self.transmit(target, b"\r\n\r\n".to_vec());
                        }
                    }
                    _ => a.keepalive_next = None,
                }
            }
            let due = self.accounts[i].next.is_some_and(|t| t <= self.now);
            if due && self.accounts[i].pending.is_none() {
                self.send_register(i);
            }
        }
    }

    /// Authorize a request of account `i` with the credentials its challenges taught us.
    pub(crate) fn authorize_for(&mut self, i: usize, req: &mut Request) {
        let cnonce = self.random_hex(16);
        if let Some(a) = self.accounts.get_mut(i) {
            a.auth.authorize(req, &cnonce);
        }
    }

    /// A new copy of `req` for a retry after a challenge: CSeq + 1, a fresh branch.
    pub(crate) fn retry_copy(&mut self, req: &Request, target: &Target) -> Request {
        let mut retry = req.clone();
        if let Ok(cseq) = req.cseq() {
            retry
                .headers
                .set("CSeq", format!("{} {}", cseq.seq + 1, cseq.method));
        }
        let via = self.via_for(target);
        retry.headers.remove("Via");
        retry.headers.insert(0, "Via", via);
        retry
    }
}

/// The address the registrar saw our REGISTER come from: `received` and `rport` of the
/// response's top Via (RFC 3581 §4), when it filled both.
fn seen_address(resp: &Response) -> Option<std::net::SocketAddr> {
    let via = resp.top_via().ok()?;
    let ip = transport::host_ip(via.received()?)?;
    let port = via.rport()??;
    Some(std::net::SocketAddr::new(ip, port))
}

/// §10.2.4: the lifetime granted to our binding: the `expires` parameter of the Contact that
/// matches ours, else the Expires header.
fn granted_expires(sent: &Request, resp: &Response) -> Option<u32> {
    // Our binding is the last Contact (an earlier one may be a stale binding being removed).
    let ours = sent.contacts().ok()?.into_iter().last()?;
    let from_contact = resp.contacts().ok().and_then(|cs| {
        cs.into_iter()
            .find(|c| {
                c.uri.user == ours.uri.user
                    && c.uri.host == ours.uri.host
                    && c.uri.port == ours.uri.port
            })
            .and_then(|c| {
                c.params
                    .iter()
                    .find(|p| p.name.eq_ignore_ascii_case("expires"))
                    .and_then(|p| p.value.as_deref())
                    .and_then(|v| v.trim().parse().ok())
            })
    });
    from_contact.or_else(|| {
        resp.headers
            .get("Expires")
            .and_then(|v| v.trim().parse().ok())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failwait_doubles_from_30_to_60_and_caps_at_1800_with_half_jitter() {
        assert_eq!(failwait(1, 0.0), Duration::from_secs(30));
        assert_eq!(failwait(1, 1.0), Duration::from_secs(60));
        assert_eq!(failwait(2, 1.0), Duration::from_secs(120));
        assert_eq!(failwait(6, 1.0), Duration::from_secs(1800));
        assert_eq!(failwait(20, 1.0), Duration::from_secs(1800));
        assert_eq!(failwait(20, 0.0), Duration::from_secs(900));
    }
}
