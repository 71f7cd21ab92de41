//! SIP messages: the data model, parsing and printing (RFC 3261 §7, §19, §20, §25).
//!
//! Headers are kept as raw `(name, value)` pairs in wire order, with names canonicalised
//! (compact forms expanded, RFC 3261 §7.3.3) and values unfolded (§7.3.1); typed views
//! ([`Via`], [`NameAddr`], [`CSeq`]) are parsed on demand. Printing a parsed message and
//! parsing it again gives the same message.

mod header;
mod headers;
mod lex;
mod names;
mod parse;
mod print;
mod uri;

pub use header::{CSeq, NameAddr, Param, Via};
pub use headers::Headers;
pub(crate) use lex::split_comma_list;
pub use parse::{parse_message, ParseError, ParseErrorKind};
pub use uri::{Scheme, Uri};

use std::fmt;

/// A SIP method (RFC 3261 §7.1; extension methods kept verbatim).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum Method {
    /// INVITE (§13).
    Invite,
    /// ACK (§17.1.1.3, §13.2.2.4).
    Ack,
    /// BYE (§15).
    Bye,
    /// CANCEL (§9).
    Cancel,
    /// OPTIONS (§11).
    Options,
    /// REGISTER (§10).
    Register,
    /// INFO (RFC 6086).
    Info,
    /// REFER (RFC 3515).
    Refer,
    /// NOTIFY (RFC 6665).
    Notify,
    /// SUBSCRIBE (RFC 6665).
    Subscribe,
    /// UPDATE (RFC 3311).
    Update,
    /// PRACK (RFC 3262).
    Prack,
    /// MESSAGE (RFC 3428).
    Message,
    /// PUBLISH (RFC 3903).
    Publish,
    /// Any other token, case preserved (methods are case-sensitive, §7.1).
    Extension(String),
}

impl Method {
    /// The method token as on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Method::Invite => "INVITE",
            Method::Ack => "ACK",
            Method::Bye => "BYE",
            Method::Cancel => "CANCEL",
            Method::Options => "OPTIONS",
            Method::Register => "REGISTER",
            Method::Info => "INFO",
            Method::Refer => "REFER",
            Method::Notify => "NOTIFY",
            Method::Subscribe => "SUBSCRIBE",
            Method::Update => "UPDATE",
            Method::Prack => "PRACK",
            Method::Message => "MESSAGE",
            Method::Publish => "PUBLISH",
            Method::Extension(s) => s,
        }
    }

    /// Map a token (case-sensitive, §7.1) to a method.
    pub fn from_token(token: &str) -> Method {
        match token {
            "INVITE" => Method::Invite,
            "ACK" => Method::Ack,
            "BYE" => Method::Bye,
            "CANCEL" => Method::Cancel,
            "OPTIONS" => Method::Options,
            "REGISTER" => Method::Register,
            "INFO" => Method::Info,
            "REFER" => Method::Refer,
            "NOTIFY" => Method::Notify,
            "SUBSCRIBE" => Method::Subscribe,
            "UPDATE" => Method::Update,
            "PRACK" => Method::Prack,
            "MESSAGE" => Method::Message,
            "PUBLISH" => Method::Publish,
            other => Method::Extension(other.to_string()),
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A SIP request (§7.1).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The Request-URI.
    pub uri: Uri,
    /// Header fields.
    pub headers: Headers,
    /// The body (Content-Length is computed when printing).
    pub body: Vec<u8>,
}

/// A SIP response (§7.2).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Response {
    /// Status code 100..=699.
    pub code: u16,
    /// Reason phrase.
    pub reason: String,
    /// Header fields.
    pub headers: Headers,
    /// The body.
    pub body: Vec<u8>,
}

/// Either kind of SIP message.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Message {
    /// A request.
    Request(Request),
    /// A response.
    Response(Response),
}

/// The standard reason phrase for a status code (RFC 3261 §21 and extensions).
pub fn reason_phrase(code: u16) -> &'static str {
    match code {
        100 => "Trying",
        180 => "Ringing",
        181 => "Call Is Being Forwarded",
        182 => "Queued",
        183 => "Session Progress",
        199 => "Early Dialog Terminated",
        200 => "OK",
        202 => "Accepted",
        204 => "No Notification",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Moved Temporarily",
        305 => "Use Proxy",
        380 => "Alternative Service",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        410 => "Gone",
        413 => "Request Entity Too Large",
        414 => "Request-URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Unsupported URI Scheme",
        420 => "Bad Extension",
        421 => "Extension Required",
        422 => "Session Interval Too Small",
        423 => "Interval Too Brief",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        482 => "Loop Detected",
        483 => "Too Many Hops",
        484 => "Address Incomplete",
        485 => "Ambiguous",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        489 => "Bad Event",
        491 => "Request Pending",
        493 => "Undecipherable",
        500 => "Server Internal Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Server Time-out",
        505 => "Version Not Supported",
        513 => "Message Too Large",
        600 => "Busy Everywhere",
        603 => "Decline",
        604 => "Does Not Exist Anywhere",
        606 => "Not Acceptable",
        _ => match code / 100 {
            1 => "Progress",
            2 => "Success",
            3 => "Redirection",
            4 => "Client Error",
            5 => "Server Error",
            _ => "Global Failure",
        },
    }
}

