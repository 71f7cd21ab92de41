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
        let name = c.take_while(is_token_char);
        if name.is_empty() {
            return None;
        }
        c.skip_ws();
        let value = if c.eat(b'=') {
            c.skip_ws();
            let v = match c.quoted() {
                Some(q) => q,
                None => c.take_while(is_value_char),
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
    if !c.take_while(is_token_char).eq_ignore_ascii_case("SIP") {
        return None;
    }
    c.skip_ws();
    if !c.eat(b'/') {
        return None;
    }
    c.skip_ws();
    if c.take_while(is_token_char) != "2.0" {
        return None;
    }
    c.skip_ws();
    if !c.eat(b'/') {
        return None;
    }
    c.skip_ws();
    let transport = c.take_while(is_token_char);
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
    match name_addr_parts(s) {
        Some(mut parts) => {
            super::uri::is_valid_uri(parts.uri) && scan_params(&mut parts.rest, |_, _| {}).is_some()
        }
        None => false,
    }
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
    let method = c.take_while(is_token_char);
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
mod tests {
    use super::*;
    use crate::sip::msg::{ParseErrorKind, Scheme};

    #[test]
    fn compact_and_long_names_are_canonicalised() {
        let compact = [
            ("i", "Call-ID"),
            ("m", "Contact"),
            ("e", "Content-Encoding"),
            ("l", "Content-Length"),
            ("c", "Content-Type"),
            ("f", "From"),
            ("s", "Subject"),
            ("k", "Supported"),
            ("t", "To"),
            ("v", "Via"),
            ("o", "Event"),
            ("r", "Refer-To"),
            ("b", "Referred-By"),
            ("x", "Session-Expires"),
            ("u", "Allow-Events"),
            ("a", "Accept-Contact"),
            ("j", "Reject-Contact"),
            ("d", "Request-Disposition"),
            ("y", "Identity"),
            ("n", "Identity-Info"),
        ];
        for (short, long) in compact {
            assert_eq!(canonical_name(short), long);
            assert_eq!(canonical_name(&short.to_ascii_uppercase()), long);
            assert_eq!(canonical_name(&long.to_ascii_lowercase()), long);
        }
        for long in [
            "Call-ID",
            "CSeq",
            "WWW-Authenticate",
            "Max-Forwards",
            "Record-Route",
            "Content-Length",
            "RSeq",
            "RAck",
            "MIME-Version",
            "Min-SE",
            "SIP-ETag",
        ] {
            assert_eq!(canonical_name(&long.to_ascii_uppercase()), long);
            assert_eq!(canonical_name(&long.to_ascii_lowercase()), long);
        }
        assert_eq!(canonical_name("MaX-fOrWaRdS"), "Max-Forwards");
        // Unknown names (and unknown single letters) are kept verbatim.
        assert_eq!(canonical_name("NewFangledHeader"), "NewFangledHeader");
        assert_eq!(canonical_name("C%6Fntact"), "C%6Fntact");
        assert_eq!(canonical_name("q"), "q");
        assert_eq!(canonical_name(&"X".repeat(100)), "X".repeat(100));
        assert_eq!(canonical_name(""), "");
    }

    #[test]
    fn comma_lists_respect_quotes_and_angles() {
        assert_eq!(split_comma_list("a, b ,c"), ["a", "b", "c"]);
        assert_eq!(
            split_comma_list("\"Bell, A\" <sip:a@x;p=1,2>;q=1, <sip:b@y>"),
            ["\"Bell, A\" <sip:a@x;p=1,2>;q=1", "<sip:b@y>"]
        );
        assert_eq!(
            split_comma_list(r#""a \" , b" <sip:x>, c"#),
            [r#""a \" , b" <sip:x>"#, "c"]
        );
        assert_eq!(split_comma_list(" ,, a,,"), ["a"]);
        assert!(split_comma_list("").is_empty());
        // Unterminated quote: the rest is one element.
        assert_eq!(split_comma_list("\"a, b"), ["\"a, b"]);
    }

    #[test]
    fn via_parses_and_prints() {
        let v = Via::parse(
            "SIP/2.0/UDP pc33.atlanta.com:5066;branch=z9hG4bK776;rport;received=192.0.2.1",
        )
        .unwrap();
        assert_eq!(v.transport, "UDP");
        assert_eq!(v.host, "pc33.atlanta.com");
        assert_eq!(v.port, Some(5066));
        assert_eq!(v.branch(), Some("z9hG4bK776"));
        assert_eq!(v.rport(), Some(None));
        assert_eq!(v.received(), Some("192.0.2.1"));
        assert_eq!(
            v.to_string(),
            "SIP/2.0/UDP pc33.atlanta.com:5066;branch=z9hG4bK776;rport;received=192.0.2.1"
        );
        assert_eq!(Via::parse(&v.to_string()).unwrap(), v);
    }

    #[test]
    fn via_tolerates_lws_and_lower_case() {
        let v = Via::parse("  sip /  2.0 / tcp   spindle.example.com :  5070  ;  branch  =   z9hG4bK9ikj8 ; rport = 5071 ").unwrap();
        assert_eq!(v.transport, "TCP");
        assert_eq!(v.host, "spindle.example.com");
        assert_eq!(v.port, Some(5070));
        assert_eq!(v.branch(), Some("z9hG4bK9ikj8"));
        assert_eq!(v.rport(), Some(Some(5071)));
        assert_eq!(
            v.to_string(),
            "SIP/2.0/TCP spindle.example.com:5070;branch=z9hG4bK9ikj8;rport=5071"
        );
    }

    #[test]
    fn via_ipv6_and_param_values() {
        let v =
            Via::parse("SIP/2.0/TLS [2001:db8::9]:5061;received=2001:db8::1;x=\"q;v\"").unwrap();
        assert_eq!(v.host, "[2001:db8::9]");
        assert_eq!(v.port, Some(5061));
        assert_eq!(v.received(), Some("2001:db8::1"));
        assert_eq!(find_param(&v.params, "X"), Some(Some("\"q;v\"")));
        let mut v = v;
        v.set_param("received", Some("192.0.2.7".into()));
        v.set_param("rport", Some("1234".into()));
        assert_eq!(v.received(), Some("192.0.2.7"));
        assert_eq!(v.rport(), Some(Some(1234)));
    }

    #[test]
    fn via_rejects_bad_input() {
        for bad in [
            "",
            "SIP/2.0/UDP",
            "SIP/2.0/UDP ",
            "SIP/2.0 UDP host",
            "SIP/3.0/UDP host",
            "HTTP/2.0/UDP host",
            "SIP/2.0/UDPhost",
            "SIP/2.0/UDP host:",
            "SIP/2.0/UDP host:99999",
            "SIP/2.0/UDP host;;",
            "SIP/2.0/UDP host;branch=",
            "SIP/2.0/UDP host;=x",
            "SIP/2.0/UDP host junk",
            "SIP/2.0/UDP [::1",
            "SIP/2.0/UDP host;x=\"open",
        ] {
            let e = Via::parse(bad).unwrap_err();
            assert_eq!(e.kind, ParseErrorKind::BadHeader("Via"), "{bad:?}");
        }
    }

    #[test]
    fn name_addr_forms() {
        let n = NameAddr::parse("\"Alice \\\"A\\\" \\\\ L\" <sip:alice@atlanta.com;transport=tcp>;tag=1928301774;expires=60").unwrap();
        assert_eq!(n.display.as_deref(), Some("Alice \"A\" \\ L"));
        assert_eq!(n.uri.param("transport"), Some(Some("tcp")));
        assert_eq!(n.tag(), Some("1928301774"));
        assert_eq!(find_param(&n.params, "expires"), Some(Some("60")));

        let n = NameAddr::parse("Bob Smith<sip:bob@b.com>").unwrap();
        assert_eq!(n.display.as_deref(), Some("Bob Smith"));
        let n = NameAddr::parse("<sip:bob@b.com>").unwrap();
        assert_eq!(n.display, None);
        let n = NameAddr::parse("\"\" <sip:bob@b.com>").unwrap();
        assert_eq!(n.display.as_deref(), Some(""));

        // Bare addr-spec: parameters after the URI are header parameters (§20.10).
        let n = NameAddr::parse("sip:+1972@gw1.example.net;unknownparam;tag=x").unwrap();
        assert!(n.uri.params.is_empty());
        assert_eq!(n.params.len(), 2);
        assert_eq!(n.tag(), Some("x"));
        let n = NameAddr::parse("sip:a@b.com ; tag = 7 ").unwrap();
        assert_eq!(n.tag(), Some("7"));

        // LWS just inside the brackets is tolerated.
        let n = NameAddr::parse("< sip:t.watson@example.org >").unwrap();
        assert_eq!(n.uri.host, "example.org");

        // A `<` inside a quoted parameter of a bare addr-spec is not a bracket.
        let n = NameAddr::parse("sip:a@b;+sip.instance=\"<urn:uuid:f81d4fae>\";reg-id=1").unwrap();
        assert_eq!(n.uri.host, "b");
        assert_eq!(
            find_param(&n.params, "+sip.instance"),
            Some(Some("\"<urn:uuid:f81d4fae>\""))
        );
        let n = NameAddr::parse("<sip:a@b;ob>;+sip.instance=\"<urn:uuid:f81d4fae>\"").unwrap();
        assert_eq!(n.uri.param("ob"), Some(None));
        assert_eq!(n.params.len(), 1);

        // Other schemes are URIs too.
        let n = NameAddr::parse("<urn:service:sos>").unwrap();
        assert_eq!(n.uri.scheme, Scheme::Other("urn".into()));
    }

    #[test]
    fn name_addr_prints_and_roundtrips() {
        let mut n = NameAddr::parse("Bob <sip:bob@b.com>").unwrap();
        n.set_tag("abc");
        assert_eq!(n.to_string(), "\"Bob\" <sip:bob@b.com>;tag=abc");
        n.set_tag("def");
        assert_eq!(n.tag(), Some("def"));
        let mut n = NameAddr::new(Uri::sip(Some("a"), "h", None));
        n.display = Some("say \"hi\" \\o/".into());
        let s = n.to_string();
        assert_eq!(s, r#""say \"hi\" \\o/" <sip:a@h>"#);
        assert_eq!(NameAddr::parse(&s).unwrap(), n);
        // Control characters are escaped (RFC 4475 §3.1.1.2's To display name).
        let n = NameAddr::parse("\"BEL:\\\x07 NUL:\\\0 DEL:\\\x7f\" <sip:a@b>").unwrap();
        assert_eq!(n.display.as_deref(), Some("BEL:\x07 NUL:\0 DEL:\x7f"));
        assert_eq!(NameAddr::parse(&n.to_string()).unwrap(), n);
        let n = NameAddr {
            display: Some("a\r\nb".into()),
            ..n
        };
        assert_eq!(n.to_string(), "\"a  b\" <sip:a@b>");
        // The bare form prints with brackets, keeping params apart from the URI's.
        let n = NameAddr::parse("sip:a@h;x=1").unwrap();
        assert_eq!(n.to_string(), "<sip:a@h>;x=1");
        assert_eq!(NameAddr::parse(&n.to_string()).unwrap(), n);
    }

    #[test]
    fn name_addr_rejects_bad_input() {
        for bad in [
            "",
            "\"Mr. J. User <sip:j.user@example.com>",
            "\"x\" sip:a@b",
            "<sip:a@b",
            "<sip:a@b>junk",
            "<sip:a@b>;",
            "<sip:a@b>;tag=",
            "Bob sip:bob@b.com",
            "a\"b <sip:x@y>",
            "<>",
            "< >",
            "<sip:a b@c>",
        ] {
            assert!(NameAddr::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn cseq_forms() {
        assert_eq!(
            CSeq::parse("4711 INVITE").unwrap(),
            CSeq {
                seq: 4711,
                method: Method::Invite
            }
        );
        let c = CSeq::parse(" 0009 \t INVITE ").unwrap();
        assert_eq!(c.seq, 9);
        assert_eq!(c.to_string(), "9 INVITE");
        assert_eq!(
            CSeq::parse("4294967295 FOO").unwrap().method,
            Method::Extension("FOO".into())
        );
        for bad in [
            "",
            "1",
            "INVITE",
            "1INVITE",
            "-1 INVITE",
            "4294967296 INVITE",
            "1 INVITE x",
            "1 IN<VITE",
            "x1 INVITE",
        ] {
            assert_eq!(
                CSeq::parse(bad).unwrap_err().kind,
                ParseErrorKind::BadHeader("CSeq"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn cursor_never_splits_utf8() {
        // Non-ASCII bytes stop ASCII-only scans without panicking.
        let mut c = Cursor::new("abé;x");
        assert_eq!(c.take_while(is_token_char), "ab");
        assert_eq!(c.rest(), "é;x");
        let mut c = Cursor::new("\"é\\\u{e9}\"rest");
        assert_eq!(c.quoted(), Some("\"é\\\u{e9}\""));
        assert_eq!(c.rest(), "rest");
        assert_eq!(trim_lws(" \t\r\n"), "");
        assert_eq!(trim_lws(" é "), "é");
    }

    /// Random edits of valid samples: the allocation-free validators agree with the owned
    /// parsers, and whatever parses prints to text that parses back to the same value.
    #[test]
    fn validators_agree_with_parsers_and_display_roundtrips() {
        use crate::sip::msg::uri::is_valid_uri;
        use rand::rngs::SmallRng;
        use rand::{Rng, SeedableRng};

        const SPECIAL: &[char] = &[
            ' ',
            '\t',
            '\r',
            ';',
            ',',
            ':',
            '=',
            '"',
            '\\',
            '<',
            '>',
            '@',
            '?',
            '&',
            '[',
            ']',
            '/',
            '%',
            '0',
            '9',
            'a',
            'Z',
            '\0',
            '\x7f',
            '\u{e9}',
            '\u{1F600}',
        ];
        let vias = [
            "SIP/2.0/UDP pc33.atlanta.com:5066;branch=z9hG4bK776;rport;received=192.0.2.1",
            "SIP / 2.0 / TLS [2001:db8::9]:5061 ; maddr=\"x;y\" ; ttl = 1",
        ];
        let name_addrs = [
            "\"Alice \\\"A\\\"\" <sip:alice@atlanta.com;transport=tcp>;tag=19;expires=60",
            "Bob <tel:+1-555;phone-context=x>;q=0.5",
            "sip:a:pw@h:5060;lr?x=y&z=;tag=1",
            "<urn:service:sos>",
        ];
        let uris = [
            "sip:alice:secret@atlanta.com:5070;transport=tcp;lr?subject=x&priority=",
            "sips:[2001:db8::1]:5061;maddr=[::1]",
            "tel:+1-201-555-0123;phone-context=example.com",
            "soap.beep://192.0.2.103:3002",
        ];
        let mut rng = SmallRng::seed_from_u64(7);
        let mut mutate = |s: &str| -> String {
            let mut v: Vec<char> = s.chars().collect();
            for _ in 0..rng.gen_range(1..=3) {
                let i = rng.gen_range(0..=v.len());
                match rng.gen_range(0..3) {
                    0 => v.insert(i, SPECIAL[rng.gen_range(0..SPECIAL.len())]),
                    1 if i < v.len() => {
                        v.remove(i);
                    }
                    _ if i < v.len() => v[i] = SPECIAL[rng.gen_range(0..SPECIAL.len())],
                    _ => {}
                }
            }
            v.into_iter().collect()
        };
        let mut ok = [0usize; 3];
        for round in 0..6000 {
            let s = mutate(vias[round % vias.len()]);
            let parsed = Via::parse(&s);
            assert_eq!(is_valid_via(&s), parsed.is_ok(), "{s:?}");
            if let Ok(v) = parsed {
                ok[0] += 1;
                assert_eq!(Via::parse(&v.to_string()).as_ref(), Ok(&v), "{s:?}");
            }
            let s = mutate(name_addrs[round % name_addrs.len()]);
            let parsed = NameAddr::parse(&s);
            assert_eq!(is_valid_name_addr(&s), parsed.is_ok(), "{s:?}");
            if let Ok(n) = parsed {
                ok[1] += 1;
                assert_eq!(NameAddr::parse(&n.to_string()).as_ref(), Ok(&n), "{s:?}");
            }
            let s = mutate(uris[round % uris.len()]);
            let parsed = Uri::parse(&s);
            assert_eq!(is_valid_uri(&s), parsed.is_ok(), "{s:?}");
            if let Ok(u) = parsed {
                ok[2] += 1;
                assert_eq!(Uri::parse(&u.to_string()).as_ref(), Ok(&u), "{s:?}");
            }
        }
        assert!(ok.iter().all(|&n| n > 500), "{ok:?}");
    }
}
