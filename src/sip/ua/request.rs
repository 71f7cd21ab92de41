//! `request`: a request of any other method, in a call's dialog (RFC 3261 §12.2.1.1) or
//! outside any dialog (§8.1), like SIP.js `sendRequest`. Its final response is reported as
//! [`Event::Response`]; a 401/407 is answered with the account's credentials (§22.2).

use super::CallState;
use crate::api::{CallHandle, Event, ResponseOptions};
use crate::sip::engine::{Engine, USER_AGENT};
use crate::sip::msg::{Headers, Method, NameAddr, Request, Response, Uri};
use crate::sip::transport::{self, Target};
use crate::sip::txn::{TxnFailure, TxnKey};

/// Methods with a command of their own, which `request` refuses, and that command.
pub const OWN_COMMANDS: &[(&str, &str)] = &[
    ("INVITE", "invite"),
    ("ACK", "none: ACKs are automatic"),
    ("CANCEL", "cancel"),
    ("BYE", "bye or hangup"),
    ("PRACK", "none: PRACKs are automatic"),
    ("UPDATE", "none: UPDATEs are automatic (session refresh)"),
    ("REGISTER", "register"),
    ("REFER", "refer"),
];

/// How many challenges one request answers before its 401/407 is reported.
const MAX_AUTH_RETRIES: u32 = 2;

/// One of our `request` transactions.
#[derive(Clone, Debug)]
pub(crate) struct OwnRequest {
    /// The call whose dialog it went in.
    call: Option<CallHandle>,
    /// The account whose credentials answer a challenge.
    account: Option<usize>,
    /// What was sent (for a retry with credentials).
    request: Request,
    dest: Target,
    auth_retries: u32,
}

