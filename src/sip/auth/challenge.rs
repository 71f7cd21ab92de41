//! Parsing `WWW-Authenticate` / `Proxy-Authenticate` challenges and `Authorization`
//! credentials lists.
//!
//! Grammar: RFC 3261 §25.1 (`challenge`, `digest-cln`, `auth-param`), RFC 7616 §3.3 (the
//! Digest parameters), RFC 7235 §2.1 / §4.1 (several challenges in one field value,
//! comma-separated). The parser is tolerant where real servers differ from the grammar:
//! linear whitespace anywhere between items, case-insensitive names and tokens, unquoted values
//! where a quoted-string is required (`qop=auth`), quoted values where a token is required
//! (`algorithm="MD5"`), empty list elements. It never panics: malformed input gives a typed
//! [`ChallengeError`].
//!
//! `Headers::get_split` must not be used on these headers: it would split the digest
//! parameters at their commas. Each header line is parsed here as a whole.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

use super::error::ChallengeError;

/// A digest algorithm (RFC 7616 §3.3, §6.1; RFC 8760 §2).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Algorithm {
    /// `MD5` (RFC 2617 §3.2.2.2), the default when `algorithm` is absent.
    Md5,
    /// `MD5-sess` (RFC 2617 §3.2.2.2).
    Md5Sess,
    /// `SHA-256` (RFC 7616 §3.4.2, RFC 8760 §2.1).
    Sha256,
    /// `SHA-256-sess`.
    Sha256Sess,
    /// `SHA-512-256`: SHA-512/256 (FIPS 180-4), RFC 7616 §6.1.
    Sha512_256,
    /// `SHA-512-256-sess`.
    Sha512_256Sess,
}

