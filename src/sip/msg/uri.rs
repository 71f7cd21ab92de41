//! SIP, SIPS and tel URIs (RFC 3261 §19.1, RFC 3966), with params, headers and %-escapes.

use std::fmt;
use std::str::FromStr;

use super::header::{find_param, is_uri_text, Cursor, Param};
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
    /// Parse a URI (no surrounding `<>`).
    ///
    /// Only visible ASCII is accepted (no LWS, `<`, `>` or `"`). For `sip`/`sips` the
    /// userinfo ends at the first `@` (so the user part may hold `;`, `?`, `/`, RFC 4475
    /// §3.1.1.2, §3.1.1.9); parameter and header values and %-escapes are kept as on the
    /// wire; empty parameter names or values, an empty host or a bad port are errors.
    pub fn parse(s: &str) -> Result<Uri, ParseError> {
        parse_uri(s).ok_or_else(|| ParseError::new(ParseErrorKind::BadUri))
    }
    /// A `sip:` URI with the given user and host[:port].
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

fn parse_uri(s: &str) -> Option<Uri> {
    if s.is_empty() || !is_uri_text(s) {
        return None;
    }
    let (scheme, rest) = s.split_once(':')?;
    let mut sb = scheme.bytes();
    if !sb.next()?.is_ascii_alphabetic()
        || !sb.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    {
        return None;
    }
    if scheme.eq_ignore_ascii_case("sip") {
        parse_sip(Scheme::Sip, rest)
    } else if scheme.eq_ignore_ascii_case("sips") {
        parse_sip(Scheme::Sips, rest)
    } else if scheme.eq_ignore_ascii_case("tel") {
        parse_tel(rest)
    } else if rest.is_empty() {
        None
    } else {
        Some(Uri {
            scheme: Scheme::Other(scheme.to_string()),
            user: None,
            password: None,
            host: String::new(),
            port: None,
            params: Vec::new(),
            headers: Vec::new(),
            opaque: Some(rest.to_string()),
        })
    }
}

/// SIP-URI / SIPS-URI after the colon (§19.1.1, §25.1).
fn parse_sip(scheme: Scheme, rest: &str) -> Option<Uri> {
    let (userinfo, hostpart) = match rest.split_once('@') {
        Some((ui, hp)) => (Some(ui), hp),
        None => (None, rest),
    };
    let (user, password) = match userinfo {
        Some(ui) => {
            let (u, p) = match ui.split_once(':') {
                Some((u, p)) => (u, Some(p.to_string())),
                None => (ui, None),
            };
            if u.is_empty() {
                return None;
            }
            (Some(u.to_string()), p)
        }
        None => (None, None),
    };
    let (hp, headers) = match hostpart.split_once('?') {
        Some((hp, h)) => (hp, Some(h)),
        None => (hostpart, None),
    };
    let (hostport, params) = match hp.split_once(';') {
        Some((hp, p)) => (hp, Some(p)),
        None => (hp, None),
    };
    let mut c = Cursor::new(hostport);
    let host = c.host()?;
    let port = if c.eat(b':') { Some(c.port()?) } else { None };
    if !c.at_end() {
        return None;
    }
    Some(Uri {
        scheme,
        user,
        password,
        host: host.to_string(),
        port,
        params: match params {
            Some(p) => uri_params(p)?,
            None => Vec::new(),
        },
        headers: match headers {
            Some(h) => uri_headers(h)?,
            None => Vec::new(),
        },
        opaque: None,
    })
}

/// telephone-subscriber (RFC 3966): the number in `user`, then `;params`.
fn parse_tel(rest: &str) -> Option<Uri> {
    let (number, params) = match rest.split_once(';') {
        Some((n, p)) => (n, Some(p)),
        None => (rest, None),
    };
    if number.is_empty() || number.contains(['?', '@']) {
        return None;
    }
    Some(Uri {
        scheme: Scheme::Tel,
        user: Some(number.to_string()),
        password: None,
        host: String::new(),
        port: None,
        params: match params {
            Some(p) => uri_params(p)?,
            None => Vec::new(),
        },
        headers: Vec::new(),
        opaque: None,
    })
}

/// `name[=value]` pieces separated by `;` (after the first `;`).
fn uri_params(s: &str) -> Option<Vec<Param>> {
    s.split(';')
        .map(|piece| {
            let (name, value) = match piece.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (piece, None),
            };
            if name.is_empty() || value.is_some_and(str::is_empty) {
                return None;
            }
            Some(Param {
                name: name.to_string(),
                value: value.map(str::to_string),
            })
        })
        .collect()
}

/// `hname=hvalue` pieces separated by `&` (after the `?`); hvalue may be empty.
fn uri_headers(s: &str) -> Option<Vec<(String, String)>> {
    s.split('&')
        .map(|piece| {
            let (name, value) = piece.split_once('=')?;
            if name.is_empty() {
                return None;
            }
            Some((name.to_string(), value.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