/// Typed accessors shared by requests and responses. Each parses the raw header on demand
/// and reports a [`ParseError`] (which becomes a 400 for requests) when it is malformed.
pub trait SipMessage {
    /// The header fields.
    fn headers(&self) -> &Headers;
    /// Mutable header fields.
    fn headers_mut(&mut self) -> &mut Headers;
    /// The body.
    fn body(&self) -> &[u8];

    /// All Via values, top first (comma lists split).
    fn vias(&self) -> Result<Vec<Via>, ParseError> {
        self.headers()
            .get_split("Via")
            .into_iter()
            .map(Via::parse)
            .collect()
    }
    /// The topmost Via (§8.1.1.7, §18.2.1).
    fn top_via(&self) -> Result<Via, ParseError> {
        let first = self
            .headers()
            .get_split("Via")
            .into_iter()
            .next()
            .ok_or_else(|| ParseError::missing("Via"))?;
        Via::parse(first)
    }
    /// The From header (§8.1.1.3).
    #[allow(clippy::wrong_self_convention)] // `from` is the header's name, not a conversion
    fn from_hdr(&self) -> Result<NameAddr, ParseError> {
        NameAddr::parse(
            self.headers()
                .get("From")
                .ok_or_else(|| ParseError::missing("From"))?,
        )
    }
    /// The To header (§8.1.1.2).
    fn to_hdr(&self) -> Result<NameAddr, ParseError> {
        NameAddr::parse(
            self.headers()
                .get("To")
                .ok_or_else(|| ParseError::missing("To"))?,
        )
    }
    /// The Call-ID value (§8.1.1.4).
    fn call_id(&self) -> Result<&str, ParseError> {
        self.headers()
            .get("Call-ID")
            .filter(|v| !v.is_empty())
            .ok_or_else(|| ParseError::missing("Call-ID"))
    }
    /// The CSeq header (§8.1.1.5).
    fn cseq(&self) -> Result<CSeq, ParseError> {
        CSeq::parse(
            self.headers()
                .get("CSeq")
                .ok_or_else(|| ParseError::missing("CSeq"))?,
        )
    }
    /// Contact headers (§8.1.1.8); `*` is not returned here.
    fn contacts(&self) -> Result<Vec<NameAddr>, ParseError> {
        self.headers()
            .get_split("Contact")
            .into_iter()
            .filter(|c| c.trim() != "*")
            .map(NameAddr::parse)
            .collect()
    }
    /// Record-Route entries in order (§12.1.1, §12.1.2).
    fn record_routes(&self) -> Result<Vec<NameAddr>, ParseError> {
        self.headers()
            .get_split("Record-Route")
            .into_iter()
            .map(NameAddr::parse)
            .collect()
    }
    /// Content-Type value, if any.
    fn content_type(&self) -> Option<&str> {
        self.headers().get("Content-Type")
    }
}

impl SipMessage for Request {
    fn headers(&self) -> &Headers {
        &self.headers
    }
    fn headers_mut(&mut self) -> &mut Headers {
        &mut self.headers
    }
    fn body(&self) -> &[u8] {
        &self.body
    }
}

impl SipMessage for Response {
    fn headers(&self) -> &Headers {
        &self.headers
    }
    fn headers_mut(&mut self) -> &mut Headers {
        &mut self.headers
    }
    fn body(&self) -> &[u8] {
        &self.body
    }
}

impl Request {
    /// A new request with no headers and no body.
    pub fn new(method: Method, uri: Uri) -> Self {
        Request {
            method,
            uri,
            headers: Headers::default(),
            body: Vec::new(),
        }
    }

    /// A response to this request per §8.2.6.2: Via (all, in order), From, To, Call-ID and
    /// CSeq copied; no To-tag added (the caller adds one where §8.2.6.2 asks).
    pub fn make_response(&self, code: u16, reason: Option<&str>) -> Response {
        let mut headers = Headers::default();
        for (n, v) in self.headers.iter() {
            if n.eq_ignore_ascii_case("Via")
                || n.eq_ignore_ascii_case("From")
                || n.eq_ignore_ascii_case("To")
                || n.eq_ignore_ascii_case("Call-ID")
                || n.eq_ignore_ascii_case("CSeq")
            {
                headers.push(n, v);
            }
        }
        Response {
            code,
            reason: reason.unwrap_or_else(|| reason_phrase(code)).to_string(),
            headers,
            body: Vec::new(),
        }
    }

    /// The message as wire bytes, with a correct Content-Length.
    pub fn to_bytes(&self) -> Vec<u8> {
        print::request_to_bytes(self)
    }
}

impl Response {
    /// The message as wire bytes, with a correct Content-Length.
    pub fn to_bytes(&self) -> Vec<u8> {
        print::response_to_bytes(self)
    }

    /// True for 1xx.
    pub fn is_provisional(&self) -> bool {
        self.code < 200
    }
}

impl Message {
    /// Parse one complete message (a UDP datagram or one framed stream message).
    pub fn parse(bytes: &[u8]) -> Result<Message, ParseError> {
        parse_message(bytes)
    }

    /// The message as wire bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Message::Request(r) => r.to_bytes(),
            Message::Response(r) => r.to_bytes(),
        }
    }
}
