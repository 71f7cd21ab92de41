//! SIP, SIPS and tel URIs (RFC 3261 §19.1, RFC 3966), with params, headers and %-escapes.

use std::fmt;
use std::str::FromStr;

use super::header::{find_param, is_uri_text, split_byte, split_bytes, Cursor, Param};
use super::parse::{ParseError, ParseErrorKind};

/// URI scheme.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Scheme {
    /// `sip:`
    Sip,
    /// `sips:`
    Sips,
    /// `tel:` (RFC 3966)
    Tel,
    /// Any other absoluteURI scheme (kept so a UAS can answer 416, §8.2.2.1).
    Other(String),
}

/// A URI. For `sip`/`sips`, `user`, `host`, `port`, `params` and `headers` are filled; for
/// `tel` the number is in `user` and `host` is empty; for other schemes `opaque` holds
/// everything after the colon.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Uri {
    /// Scheme.
    pub scheme: Scheme,
    /// userinfo user part, as on the wire (escapes kept).
    pub user: Option<String>,
    /// userinfo password, as on the wire.
    pub password: Option<String>,
    /// Host: domain, IPv4, or bracketed IPv6 reference.
    pub host: String,
    /// Port.
    pub port: Option<u16>,
    /// uri-parameters (`;transport=tcp;lr`).
    pub params: Vec<Param>,
    /// URI headers (`?Replaces=...&...`), as on the wire.
    pub headers: Vec<(String, String)>,
    /// For `Scheme::Other`: the text after `scheme:`.
    pub opaque: Option<String>,
}

impl Uri {
    /// Parse a URI (no surrounding `<>`):
    /// [RFC 3261 §19.1](https://www.rfc-editor.org/rfc/rfc3261#section-19.1),
    /// [RFC 3966](https://www.rfc-editor.org/rfc/rfc3966) for `tel`.
    ///
    /// Only visible ASCII is accepted (no LWS, `<`, `>` or `"`). For `sip`/`sips` the
    /// userinfo ends at the first `@` (so the user part may hold `;`, `?`, `/`, RFC 4475
    /// §3.1.1.2, §3.1.1.9); parameter and header values and %-escapes are kept as on the
    /// wire; empty parameter names or values, an empty host or a bad port are errors.
    pub fn parse(s: &str) -> Result<Uri, ParseError> {
        parse_uri(s).ok_or_else(|| ParseError::new(ParseErrorKind::BadUri))
    }
    /// A `sip:` URI with the given user, host and port.
    pub fn sip(user: Option<&str>, host: &str, port: Option<u16>) -> Uri {
        Uri {
            scheme: Scheme::Sip,
            user: user.map(str::to_string),
            password: None,
            host: host.to_string(),
            port,
            params: Vec::new(),
            headers: Vec::new(),
            opaque: None,
        }
    }
    /// A uri-parameter: `Some(None)` for a flag like `lr`.
    pub fn param(&self, name: &str) -> Option<Option<&str>> {
        find_param(&self.params, name)
    }

