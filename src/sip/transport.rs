//! Transport-layer rules that do not need a socket (RFC 3261 §18, RFC 3581).
//!
//! - §18.2.1: a server stamps `received` (and fills `rport`, RFC 3581 §4) on the top Via.
//! - §18.2.2: responses go to `received`/`rport` when present, else to the sent-by.
//! - Request targets: the Request-URI (or first loose Route) host and port, IP literals only
//!   for now (RFC 3263 resolution is a driver job to come).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use super::msg::{split_comma_list, Request, SipMessage, Uri, Via};

/// Default SIP port for UDP/TCP (§19.1.2).
pub const DEFAULT_PORT: u16 = 5060;

/// Parse a host as an IP address: IPv4, bracketed IPv6, or `localhost`.
pub fn host_ip(host: &str) -> Option<IpAddr> {
    if host.eq_ignore_ascii_case("localhost") {
        return Some(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    bare.parse().ok()
}

/// Where a request for `uri` is sent (§8.1.2 with IP-literal hosts; `maddr` honoured).
pub fn uri_destination(uri: &Uri) -> Option<SocketAddr> {
    let host = match uri.param("maddr") {
        Some(Some(maddr)) => maddr,
        _ => uri.host.as_str(),
    };
    let ip = host_ip(host)?;
    Some(SocketAddr::new(ip, uri.port.unwrap_or(DEFAULT_PORT)))
}

/// §18.2.1 + RFC 3581 §4: record where a request really came from in its top Via.
/// Returns the request with the top Via rewritten (other Vias untouched).
pub fn stamp_received(req: &mut Request, source: SocketAddr) {
    let Ok(mut via) = req.top_via() else { return };
    let sent_by_ip = host_ip(&via.host);
    let mut changed = false;
    if sent_by_ip != Some(source.ip()) {
        via.set_param("received", Some(source.ip().to_string()));
        changed = true;
    }
    if let Some(None) = via.rport() {
        via.set_param("rport", Some(source.port().to_string()));
        // RFC 3581 §4: received is added whenever rport is filled.
        via.set_param("received", Some(source.ip().to_string()));
        changed = true;
    }
    if changed {
        replace_top_via(req, &via);
    }
}

/// Replace the first Via element (which may be one item of a comma list) with `via`.
pub fn replace_top_via(msg: &mut impl SipMessage, via: &Via) {
    let headers = msg.headers_mut();
    if let Some(i) = headers.position("Via") {
        let mut value = via.to_string();
        if let Some(line) = headers.value_at(i) {
            for rest in split_comma_list(line).into_iter().skip(1) {
                value.push_str(", ");
                value.push_str(rest);
            }
        }
        headers.set_at(i, value);
    }
}

/// §18.2.2 (unreliable, unicast): where a response to a request with this top Via goes.
pub fn response_destination(via: &Via) -> Option<SocketAddr> {
    let ip = match via.received() {
        Some(r) => host_ip(r)?,
        None => host_ip(&via.host)?,
    };
    let port = match via.rport() {
        Some(Some(p)) => p,
        _ => via.port.unwrap_or(DEFAULT_PORT),
    };
    Some(SocketAddr::new(ip, port))
}

/// Host text for an IP in a URI or Via (IPv6 in brackets, §19.1.1).
pub fn ip_host(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

/// A SIP transport protocol (§18).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub enum Protocol {
    /// UDP: unreliable, retransmissions by the transactions.
    #[default]
    Udp,
    /// TCP: reliable stream, framed by Content-Length (§18.3).
    Tcp,
    /// TLS over TCP (§26.2; `sips:` URIs).
    Tls,
}

impl Protocol {
    /// The transport token in Via (`UDP`, `TCP`, `TLS`).
    pub fn via_token(self) -> &'static str {
        match self {
            Protocol::Udp => "UDP",
            Protocol::Tcp => "TCP",
            Protocol::Tls => "TLS",
        }
    }

    /// True for stream transports: no retransmissions, Timers D/I/J/K are zero (§17).
    pub fn is_reliable(self) -> bool {
        !matches!(self, Protocol::Udp)
    }

    /// Parse a Via token or a `transport=` URI parameter, case-insensitively.
    pub fn from_token(token: &str) -> Option<Protocol> {
        match token.to_ascii_lowercase().as_str() {
            "udp" => Some(Protocol::Udp),
            "tcp" => Some(Protocol::Tcp),
            "tls" => Some(Protocol::Tls),
            _ => None,
        }
    }
}

/// One stream connection, named by the driver (a TCP or TLS connection).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct FlowId(pub u64);

/// Where a message goes: a protocol, an address, and for streams the connection to use if
/// one is known (else the driver opens or reuses one to `addr`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Target {
    /// Transport protocol.
    pub proto: Protocol,
    /// Remote address.
    pub addr: SocketAddr,
    /// Existing connection to send on, for stream transports.
    pub flow: Option<FlowId>,
}

