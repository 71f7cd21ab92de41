//! Tests of message parsing: start lines, headers, framing, Content-Length and the
//! checks that reject a message.

use super::*;
use crate::sip::msg::{Scheme, SipMessage};

const HDRS: &str = "Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds\r\n\
Max-Forwards: 70\r\n\
To: Bob <sip:bob@biloxi.com>\r\n\
From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n";

fn invite(extra: &str, body: &str) -> String {
    format!("INVITE sip:bob@biloxi.com SIP/2.0\r\n{HDRS}CSeq: 314159 INVITE\r\n{extra}\r\n{body}")
}

fn req(bytes: &[u8]) -> Request {
    match parse_message(bytes) {
        Ok(Message::Request(r)) => r,
        other => panic!("{other:?}"),
    }
}

fn kind(bytes: &[u8]) -> ParseErrorKind {
    parse_message(bytes).unwrap_err().kind
}

#[test]
fn minimal_request() {
    let r = req(invite("Content-Length: 0\r\n", "").as_bytes());
    assert_eq!(r.method, Method::Invite);
    assert_eq!(r.uri.to_string(), "sip:bob@biloxi.com");
    assert_eq!(r.headers.len(), 7);
    assert_eq!(r.headers.iter().next().unwrap().0, "Via");
    assert!(r.body.is_empty());
}

#[test]
fn response_status_line() {
    let msg = format!("SIP/2.0 180 Ringing\r\n{HDRS}CSeq: 1 INVITE\r\n\r\n");
    let Ok(Message::Response(r)) = parse_message(msg.as_bytes()) else {
        panic!()
    };
    assert_eq!((r.code, r.reason.as_str()), (180, "Ringing"));
    // A response's CSeq method is not checked against anything.
    let msg = format!("sip/2.0 699  Many words here \r\n{HDRS}CSeq: 1 FOO\r\n\r\n");
    let Ok(Message::Response(r)) = parse_message(msg.as_bytes()) else {
        panic!()
    };
    assert_eq!((r.code, r.reason.as_str()), (699, "Many words here"));
    let msg = format!("SIP/2.0 100\r\n{HDRS}CSeq: 1 INVITE\r\n\r\n");
    assert!(parse_message(msg.as_bytes()).is_ok());
    for bad in [
        "SIP/2.0 99 X",
        "SIP/2.0 700 X",
        "SIP/2.0 1000 X",
        "SIP/2.0 2OO OK",
        "SIP/2.0",
    ] {
        let msg = format!("{bad}\r\n{HDRS}CSeq: 1 INVITE\r\n\r\n");
        let e = parse_message(msg.as_bytes()).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::StartLine, "{bad}");
        assert!(e.partial.is_none());
    }
    let msg = format!("SIP/3.0 200 OK\r\n{HDRS}CSeq: 1 INVITE\r\n\r\n");
    let e = parse_message(msg.as_bytes()).unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Version);
    assert!(e.partial.is_none());
}

#[test]
fn request_line_errors() {
    for bad in [
        "INVITE",
        "INVITE sip:a@b",
        "INV<ITE sip:a@b SIP/2.0",
        "INVITE sip:a@b HTTP/1.1",
        "GET / HTTP/1.1",
        "\u{e9} sip:a@b SIP/2.0",
    ] {
        let msg = format!("{bad}\r\n{HDRS}CSeq: 1 INVITE\r\n\r\n");
        let e = parse_message(msg.as_bytes()).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::StartLine, "{bad}");
        assert!(e.partial.is_none());
    }
}

#[test]
fn bad_version_keeps_partial_for_505() {
    let msg = format!("INVITE sip:bob@biloxi.com SIP/2.1\r\n{HDRS}CSeq: 1 INVITE\r\n\r\n");
    let e = parse_message(msg.as_bytes()).unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Version);
    let p = e.partial.unwrap();
    assert_eq!(p.method, Method::Invite);
    assert_eq!(p.headers.len(), 7);
    assert!(p.top_via().is_ok());
    // Version wins over a bad URI.
    let msg = format!("INVITE <sip:bob> SIP/7.0\r\n{HDRS}CSeq: 1 INVITE\r\n\r\n");
    assert_eq!(kind(msg.as_bytes()), ParseErrorKind::Version);
}

#[test]
fn bad_request_uri_keeps_partial() {
    let msg = format!("INVITE sip:bob@ SIP/2.0\r\n{HDRS}CSeq: 1 INVITE\r\n\r\n");
    let e = parse_message(msg.as_bytes()).unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::BadUri);
    let p = e.partial.unwrap();
    assert_eq!(p.uri.scheme, Scheme::Other(String::new()));
    assert_eq!(p.uri.opaque.as_deref(), Some("sip:bob@"));
}

