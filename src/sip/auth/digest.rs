//! Digest computation and the credentials header value.
//!
//! - A1, A2 and the request-digest: RFC 7616 §3.4.1-§3.4.3 (RFC 2617 §3.2.2.1-§3.2.2.3 for
//!   MD5; the no-qop form is RFC 2069's, kept by RFC 2617 §3.2.2.1 and RFC 3261 §22.4).
//! - `userhash`: RFC 7616 §3.4.4.
//! - Header syntax: RFC 3261 §25.1 `digest-response`, RFC 7616 §3.4 (which parameters are
//!   quoted: `algorithm`, `qop`, `nc` and `userhash` are not).
//!
//! Everything here is a pure function: the cnonce and nonce count come from the caller.

use md5::Md5;
use sha2::{Digest, Sha256, Sha512_256};

use super::challenge::{parse_raw, Algorithm, Challenge, Qop};

/// Lower-case hex of H(data) for `algorithm` (the `-sess` variants use their base hash).
pub fn hash_hex(algorithm: Algorithm, data: &[u8]) -> String {
    match algorithm {
        Algorithm::Md5 | Algorithm::Md5Sess => hex(&Md5::digest(data)),
        Algorithm::Sha256 | Algorithm::Sha256Sess => hex(&Sha256::digest(data)),
        Algorithm::Sha512_256 | Algorithm::Sha512_256Sess => hex(&Sha512_256::digest(data)),
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

/// The nonce count as 8 lower-case hex digits (RFC 7616 §3.4: `nc-value = 8LHEX`).
pub fn format_nc(nc: u32) -> String {
    format!("{nc:08x}")
}

/// Everything the request-digest depends on (RFC 7616 §3.4.1).
///
/// `Debug` is implemented by hand so the password is never printed.
#[derive(Clone, Copy)]
pub struct DigestInput<'a> {
    /// The challenge's algorithm.
    pub algorithm: Algorithm,
    /// The user name (not hashed; `userhash` only changes what is sent).
    pub username: &'a str,
    /// The challenge's realm.
    pub realm: &'a str,
    /// The password.
    pub password: &'a str,
    /// The challenge's nonce.
    pub nonce: &'a str,
    /// The client nonce (used with qop and by the `-sess` algorithms).
    pub cnonce: &'a str,
    /// The nonce count, 1 for the first request with this nonce.
    pub nc: u32,
    /// The chosen qop; `None` for the RFC 2069 form.
    pub qop: Option<Qop>,
    /// The request method (RFC 3261 §22.4: for ACK and CANCEL too).
    pub method: &'a str,
    /// The digest-uri: the Request-URI exactly as sent (RFC 3261 §22.4).
    pub uri: &'a str,
    /// The request body, used only by `auth-int`.
    pub body: &'a [u8],
}

impl std::fmt::Debug for DigestInput<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DigestInput")
            .field("algorithm", &self.algorithm)
            .field("username", &self.username)
            .field("realm", &self.realm)
            .field("password", &"***")
            .field("nonce", &self.nonce)
            .field("cnonce", &self.cnonce)
            .field("nc", &self.nc)
            .field("qop", &self.qop)
            .field("method", &self.method)
            .field("uri", &self.uri)
            .finish_non_exhaustive()
    }
}

impl DigestInput<'_> {
    /// H(A1): `H(user:realm:pass)`, and for `-sess` `H(H(user:realm:pass):nonce:cnonce)`
    /// (RFC 7616 §3.4.2).
    pub fn ha1(&self) -> String {
        let alg = self.algorithm;
        let base = hash_hex(
            alg,
            format!("{}:{}:{}", self.username, self.realm, self.password).as_bytes(),
        );
        if alg.is_session() {
            hash_hex(
                alg,
                format!("{base}:{}:{}", self.nonce, self.cnonce).as_bytes(),
            )
        } else {
            base
        }
    }

    /// H(A2): `H(method:uri)`, and for `auth-int` `H(method:uri:H(body))` (RFC 7616 §3.4.3).
    pub fn ha2(&self) -> String {
        let alg = self.algorithm;
        match self.qop {
            Some(Qop::AuthInt) => {
                let hbody = hash_hex(alg, self.body);
                hash_hex(
                    alg,
                    format!("{}:{}:{hbody}", self.method, self.uri).as_bytes(),
                )
            }
            _ => hash_hex(alg, format!("{}:{}", self.method, self.uri).as_bytes()),
        }
    }

    /// The request-digest (`response=`): `H(HA1:nonce:nc:cnonce:qop:HA2)` with qop
    /// (RFC 7616 §3.4.1), `H(HA1:nonce:HA2)` without (RFC 2617 §3.2.2.1).
    pub fn response(&self) -> String {
        let (ha1, ha2) = (self.ha1(), self.ha2());
        let data = match self.qop {
            Some(q) => format!(
                "{ha1}:{}:{}:{}:{}:{ha2}",
                self.nonce,
                format_nc(self.nc),
                self.cnonce,
                q.as_str()
            ),
            None => format!("{ha1}:{}:{ha2}", self.nonce),
        };
        hash_hex(self.algorithm, data.as_bytes())
    }
}

