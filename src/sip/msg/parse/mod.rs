//! Parsing one SIP message from bytes (RFC 3261 §7, §25). Never panics on any input.

use std::borrow::Cow;
use std::fmt;

use super::header::{find_byte_in, is_token, is_token_char, known_name, parse_u32, trim_lws};
use super::{Headers, Message, Method, Request, Response, Uri};
use required::{Lines, Required};

/// What was wrong with the bytes.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The start line is neither a Request-Line nor a Status-Line (§7.1, §7.2).
    StartLine,
    /// SIP-Version other than SIP/2.0: a request gets 505 Version Not Supported
    /// ([RFC 3261 §21.5.7](https://www.rfc-editor.org/rfc/rfc3261#section-21.5.7),
    /// [RFC 4475 §3.1.2.16](https://www.rfc-editor.org/rfc/rfc4475#section-3.1.2.16)).
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
    ///
    /// With [`ParseErrorKind::BadUri`] from the Request-URI, the partial request's `uri` is a
    /// placeholder: `Scheme::Other("")` with the raw text in `opaque`. Its body is empty
    /// unless the body could be framed.
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

/// Parse one complete message (a datagram, or one framed stream message):
/// [RFC 3261 §7](https://www.rfc-editor.org/rfc/rfc3261#section-7) and the grammar of
/// [§25](https://www.rfc-editor.org/rfc/rfc3261#section-25).
///
/// Checks the start line, every header line, the body length against Content-Length, and
/// that Via, From, To, Call-ID and CSeq are present and parse (the CSeq method must match a
/// request's method, §8.2). A request that fails after its start line parsed carries
/// `partial` so the caller can answer 400.
///
/// Leniency, deliberately: CRLFs before the start line are skipped (§7.5); bare LF line ends
/// are accepted; extra SP between and after start-line elements is ignored (RFC 4475
/// §3.1.2.9, §3.1.2.10); a message whose last header line ends with CRLF but lacks the empty
/// line is taken as having no body. Octets beyond Content-Length are ignored (§18.3); with no
/// Content-Length the body is the rest of the bytes. A head that is not UTF-8 is read lossily.
///
/// Normalisation: the parsed message carries exactly one `Content-Length`, equal to the body
/// length (at the place of the first one received, or appended when none was), so printing
/// and parsing again gives an equal message.
pub fn parse_message(bytes: &[u8]) -> Result<Message, ParseError> {
    // §7.5: ignore CRLFs before the start line.
    let start = bytes
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .ok_or_else(|| ParseError::new(ParseErrorKind::Truncated))?;
    let frame = find_head_end(bytes, start);
    let head_bytes = bytes.get(start..frame.head_end).unwrap_or(&[]);
    let head: Cow<'_, str> = match std::str::from_utf8(head_bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(String::from_utf8_lossy(head_bytes).into_owned()),
    };
    // One copy of the head holds every header value (each a range of it): one allocation
    // for all of them. Offsets into `head` are offsets into that copy.
    let mut headers = Headers::over_text(head.to_string(), 16);
    let at = |piece: &str| piece.as_ptr() as usize - head.as_ptr() as usize;
    let rest = bytes.get(frame.body_start..).unwrap_or(&[]);

    let (first, mut pos) = next_line(&head, 0);
    let start_line = parse_start_line(first)?;

    // Header lines: every line that splits cleanly is kept, in order. One forward pass per
    // line: the name is scanned as a token up to the colon, then the value up to the LF.
    let mut header_line_err = false;
    let mut can_continue = false;
    let mut required = Required::default();
    while pos < head.len() {
        let (line, next) = next_line(&head, pos);
        pos = next;
        if line.is_empty() {
            continue; // only the trailing piece after the last LF
        }
        let lb = line.as_bytes();
        if lb[0] == b' ' || lb[0] == b'\t' {
            // §7.3.1 folding: the continuation joins the previous value with one SP.
            if can_continue && !headers.is_empty() {
                let cont = trim_lws(line);
                if !cont.is_empty() {
                    headers.continue_last(cont);
                }
            } else {
                header_line_err = true;
            }
            continue;
        }
        can_continue = false;
        // field-name = token, then optional SP/HTAB, then the colon (§7.3, §25.1).
        let name_end = lb
            .iter()
            .position(|&b| !is_token_char(b))
            .unwrap_or(lb.len());
        let mut colon = name_end;
        while colon < lb.len() && (lb[colon] == b' ' || lb[colon] == b'\t') {
            colon += 1;
        }
        if name_end == 0 || lb.get(colon) != Some(&b':') {
            header_line_err = true;
            continue;
        }
        let (Some(name), Some(value)) = (line.get(..name_end), line.get(colon + 1..)) else {
            header_line_err = true;
            continue;
        };
        let canon = known_name(name);
        if let Some(canon) = canon {
            required.note(canon, headers.len());
        }
        let value = trim_lws(value);
        let start = at(value);
        headers.push_range(
            match canon {
                Some(canon) => Cow::Borrowed(canon),
                None => Cow::Owned(name.to_string()),
            },
            start,
            start + value.len(),
        );
        can_continue = true;
    }

    // Body framing by Content-Length (§18.3, §20.14).
    let mut first_err: Option<ParseErrorKind> = match &start_line {
        StartLine::Request { error, .. } => error.clone(),
        StartLine::Response { .. } => None,
    };
    if first_err.is_none() && frame.truncated {
        first_err = Some(ParseErrorKind::Truncated);
    }
    if first_err.is_none() && header_line_err {
        first_err = Some(ParseErrorKind::HeaderLine);
    }
    let mut body: &[u8] = &[];
    let cl = &required.content_length;
    match content_length(&headers, cl) {
        Ok(Some(n)) if n <= rest.len() => {
            body = rest.get(..n).unwrap_or(&[]);
            normalise_content_length(&mut headers, n, cl);
        }
        Ok(None) => {
            body = rest;
            normalise_content_length(&mut headers, rest.len(), cl);
        }
        Ok(Some(_)) | Err(()) => {
            if first_err.is_none() {
                first_err = Some(ParseErrorKind::ContentLength);
            }
        }
    }

    let method = match &start_line {
        StartLine::Request { method, .. } => Some(method),
        StartLine::Response { .. } => None,
    };
    if first_err.is_none() {
        if let Err(kind) = required.check(&headers, method) {
            first_err = Some(kind);
        }
    }

    match start_line {
        StartLine::Request { method, uri, .. } => {
            let req = Request {
                method,
                uri,
                headers,
                body: body.to_vec(),
            };
            match first_err {
                None => Ok(Message::Request(req)),
                Some(kind) => Err(ParseError {
                    kind,
                    partial: Some(Box::new(req)),
                }),
            }
        }
        StartLine::Response { code, reason } => match first_err {
            None => Ok(Message::Response(Response {
                code,
                reason,
                headers,
                body: body.to_vec(),
            })),
            Some(kind) => Err(ParseError::new(kind)),
        },
    }
}