    /// URI equivalence, [RFC 3261 §19.1.4](https://www.rfc-editor.org/rfc/rfc3261#section-19.1.4):
    /// components compared after %-unescaping; userinfo case-sensitively, everything else
    /// case-insensitively; a port, or a `user`, `ttl`, `method`, `maddr` or `transport`
    /// parameter, present in one URI must be present in the other; other parameters are
    /// compared only when both have them; URI headers must match as a set.
    ///
    /// `tel` numbers compare digit by digit ignoring visual separators (`-.()`, RFC 3966
    /// §4) with parameters as a set; other schemes compare by scheme and exact opaque text.
    pub fn equivalent(&self, other: &Uri) -> bool {
        match (&self.scheme, &other.scheme) {
            (Scheme::Sip, Scheme::Sip) | (Scheme::Sips, Scheme::Sips) => {}
            (Scheme::Tel, Scheme::Tel) => return tel_equivalent(self, other),
            (Scheme::Other(a), Scheme::Other(b)) => {
                return a.eq_ignore_ascii_case(b) && self.opaque == other.opaque
            }
            _ => return false,
        }
        let opt_eq = |a: Option<&str>, b: Option<&str>| match (a, b) {
            (Some(a), Some(b)) => unescaped_eq(a, b, false),
            (None, None) => true,
            _ => false,
        };
        if !opt_eq(self.user.as_deref(), other.user.as_deref())
            || !opt_eq(self.password.as_deref(), other.password.as_deref())
            || !self.host.eq_ignore_ascii_case(&other.host)
            || self.port != other.port
        {
            return false;
        }
        for name in ["user", "ttl", "method", "maddr", "transport"] {
            if unescaped_param(&self.params, name).is_some()
                != unescaped_param(&other.params, name).is_some()
            {
                return false;
            }
        }
        let params_agree = |a: &[Param], b: &[Param]| {
            a.iter().all(|p| match unescaped_param(b, &p.name) {
                Some(q) => param_value_eq(p.value.as_deref(), q.value.as_deref()),
                None => true,
            })
        };
        let headers_within = |a: &[(String, String)], b: &[(String, String)]| {
            a.iter().all(|(n, v)| {
                b.iter()
                    .any(|(m, w)| unescaped_eq(n, m, true) && unescaped_eq(v, w, true))
            })
        };
        params_agree(&self.params, &other.params)
            && headers_within(&self.headers, &other.headers)
            && headers_within(&other.headers, &self.headers)
    }
}

/// Bytes of `s` with `%XX` escapes decoded (a `%` not followed by two hex digits is itself).
fn unescaped(s: &str) -> impl Iterator<Item = u8> + '_ {
    let b = s.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        let c = *b.get(i)?;
        if c == b'%' {
            let hex = |x: u8| (x as char).to_digit(16);
            if let (Some(h), Some(l)) = (
                b.get(i + 1).copied().and_then(hex),
                b.get(i + 2).copied().and_then(hex),
            ) {
                i += 3;
                // invariant: two hex digits make at most 0xff.
                return Some((h * 16 + l) as u8);
            }
        }
        i += 1;
        Some(c)
    })
}

fn unescaped_eq(a: &str, b: &str, ignore_case: bool) -> bool {
    if ignore_case {
        unescaped(a)
            .map(|c| c.to_ascii_lowercase())
            .eq(unescaped(b).map(|c| c.to_ascii_lowercase()))
    } else {
        unescaped(a).eq(unescaped(b))
    }
}

/// The parameter whose unescaped name matches `name`, case-insensitively.
fn unescaped_param<'a>(params: &'a [Param], name: &str) -> Option<&'a Param> {
    params.iter().find(|p| unescaped_eq(&p.name, name, true))
}

fn param_value_eq(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => unescaped_eq(a, b, true),
        (None, None) => true,
        _ => false,
    }
}

fn tel_equivalent(a: &Uri, b: &Uri) -> bool {
    let digits = |u: &Uri| {
        u.user
            .as_deref()
            .unwrap_or("")
            .bytes()
            .filter(|c| !matches!(c, b'-' | b'.' | b'(' | b')'))
            .map(|c| c.to_ascii_lowercase())
            .collect::<Vec<u8>>()
    };
    let within = |x: &[Param], y: &[Param]| {
        x.iter().all(|p| {
            unescaped_param(y, &p.name)
                .is_some_and(|q| param_value_eq(p.value.as_deref(), q.value.as_deref()))
        })
    };
    digits(a) == digits(b) && within(&a.params, &b.params) && within(&b.params, &a.params)
}

impl FromStr for Uri {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uri::parse(s)
    }
}