impl Target {
    /// A message for this target.
    pub fn transmit(&self, contents: Vec<u8>) -> super::engine::Transmit {
        super::engine::Transmit {
            destination: self.addr,
            contents,
            proto: self.proto,
            flow: self.flow,
        }
    }

    /// A UDP target.
    pub fn udp(addr: SocketAddr) -> Target {
        Target {
            proto: Protocol::Udp,
            addr,
            flow: None,
        }
    }
}

/// §18.1.1: a request this large (bytes) must not go over UDP when a congestion-controlled
/// transport can be used (the path MTU minus 200 bytes, for an MTU of 1500).
pub const UDP_SIZE_LIMIT: usize = 1300;

/// Protocol for a request to `uri` (§18.1.1, §19.1.4, §26.2): `sips:` → TLS, else the
/// `transport=` parameter, else UDP.
pub fn uri_protocol(uri: &Uri) -> Protocol {
    if uri.scheme == super::msg::Scheme::Sips {
        return Protocol::Tls;
    }
    match uri.param("transport") {
        Some(Some(t)) => Protocol::from_token(t).unwrap_or(Protocol::Udp),
        _ => Protocol::Udp,
    }
}

/// Why a stream could not be framed (the connection is then closed, RFC 4475 §3.1.2.3).
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FramingError {
    /// The headers grew past the limit without an empty line.
    #[error("message headers too large")]
    HeadersTooLarge,
    /// Content-Length missing (mandatory on streams, §18.3), malformed, or past the limit.
    #[error("missing or invalid Content-Length on a stream")]
    BadContentLength,
}

/// What the framer found in the bytes so far.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Framed {
    /// One whole message.
    Message(Vec<u8>),
    /// A keep-alive ping (CRLFCRLF, RFC 5626 §3.5.1): answer with a single CRLF pong.
    Ping,
    /// A keep-alive pong (a lone CRLF).
    Pong,
}

/// §18.3: splits a byte stream into messages by Content-Length. Feed bytes in any chunks
/// (even one at a time) with [`push`](StreamFramer::push), then take messages with
/// [`poll`](StreamFramer::poll) until it returns `Ok(None)`.
#[derive(Debug, Default)]
pub struct StreamFramer {
    buf: Vec<u8>,
    max: usize,
}

impl StreamFramer {
    /// A framer refusing messages larger than `max` bytes.
    pub fn new(max: usize) -> StreamFramer {
        StreamFramer {
            buf: Vec::new(),
            max,
        }
    }