/// The line starting at `pos` without its line end (LF, or CRLF), and where the next one
/// starts (past the end when this is the last).
fn next_line(head: &str, pos: usize) -> (&str, usize) {
    let rest = head.get(pos..).unwrap_or("");
    let (line, next) = match find_byte_in(rest.as_bytes(), b'\n') {
        Some(i) => (rest.get(..i).unwrap_or(""), pos + i + 1),
        None => (rest, head.len() + 1),
    };
    (line.strip_suffix('\r').unwrap_or(line), next)
}

/// Where the head ends and the body starts.
struct Frame {
    /// End of the head (exclusive; the last header line's LF included).
    head_end: usize,
    /// First body byte.
    body_start: usize,
    /// The input ended in the middle of a line, before the empty line.
    truncated: bool,
}

/// Find the empty line (CRLF CRLF, or bare LFs) that ends the head, starting at `start`
/// (the first byte of the start line).
fn find_head_end(bytes: &[u8], start: usize) -> Frame {
    let len = bytes.len();
    let mut i = start;
    while let Some(lf) = bytes.get(i..).and_then(|rest| find_byte_in(rest, b'\n')) {
        i += lf;
        // An empty line follows this LF: `\n\n` or `\n\r\n`.
        if i + 1 < len && bytes[i + 1] == b'\n' {
            return Frame {
                head_end: i + 1,
                body_start: i + 2,
                truncated: false,
            };
        }
        if i + 2 < len && bytes[i + 1] == b'\r' && bytes[i + 2] == b'\n' {
            return Frame {
                head_end: i + 1,
                body_start: i + 3,
                truncated: false,
            };
        }
        i += 1;
    }
    // No empty line: lenient when the last line is complete, truncated otherwise.
    Frame {
        head_end: len,
        body_start: len,
        truncated: bytes.last() != Some(&b'\n'),
    }
}