impl fmt::Display for Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match &self.scheme {
            Scheme::Sip => "sip",
            Scheme::Sips => "sips",
            Scheme::Tel => "tel",
            Scheme::Other(s) => {
                f.write_str(s)?;
                f.write_str(":")?;
                return f.write_str(self.opaque.as_deref().unwrap_or(""));
            }
        };
        f.write_str(scheme)?;
        f.write_str(":")?;
        if self.scheme == Scheme::Tel {
            f.write_str(self.user.as_deref().unwrap_or(""))?;
        } else {
            if let Some(user) = &self.user {
                f.write_str(user)?;
                if let Some(pw) = &self.password {
                    f.write_str(":")?;
                    f.write_str(pw)?;
                }
                f.write_str("@")?;
            }
            f.write_str(&self.host)?;
            if let Some(port) = self.port {
                write!(f, ":{port}")?;
            }
        }
        for p in &self.params {
            f.write_str(";")?;
            f.write_str(&p.name)?;
            if let Some(v) = &p.value {
                f.write_str("=")?;
                f.write_str(v)?;
            }
        }
        for (i, (name, value)) in self.headers.iter().enumerate() {
            f.write_str(if i == 0 { "?" } else { "&" })?;
            f.write_str(name)?;
            f.write_str("=")?;
            f.write_str(value)?;
        }
        Ok(())
    }
}

/// The borrowed pieces of a URI, every piece already checked.
struct UriParts<'a> {
    scheme: Scheme,
    /// For `Scheme::Other`, the scheme as written.
    other: &'a str,
    user: Option<&'a str>,
    password: Option<&'a str>,
    host: &'a str,
    port: Option<u16>,
    /// After the first `;`, not yet split.
    params: Option<&'a str>,
    /// After the `?`, not yet split.
    headers: Option<&'a str>,
    opaque: Option<&'a str>,
}

fn uri_parts(s: &str) -> Option<UriParts<'_>> {
    if s.is_empty() || !is_uri_text(s) {
        return None;
    }
    let (scheme, rest) = split_byte(s, b':')?;
    let sb = scheme.as_bytes();
    if !sb.first()?.is_ascii_alphabetic()
        || !sb
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    {
        return None;
    }
    let mut parts = UriParts {
        scheme: Scheme::Sip,
        other: "",
        user: None,
        password: None,
        host: "",
        port: None,
        params: None,
        headers: None,
        opaque: None,
    };
    if scheme.eq_ignore_ascii_case("sip") || scheme.eq_ignore_ascii_case("sips") {
        if scheme.len() == 4 {
            parts.scheme = Scheme::Sips;
        }
        sip_parts(rest, &mut parts)?;
    } else if scheme.eq_ignore_ascii_case("tel") {
        // telephone-subscriber (RFC 3966): the number in `user`, then `;params`.
        parts.scheme = Scheme::Tel;
        let (number, params) = split_opt(rest, b';');
        if number.is_empty() || number.contains(['?', '@']) {
            return None;
        }
        parts.user = Some(number);
        parts.params = params;
    } else {
        if rest.is_empty() {
            return None;
        }
        parts.scheme = Scheme::Other(String::new());
        parts.other = scheme;
        parts.opaque = Some(rest);
    }
    if !parts.params.is_none_or(valid_params) || !parts.headers.is_none_or(valid_headers) {
        return None;
    }
    Some(parts)
}

fn split_opt(s: &str, sep: u8) -> (&str, Option<&str>) {
    match split_byte(s, sep) {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    }
}

/// SIP-URI / SIPS-URI after the colon (§19.1.1, §25.1).
fn sip_parts<'a>(rest: &'a str, parts: &mut UriParts<'a>) -> Option<()> {
    let hostpart = match split_byte(rest, b'@') {
        Some((userinfo, hp)) => {
            let (user, password) = split_opt(userinfo, b':');
            if user.is_empty() {
                return None;
            }
            parts.user = Some(user);
            parts.password = password;
            hp
        }
        None => rest,
    };
    let (hp, headers) = split_opt(hostpart, b'?');
    let (hostport, params) = split_opt(hp, b';');
    let mut c = Cursor::new(hostport);
    parts.host = c.host()?;
    parts.port = if c.eat(b':') { Some(c.port()?) } else { None };
    if !c.at_end() {
        return None;
    }
    parts.params = params;
    parts.headers = headers;
    Some(())
}

/// `name[=value]` pieces separated by `;`: names and given values non-empty.
fn valid_params(s: &str) -> bool {
    split_bytes(s, b';').all(|piece| {
        let (name, value) = split_opt(piece, b'=');
        !name.is_empty() && value.is_none_or(|v| !v.is_empty())
    })
}