impl Algorithm {
    /// The token as on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Md5Sess => "MD5-sess",
            Algorithm::Sha256 => "SHA-256",
            Algorithm::Sha256Sess => "SHA-256-sess",
            Algorithm::Sha512_256 => "SHA-512-256",
            Algorithm::Sha512_256Sess => "SHA-512-256-sess",
        }
    }

    /// Map a token (case-insensitive, RFC 7616 §3.3) to an algorithm; `None` if unsupported.
    pub fn from_token(token: &str) -> Option<Algorithm> {
        const ALL: [Algorithm; 6] = [
            Algorithm::Md5,
            Algorithm::Md5Sess,
            Algorithm::Sha256,
            Algorithm::Sha256Sess,
            Algorithm::Sha512_256,
            Algorithm::Sha512_256Sess,
        ];
        ALL.into_iter()
            .find(|a| a.as_str().eq_ignore_ascii_case(token))
    }

    /// True for the `-sess` variants (RFC 7616 §3.4.2: A1 includes the nonce and cnonce).
    pub fn is_session(self) -> bool {
        matches!(
            self,
            Algorithm::Md5Sess | Algorithm::Sha256Sess | Algorithm::Sha512_256Sess
        )
    }

    /// Preference rank, higher is stronger: SHA-512-256 > SHA-256 > MD5; a `-sess` variant
    /// ranks with its hash (RFC 8760 brings SHA-256 and SHA-512-256 to SIP as stronger
    /// alternatives to MD5).
    pub fn strength(self) -> u8 {
        match self {
            Algorithm::Md5 | Algorithm::Md5Sess => 1,
            Algorithm::Sha256 | Algorithm::Sha256Sess => 2,
            Algorithm::Sha512_256 | Algorithm::Sha512_256Sess => 3,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A quality of protection (RFC 7616 §3.3 `qop`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Qop {
    /// `auth`: authentication only.
    Auth,
    /// `auth-int`: authentication with integrity protection of the body (A2 includes H(body)).
    AuthInt,
}

impl Qop {
    /// The token as on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Qop::Auth => "auth",
            Qop::AuthInt => "auth-int",
        }
    }
}

impl fmt::Display for Qop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One parsed Digest challenge (RFC 7616 §3.3).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Challenge {
    /// The protection space (`realm`, required).
    pub realm: String,
    /// The server nonce (`nonce`, required).
    pub nonce: String,
    /// Returned unchanged in the credentials (`opaque`).
    pub opaque: Option<String>,
    /// `stale=true`: the previous response was right but its nonce expired (RFC 7616 §3.3).
    pub stale: bool,
    /// The algorithm (`MD5` when absent).
    pub algorithm: Algorithm,
    /// The `qop` options we understand, in the server's order; empty when `qop` was absent
    /// (RFC 2069 compatibility: the response is computed without qop).
    pub qop: Vec<Qop>,
    /// The `domain` URIs (space-separated list). Kept for inspection; in SIP the realm alone
    /// names the protection domain (RFC 3261 §22.1), so it does not restrict reuse here.
    pub domain: Vec<String>,
    /// `userhash=true`: send H(user:realm) as the username (RFC 7616 §3.4.4).
    pub userhash: bool,
}

impl Challenge {
    /// Parse the first challenge of a header value, which must be a usable Digest challenge.
    pub fn parse(value: &str) -> Result<Challenge, ChallengeError> {
        parse_challenges(value)
            .into_iter()
            .next()
            .unwrap_or(Err(ChallengeError::Empty))
    }

    /// The qop we answer with: `auth` if offered, else `auth-int`; `None` when the challenge
    /// has no `qop` (RFC 2617 §3.2.2.1 compatibility with RFC 2069).
    pub fn chosen_qop(&self) -> Option<Qop> {
        if self.qop.contains(&Qop::Auth) {
            Some(Qop::Auth)
        } else {
            self.qop.first().copied()
        }
    }

    fn from_raw(raw: &RawChallenge<'_>) -> Result<Challenge, ChallengeError> {
        if !raw.scheme.eq_ignore_ascii_case("Digest") {
            return Err(ChallengeError::UnsupportedScheme(raw.scheme.to_string()));
        }
        for (i, p) in raw.params.iter().enumerate() {
            if raw.params[..i]
                .iter()
                .any(|q| q.name.eq_ignore_ascii_case(p.name))
            {
                return Err(ChallengeError::DuplicateParam(p.name.to_ascii_lowercase()));
            }
        }
        let realm = raw
            .get("realm")
            .ok_or(ChallengeError::MissingParam("realm"))?;
        let nonce = raw
            .get("nonce")
            .ok_or(ChallengeError::MissingParam("nonce"))?;
        let algorithm = match raw.get("algorithm") {
            None => Algorithm::Md5,
            Some(t) => Algorithm::from_token(t.trim())
                .ok_or_else(|| ChallengeError::UnsupportedAlgorithm(t.to_string()))?,
        };
        let qop = match raw.get("qop") {
            None => Vec::new(),
            Some(list) => {
                let mut known = Vec::new();
                for tok in list.split(',').map(str::trim) {
                    let q = if tok.eq_ignore_ascii_case("auth") {
                        Qop::Auth
                    } else if tok.eq_ignore_ascii_case("auth-int") {
                        Qop::AuthInt
                    } else {
                        continue;
                    };
                    if !known.contains(&q) {
                        known.push(q);
                    }
                }
                if known.is_empty() {
                    return Err(ChallengeError::UnsupportedQop(list.to_string()));
                }
                known
            }
        };
        let is_true = |name: &str| {
            raw.get(name)
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
        };
        Ok(Challenge {
            realm: realm.to_string(),
            nonce: nonce.to_string(),
            opaque: raw.get("opaque").map(str::to_string),
            stale: is_true("stale"),
            algorithm,
            qop,
            domain: raw
                .get("domain")
                .map(|d| d.split_whitespace().map(str::to_string).collect())
                .unwrap_or_default(),
            userhash: is_true("userhash"),
        })
    }
}

/// Parse every challenge in one header value, in order. A syntax error in the value gives a
/// single `Err` (the rest of the line cannot be trusted); a well-formed but unusable challenge
/// (Basic, an unknown algorithm, no known qop) gives an `Err` in its place.
pub fn parse_challenges(value: &str) -> Vec<Result<Challenge, ChallengeError>> {
    match parse_raw(value) {
        Ok(raws) if raws.is_empty() => vec![Err(ChallengeError::Empty)],
        Ok(raws) => raws.iter().map(Challenge::from_raw).collect(),
        Err(e) => vec![Err(e)],
    }
}

// ===== raw auth-param lists (shared with Authorization parsing and redaction) =====

/// One `name=value` auth-param with the byte range of its value as written (quotes
/// included), so a caller can rewrite it in place.
#[derive(Clone, Debug)]
pub(crate) struct RawParam<'a> {
    pub(crate) name: &'a str,
    pub(crate) value: Cow<'a, str>,
    pub(crate) value_span: Range<usize>,
}

