//! Typed views of the headers the core needs: Via (§20.42, RFC 3581), From/To/Contact
//! name-addr (§20.10, §20.20, §20.39), CSeq (§20.16); compact names (§7.3.3) and comma
//! lists (§7.3.1).

use std::fmt;

pub(crate) use super::lex::*;
pub(crate) use super::names::*;
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
    /// Parse one Via element (`SIP/2.0/UDP host:port;branch=...`),
    /// [RFC 3261 §20.42](https://www.rfc-editor.org/rfc/rfc3261#section-20.42). LWS is
    /// tolerated around `/`, `:`, `;` and `=`; the transport is upper-cased.
    pub fn parse(s: &str) -> Result<Via, ParseError> {
        parse_via(s).ok_or_else(|| ParseError::bad_header("Via"))
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
        f.write_str("SIP/2.0/")?;
        f.write_str(&self.transport)?;
        f.write_str(" ")?;
        f.write_str(&self.host)?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        write_params(f, &self.params)
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
    /// Parse a From/To/Contact/Route value (one element),
    /// [RFC 3261 §20.10](https://www.rfc-editor.org/rfc/rfc3261#section-20.10).
    ///
    /// A quoted display name may contain `\"` escapes; an unquoted one is taken liberally
    /// (any text without quotes or control characters before `<`, RFC 4475 §3.1.2.15). In
    /// the bare addr-spec form the URI ends at the first `;` or whitespace, and what follows
    /// are header parameters (§20.10). LWS just inside `<` `>` is tolerated (RFC 4475
    /// §3.1.2.14).
    pub fn parse(s: &str) -> Result<NameAddr, ParseError> {
        parse_name_addr(s)
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
    /// Always prints the `<uri>` form, quoting the display name when present (`"`, `\` and
    /// control characters escaped; CR and LF, which a quoted-pair cannot carry, become SP).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(display) = &self.display {
            f.write_str("\"")?;
            for ch in display.chars() {
                match ch {
                    // quoted-pair cannot carry CR or LF (§25.1).
                    '\r' | '\n' => f.write_str(" ")?,
                    '"' | '\\' => write!(f, "\\{ch}")?,
                    c if c.is_ascii_control() && c != '\t' => write!(f, "\\{c}")?,
                    c => write!(f, "{c}")?,
                }
            }
            f.write_str("\" ")?;
        }
        write!(f, "<{}>", self.uri)?;
        write_params(f, &self.params)
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
    /// Parse `4711 INVITE`,
    /// [RFC 3261 §20.16](https://www.rfc-editor.org/rfc/rfc3261#section-20.16).
    ///
    /// The number must fit in 32 bits (RFC 4475 §3.1.2.4); leading zeros are fine.
    pub fn parse(s: &str) -> Result<CSeq, ParseError> {
        parse_cseq(s).ok_or_else(|| ParseError::bad_header("CSeq"))
    }
}

impl fmt::Display for CSeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.seq, self.method)
    }
}

/// `*( SEMI generic-param )` with LWS around `;` and `=` (§25.1), up to the end of the
/// cursor, handing each `(name, value)` to `sink` (values as on the wire, quotes kept).
/// Empty names and empty values are errors (RFC 4475 §3.1.2.1).
fn scan_params<'a>(
    c: &mut Cursor<'a>,
    mut sink: impl FnMut(&'a str, Option<&'a str>),
) -> Option<()> {
    loop {
        c.skip_ws();
        if c.at_end() {
            return Some(());
        }
        if !c.eat(b';') {
            return None;
        }
        c.skip_ws();
        let name = c.take_class(C_TOKEN);
        if name.is_empty() {
            return None;
        }
        c.skip_ws();
        let value = if c.eat(b'=') {
            c.skip_ws();
            let v = match c.quoted() {
                Some(q) => q,
                None => c.take_class(C_VALUE),
            };
            if v.is_empty() {
                return None;
            }
            Some(v)
        } else {
            None
        };
        sink(name, value);
    }
}

/// [`scan_params`] collected into owned parameters.
fn parse_params(c: &mut Cursor<'_>) -> Option<Vec<Param>> {
    let mut params = Vec::new();
    scan_params(c, |name, value| {
        params.push(Param {
            name: name.to_string(),
            value: value.map(str::to_string),
        })
    })?;
    Some(params)
}

