//! Typed views of the headers the core needs: Via (§20.42, RFC 3581), From/To/Contact
//! name-addr (§20.10, §20.20, §20.39), CSeq (§20.16); compact names (§7.3.3) and comma
//! lists (§7.3.1).

use std::fmt;

use super::parse::ParseError;
use super::uri::Uri;
use super::Method;

/// A generic `;name[=value]` parameter (§25.1 generic-param).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Param {
    /// Parameter name (compared case-insensitively).
    pub name: String,
    /// Value as on the wire (quotes kept for quoted-string values), or None for a flag.
    pub value: Option<String>,
}

/// Find a parameter by case-insensitive name: `Some(None)` for a flag, `Some(Some(v))` for a value.
pub fn find_param<'a>(params: &'a [Param], name: &str) -> Option<Option<&'a str>> {
    params
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))
        .map(|p| p.value.as_deref())
}

/// One Via entry (§20.42, §18.2.1, RFC 3581).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Via {
    /// Transport token, upper-cased: `UDP`, `TCP`, `TLS`, ...
    pub transport: String,
    /// sent-by host (IPv6 references keep their brackets).
    pub host: String,
    /// sent-by port.
    pub port: Option<u16>,
    /// Parameters in order (branch, received, rport, maddr, ttl, ...).
    pub params: Vec<Param>,
}

impl Via {
    /// Parse one Via element (`SIP/2.0/UDP host:port;branch=...`).
    pub fn parse(s: &str) -> Result<Via, ParseError> {
        let _ = s;
        todo!("sip::msg::header::Via::parse")
    }
    /// The `branch` parameter (§8.1.1.7).
    pub fn branch(&self) -> Option<&str> {
        find_param(&self.params, "branch").flatten()
    }
    /// The `received` parameter (§18.2.1).
    pub fn received(&self) -> Option<&str> {
        find_param(&self.params, "received").flatten()
    }
    /// The `rport` parameter (RFC 3581): `Some(None)` when present without a value.
    pub fn rport(&self) -> Option<Option<u16>> {
        find_param(&self.params, "rport").map(|v| v.and_then(|v| v.parse().ok()))
    }
    /// Set or replace a parameter.
    pub fn set_param(&mut self, name: &str, value: Option<String>) {
        match self
            .params
            .iter_mut()
            .find(|p| p.name.eq_ignore_ascii_case(name))
        {
            Some(p) => p.value = value,
            None => self.params.push(Param {
                name: name.to_string(),
                value,
            }),
        }
    }
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let _ = f;
        todo!("sip::msg::header::Via Display")
    }
}

/// `[display-name] <uri> *(;param)` or `addr-spec *(;param)` (§20.10, §25.1).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct NameAddr {
    /// Display name, unquoted and unescaped.
    pub display: Option<String>,
    /// The URI.
    pub uri: Uri,
    /// Header parameters after the URI (tag, expires, q, ...).
    pub params: Vec<Param>,
}

impl NameAddr {
    /// Parse a From/To/Contact/Route value (one element).
    pub fn parse(s: &str) -> Result<NameAddr, ParseError> {
        let _ = s;
        todo!("sip::msg::header::NameAddr::parse")
    }
    /// A name-addr with just a URI.
    pub fn new(uri: Uri) -> NameAddr {
        NameAddr {
            display: None,
            uri,
            params: Vec::new(),
        }
    }
    /// The `tag` parameter (§19.3).
    pub fn tag(&self) -> Option<&str> {
        find_param(&self.params, "tag").flatten()
    }
    /// Set or replace the `tag` parameter.
    pub fn set_tag(&mut self, tag: &str) {
        match self
            .params
            .iter_mut()
            .find(|p| p.name.eq_ignore_ascii_case("tag"))
        {
            Some(p) => p.value = Some(tag.to_string()),
            None => self.params.push(Param {
                name: "tag".into(),
                value: Some(tag.to_string()),
            }),
        }
    }
}

impl fmt::Display for NameAddr {
    /// Always prints the `<uri>` form, quoting the display name when present.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let _ = f;
        todo!("sip::msg::header::NameAddr Display")
    }
}

/// CSeq: sequence number and method (§20.16).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CSeq {
    /// 32-bit sequence number (§8.1.1.5: less than 2**31 when we choose it).
    pub seq: u32,
    /// Method.
    pub method: Method,
}

impl CSeq {
    /// Parse `4711 INVITE`.
    pub fn parse(s: &str) -> Result<CSeq, ParseError> {
        let _ = s;
        todo!("sip::msg::header::CSeq::parse")
    }
}

impl fmt::Display for CSeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.seq, self.method)
    }
}

/// Canonical long name for a header name: compact forms expanded (§7.3.3), known names in
/// their registered case (`call-id` → `Call-ID`, `v` → `Via`), unknown names kept as given.
pub(crate) fn canonical_name(name: &str) -> String {
    let _ = name;
    todo!("sip::msg::header::canonical_name")
}

/// Split a header value at top-level commas (not inside quotes or `<>`), trimmed (§7.3.1).
pub(crate) fn split_comma_list(value: &str) -> Vec<&str> {
    let _ = value;
    todo!("sip::msg::header::split_comma_list")
}