#[test]
fn folding_and_name_forms() {
    let msg = "OPTIONS sip:b@c SIP/2.0\r\n\
v: SIP/2.0/UDP a.b\r\n\x20;branch=z9hG4bK1\r\n\
TO :\r\n\
\t<sip:b@c>\r\n\
f: <sip:a@c>;tag=1\r\n\
i: x@y\r\n\
cseq: 1\r\n\x20  \r\n\x20 OPTIONS\r\n\
X-Custom:   spaced   value  \r\n\
\r\n";
    let r = req(msg.as_bytes());
    let names: Vec<&str> = r.headers.iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "Via",
            "To",
            "From",
            "Call-ID",
            "CSeq",
            "X-Custom",
            "Content-Length"
        ]
    );
    assert_eq!(
        r.headers.get("via"),
        Some("SIP/2.0/UDP a.b ;branch=z9hG4bK1")
    );
    assert_eq!(r.headers.get("t"), Some("<sip:b@c>"));
    assert_eq!(r.headers.get("CSeq"), Some("1 OPTIONS"));
    assert_eq!(r.headers.get("x-custom"), Some("spaced   value"));
}

#[test]
fn leading_crlf_bare_lf_and_missing_blank_line() {
    let base = invite("Content-Length: 4\r\n", "abcd");
    let r = req(format!("\r\n\r\n{base}").as_bytes());
    assert_eq!(r.body, b"abcd");
    let r = req(base.replace("\r\n", "\n").as_bytes());
    assert_eq!(r.body, b"abcd");
    assert_eq!(
        r.headers.get("Call-ID"),
        Some("a84b4c76e66710@pc33.atlanta.com")
    );
    // Complete last header line but no empty line: no body.
    let msg = invite("", "");
    let r = req(msg.strip_suffix("\r\n").unwrap().as_bytes());
    assert!(r.body.is_empty());
    // Cut in the middle of a line: Truncated, with the partial request.
    let e = parse_message(&msg.as_bytes()[..msg.len() - 10]).unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Truncated);
    assert!(e.partial.is_some());
    assert_eq!(kind(b""), ParseErrorKind::Truncated);
    assert_eq!(kind(b"\r\n\r\n"), ParseErrorKind::Truncated);
}

#[test]
fn body_framing() {
    // More bytes than Content-Length: the rest is ignored (§18.3).
    let r = req(invite("Content-Length: 2\r\n", "abcd").as_bytes());
    assert_eq!(r.body, b"ab");
    // Fewer: error, with the partial request.
    let e = parse_message(invite("Content-Length: 5\r\n", "abcd").as_bytes()).unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::ContentLength);
    assert!(e.partial.is_some());
    // Missing: the rest of the datagram; a Content-Length is added.
    let r = req(invite("", "abcd").as_bytes());
    assert_eq!(r.body, b"abcd");
    assert_eq!(r.headers.iter().last().unwrap().1, "4");
    // Compact, leading zeros, equal duplicates: normalised to one line.
    let r = req(invite("l: 0004\r\nContent-Length: 4\r\n", "abcd").as_bytes());
    assert_eq!(
        r.headers.get_all("Content-Length").collect::<Vec<_>>(),
        ["4"]
    );
    for bad in [
        "-1",
        "",
        "x",
        "1 2",
        "99999999999",
        "4\r\nContent-Length: 3",
    ] {
        let msg = invite(&format!("Content-Length: {bad}\r\n"), "abcd");
        assert_eq!(
            kind(msg.as_bytes()),
            ParseErrorKind::ContentLength,
            "{bad:?}"
        );
    }
    // Binary body with CRLFCRLF inside.
    let r = req(invite("Content-Length: 6\r\n", "\0\r\n\r\n\u{7f}").as_bytes());
    assert_eq!(r.body, b"\0\r\n\r\n\x7f");
}

#[test]
fn bad_header_lines_are_reported_but_kept_out_of_partial() {
    let msg = invite("this line has no colon\r\nBad Name: x\r\nGood: y\r\n", "");
    let e = parse_message(msg.as_bytes()).unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::HeaderLine);
    let p = e.partial.unwrap();
    assert_eq!(p.headers.get("Good"), Some("y"));
    // The six good lines, Good and the added Content-Length.
    assert_eq!(p.headers.len(), 8);
    // A continuation line before any header.
    let msg = format!("INVITE sip:b@c SIP/2.0\r\n folded\r\n{HDRS}CSeq: 1 INVITE\r\n\r\n");
    assert_eq!(kind(msg.as_bytes()), ParseErrorKind::HeaderLine);
}