/// Write `;name[=value]` for each parameter.
pub(crate) fn write_params(f: &mut fmt::Formatter<'_>, params: &[Param]) -> fmt::Result {
    for p in params {
        f.write_str(";")?;
        f.write_str(&p.name)?;
        if let Some(v) = &p.value {
            f.write_str("=")?;
            f.write_str(v)?;
        }
    }
    Ok(())
}

/// The borrowed pieces of one Via element.
struct ViaParts<'a> {
    transport: &'a str,
    host: &'a str,
    port: Option<u16>,
}

/// via-parm = sent-protocol LWS sent-by *( SEMI via-params ) (§20.42, §25.1), with
/// SWS around `/` and `:` as the grammar allows (RFC 4475 §3.1.1.1).
fn via_parts<'a>(s: &'a str, sink: impl FnMut(&'a str, Option<&'a str>)) -> Option<ViaParts<'a>> {
    let mut c = Cursor::new(s);
    c.skip_ws();
    if !c.take_class(C_TOKEN).eq_ignore_ascii_case("SIP") {
        return None;
    }
    c.skip_ws();
    if !c.eat(b'/') {
        return None;
    }
    c.skip_ws();
    if c.take_class(C_TOKEN) != "2.0" {
        return None;
    }
    c.skip_ws();
    if !c.eat(b'/') {
        return None;
    }
    c.skip_ws();
    let transport = c.take_class(C_TOKEN);
    if transport.is_empty() || !c.skip_ws() {
        return None;
    }
    let host = c.host()?;
    c.skip_ws();
    let port = if c.eat(b':') {
        c.skip_ws();
        Some(c.port()?)
    } else {
        None
    };
    scan_params(&mut c, sink)?;
    Some(ViaParts {
        transport,
        host,
        port,
    })
}

fn parse_via(s: &str) -> Option<Via> {
    let mut params = Vec::new();
    let parts = via_parts(s, |name, value| {
        params.push(Param {
            name: name.to_string(),
            value: value.map(str::to_string),
        })
    })?;
    Some(Via {
        transport: parts.transport.to_ascii_uppercase(),
        host: parts.host.to_string(),
        port: parts.port,
        params,
    })
}

/// True when `s` is one valid Via element; allocates nothing.
pub(crate) fn is_valid_via(s: &str) -> bool {
    via_parts(s, |_, _| {}).is_some()
}

/// The borrowed pieces of a name-addr / addr-spec; the cursor is left at the parameters.
struct NameAddrParts<'a> {
    /// Quoted display name without its quotes (escapes still in), or a plain one.
    display: Option<(&'a str, bool)>,
    uri: &'a str,
    rest: Cursor<'a>,
}

fn name_addr_parts(s: &str) -> Option<NameAddrParts<'_>> {
    let s = trim_lws(s);
    let mut c = Cursor::new(s);
    if let Some(raw) = c.quoted() {
        // quoted-string display name, then LAQUOT.
        let inner = raw.get(1..raw.len().saturating_sub(1))?;
        c.skip_ws();
        if !c.eat(b'<') {
            return None;
        }
        let uri = angle_uri(&mut c)?;
        return Some(NameAddrParts {
            display: Some((inner, true)),
            uri,
            rest: c,
        });
    }
    // A `<` opens a name-addr only before any `;` or `"` (which belong to an addr-spec's
    // parameters, e.g. `;+sip.instance="<urn:uuid:...>"`).
    let lt = s
        .bytes()
        .position(|b| matches!(b, b'<' | b';' | b'"'))
        .filter(|&i| s.as_bytes().get(i) == Some(&b'<'));
    if let Some(lt) = lt {
        // Unquoted display name, taken liberally (RFC 4475 §3.1.1.6, §3.1.2.15).
        let dn = trim_lws(s.get(..lt)?);
        if dn
            .bytes()
            .any(|b| b == b'"' || (b.is_ascii_control() && b != b'\t'))
        {
            return None;
        }
        let mut c = Cursor::new(s.get(lt + 1..)?);
        let uri = angle_uri(&mut c)?;
        return Some(NameAddrParts {
            display: (!dn.is_empty()).then_some((dn, false)),
            uri,
            rest: c,
        });
    }
    // addr-spec: the URI ends at the first `;` or LWS; what follows are header params.
    let uri = c.take_while(|b| b != b';' && !is_lws(b));
    if uri.is_empty() {
        return None;
    }
    Some(NameAddrParts {
        display: None,
        uri,
        rest: c,
    })
}

