//! 3xx Contacts in q order (RFC 3261 §8.1.3.4), and a 3xx that is not followed: the call
//! ends with `redirected` listing them (`invite --no-follow`, `follow_redirects = false`).

use crate::api::{CallHandle, Event};
use crate::sip::engine::Engine;
use crate::sip::msg::{Response, Scheme, SipMessage, Uri};

/// The sip:/sips: Contacts of a 3xx, highest q first, the listed order among equals.
pub(super) fn contacts_by_q(resp: &Response) -> Vec<Uri> {
    let Ok(contacts) = resp.contacts() else {
        return Vec::new();
    };
    let mut targets: Vec<(u32, usize, Uri)> = contacts
        .into_iter()
        .enumerate()
        .filter(|(_, c)| matches!(c.uri.scheme, Scheme::Sip | Scheme::Sips))
        .map(|(i, c)| {
            let q = c
                .params
                .iter()
                .find(|p| p.name.eq_ignore_ascii_case("q"))
                .and_then(|p| p.value.as_deref())
                .and_then(|v| v.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            ((q.clamp(0.0, 1.0) * 1000.0) as u32, i, c.uri)
        })
        .collect();
    targets.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    targets.into_iter().map(|(_, _, uri)| uri).collect()
}

impl Engine {
    /// Whether call `h` follows 3xx responses: unless its invite said `--no-follow` or its
    /// account says `follow_redirects = false`.
    pub(crate) fn follows_redirects(&self, h: CallHandle) -> bool {
        let Some(call) = self.calls.get(&h) else {
            return false;
        };
        let account = call
            .account
            .and_then(|i| self.accounts.get(i))
            .is_none_or(|a| a.cfg.follow_redirects);
        account && !call.invite_options.no_follow
    }

    /// End call `h` on a 3xx without following it (the transaction ACKed it), reporting
    /// the Contacts.
    pub(crate) fn report_redirect(&mut self, h: CallHandle, resp: &Response) {
        if self.remove_call(h).is_none() {
            return;
        }
        self.emit(Event::Redirected {
            call: h,
            code: resp.code,
            contacts: contacts_by_q(resp).iter().map(Uri::to_string).collect(),
        });
    }
}
