//! Parsing one SIP message from bytes (RFC 3261 §7, §25). Never panics on any input.

use std::fmt;

use super::{Message, Request};

/// What was wrong with the bytes.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The start line is neither a Request-Line nor a Status-Line (§7.1, §7.2).
    StartLine,
    /// SIP-Version other than SIP/2.0 (a request gets 505, §8.2.2? / RFC 4475 §3.3.7).
    Version,
    /// A header line without a colon or with an invalid name (§7.3).
    HeaderLine,
    /// A required header is missing (§8.1.1).
    MissingHeader(&'static str),
    /// A header value does not match its grammar.
    BadHeader(&'static str),
    /// The Request-URI (or another URI) does not parse (§19.1).
    BadUri,
    /// Content-Length is malformed, negative, or larger than the bytes that follow (§18.3, §20.14).
    ContentLength,
    /// The message ends before the blank line that ends the headers.
    Truncated,
}

/// Bytes that are not a valid SIP message.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ParseError {
    /// What was wrong.
    pub kind: ParseErrorKind,
    /// When the start line was a valid Request-Line: the request as far as it could be read
    /// (headers that split cleanly), so a UAS can still answer 400 (or 505) per §8.2 when it
    /// has Via, From, To, Call-ID and CSeq.
    pub partial: Option<Box<Request>>,
}

impl ParseError {
    /// A required header is missing.
    pub fn missing(name: &'static str) -> Self {
        ParseError {
            kind: ParseErrorKind::MissingHeader(name),
            partial: None,
        }
    }
    /// A header value is malformed.
    pub fn bad_header(name: &'static str) -> Self {
        ParseError {
            kind: ParseErrorKind::BadHeader(name),
            partial: None,
        }
    }
    /// An error of this kind with no partial request.
    pub fn new(kind: ParseErrorKind) -> Self {
        ParseError {
            kind,
            partial: None,
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ParseErrorKind::StartLine => f.write_str("malformed start line"),
            ParseErrorKind::Version => f.write_str("unsupported SIP version"),
            ParseErrorKind::HeaderLine => f.write_str("malformed header line"),
            ParseErrorKind::MissingHeader(h) => write!(f, "missing {h} header"),
            ParseErrorKind::BadHeader(h) => write!(f, "malformed {h} header"),
            ParseErrorKind::BadUri => f.write_str("malformed URI"),
            ParseErrorKind::ContentLength => f.write_str("bad Content-Length"),
            ParseErrorKind::Truncated => f.write_str("truncated message"),
        }
    }
}

impl std::error::Error for ParseError {}

/// Parse one complete message (a datagram, or one framed stream message).
///
/// Checks the start line, every header line, the body length against Content-Length, and
/// that Via, From, To, Call-ID and CSeq are present and parse (the CSeq method must match a
/// request's method, §8.2). A request that fails after its start line parsed carries
/// `partial` so the caller can answer 400.
pub fn parse_message(bytes: &[u8]) -> Result<Message, ParseError> {
    let _ = bytes;
    todo!("sip::msg::parse::parse_message")
}