enum StartLine {
    Request {
        method: Method,
        uri: Uri,
        /// A Version or BadUri error found on an otherwise usable Request-Line.
        error: Option<ParseErrorKind>,
    },
    Response {
        code: u16,
        reason: String,
    },
}

fn is_sp(c: char) -> bool {
    c == ' ' || c == '\t'
}

fn is_sip_version_prefix(s: &str) -> bool {
    s.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("SIP/"))
}

/// Request-Line (§7.1, §25.1) or Status-Line (§7.2).
fn parse_start_line(line: &str) -> Result<StartLine, ParseError> {
    let start_err = || ParseError::new(ParseErrorKind::StartLine);
    let line = line.trim_matches(is_sp);
    if is_sip_version_prefix(line) {
        // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
        let (version, rest) = line.split_once(is_sp).ok_or_else(start_err)?;
        let rest = rest.trim_start_matches(is_sp);
        let (code, reason) = rest.split_once(is_sp).unwrap_or((rest, ""));
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(start_err());
        }
        let code: u16 = code.parse().map_err(|_| start_err())?;
        if !(100..=699).contains(&code) {
            return Err(start_err());
        }
        if !version.eq_ignore_ascii_case("SIP/2.0") {
            return Err(ParseError::new(ParseErrorKind::Version));
        }
        return Ok(StartLine::Response {
            code,
            reason: reason.trim_matches(is_sp).to_string(),
        });
    }
    // Request-Line = Method SP Request-URI SP SIP-Version
    let (method, rest) = line.split_once(is_sp).ok_or_else(start_err)?;
    let (uri, version) = rest.rsplit_once(is_sp).ok_or_else(start_err)?;
    let uri = uri.trim_matches(is_sp);
    if !is_token(method) || uri.is_empty() {
        return Err(start_err());
    }
    let mut error = None;
    if !version.eq_ignore_ascii_case("SIP/2.0") {
        if !is_sip_version_prefix(version) {
            return Err(start_err());
        }
        error = Some(ParseErrorKind::Version);
    }
    let uri = match Uri::parse(uri) {
        Ok(u) => u,
        Err(_) => {
            error.get_or_insert(ParseErrorKind::BadUri);
            Uri {
                scheme: super::Scheme::Other(String::new()),
                user: None,
                password: None,
                host: String::new(),
                port: None,
                params: Vec::new(),
                headers: Vec::new(),
                opaque: Some(uri.to_string()),
            }
        }
    };
    Ok(StartLine::Request {
        method: Method::from_token(method),
        uri,
        error,
    })
}

/// The Content-Length, if any: every line must be 1*DIGIT and all must agree (RFC 4475
/// §3.1.2.3, §3.3.9).
/// `lines`: none means nothing to scan; a single one is read at its index.
fn content_length(headers: &Headers, lines: &Lines) -> Result<Option<usize>, ()> {
    match lines.count {
        0 => return Ok(None),
        1 => {
            let v = headers.value_at(lines.first).unwrap_or("");
            return Ok(Some(parse_u32(v).ok_or(())? as usize));
        }
        _ => {}
    }
    let mut found: Option<usize> = None;
    for v in headers.get_all("Content-Length") {
        let n = parse_u32(v).ok_or(())? as usize;
        if found.is_some_and(|f| f != n) {
            return Err(());
        }
        found = Some(n);
    }
    Ok(found)
}

/// Leave exactly one Content-Length, equal to `len`, at the first one's place (or at the end).
/// With a single line, canonical and equal to `len` (the usual case), nothing changes
/// and nothing is rewritten.
fn normalise_content_length(headers: &mut Headers, len: usize, lines: &Lines) {
    let is_canonical = |v: &str| {
        !(v.len() > 1 && v.starts_with('0')) && parse_u32(v).is_some_and(|n| n as usize == len)
    };
    if lines.count == 1 && headers.value_at(lines.first).is_some_and(is_canonical) {
        return;
    }
    if lines.count == 0 {
        headers.push("Content-Length", len.to_string());
        return;
    }
    let mut seen = false;
    headers.retain(|name, _| {
        let later_copy = name == "Content-Length" && seen;
        seen |= name == "Content-Length";
        !later_copy
    });
    if let Some(i) = headers.position("Content-Length") {
        if !headers.get("Content-Length").is_some_and(is_canonical) {
            headers.set_at(i, len.to_string());
        }
    }
}

mod required;
#[cfg(test)]
mod tests;
