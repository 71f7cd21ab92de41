//! SIP, SIPS and tel URIs (RFC 3261 §19.1, RFC 3966), with params, headers and %-escapes.

use std::fmt;
use std::str::FromStr;

use super::header::{find_param, Param};
use super::parse::ParseError;

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
    pub fn parse(s: &str) -> Result<Uri, ParseError> {
        let _ = s;
        todo!("sip::msg::uri::Uri::parse")
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
        let _ = f;
        todo!("sip::msg::uri::Uri Display")
    }
}