/// A scheme token and its parameters.
#[derive(Clone, Debug)]
pub(crate) struct RawChallenge<'a> {
    pub(crate) scheme: &'a str,
    pub(crate) params: Vec<RawParam<'a>>,
}

impl RawChallenge<'_> {
    /// The first parameter with this name (case-insensitive).
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .map(|p| p.value.as_ref())
    }
}

/// RFC 3261 §25.1 `token` characters.
fn is_token_char(c: u8) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
        )
}

/// Control characters other than SP and HTAB (RFC 5234 CTL). CR and LF only occur in a
/// header value as folding, which the message parser has already removed.
fn is_forbidden_ctl(c: u8) -> bool {
    (c < 0x20 && c != b'\t') || c == 0x7f
}

fn is_lws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }

    fn skip_lws(&mut self) {
        while self.peek().is_some_and(is_lws) {
            self.pos += 1;
        }
    }

    fn skip_lws_and_commas(&mut self) {
        while self.peek().is_some_and(|c| is_lws(c) || c == b',') {
            self.pos += 1;
        }
    }

    fn token(&mut self) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(is_token_char) {
            self.pos += 1;
        }
        // Token characters are ASCII, so both ends are char boundaries.
        &self.s[start..self.pos]
    }

    /// A quoted-string starting at the opening quote; returns the unescaped content.
    fn quoted(&mut self) -> Result<Cow<'a, str>, ChallengeError> {
        let open = self.pos;
        self.pos += 1;
        let start = self.pos;
        let mut owned: Option<String> = None;
        let mut run = start;
        loop {
            match self.peek() {
                None => return Err(ChallengeError::UnterminatedQuote { at: open }),
                Some(b'"') => {
                    let value = match owned {
                        None => Cow::Borrowed(&self.s[start..self.pos]),
                        Some(mut o) => {
                            o.push_str(&self.s[run..self.pos]);
                            Cow::Owned(o)
                        }
                    };
                    self.pos += 1;
                    return Ok(value);
                }
                Some(c) if is_forbidden_ctl(c) => {
                    return Err(ChallengeError::ControlChar { at: self.pos })
                }
                Some(b'\\') => {
                    if self
                        .s
                        .as_bytes()
                        .get(self.pos + 1)
                        .copied()
                        .is_some_and(is_forbidden_ctl)
                    {
                        return Err(ChallengeError::ControlChar { at: self.pos + 1 });
                    }
                    let o = owned.get_or_insert_with(String::new);
                    o.push_str(&self.s[run..self.pos]);
                    self.pos += 1;
                    // quoted-pair: the escaped character (may be multi-byte UTF-8) is kept.
                    match self.s[self.pos..].chars().next() {
                        None => return Err(ChallengeError::UnterminatedQuote { at: open }),
                        Some(ch) => {
                            o.push(ch);
                            self.pos += ch.len_utf8();
                        }
                    }
                    run = self.pos;
                }
                Some(_) => {
                    // Advance by whole characters so slices stay on char boundaries.
                    let ch_len = self.s[self.pos..].chars().next().map_or(1, char::len_utf8);
                    self.pos += ch_len;
                }
            }
        }
    }

    /// An unquoted value: everything up to whitespace, a comma or a quote.
    fn bare_value(&mut self) -> &'a str {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if is_lws(c) || c == b',' || c == b'"' || is_forbidden_ctl(c) {
                break;
            }
            self.pos += self.s[self.pos..].chars().next().map_or(1, char::len_utf8);
        }
        &self.s[start..self.pos]
    }
}

