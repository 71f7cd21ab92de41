//! Tests of the `header` module.

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
    let v =
        Via::parse("SIP/2.0/UDP pc33.atlanta.com:5066;branch=z9hG4bK776;rport;received=192.0.2.1")
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
    let v = Via::parse("SIP/2.0/TLS [2001:db8::9]:5061;received=2001:db8::1;x=\"q;v\"").unwrap();
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

#[test]
fn the_plain_name_addr_shortcut_accepts_only_what_the_full_grammar_accepts() {
    let full = |s: &str| match name_addr_parts(s) {
        Some(mut parts) => {
            crate::sip::msg::uri::is_valid_uri(parts.uri)
                && scan_params(&mut parts.rest, |_, _| {}).is_some()
        }
        None => false,
    };
    for v in [
        "\"Alice\" <sip:alice@example.com>;tag=1928301774",
        "<sip:bob@example.com>",
        "<sip:bob@192.0.2.4:5070>;tag=a6c85cf;lr",
        "\"\"<sip:example.com>",
    ] {
        assert!(is_plain_name_addr(v), "{v}");
        assert!(full(v), "{v}");
    }
    for v in [
        "Alice <sip:alice@example.com>",
        "sip:alice@example.com;tag=1",
        "\"A\\\"B\" <sip:a@b>",
        "<sip:a@b> ;tag=1",
        "<sip:a@b>;tag=\"x\"",
        "<sips:a@b>",
        "<sip:a@b>;",
        "<sip:a@b>;tag=",
        "\"A <sip:a@b>",
    ] {
        assert!(!is_plain_name_addr(v), "{v}");
    }
    // Every one-byte change (each printable ASCII byte, or removal) of a plain value: when
    // the shortcut says yes, so does the full grammar.
    let base = "\"Al ice\" <sip:al.i-ce@h-1.example.com:5060>;tag=1928;lr";
    let mut checked = 0;
    for i in 0..base.len() {
        let mut variants = vec![format!("{}{}", &base[..i], &base[i + 1..])];
        for c in 0x20u8..0x7f {
            variants.push(format!("{}{}{}", &base[..i], c as char, &base[i + 1..]));
        }
        for v in variants {
            if is_plain_name_addr(&v) {
                assert!(full(&v), "{v}");
                checked += 1;
            }
        }
    }
    assert!(checked > 500, "{checked}");
}
