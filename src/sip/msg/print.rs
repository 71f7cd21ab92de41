//! Printing messages to wire bytes (RFC 3261 §7): CRLF line ends, one header per line,
//! Content-Length always written and always equal to the body length.

use std::fmt::Write;

use super::{Headers, Request, Response};

/// Wire bytes of a request.
pub(crate) fn request_to_bytes(req: &Request) -> Vec<u8> {
    let mut out = String::with_capacity(estimate(&req.headers, 64));
    out.push_str(req.method.as_str());
    out.push(' ');
    // invariant: fmt::Write for String never fails.
    let _ = write!(out, "{}", req.uri);
    out.push_str(" SIP/2.0\r\n");
    finish(out, &req.headers, &req.body)
}

/// Wire bytes of a response.
pub(crate) fn response_to_bytes(resp: &Response) -> Vec<u8> {
    let mut out = String::with_capacity(estimate(&resp.headers, 32));
    out.push_str("SIP/2.0 ");
    // invariant: fmt::Write for String never fails.
    let _ = write!(out, "{} ", resp.code);
    push_line_safe(&mut out, &resp.reason);
    out.push_str("\r\n");
    finish(out, &resp.headers, &resp.body)
}

fn estimate(headers: &Headers, start_line: usize) -> usize {
    start_line
        + 24
        + headers
            .0
            .iter()
            .map(|h| h.name.len() + h.value.len() + 4)
            .sum::<usize>()
}

/// Push text that must stay on one line: a bare LF (only possible in values set through the
/// API, never in parsed ones) would start a new header, so it becomes SP.
fn push_line_safe(out: &mut String, s: &str) {
    if s.contains('\n') {
        out.extend(s.chars().map(|c| if c == '\n' { ' ' } else { c }));
    } else {
        out.push_str(s);
    }
}

/// Headers in stored order with Content-Length replaced by the body length (at the first
/// Content-Length's place, or appended), the empty line, then the body.
fn finish(mut out: String, headers: &Headers, body: &[u8]) -> Vec<u8> {
    let mut cl_written = false;
    for h in &headers.0 {
        let is_cl =
            h.name.eq_ignore_ascii_case("Content-Length") || h.name.eq_ignore_ascii_case("l");
        if is_cl {
            if !cl_written {
                write_content_length(&mut out, body.len());
                cl_written = true;
            }
            continue;
        }
        out.push_str(&h.name);
        out.push_str(": ");
        push_line_safe(&mut out, &h.value);
        out.push_str("\r\n");
    }
    if !cl_written {
        write_content_length(&mut out, body.len());
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

fn write_content_length(out: &mut String, len: usize) {
    // invariant: fmt::Write for String never fails.
    let _ = write!(out, "Content-Length: {len}\r\n");
}