/// Append `s` as a quoted-string, escaping `"` and `\` (RFC 3261 §25.1 `quoted-pair`).
fn push_quoted(out: &mut String, s: &str) {
    out.push('"');
    for ch in s.chars() {
        if ch == '"' || ch == '\\' {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('"');
}

/// The `Authorization` / `Proxy-Authorization` value answering `challenge`.
///
/// Field order follows RFC 3261 §22.4's example and common practice: `username`, `realm`,
/// `nonce`, `uri`, `response`, `algorithm`, `cnonce`, `opaque`, `qop`, `nc`, `userhash`.
/// `qop` and `nc` are present only when a qop is used, `cnonce` also for `-sess`;
/// `algorithm` is always sent (RFC 7616 §3.4 lists it; sending it avoids relying on the MD5
/// default). With `userhash`, the username is `H(user:realm)`.
pub fn authorization_value(challenge: &Challenge, input: &DigestInput<'_>) -> String {
    let mut v = String::with_capacity(256);
    v.push_str("Digest username=");
    if challenge.userhash {
        let uh = hash_hex(
            input.algorithm,
            format!("{}:{}", input.username, input.realm).as_bytes(),
        );
        push_quoted(&mut v, &uh);
    } else {
        push_quoted(&mut v, input.username);
    }
    v.push_str(", realm=");
    push_quoted(&mut v, input.realm);
    v.push_str(", nonce=");
    push_quoted(&mut v, input.nonce);
    v.push_str(", uri=");
    push_quoted(&mut v, input.uri);
    v.push_str(", response=");
    push_quoted(&mut v, &input.response());
    v.push_str(", algorithm=");
    v.push_str(input.algorithm.as_str());
    if input.qop.is_some() || input.algorithm.is_session() {
        v.push_str(", cnonce=");
        push_quoted(&mut v, input.cnonce);
    }
    if let Some(opaque) = &challenge.opaque {
        v.push_str(", opaque=");
        push_quoted(&mut v, opaque);
    }
    if let Some(q) = input.qop {
        v.push_str(", qop=");
        v.push_str(q.as_str());
        v.push_str(", nc=");
        v.push_str(&format_nc(input.nc));
    }
    if challenge.userhash {
        v.push_str(", userhash=true");
    }
    v
}

/// A copy of an `Authorization` / `Proxy-Authorization` value with every `response=` value
/// replaced by `"***"`, for `--sip-trace` and logs (the response is an offline-guessable
/// function of the password). Input that cannot be parsed is masked after its scheme token.
pub fn redact_authorization(value: &str) -> String {
    match parse_raw(value) {
        Ok(chs) => {
            let mut spans: Vec<_> = chs
                .iter()
                .flat_map(|c| c.params.iter())
                .filter(|p| p.name.eq_ignore_ascii_case("response"))
                .map(|p| p.value_span.clone())
                .collect();
            spans.sort_by_key(|r| r.start);
            let mut out = String::with_capacity(value.len());
            let mut last = 0;
            for span in spans {
                out.push_str(&value[last..span.start]);
                out.push_str("\"***\"");
                last = span.end;
            }
            out.push_str(&value[last..]);
            out
        }
        Err(_) => {
            let scheme: String = value
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            format!("{scheme} ***")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc2617() -> DigestInput<'static> {
        DigestInput {
            algorithm: Algorithm::Md5,
            username: "Mufasa",
            realm: "testrealm@host.com",
            password: "Circle Of Life",
            nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
            cnonce: "0a4f113b",
            nc: 1,
            qop: Some(Qop::Auth),
            method: "GET",
            uri: "/dir/index.html",
            body: b"",
        }
    }

    #[test]
    fn rfc2617_section_3_5() {
        assert_eq!(rfc2617().response(), "6629fae49393a05397450978507c4ef1");
    }

    #[test]
    fn nc_is_eight_hex_digits() {
        assert_eq!(format_nc(1), "00000001");
        assert_eq!(format_nc(255), "000000ff");
        assert_eq!(format_nc(u32::MAX), "ffffffff");
    }

    #[test]
    fn auth_int_hashes_the_body() {
        // python3 -c "import hashlib;H=lambda s:hashlib.md5(s.encode()).hexdigest();
        //   print(H('INVITE:sip:bob@b.example:'+H('v=0\r\n')))"
        let input = DigestInput {
            qop: Some(Qop::AuthInt),
            method: "INVITE",
            uri: "sip:bob@b.example",
            body: b"v=0\r\n",
            ..rfc2617()
        };
        assert_eq!(input.ha2(), "82ee61118f62aa43a8dde0122ddba091");
    }

    #[test]
    fn quoting_escapes() {
        let mut s = String::new();
        push_quoted(&mut s, r#"a"b\c"#);
        assert_eq!(s, r#""a\"b\\c""#);
    }

    #[test]
    fn debug_hides_password() {
        let dbg = format!("{:?}", rfc2617());
        assert!(!dbg.contains("Circle"), "{dbg}");
        assert!(dbg.contains("***"));
    }

    /// Random strings over an alphabet of the characters that matter to the grammar.
    fn random_text(rng: &mut impl rand::Rng, alphabet: &[char], max: usize) -> String {
        let n = rng.gen_range(0..=max);
        (0..n)
            .map(|_| alphabet[rng.gen_range(0..alphabet.len())])
            .collect()
    }

    #[test]
    fn arbitrary_input_never_panics() {
        use rand::SeedableRng;
        let mut rng = rand::rngs::SmallRng::seed_from_u64(7616);
        let alphabet = [
            'D', 'i', 'g', 'e', 's', 't', ' ', '\t', '\r', '\n', '"', '\\', ',', '=', 'r', 'a',
            'l', 'm', 'n', 'o', 'c', 'é', '\u{0}', '/', '+',
        ];
        for _ in 0..5000 {
            let s = random_text(&mut rng, &alphabet, 40);
            let _ = crate::sip::auth::parse_challenges(&s);
            let _ = redact_authorization(&s);
            let prefixed = format!("Digest realm=\"r\", nonce=\"n\", {s}");
            let _ = crate::sip::auth::parse_challenges(&prefixed);
            let _ = redact_authorization(&prefixed);
        }
    }

    #[test]
    fn built_header_parses_back_and_redacts() {
        use rand::SeedableRng;
        let mut rng = rand::rngs::SmallRng::seed_from_u64(2617);
        let alphabet = [
            'a', 'Z', '0', ' ', '"', '\\', ',', '=', ';', ':', '@', 'é', '/',
        ];
        for _ in 0..500 {
            let realm = random_text(&mut rng, &alphabet, 12);
            let nonce = random_text(&mut rng, &alphabet, 12);
            let opaque = random_text(&mut rng, &alphabet, 12);
            let username = random_text(&mut rng, &alphabet, 12);
            let challenge = Challenge {
                realm: realm.clone(),
                nonce: nonce.clone(),
                opaque: Some(opaque.clone()),
                stale: false,
                algorithm: Algorithm::Sha256,
                qop: vec![Qop::Auth],
                domain: Vec::new(),
                userhash: false,
            };
            let input = DigestInput {
                algorithm: Algorithm::Sha256,
                username: &username,
                realm: &realm,
                password: "pw",
                nonce: &nonce,
                cnonce: "c",
                nc: 7,
                qop: Some(Qop::Auth),
                method: "REGISTER",
                uri: "sip:example.com",
                body: b"",
            };
            let value = authorization_value(&challenge, &input);
            let raws = parse_raw(&value).unwrap();
            assert_eq!(raws.len(), 1, "{value}");
            let raw = &raws[0];
            assert_eq!(raw.get("username"), Some(username.as_str()));
            assert_eq!(raw.get("realm"), Some(realm.as_str()));
            assert_eq!(raw.get("nonce"), Some(nonce.as_str()));
            assert_eq!(raw.get("opaque"), Some(opaque.as_str()));
            assert_eq!(raw.get("nc"), Some("00000007"));
            let response = input.response();
            assert_eq!(raw.get("response"), Some(response.as_str()));
            assert!(!redact_authorization(&value).contains(&response));
        }
    }

    #[test]
    fn redaction() {
        let v = r#"Digest username="u", response="6629fae49393a05397450978507c4ef1", nc=00000001"#;
        assert_eq!(
            redact_authorization(v),
            r#"Digest username="u", response="***", nc=00000001"#
        );
        assert_eq!(
            redact_authorization(r#"Digest response="abc"#),
            "Digest ***"
        );
        assert_eq!(
            redact_authorization("Digest response=abc"),
            r#"Digest response="***""#
        );
    }
}