fn parse_name_addr(s: &str) -> Result<NameAddr, ParseError> {
    let bad = || ParseError::bad_header("name-addr");
    let mut parts = name_addr_parts(s).ok_or_else(bad)?;
    let uri = Uri::parse(parts.uri)?;
    let params = parse_params(&mut parts.rest).ok_or_else(bad)?;
    Ok(NameAddr {
        display: parts.display.map(|(d, quoted)| {
            if quoted {
                unescape_quoted(d)
            } else {
                d.to_string()
            }
        }),
        uri,
        params,
    })
}

/// True when `s` is a valid name-addr / addr-spec with parameters; allocates nothing.
pub(crate) fn is_valid_name_addr(s: &str) -> bool {
    if is_plain_name_addr(s) {
        return true;
    }
    match name_addr_parts(s) {
        Some(mut parts) => {
            super::uri::is_valid_uri(parts.uri) && scan_params(&mut parts.rest, |_, _| {}).is_some()
        }
        None => false,
    }
}

/// The usual From/To value, recognised in one pass: an optional quoted display name without
/// escapes, `<` a plain `sip:` URI `>`, then `;name[=value]` parameters of token characters
/// (§20.20, §25.1), e.g. `"Alice" <sip:alice@example.com>;tag=1928301774`. True only for
/// values the full grammar accepts too; false means "not this shape", and the full grammar
/// decides.
pub(crate) fn is_plain_name_addr(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if b.first() == Some(&b'"') {
        // qdtext without escapes: no `"`, `\`, or control characters but HT.
        let Some(len) = b[1..].iter().position(|&c| c == b'"') else {
            return false;
        };
        if b[1..1 + len]
            .iter()
            .any(|&c| c == b'\\' || (c.is_ascii_control() && c != b'\t'))
        {
            return false;
        }
        i = len + 2;
        while matches!(b.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
    }
    if b.get(i) != Some(&b'<') {
        return false;
    }
    let Some(close) = b[i..].iter().position(|&c| c == b'>') else {
        return false;
    };
    let Some(uri) = s.get(i + 1..i + close) else {
        return false;
    };
    if !super::uri::is_plain_sip_uri(uri) {
        return false;
    }
    let mut c = Cursor::new(s);
    c.pos = i + close + 1;
    while c.eat(b';') {
        if c.take_class(C_TOKEN).is_empty() {
            return false;
        }
        if c.eat(b'=') && c.take_class(C_TOKEN).is_empty() {
            return false;
        }
    }
    c.at_end()
}

/// The URI between `<` (already consumed) and `>`, LWS inside trimmed (RFC 4475 §3.1.2.14).
fn angle_uri<'a>(c: &mut Cursor<'a>) -> Option<&'a str> {
    let rest = c.rest();
    let end = find_byte(rest, b'>')?;
    let uri = trim_lws(rest.get(..end)?);
    c.pos += end + 1;
    Some(uri)
}

/// CSeq = 1*DIGIT LWS Method (§20.16): the number and the method token.
pub(crate) fn cseq_parts(s: &str) -> Option<(u32, &str)> {
    let mut c = Cursor::new(s);
    c.skip_ws();
    let seq = parse_u32(c.take_while(|b| b.is_ascii_digit()))?;
    if !c.skip_ws() {
        return None;
    }
    let method = c.take_class(C_TOKEN);
    c.skip_ws();
    if method.is_empty() || !c.at_end() {
        return None;
    }
    Some((seq, method))
}

fn parse_cseq(s: &str) -> Option<CSeq> {
    let (seq, method) = cseq_parts(s)?;
    Some(CSeq {
        seq,
        method: Method::from_token(method),
    })
}

#[cfg(test)]
mod tests;