/// `hname=hvalue` pieces separated by `&`; hvalue may be empty.
fn valid_headers(s: &str) -> bool {
    split_bytes(s, b'&').all(|piece| split_byte(piece, b'=').is_some_and(|(n, _)| !n.is_empty()))
}

/// True when `s` is a URI [`Uri::parse`] accepts; allocates nothing.
pub(crate) fn is_valid_uri(s: &str) -> bool {
    is_plain_sip_uri(s) || uri_parts(s).is_some()
}

/// The usual From/To URI, `sip:user@host[:port]` or `sip:host[:port]` with a plain user
/// part, recognised in one pass. True only for URIs [`uri_parts`] accepts too (§25.1: user
/// characters are unreserved, host a hostname or IPv4 address, port 1*DIGIT); false means
/// "not this shape", and the full grammar decides.
pub(crate) fn is_plain_sip_uri(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("sip:") else {
        return false;
    };
    let b = rest.as_bytes();
    let plain_user =
        |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~' | b'+');
    let user_end = b.iter().position(|&c| !plain_user(c)).unwrap_or(b.len());
    let host_start = match b.get(user_end) {
        Some(b'@') if user_end > 0 => user_end + 1,
        _ => 0,
    };
    let mut c = Cursor::new(rest);
    c.pos = host_start;
    if c.host().is_none_or(|h| h.starts_with('[')) {
        return false;
    }
    if c.eat(b':') && c.port().is_none() {
        return false;
    }
    c.at_end()
}