    /// Append received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes held that do not yet form a message.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// The next complete item, `Ok(None)` if more bytes are needed, or an error after which
    /// the stream cannot be resynchronised.
    pub fn poll(&mut self) -> Result<Option<Framed>, FramingError> {
        // Keep-alives between messages (RFC 5626 §3.5.1; RFC 3261 §7.5 lets CRLFs precede).
        // A CRLF is a pong only once the next byte shows it is not the start of a ping.
        if self.buf.starts_with(b"\r\n\r\n") {
            self.buf.drain(..4);
            return Ok(Some(Framed::Ping));
        }
        if self.buf.starts_with(b"\r\n") && self.buf.len() >= 3 && self.buf[2] != b'\r' {
            self.buf.drain(..2);
            return Ok(Some(Framed::Pong));
        }
        if matches!(self.buf.as_slice(), b"\r" | b"\r\n" | b"\r\n\r") {
            return Ok(None);
        }
        let Some(end) = find(&self.buf, b"\r\n\r\n") else {
            if self.buf.len() > self.max {
                return Err(FramingError::HeadersTooLarge);
            }
            return Ok(None);
        };
        let head_len = end + 4;
        if head_len > self.max {
            return Err(FramingError::HeadersTooLarge);
        }
        let body_len = content_length(&self.buf[..end]).ok_or(FramingError::BadContentLength)?;
        if head_len + body_len > self.max {
            return Err(FramingError::BadContentLength);
        }
        if self.buf.len() < head_len + body_len {
            return Ok(None);
        }
        let rest = self.buf.split_off(head_len + body_len);
        let message = std::mem::replace(&mut self.buf, rest);
        Ok(Some(Framed::Message(message)))
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The Content-Length of a header block (long or compact `l` form), if exactly one valid
/// value is present (conflicting values are an error, RFC 4475 §3.3.9).
fn content_length(head: &[u8]) -> Option<usize> {
    let text = std::str::from_utf8(head).ok()?;
    let mut found: Option<usize> = None;
    for line in text.split("\r\n").skip(1) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim();
        if name.eq_ignore_ascii_case("content-length") || name.eq_ignore_ascii_case("l") {
            let v: usize = value.trim().parse().ok()?;
            if found.is_some_and(|f| f != v) {
                return None;
            }
            found = Some(v);
        }
    }
    found
}

#[cfg(test)]
mod framer_tests {
    use super::*;

    const MSG: &[u8] =
        b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nl: 5\r\n\r\nhello";

    #[test]
    fn frames_by_content_length_fed_one_byte_at_a_time() {
        let mut f = StreamFramer::new(64 * 1024);
        let stream: Vec<u8> = [MSG, b"\r\n\r\n", MSG].concat();
        let mut out = Vec::new();
        for b in &stream {
            f.push(std::slice::from_ref(b));
            while let Some(item) = f.poll().unwrap() {
                out.push(item);
            }
        }
        assert_eq!(
            out,
            vec![
                Framed::Message(MSG.to_vec()),
                Framed::Ping,
                Framed::Message(MSG.to_vec())
            ]
        );
        assert_eq!(f.pending(), 0);
    }

    #[test]
    fn missing_or_conflicting_content_length_is_fatal_on_a_stream() {
        let mut f = StreamFramer::new(1024);
        f.push(b"BYE sip:a@b SIP/2.0\r\nVia: x\r\n\r\n");
        assert_eq!(f.poll(), Err(FramingError::BadContentLength));
        let mut f = StreamFramer::new(1024);
        f.push(b"BYE sip:a@b SIP/2.0\r\nContent-Length: 13\r\nl: 5\r\n\r\nhello");
        assert_eq!(f.poll(), Err(FramingError::BadContentLength));
    }

    #[test]
    fn oversized_headers_or_bodies_are_refused() {
        let mut f = StreamFramer::new(100);
        f.push(&[b'a'; 101]);
        assert_eq!(f.poll(), Err(FramingError::HeadersTooLarge));
        let mut f = StreamFramer::new(100);
        f.push(b"BYE sip:a@b SIP/2.0\r\nContent-Length: 999\r\n\r\n");
        assert_eq!(f.poll(), Err(FramingError::BadContentLength));
    }
}