#[test]
fn required_headers() {
    for (name, kind_want) in [
        ("Via", ParseErrorKind::MissingHeader("Via")),
        ("To", ParseErrorKind::MissingHeader("To")),
        ("From", ParseErrorKind::MissingHeader("From")),
        ("Call-ID", ParseErrorKind::MissingHeader("Call-ID")),
    ] {
        let msg: String = invite("", "")
            .split_inclusive("\r\n")
            .filter(|l| !l.starts_with(&format!("{name}:")))
            .collect();
        let e = parse_message(msg.as_bytes()).unwrap_err();
        assert_eq!(e.kind, kind_want);
        assert!(e.partial.is_some());
    }
    let msg = format!("INVITE sip:b@c SIP/2.0\r\n{HDRS}\r\n");
    assert_eq!(kind(msg.as_bytes()), ParseErrorKind::MissingHeader("CSeq"));
}

#[test]
fn header_values_are_checked() {
    let cases = [
        ("CSeq: 1 INVITE\r\n", ParseErrorKind::BadHeader("CSeq")), // a second CSeq
        ("Call-ID: other\r\n", ParseErrorKind::BadHeader("Call-ID")),
        ("To: <sip:x@y>\r\n", ParseErrorKind::BadHeader("To")),
        (
            "Max-Forwards: 10\r\n",
            ParseErrorKind::BadHeader("Max-Forwards"),
        ),
        (
            "Via: SIP/2.0/UDP host;;\r\n",
            ParseErrorKind::BadHeader("Via"),
        ),
        ("Via: ,\r\n", ParseErrorKind::BadHeader("Via")),
    ];
    for (extra, want) in cases {
        assert_eq!(kind(invite(extra, "").as_bytes()), want, "{extra}");
    }
    let swap = |from: &str, to: &str| invite("", "").replacen(from, to, 1);
    assert_eq!(
        kind(swap("314159 INVITE", "314159 BYE").as_bytes()),
        ParseErrorKind::BadHeader("CSeq")
    );
    assert_eq!(
        kind(swap("314159 INVITE", "INVITE").as_bytes()),
        ParseErrorKind::BadHeader("CSeq")
    );
    assert_eq!(
        kind(swap("Max-Forwards: 70", "Max-Forwards: seventy").as_bytes()),
        ParseErrorKind::BadHeader("Max-Forwards")
    );
    assert_eq!(
        kind(swap("Call-ID: a84b4c76e66710@pc33.atlanta.com", "Call-ID:").as_bytes()),
        ParseErrorKind::BadHeader("Call-ID")
    );
    assert_eq!(
        kind(
            swap(
                "Call-ID: a84b4c76e66710@pc33",
                "Call-ID: a84b4c76e66710 @pc33"
            )
            .as_bytes()
        ),
        ParseErrorKind::BadHeader("Call-ID")
    );
    assert_eq!(
        kind(
            swap(
                "To: Bob <sip:bob@biloxi.com>",
                "To: \"Bob <sip:bob@biloxi.com>"
            )
            .as_bytes()
        ),
        ParseErrorKind::BadHeader("To")
    );
    assert_eq!(
        kind(swap(";tag=1928301774", ";tag=").as_bytes()),
        ParseErrorKind::BadHeader("From")
    );
    // Methods are case-sensitive (§7.1): `invite` is an extension method.
    let msg = invite("", "").replacen("INVITE sip", "invite sip", 1);
    assert_eq!(kind(msg.as_bytes()), ParseErrorKind::BadHeader("CSeq"));
}

#[test]
fn non_utf8_head_is_read_lossily() {
    let mut msg = invite("X-Bin: \u{0}", "").into_bytes();
    let at = msg.iter().position(|&b| b == 0).unwrap();
    msg[at] = 0xff;
    let r = req(&msg);
    assert_eq!(r.headers.get("X-Bin"), Some("\u{fffd}"));
}

#[test]
fn errors_display() {
    assert_eq!(ParseError::missing("Via").to_string(), "missing Via header");
    assert_eq!(
        ParseError::bad_header("CSeq").to_string(),
        "malformed CSeq header"
    );
    assert_eq!(
        ParseError::new(ParseErrorKind::ContentLength).to_string(),
        "bad Content-Length"
    );
}
