//! Out-of-dialog REFER (RFC 3515 §2.4.1 outside a dialog; SIP.js allows a REFER without a
//! session): `refer <URI> --to <RECIPIENT>` asks RECIPIENT to call URI. The REFER starts
//! the implicit subscription's dialog (RFC 3515 §2.4.4, RFC 6665 §4.1.2.4); its NOTIFYs
//! are matched by Call-ID and our tag and reported like those of an in-dialog transfer.

use super::challenge::SentRequest;
use super::TxnPurpose;
use crate::api::{CallHandle, ReferOptions};
use crate::sip::engine::{Engine, USER_AGENT};
use crate::sip::msg::{Headers, Method, NameAddr, Request, Response, SipMessage, Uri};
use crate::sip::transport::{self, Target};
use crate::sip::txn::TxnKey;

/// `sip:` in front when the text has no scheme.
fn sip_uri(text: &str) -> Option<Uri> {
    let text = text.trim();
    if text.contains(':') && (text.starts_with("sip:") || text.starts_with("sips:")) {
        Uri::parse(text).ok()
    } else {
        Uri::parse(&format!("sip:{text}")).ok()
    }
}

impl Engine {
    /// `refer <URI> --to <RECIPIENT>`.
    pub(crate) fn cmd_refer_out_of_dialog(
        &mut self,
        recipient: &str,
        target: &str,
        options: ReferOptions,
    ) {
        let Some(target_uri) = sip_uri(target) else {
            self.command_error(format!(
                "refer: '{target}' is not a SIP URI (expected refer <URI> --to <RECIPIENT>)"
            ));
            return;
        };
        let Some(to) = sip_uri(recipient) else {
            self.command_error(format!(
                "refer: --to '{recipient}' is not a SIP URI (expected refer <URI> --to sip:user@host[:port])"
            ));
            return;
        };
        // §8.1.2: the first account's outbound proxy, else the recipient itself.
        let account = (!self.accounts.is_empty()).then_some(0);
        let proxy = account.and_then(|i| self.accounts[i].cfg.outbound_proxy.clone());
        let hop = proxy.clone().unwrap_or_else(|| to.clone());
        let Some(addr) = transport::uri_destination(&hop) else {
            self.command_error(format!(
                "refer: cannot reach '{recipient}': the host must be an IP address or localhost"
            ));
            return;
        };
        let dest = Target {
            proto: transport::uri_protocol(&hop),
            addr,
            flow: None,
        };
        let h = self.allocate_call();
        let tag = self.new_tag();
        let call_id = self.new_call_id();
        let local_host = transport::ip_host(self.local_ip_for(dest.addr.ip()));
        let (me, contact) = match account {
            Some(i) => {
                let cfg = &self.accounts[i].cfg;
                let mut me = NameAddr::new(cfg.aor.clone());
                me.display = cfg.display_name.clone();
                (me, self.account_contact(i, &dest))
            }
            None => (
                NameAddr::parse(&format!("<sip:{}@{local_host}>", self.cfg.user))
                    .unwrap_or_else(|_| NameAddr::new(to.clone())),
                self.contact_for(&dest),
            ),
        };
        let mut from = me.clone();
        from.set_tag(&tag);
        let mut req = Request::new(Method::Refer, to.clone());
        let mut headers = Headers::default();
        headers.push("Via", self.via_for(&dest));
        headers.push("Max-Forwards", "70");
        if let Some(proxy) = proxy {
            headers.push("Route", format!("<{proxy};lr>"));
        }
        headers.push("From", from.to_string());
        headers.push("To", NameAddr::new(to).to_string());
        headers.push("Call-ID", call_id.clone());
        headers.push("CSeq", "1 REFER");
        headers.push("Contact", contact);
        headers.push("Refer-To", format!("<{target_uri}>"));
        // RFC 3892: who asks, without our tag.
        headers.push("Referred-By", NameAddr::new(me.uri).to_string());
        if options.no_sub {
            headers.push("Refer-Sub", "false");
            headers.push("Supported", "norefersub");
        }
        headers.push("User-Agent", USER_AGENT);
        req.headers = headers;
        if let Some(i) = account {
            self.authorize_for(i, &mut req);
        }
        self.ood_refers.insert(h, (call_id, tag));
        let key = self.send_request(req.clone(), dest, h, TxnPurpose::Refer);
        if let Some(account) = account {
            let sent = SentRequest {
                request: req,
                dest,
                account,
                challenged: false,
            };
            self.ood_refers_sent.insert(key, sent);
        }
    }

    /// A final response to an out-of-dialog REFER: a 401/407 is answered once, with the
    /// same Call-ID and From tag (so its NOTIFYs still match), a higher CSeq and the
    /// account's credentials (RFC 3261 §22.2, §8.1.3.5). True when the REFER was sent again.
    pub(crate) fn retry_ood_refer_with_credentials(
        &mut self,
        h: CallHandle,
        key: &TxnKey,
        resp: &Response,
    ) -> bool {
        if resp.code < 200 {
            return false;
        }
        let Some(sent) = self.ood_refers_sent.remove(key) else {
            return false;
        };
        let Some(retry) = self.answer_challenge(&sent, resp) else {
            return false;
        };
        let key = self.send_request(retry.request.clone(), retry.dest, h, TxnPurpose::Refer);
        self.ood_refers_sent.insert(key, retry);
        true
    }

    /// The out-of-dialog REFER a NOTIFY belongs to: its Call-ID and our tag in its To.
    pub(crate) fn ood_refer_of(&self, req: &Request) -> Option<CallHandle> {
        let call_id = req.call_id().ok()?;
        let to = req.to_hdr().ok()?;
        let tag = to.tag()?;
        self.ood_refers
            .iter()
            .find(|(_, (c, t))| c == call_id && t == tag)
            .map(|(h, _)| *h)
    }

    /// A NOTIFY of an out-of-dialog REFER's subscription; the last one ends it.
    pub(crate) fn on_ood_notify(&mut self, h: CallHandle, key: TxnKey, req: Request) {
        let terminated = req
            .headers
            .get("Subscription-State")
            .is_some_and(|s| s.trim().to_ascii_lowercase().starts_with("terminated"));
        self.on_notify(h, key, req);
        if terminated {
            self.ood_refers.remove(&h);
        }
    }
}