impl Engine {
    /// `request [N] METHOD …` or `request METHOD URI …`.
    pub(crate) fn cmd_request(
        &mut self,
        call: Option<CallHandle>,
        target: Option<String>,
        account: Option<&str>,
        method: &str,
        options: ResponseOptions,
    ) {
        if method.is_empty()
            || !method
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-.!%*_+`'~".contains(c))
        {
            self.command_error(format!("request: '{method}' is not a method name"));
            return;
        }
        if let Some((_, own)) = OWN_COMMANDS.iter().find(|(m, _)| *m == method) {
            self.command_error(format!(
                "request: {method} has its own command ({own}); request sends other methods, e.g. INFO, MESSAGE, OPTIONS"
            ));
            return;
        }
        let method = Method::from_token(method);
        let built = match target {
            Some(t) => self.out_of_dialog_request(&t, account, method),
            None => self.in_dialog_request(call, method),
        };
        let Some((mut req, dest, call, account)) = built else {
            return;
        };
        for (name, value) in options.headers {
            req.headers.push(&name, value);
        }
        if let Some(body) = options.body {
            let ct = options.content_type.as_deref().unwrap_or("text/plain");
            req.headers.push("Content-Type", ct);
            req.body = body.into_bytes();
        }
        if let Some(i) = account {
            self.authorize_for(i, &mut req);
        }
        let own = OwnRequest {
            call,
            account,
            request: req,
            dest,
            auth_retries: 0,
        };
        self.send_own_request(own);
    }

    fn send_own_request(&mut self, own: OwnRequest) {
        let key = self.send_unowned_request(own.request.clone(), own.dest);
        self.requests.insert(key, own);
    }

    /// §12.2.1.1: the request in call N's dialog (the call must be up).
    fn in_dialog_request(
        &mut self,
        call: Option<CallHandle>,
        method: Method,
    ) -> Option<(Request, Target, Option<CallHandle>, Option<usize>)> {
        let up = |c: &super::Call| c.state == CallState::Confirmed && c.dialog.is_some();
        let h = self.resolve_call("request", call, up, "call that is up")?;
        let c = self.calls.get_mut(&h)?;
        let peer = c.peer;
        let account = c.account;
        let (mut req, hop) = c
            .dialog
            .as_mut()
            .map(|d| (d.new_request(method), d.next_hop()))?;
        let dest = self.hop_target(&hop, peer);
        let via = self.via_for(&dest);
        req.headers.insert(0, "Via", via);
        req.headers.push("Max-Forwards", "70");
        req.headers.push("Contact", self.contact_for(&dest));
        req.headers.push("User-Agent", USER_AGENT);
        Some((req, dest, Some(h), account))
    }

    /// §8.1.1: a request outside any dialog, from the account named `account` (default:
    /// the first, if any), through its outbound proxy (or its registrar for its own domain)
    /// when it has one.
    fn out_of_dialog_request(
        &mut self,
        target: &str,
        account: Option<&str>,
        method: Method,
    ) -> Option<(Request, Target, Option<CallHandle>, Option<usize>)> {
        let text = target.trim();
        let with_scheme = if text.starts_with("sip:") || text.starts_with("sips:") {
            text.to_string()
        } else {
            format!("sip:{text}")
        };
        let Ok(uri) = Uri::parse(&with_scheme) else {
            self.command_error(format!(
                "request: '{text}' is not a SIP URI (expected sip:user@host[:port])"
            ));
            return None;
        };
        let account = match account {
            Some(name) => Some(self.account_index("request", Some(name))?),
            None => (!self.accounts.is_empty()).then_some(0),
        };
        let hop = account.and_then(|i| {
            let cfg = &self.accounts[i].cfg;
            cfg.outbound_proxy.clone().or_else(|| {
                (transport::uri_destination(&uri).is_none() && uri.host == cfg.aor.host)
                    .then(|| cfg.registrar_uri())
            })
        });
        let proxy = account.and_then(|i| self.accounts[i].cfg.outbound_proxy.clone());
        let hop_uri = hop.as_ref().unwrap_or(&uri);
        let Some(addr) = transport::uri_destination(hop_uri) else {
            self.command_error(format!(
                "request: cannot reach '{text}': the host must be an IP address or localhost"
            ));
            return None;
        };
        let dest = Target {
            proto: transport::uri_protocol(hop_uri),
            addr,
            flow: None,
        };
        let tag = self.new_tag();
        let from = match account {
            Some(i) => {
                let cfg = &self.accounts[i].cfg;
                let mut from = NameAddr::new(cfg.aor.clone());
                from.display = cfg.display_name.clone();
                from.set_tag(&tag);
                from.to_string()
            }
            None => format!(
                "<sip:{}@{}>;tag={tag}",
                self.cfg.user,
                transport::ip_host(self.local_ip_for(addr.ip()))
            ),
        };
        let contact = match account {
            Some(i) => self.account_contact(i, &dest),
            None => self.contact_for(&dest),
        };
        let mut headers = Headers::default();
        headers.push("Via", self.via_for(&dest));
        headers.push("Max-Forwards", "70");
        if let Some(proxy) = proxy {
            headers.push("Route", format!("<{proxy};lr>"));
        }
        headers.push("From", from);
        headers.push("To", NameAddr::new(uri.clone()).to_string());
        headers.push("Call-ID", self.new_call_id());
        headers.push("CSeq", format!("1 {method}"));
        headers.push("Contact", contact);
        headers.push("User-Agent", USER_AGENT);
        let mut req = Request::new(method, uri);
        req.headers = headers;
        Some((req, dest, None, account))
    }

    /// A response in one of our `request` transactions.
    pub(crate) fn on_request_response(&mut self, key: TxnKey, resp: Response) {
        if resp.code < 200 {
            return;
        }
        let Some(mut own) = self.requests.remove(&key) else {
            return;
        };
        if matches!(resp.code, 401 | 407) && own.auth_retries < MAX_AUTH_RETRIES {
            if let Some(i) = own.account {
                let decision = self.accounts[i].auth.handle_challenge(&own.request, &resp);
                if matches!(
                    decision,
                    Ok(crate::sip::auth::AuthDecision::Retry
                        | crate::sip::auth::AuthDecision::RetryStale)
                ) {
                    let mut retry = self.retry_copy(&own.request, &own.dest);
                    // In a dialog the CSeq comes from the dialog (§12.2.1.1).
                    let seq = own
                        .call
                        .and_then(|h| self.calls.get_mut(&h))
                        .and_then(|c| c.dialog.as_mut())
                        .map(|d| {
                            d.local_seq = d.local_seq.wrapping_add(1);
                            d.local_seq
                        });
                    if let Some(seq) = seq {
                        retry
                            .headers
                            .set("CSeq", format!("{seq} {}", own.request.method));
                    }
                    retry.headers.remove("Authorization");
                    retry.headers.remove("Proxy-Authorization");
                    self.authorize_for(i, &mut retry);
                    own.request = retry;
                    own.auth_retries += 1;
                    self.send_own_request(own);
                    return;
                }
            }
        }
        self.emit(Event::Response {
            call: own.call,
            method: own.request.method.to_string(),
            code: resp.code,
            reason: resp.reason.clone(),
        });
    }

    /// No final response came (Timer F) or the transport failed.
    pub(crate) fn on_request_failure(&mut self, own: OwnRequest, failure: TxnFailure) {
        let reason = match failure {
            TxnFailure::Timeout => "timeout",
            TxnFailure::Transport => "transport",
        };
        self.emit(Event::Response {
            call: own.call,
            method: own.request.method.to_string(),
            code: 0,
            reason: reason.into(),
        });
    }
}
