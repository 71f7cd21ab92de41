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
            .iter()
            .map(|(name, value)| name.len() + value.len() + 4)
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
    for (name, value) in headers.iter() {
        let is_cl = name.eq_ignore_ascii_case("Content-Length") || name.eq_ignore_ascii_case("l");
        if is_cl {
            if !cl_written {
                write_content_length(&mut out, body.len());
                cl_written = true;
            }
            continue;
        }
        out.push_str(name);
        out.push_str(": ");
        push_line_safe(&mut out, value);
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

#[cfg(test)]
mod tests {
    use crate::sip::msg::{Message, Method, Request, Response, Uri};

    fn text(b: Vec<u8>) -> String {
        String::from_utf8(b).unwrap()
    }

    #[test]
    fn request_layout() {
        let mut r = Request::new(Method::Invite, Uri::sip(Some("bob"), "b.com", None));
        r.headers.push("v", "SIP/2.0/UDP a.com;branch=z9hG4bK1");
        r.headers.push("X-Order", "2");
        r.headers.push("content-length", "999");
        r.headers.push("Zzz", "3");
        r.headers.push("l", "1");
        r.body = b"hi".to_vec();
        assert_eq!(
            text(r.to_bytes()),
            "INVITE sip:bob@b.com SIP/2.0\r\n\
Via: SIP/2.0/UDP a.com;branch=z9hG4bK1\r\n\
X-Order: 2\r\n\
Content-Length: 2\r\n\
Zzz: 3\r\n\
\r\n\
hi"
        );
    }

    #[test]
    fn content_length_appended_when_absent() {
        let r = Request::new(
            Method::Extension("FOO".into()),
            Uri::sip(None, "h", Some(1)),
        );
        assert_eq!(
            text(r.to_bytes()),
            "FOO sip:h:1 SIP/2.0\r\nContent-Length: 0\r\n\r\n"
        );
    }

    #[test]
    fn response_layout() {
        let mut r = Response {
            code: 486,
            reason: "Busy Here".into(),
            headers: Default::default(),
            body: vec![0, 1, 2],
        };
        r.headers.push("CSeq", "1 INVITE");
        let b = Message::Response(r.clone()).to_bytes();
        assert_eq!(
            &b[..],
            b"SIP/2.0 486 Busy Here\r\nCSeq: 1 INVITE\r\nContent-Length: 3\r\n\r\n\x00\x01\x02"
        );
        r.reason = String::new();
        assert!(text(r.to_bytes()).starts_with("SIP/2.0 486 \r\n"));
    }

    #[test]
    fn line_feeds_in_values_cannot_inject_headers() {
        let mut r = Request::new(Method::Options, Uri::sip(None, "h", None));
        r.headers.push("Subject", "a\r\nInjected: yes");
        let t = text(r.to_bytes());
        assert!(t.contains("Subject: a\r Injected: yes\r\n"), "{t:?}");
        assert_eq!(t.matches('\n').count(), 4);
    }
}
