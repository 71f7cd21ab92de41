//! Digest authentication helpers for engine tests: a test account and the fields of the
//! credentials a request carries (RFC 2617 §3.2.2, RFC 7616 §3.4).

use sipline::sip::account::{AccountConfig, Secret};
use sipline::sip::auth::{Algorithm, DigestInput, Qop};
use sipline::sip::msg::{Request, Uri};

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

/// Two UAs: UA 0 has [`account`] `alice` with password `secret` (not registering), UA 1
/// has none.
pub fn alice_with_account(seed: u64) -> super::Net {
    super::Net::with_accounts(2, seed, |i| {
        if i == 0 {
            let mut a = account("secret", 3600);
            a.register = false;
            vec![a]
        } else {
            Vec::new()
        }
    })
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

/// `req` answers the 407 with `nonce`: Proxy-Authorization whose MD5 digest is alice's
/// password for `method` (qop=auth, nc=1).
pub fn assert_answers(req: &Request, nonce: &str, method: &str) {
    let creds = digest_params(req.headers.get("Proxy-Authorization").expect("credentials"));
    assert_eq!(param(&creds, "nonce"), nonce);
    assert_eq!(param(&creds, "nc"), "00000001");
    let expected = DigestInput {
        algorithm: Algorithm::Md5,
        username: "alice",
        realm: REALM,
        password: "secret",
        nonce,
        cnonce: param(&creds, "cnonce"),
        nc: 1,
        qop: Some(Qop::Auth),
        method,
        uri: param(&creds, "uri"),
        body: &[],
    }
    .response();
    assert_eq!(param(&creds, "response"), expected);
}

/// A proxy's 407 to `req`, challenging with `nonce` (MD5, qop=auth).
pub fn challenge_407(req: &Request, nonce: &str) -> Vec<u8> {
    let mut r = req.make_response(407, None);
    r.headers.push(
        "Proxy-Authenticate",
        format!("Digest realm=\"{REALM}\", nonce=\"{nonce}\", algorithm=MD5, qop=\"auth\""),
    );
    r.to_bytes()
}