fn parse_uri(s: &str) -> Option<Uri> {
    let p = uri_parts(s)?;
    let params = match p.params {
        Some(ps) => split_bytes(ps, b';')
            .map(|piece| {
                let (name, value) = split_opt(piece, b'=');
                Param {
                    name: name.to_string(),
                    value: value.map(str::to_string),
                }
            })
            .collect(),
        None => Vec::new(),
    };
    let headers = match p.headers {
        Some(hs) => split_bytes(hs, b'&')
            .map(|piece| {
                let (name, value) = split_opt(piece, b'=');
                (name.to_string(), value.unwrap_or("").to_string())
            })
            .collect(),
        None => Vec::new(),
    };
    Some(Uri {
        scheme: match p.scheme {
            Scheme::Other(_) => Scheme::Other(p.other.to_string()),
            known => known,
        },
        user: p.user.map(str::to_string),
        password: p.password.map(str::to_string),
        host: p.host.to_string(),
        port: p.port,
        params,
        headers,
        opaque: p.opaque.map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plain_sip_uri_shortcut_accepts_only_what_the_full_grammar_accepts() {
        let plain = [
            "sip:alice@example.com",
            "sip:bob@192.0.2.20:5060",
            "sip:example.com",
            "sip:a.b-c_d~e+1@host-1.example.com:0",
        ];
        for u in plain {
            assert!(is_plain_sip_uri(u), "{u}");
            assert!(uri_parts(u).is_some(), "{u}");
        }
        // Not the plain shape: the full grammar decides (accepting or not).
        for u in [
            "sips:alice@example.com",
            "SIP:alice@example.com",
            "sip:alice@example.com;transport=tcp",
            "sip:alice:pw@example.com",
            "sip:%61lice@example.com",
            "sip:[2001:db8::1]:5060",
            "sip:alice@",
            "sip:@example.com",
            "sip:alice@example.com:",
            "sip:alice@example.com:65536",
            "sip:alice@exa mple.com",
            "sip:",
        ] {
            assert!(!is_plain_sip_uri(u), "{u}");
        }
        // Every mutation of a plain URI (each byte replaced by each printable ASCII byte, or
        // removed): whenever the shortcut says yes, the full grammar does too.
        let base = "sip:ab.c@h-1.example.com:5060";
        let mut checked = 0;
        for i in 0..base.len() {
            let removed = format!("{}{}", &base[..i], &base[i + 1..]);
            let mut variants = vec![removed];
            for c in 0x20u8..0x7f {
                variants.push(format!("{}{}{}", &base[..i], c as char, &base[i + 1..]));
            }
            for v in variants {
                if is_plain_sip_uri(&v) {
                    assert!(uri_parts(&v).is_some(), "{v}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 100, "{checked}");
    }

    #[test]
    fn sip_uri_all_parts() {
        let s = "sip:alice:secret@atlanta.com:5070;transport=tcp;lr;maddr=239.255.255.1?subject=project%20x&priority=urgent";
        let u = Uri::parse(s).unwrap();
        assert_eq!(u.scheme, Scheme::Sip);
        assert_eq!(u.user.as_deref(), Some("alice"));
        assert_eq!(u.password.as_deref(), Some("secret"));
        assert_eq!(u.host, "atlanta.com");
        assert_eq!(u.port, Some(5070));
        assert_eq!(u.param("transport"), Some(Some("tcp")));
        assert_eq!(u.param("LR"), Some(None));
        assert_eq!(u.param("ttl"), None);
        assert_eq!(
            u.headers,
            [
                ("subject".to_string(), "project%20x".to_string()),
                ("priority".to_string(), "urgent".to_string())
            ]
        );
        assert_eq!(u.to_string(), s);
    }

    #[test]
    fn display_roundtrips() {
        for s in [
            "sip:atlanta.com",
            "sips:bob@[2001:db8::1]:5061",
            "sip:[::1]",
            "sip:192.0.2.4;lr",
            "sip:user;par=u%40example.net@example.com",
            "sip:%00%00@host5.example.com",
            "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com",
            "sip:user@example.com?Route=%3Csip:example.com%3E",
            "sip:a@b?h=",
            "sip:a:@b",
            "tel:+1-201-555-0123;phone-context=example.com",
            "tel:911",
            "nobodyKnowsThisScheme:totallyopaquecontent",
            "soap.beep://192.0.2.103:3002",
            "urn:service:sos",
        ] {
            let u = Uri::parse(s).unwrap_or_else(|e| panic!("{s}: {e:?}"));
            assert_eq!(u.to_string(), s);
            assert_eq!(Uri::parse(&u.to_string()).unwrap(), u);
            assert_eq!(s.parse::<Uri>().unwrap(), u);
        }
        // Scheme case is normalised for the known ones.
        assert_eq!(
            Uri::parse("SIP:Bob@Host").unwrap().to_string(),
            "sip:Bob@Host"
        );
    }

    #[test]
    fn userinfo_may_hold_delimiters() {
        let u = Uri::parse("sip:user;par=u%40example.net@example.com").unwrap();
        assert_eq!(u.user.as_deref(), Some("user;par=u%40example.net"));
        assert!(u.params.is_empty());
        let u = Uri::parse("sip:sips%3Auser%40example.com@example.net").unwrap();
        assert_eq!(u.user.as_deref(), Some("sips%3Auser%40example.com"));
        assert_eq!(u.host, "example.net");
    }

    #[test]
    fn tel_and_other_schemes() {
        let u = Uri::parse("tel:+358-555-1234567;postd=pp22").unwrap();
        assert_eq!(u.scheme, Scheme::Tel);
        assert_eq!(u.user.as_deref(), Some("+358-555-1234567"));
        assert_eq!(u.host, "");
        assert_eq!(u.param("postd"), Some(Some("pp22")));
        let u = Uri::parse("http://www.example.com").unwrap();
        assert_eq!(u.scheme, Scheme::Other("http".into()));
        assert_eq!(u.opaque.as_deref(), Some("//www.example.com"));
        assert_eq!(u.user, None);
    }

    #[test]
    fn builder() {
        let u = Uri::sip(Some("bob"), "example.com", Some(5060));
        assert_eq!(u.to_string(), "sip:bob@example.com:5060");
        assert_eq!(Uri::parse(&u.to_string()).unwrap(), u);
        assert_eq!(Uri::sip(None, "[::1]", None).to_string(), "sip:[::1]");
    }

    #[test]
    fn rejects_bad_uris() {
        for bad in [
            "",
            "sip",
            ":x",
            "1sip:host",
            "s p:host",
            "sip:",
            "sip:@host",
            "sip:user@",
            "sip:host:",
            "sip:host:70000",
            "sip:host:5o60",
            "sip:host;",
            "sip:host;=v",
            "sip:host;a=",
            "sip:host;a;;b",
            "sip:host?",
            "sip:host?a",
            "sip:host?=v",
            "sip:ho st",
            "sip:host>",
            "<sip:host>",
            "sip:\"host\"",
            "sip:hé",
            "sip:[::1",
            "sip:[]",
            "sip:[::1]x",
            "sip:a@b@c",
            "sip:host/path",
            "tel:",
            "tel:;x=1",
            "mailto:",
        ] {
            let e = Uri::parse(bad).unwrap_err();
            assert_eq!(e.kind, ParseErrorKind::BadUri, "{bad:?}");
        }
    }

    #[test]
    fn equivalence_rfc3261_19_1_4() {
        let eq = |a: &str, b: &str| {
            let (a, b) = (Uri::parse(a).unwrap(), Uri::parse(b).unwrap());
            assert_eq!(a.equivalent(&b), b.equivalent(&a), "not symmetric: {a} {b}");
            a.equivalent(&b)
        };
        // The equivalent pairs of §19.1.4.
        assert!(eq(
            "sip:%61lice@atlanta.com;transport=TCP",
            "sip:alice@AtLanTa.CoM;Transport=tcp"
        ));
        assert!(eq(
            "sip:carol@chicago.com",
            "sip:carol@chicago.com;newparam=5"
        ));
        assert!(eq(
            "sip:carol@chicago.com",
            "sip:carol@chicago.com;security=on"
        ));
        assert!(eq(
            "sip:carol@chicago.com;newparam=5",
            "sip:carol@chicago.com;security=on"
        ));
        assert!(eq(
            "sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
            "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"
        ));
        assert!(eq(
            "sip:alice@atlanta.com?subject=project%20x&priority=urgent",
            "sip:alice@atlanta.com?priority=urgent&subject=project%20x"
        ));
        // The non-equivalent pairs of §19.1.4.
        assert!(!eq(
            "SIP:ALICE@AtLanTa.CoM;Transport=udp",
            "sip:alice@AtLanTa.CoM;Transport=UDP"
        ));
        assert!(!eq("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"));
        assert!(!eq(
            "sip:bob@biloxi.com",
            "sip:bob@biloxi.com;transport=udp"
        ));
        assert!(!eq(
            "sip:bob@biloxi.com",
            "sip:bob@biloxi.com:6000;transport=tcp"
        ));
        assert!(!eq(
            "sip:carol@chicago.com",
            "sip:carol@chicago.com?Subject=next%20meeting"
        ));
        assert!(!eq("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"));
        assert!(!eq(
            "sip:carol@chicago.com;security=on",
            "sip:carol@chicago.com;security=off"
        ));
        // RFC 4475 §3.1.1.3 / §3.1.1.4: escapes compare unescaped; %00 is a real octet.
        assert!(eq("sip:%75se%72@example.com", "sip:user@example.com"));
        assert!(!eq(
            "sip:%00@host5.example.com",
            "sip:%00%00@host5.example.com"
        ));
        assert!(!eq("sip:a@h", "sips:a@h"));
        assert!(!eq("sip:a@h", "sip:a:pw@h"));
        // tel: visual separators do not matter, parameters are a set.
        assert!(eq(
            "tel:+1-201-555-0123;a=b;c=d",
            "tel:+1.201.555.0123;C=D;a=b"
        ));
        assert!(!eq("tel:+1-201-555-0123;a=b", "tel:+1-201-555-0123"));
        assert!(!eq("tel:911", "sip:911@h"));
        // Other schemes: scheme case-insensitive, opaque exact.
        assert!(eq("URN:service:sos", "urn:service:sos"));
        assert!(!eq("urn:service:sos", "urn:service:SOS"));
        // A lone or bad % is itself.
        assert!(eq("sip:a%@h", "sip:a%@h"));
        assert!(!eq("sip:a%2@h", "sip:a%20@h"));
    }
}
