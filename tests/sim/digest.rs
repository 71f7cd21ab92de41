//! Digest authentication helpers for engine tests: a test account and the fields of the
//! credentials a request carries (RFC 2617 §3.2.2, RFC 7616 §3.4).

use sipline::sip::account::{AccountConfig, Secret};
use sipline::sip::msg::Uri;

/// The realm the scripted registrars and proxies challenge with.
pub const REALM: &str = "sipline.test";

/// Account `alice` at 127.0.0.1:5070 with `password`, registering for `expires` seconds.
pub fn account(password: &str, expires: u32) -> AccountConfig {
    let mut a = AccountConfig::new("alice", Uri::parse("sip:alice@127.0.0.1:5070").unwrap());
    a.password = Some(Secret::new(password));
    a.register = true;
    a.expires = expires;
    a
}

/// `key="value"` / `key=value` pairs of a Digest credentials value.
pub fn digest_params(value: &str) -> Vec<(String, String)> {
    let rest = value.trim().strip_prefix("Digest").unwrap_or(value);
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in rest.chars().chain(std::iter::once(',')) {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                if let Some((k, v)) = cur.split_once('=') {
                    out.push((k.trim().to_string(), v.trim().to_string()));
                }
                cur.clear();
            }
            c => cur.push(c),
        }
    }
    out
}

/// One field of [`digest_params`]' output ("" when absent).
pub fn param<'a>(ps: &'a [(String, String)], name: &str) -> &'a str {
    ps.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}