/// Split a header value into challenges (`scheme *(param)`, several per value allowed).
pub(crate) fn parse_raw(value: &str) -> Result<Vec<RawChallenge<'_>>, ChallengeError> {
    let mut cur = Cursor { s: value, pos: 0 };
    let mut out: Vec<RawChallenge<'_>> = Vec::new();
    loop {
        cur.skip_lws_and_commas();
        let Some(_) = cur.peek() else { break };
        let at = cur.pos;
        let name = cur.token();
        if name.is_empty() {
            return Err(ChallengeError::UnexpectedChar { at });
        }
        cur.skip_lws();
        if cur.peek() == Some(b'=') {
            cur.pos += 1;
            cur.skip_lws();
            let v_start = cur.pos;
            let value = match cur.peek() {
                Some(b'"') => cur.quoted()?,
                Some(_) => Cow::Borrowed(cur.bare_value()),
                None => return Err(ChallengeError::MissingValue { at: v_start }),
            };
            if cur.pos == v_start {
                return Err(ChallengeError::MissingValue { at: v_start });
            }
            let param = RawParam {
                name,
                value,
                value_span: v_start..cur.pos,
            };
            match out.last_mut() {
                Some(ch) => ch.params.push(param),
                None => return Err(ChallengeError::ParamBeforeScheme),
            }
            cur.skip_lws();
            match cur.peek() {
                None | Some(b',') => {}
                Some(_) => return Err(ChallengeError::UnexpectedChar { at: cur.pos }),
            }
        } else {
            out.push(RawChallenge {
                scheme: name,
                params: Vec::new(),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asterisk_style() {
        let c = Challenge::parse(
            r#"Digest realm="asterisk",nonce="1700000000/abc",opaque="123",algorithm=MD5,qop="auth""#,
        )
        .unwrap();
        assert_eq!(c.realm, "asterisk");
        assert_eq!(c.nonce, "1700000000/abc");
        assert_eq!(c.opaque.as_deref(), Some("123"));
        assert_eq!(c.algorithm, Algorithm::Md5);
        assert_eq!(c.qop, vec![Qop::Auth]);
        assert!(!c.stale);
    }

    #[test]
    fn lws_case_and_escapes() {
        let c = Challenge::parse(
            "  digest   REALM = \"a \\\"b\\\\\" ,\r\n\tNonce=\"n\" , ALGORITHM=\"sha-256\", qop=auth-int , Stale=TRUE,  ",
        )
        .unwrap();
        assert_eq!(c.realm, "a \"b\\");
        assert_eq!(c.algorithm, Algorithm::Sha256);
        assert_eq!(c.qop, vec![Qop::AuthInt]);
        assert!(c.stale);
    }

    #[test]
    fn qop_list_and_domain() {
        let c = Challenge::parse(
            r#"Digest realm="r", nonce="n", qop="auth-int, auth,foo", domain="sip:a.example sip:b.example", userhash=true"#,
        )
        .unwrap();
        assert_eq!(c.qop, vec![Qop::AuthInt, Qop::Auth]);
        assert_eq!(c.chosen_qop(), Some(Qop::Auth));
        assert_eq!(c.domain, vec!["sip:a.example", "sip:b.example"]);
        assert!(c.userhash);
    }

    #[test]
    fn several_challenges_in_one_value() {
        let v = parse_challenges(
            r#"Digest realm="r", nonce="a", algorithm=SHA-256, Basic realm="r", Digest realm="r", nonce="b""#,
        );
        assert_eq!(v.len(), 3);
        assert_eq!(v[0].as_ref().unwrap().algorithm, Algorithm::Sha256);
        assert_eq!(
            v[1],
            Err(ChallengeError::UnsupportedScheme("Basic".to_string()))
        );
        assert_eq!(v[2].as_ref().unwrap().nonce, "b");
    }

    #[test]
    fn unsupported_and_malformed_are_typed() {
        assert_eq!(
            Challenge::parse(r#"Digest realm="r", nonce="n", algorithm=AKAv1-MD5"#),
            Err(ChallengeError::UnsupportedAlgorithm("AKAv1-MD5".into()))
        );
        assert_eq!(
            Challenge::parse(r#"Digest realm="r", nonce="n", qop="auth-conf""#),
            Err(ChallengeError::UnsupportedQop("auth-conf".into()))
        );
        assert_eq!(
            Challenge::parse(r#"Digest nonce="n""#),
            Err(ChallengeError::MissingParam("realm"))
        );
        assert_eq!(
            Challenge::parse(r#"Digest realm="r", realm="s", nonce="n""#),
            Err(ChallengeError::DuplicateParam("realm".into()))
        );
        assert_eq!(
            Challenge::parse(r#"Digest nonce="n", realm="r"#),
            Err(ChallengeError::UnterminatedQuote { at: 24 })
        );
        assert_eq!(
            Challenge::parse(r#"realm="r""#),
            Err(ChallengeError::ParamBeforeScheme)
        );
        assert_eq!(Challenge::parse("   "), Err(ChallengeError::Empty));
        assert!(matches!(
            Challenge::parse("Digest realm="),
            Err(ChallengeError::MissingValue { .. })
        ));
        assert!(matches!(
            Challenge::parse(r#"Digest realm="r" x, nonce="n""#),
            Err(ChallengeError::UnexpectedChar { .. })
        ));
    }

    #[test]
    fn control_characters_are_refused() {
        assert_eq!(
            Challenge::parse("Digest realm=\"a\r\nX-Evil: 1\", nonce=\"n\""),
            Err(ChallengeError::ControlChar { at: 15 })
        );
        assert_eq!(
            Challenge::parse("Digest realm=\"a\\\n\", nonce=\"n\""),
            Err(ChallengeError::ControlChar { at: 16 })
        );
        assert!(matches!(
            Challenge::parse("Digest realm=a\u{0}b, nonce=n"),
            Err(ChallengeError::UnexpectedChar { .. })
        ));
        let c = Challenge::parse("Digest realm=\"a\tb\", nonce=\"n\"").unwrap();
        assert_eq!(c.realm, "a\tb");
    }

    #[test]
    fn no_panic_on_arbitrary_input() {
        let samples = [
            "",
            "\"",
            "\\",
            "Digest \"",
            "Digest realm=\"\\",
            "Digest realm=\"é\\é\"",
            "Digest ,,,, realm = \"x\" ,",
            "=",
            "Digest ==",
            "Digest realm=é",
            "\u{0}\u{7f}",
            "Digest realm=\"r\", nonce=\"n\", stale",
            "Negotiate abc==",
        ];
        for s in samples {
            let _ = parse_challenges(s);
            for i in 0..=s.len() {
                if s.is_char_boundary(i) {
                    let _ = parse_challenges(&s[..i]);
                }
            }
        }
        let c = Challenge::parse("Digest realm=\"é\\é\", nonce=é").unwrap();
        assert_eq!(c.realm, "éé");
        assert_eq!(c.nonce, "é");
    }
}
