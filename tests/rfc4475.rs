//! RFC 4475 torture messages: the parse-level disposition of each of the 49 messages in
//! `../shared/corpora/rfc4475/` (override the corpora folder with `SIPLINE_SHARED`).
//!
//! `accept`, `accept-then-app-error` and `accept-then-app-decision` must parse (the 416,
//! 415, 420, ... replies are the engine's job); `reject` must fail, with the framing errors
//! (clerr, ncl, mcl01) as `ContentLength` and badvers as `Version`; `reject-or-liberal` may
//! go either way and each test below states and pins which way we go.

use std::path::PathBuf;

use sipline::sip::msg::{
    Message, Method, ParseError, ParseErrorKind, Request, Response, Scheme, SipMessage, Uri,
};

fn corpus_dir() -> PathBuf {
    let base = match std::env::var_os("SIPLINE_SHARED") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora"),
    };
    base.join("rfc4475")
}

fn load(file: &str) -> Vec<u8> {
    let path = corpus_dir().join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The `expect` column of manifest.tsv for this file.
fn manifest_expect(file: &str) -> String {
    let manifest = std::fs::read_to_string(corpus_dir().join("manifest.tsv")).expect("manifest");
    manifest
        .lines()
        .skip(1)
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .find(|cols| cols.get(1) == Some(&file))
        .and_then(|cols| cols.get(2).map(|s| s.to_string()))
        .unwrap_or_else(|| panic!("{file} not in manifest"))
}

fn req(r: Result<Message, ParseError>) -> Request {
    match r {
        Ok(Message::Request(r)) => r,
        other => panic!("expected a request, got {other:?}"),
    }
}

fn resp(r: Result<Message, ParseError>) -> Response {
    match r {
        Ok(Message::Response(r)) => r,
        other => panic!("expected a response, got {other:?}"),
    }
}

fn err(r: Result<Message, ParseError>) -> ParseError {
    match r {
        Err(e) => e,
        Ok(m) => panic!("expected a parse error, got {m:?}"),
    }
}

/// One test per message: `name, "section", "file", "expect" => |parse result| checks`.
macro_rules! torture {
    ($($name:ident, $section:literal, $file:literal, $expect:literal => $check:expr;)*) => {
        $(
            #[test]
            fn $name() {
                let file = concat!("messages/", $file);
                assert_eq!(manifest_expect(file), $expect, "manifest disagrees for {}", $section);
                let bytes = load(file);
                let check: fn(Result<Message, ParseError>) = $check;
                check(Message::parse(&bytes));
            }
        )*

        #[test]
        fn every_manifest_message_has_a_test() {
            let ours = [$(concat!("messages/", $file)),*];
            let manifest = std::fs::read_to_string(corpus_dir().join("manifest.tsv")).expect("manifest");
            let listed: Vec<&str> = manifest.lines().skip(1).filter_map(|l| l.split('\t').nth(1)).collect();
            assert_eq!(listed.len(), 49);
            for f in &listed {
                assert!(ours.contains(f), "no test for {f}");
            }
            assert_eq!(ours.len(), listed.len());
        }
    };
}

torture! {
    // ---- 3.1.1 valid messages ------------------------------------------------------------
    s3_1_1_1_wsinv, "3.1.1.1", "wsinv.dat", "accept" => |r| {
        let r = req(r);
        assert_eq!(r.method, Method::Invite);
        let to = r.to_hdr().unwrap();
        assert_eq!(to.tag(), Some("1918181833n"));
        let from = r.from_hdr().unwrap();
        assert_eq!(from.display.as_deref(), Some("J Rosenberg \\\""));
        assert_eq!(from.tag(), Some("98asjd8"));
        assert_eq!(r.cseq().unwrap().seq, 9);
        assert_eq!(r.headers.get("Max-Forwards"), Some("0068"));
        let vias = r.vias().unwrap();
        assert_eq!(vias.len(), 3);
        assert_eq!(vias[0].transport, "UDP");
        assert_eq!(vias[1].transport, "TCP");
        assert_eq!(vias[1].host, "spindle.example.com");
        assert_eq!(vias[2].branch(), Some("z9hG4bK30239"));
        assert_eq!(r.headers.get("Subject"), Some(""));
        assert_eq!(
            r.headers.get("NewFangledHeader"),
            Some("newfangled value continued newfangled value")
        );
        assert_eq!(r.headers.get("UnknownHeaderWithUnusualValue"), Some(";;,,;;,;"));
        let contacts = r.contacts().unwrap();
        assert_eq!(contacts[0].display.as_deref(), Some("Quoted string \"\""));
        assert_eq!(contacts[0].params.len(), 3);
        assert_eq!(r.body.len(), 150);
    };
    s3_1_1_2_intmeth, "3.1.1.2", "intmeth.dat", "accept" => |r| {
        let r = req(r);
        assert_eq!(r.method, Method::Extension("!interesting-Method0123456789_*+`.%indeed'~".into()));
        assert_eq!(r.uri.user.as_deref(), Some("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"));
        assert_eq!(r.uri.password.as_deref(), Some("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)"));
        assert_eq!(r.uri.host, "example.com");
        assert_eq!(r.to_hdr().unwrap().display.as_deref(), Some("BEL:\x07 NUL:\0 DEL:\x7f"));
        let from = r.from_hdr().unwrap();
        assert_eq!(from.display.as_deref(), Some("token1~` token2'+_ token3*%!.-"));
        assert_eq!(from.tag(), Some("_token~1'+`*%!-."));
        assert!(r.headers.get("extensionHeader-!.%*+_`'~").is_some());
    };
    s3_1_1_3_esc01, "3.1.1.3", "esc01.dat", "accept" => |r| {
        let r = req(r);
        // Escapes are kept as on the wire...
        assert_eq!(r.uri.user.as_deref(), Some("sips%3Auser%40example.com"));
        assert_eq!(r.from_hdr().unwrap().uri.user.as_deref(), Some("I%20have%20spaces"));
        // ... and URIs compare equal after unescaping (RFC 3261 §19.1.4).
        let to = r.to_hdr().unwrap().uri;
        assert!(to.equivalent(&Uri::parse("sip:user@example.com").unwrap()));
        let c = &r.contacts().unwrap()[0];
        assert_eq!(c.uri.params[0].name, "%6C%72");
        assert_eq!(c.uri.params[1].value.as_deref(), Some("v%61lue%25%34%31"));
    };
    s3_1_1_4_escnull, "3.1.1.4", "escnull.dat", "accept" => |r| {
        let r = req(r);
        let contacts = r.contacts().unwrap();
        assert_eq!(contacts.len(), 2);
        assert_ne!(contacts[0].uri, contacts[1].uri);
        assert!(!contacts[0].uri.equivalent(&contacts[1].uri));
        assert_eq!(contacts[1].uri.user.as_deref(), Some("%00%00"));
    };
    s3_1_1_5_esc02, "3.1.1.5", "esc02.dat", "accept" => |r| {
        let r = req(r);
        assert_eq!(r.method, Method::Extension("RE%47IST%45R".into()));
        assert_eq!(r.to_hdr().unwrap().display.as_deref(), Some("%Z%45"));
        // `C%6Fntact` is an unknown header, not Contact.
        assert_eq!(r.contacts().unwrap().len(), 2);
        assert!(r.headers.get("C%6Fntact").is_some());
    };
    s3_1_1_6_lwsdisp, "3.1.1.6", "lwsdisp.dat", "accept" => |r| {
        let r = req(r);
        let from = r.from_hdr().unwrap();
        assert_eq!(from.display.as_deref(), Some("caller"));
        assert_eq!(from.uri.user.as_deref(), Some("caller"));
    };
    s3_1_1_7_longreq, "3.1.1.7", "longreq.dat", "accept" => |r| {
        let r = req(r);
        assert_eq!(r.vias().unwrap().len(), 34);
        assert_eq!(r.body.len(), 150);
        assert!(r.from_hdr().unwrap().tag().unwrap().len() > 100);
    };
    s3_1_1_8_dblreq, "3.1.1.8", "dblreq.dat", "accept" => |r| {
        // Content-Length 0: the INVITE that follows in the datagram is ignored (§18.3).
        let r = req(r);
        assert_eq!(r.method, Method::Register);
        assert!(r.body.is_empty());
        assert_eq!(r.call_id().unwrap(), "dblreq.0ha0isndaksdj99sdfafnl3lk233412");
    };
    s3_1_1_9_semiuri, "3.1.1.9", "semiuri.dat", "accept" => |r| {
        let r = req(r);
        assert_eq!(r.uri.user.as_deref(), Some("user;par=u%40example.net"));
        assert_eq!(r.uri.host, "example.com");
        assert!(r.uri.params.is_empty());
        assert_eq!(r.headers.get_split("Accept").len(), 6);
    };
    s3_1_1_10_transports, "3.1.1.10", "transports.dat", "accept" => |r| {
        let r = req(r);
        let t: Vec<String> = r.vias().unwrap().into_iter().map(|v| v.transport).collect();
        assert_eq!(t, ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]);
    };
    s3_1_1_11_mpart01, "3.1.1.11", "mpart01.dat", "accept" => |r| {
        let r = req(r);
        assert_eq!(r.method, Method::Message);
        assert_eq!(r.body.len(), 553);
        assert!(r.body.contains(&0));
    };
    s3_1_1_12_unreason, "3.1.1.12", "unreason.dat", "accept" => |r| {
        let r = resp(r);
        assert_eq!(r.code, 200);
        assert!(r.reason.starts_with("= 2**3 * 5**2 "));
    };
    s3_1_1_13_noreason, "3.1.1.13", "noreason.dat", "accept" => |r| {
        let r = resp(r);
        assert_eq!(r.code, 100);
        assert_eq!(r.reason, "");
    };

    // ---- 3.1.2 invalid messages ----------------------------------------------------------
    s3_1_2_1_badinv01, "3.1.2.1", "badinv01.dat", "reject" => |r| {
        let e = err(r);
        assert_eq!(e.kind, ParseErrorKind::BadHeader("Via"));
        assert!(e.partial.is_some());
    };
    s3_1_2_2_clerr, "3.1.2.2", "clerr.dat", "reject" => |r| {
        let e = err(r);
        assert_eq!(e.kind, ParseErrorKind::ContentLength);
        assert!(e.partial.is_some());
    };
    s3_1_2_3_ncl, "3.1.2.3", "ncl.dat", "reject" => |r| {
        assert_eq!(err(r).kind, ParseErrorKind::ContentLength);
    };
    s3_1_2_4_scalar02, "3.1.2.4", "scalar02.dat", "reject" => |r| {
        // CSeq 36893488147419103232 does not fit in 32 bits. (Max-Forwards 300 and the huge
        // Expires are not what rejects it.)
        let e = err(r);
        assert_eq!(e.kind, ParseErrorKind::BadHeader("CSeq"));
        assert!(e.partial.is_some());
    };
    s3_1_2_5_scalarlg, "3.1.2.5", "scalarlg.dat", "reject" => |r| {
        // A response: no partial; the engine drops it.
        let e = err(r);
        assert_eq!(e.kind, ParseErrorKind::BadHeader("CSeq"));
        assert!(e.partial.is_none());
    };
    s3_1_2_6_quotbal, "3.1.2.6", "quotbal.dat", "reject" => |r| {
        assert_eq!(err(r).kind, ParseErrorKind::BadHeader("To"));
    };
    s3_1_2_7_ltgtruri, "3.1.2.7", "ltgtruri.dat", "reject" => |r| {
        let e = err(r);
        assert_eq!(e.kind, ParseErrorKind::BadUri);
        // Partial still carries what a 400 needs.
        let p = e.partial.expect("partial");
        assert_eq!(p.uri.scheme, Scheme::Other(String::new()));
        assert_eq!(p.uri.opaque.as_deref(), Some("<sip:user@example.com>"));
        assert!(p.top_via().is_ok() && p.call_id().is_ok());
    };
    s3_1_2_8_lwsruri, "3.1.2.8", "lwsruri.dat", "reject-or-liberal" => |r| {
        // STRICT: the Request-URI `sip:user@example.com; lr` holds LWS, which a URI cannot.
        let e = err(r);
        assert_eq!(e.kind, ParseErrorKind::BadUri);
        assert!(e.partial.is_some());
    };
    s3_1_2_9_lwsstart, "3.1.2.9", "lwsstart.dat", "reject-or-liberal" => |r| {
        // LIBERAL: extra SP between Request-Line elements is ignored; printing writes one SP.
        let r = req(r);
        assert_eq!(r.uri.to_string(), "sip:user@example.com");
        assert!(r.to_bytes().starts_with(b"INVITE sip:user@example.com SIP/2.0\r\n"));
    };
    s3_1_2_10_trws, "3.1.2.10", "trws.dat", "reject-or-liberal" => |r| {
        // LIBERAL: trailing SP after SIP-Version is ignored.
        let r = req(r);
        assert_eq!(r.method, Method::Options);
    };
    s3_1_2_11_escruri, "3.1.2.11", "escruri.dat", "reject-or-liberal" => |r| {
        // LIBERAL: the Request-URI's `?Route=...` header is parsed and kept in `uri.headers`;
        // the engine must ignore it (a UAS never acts on Request-URI headers).
        let r = req(r);
        assert_eq!(r.uri.headers, [("Route".to_string(), "%3Csip:example.com%3E".to_string())]);
    };
    s3_1_2_12_baddate, "3.1.2.12", "baddate.dat", "reject-or-liberal" => |r| {
        // LIBERAL: Date is not interpreted by the parser (nor by a softphone).
        let r = req(r);
        assert_eq!(r.headers.get("Date"), Some("Fri, 01 Jan 2010 16:00:00 EST"));
    };
    s3_1_2_13_regbadct, "3.1.2.13", "regbadct.dat", "reject-or-liberal" => |r| {
        // LIBERAL: Contact is not validated by parse_message, and NameAddr::parse infers the
        // `<>` around the bare `sip:...?Route=...` URI (it ends at `;` or LWS, not at `?`).
        let r = req(r);
        let c = &r.contacts().unwrap()[0];
        assert_eq!(c.uri.headers.len(), 1);
        assert!(c.params.is_empty());
    };
    s3_1_2_14_badaspec, "3.1.2.14", "badaspec.dat", "reject-or-liberal" => |r| {
        // LIBERAL: the LWS just inside `< sip:t.watson@example.org >` is ignored.
        let r = req(r);
        let to = r.to_hdr().unwrap();
        assert_eq!(to.display.as_deref(), Some("Watson, Thomas"));
        assert_eq!(to.uri.host, "example.org");
    };
    s3_1_2_15_baddn, "3.1.2.15", "baddn.dat", "reject-or-liberal" => |r| {
        // LIBERAL: an unquoted display name is everything before `<` (quotes inferred).
        // The file also lacks the empty line after the last header (it ends `l: 0` CRLF);
        // that is accepted too, as a message with no body.
        let r = req(r);
        assert_eq!(r.from_hdr().unwrap().display.as_deref(), Some("Bell, Alexander"));
        assert_eq!(r.to_hdr().unwrap().display.as_deref(), Some("Watson, Thomas"));
        assert!(r.body.is_empty());
    };
    s3_1_2_16_badvers, "3.1.2.16", "badvers.dat", "reject" => |r| {
        // Version with a partial request so the engine can answer 505.
        let e = err(r);
        assert_eq!(e.kind, ParseErrorKind::Version);
        let p = e.partial.expect("partial");
        assert_eq!(p.method, Method::Options);
        assert!(p.call_id().is_ok() && p.cseq().is_ok() && p.from_hdr().is_ok());
    };
    s3_1_2_17_mismatch01, "3.1.2.17", "mismatch01.dat", "reject" => |r| {
        let e = err(r);
        assert_eq!(e.kind, ParseErrorKind::BadHeader("CSeq"));
        assert!(e.partial.is_some());
    };
    s3_1_2_18_mismatch02, "3.1.2.18", "mismatch02.dat", "reject" => |r| {
        let e = err(r);
        assert_eq!(e.kind, ParseErrorKind::BadHeader("CSeq"));
        assert_eq!(e.partial.expect("partial").method, Method::Extension("NEWMETHOD".into()));
    };
    s3_1_2_19_bigcode, "3.1.2.19", "bigcode.dat", "reject" => |r| {
        let e = err(r);
        assert_eq!(e.kind, ParseErrorKind::StartLine);
        assert!(e.partial.is_none());
    };

    // ---- 3.2 transaction layer semantics -------------------------------------------------
    s3_2_1_badbranch, "3.2.1", "badbranch.dat", "accept-then-app-decision" => |r| {
        // Parses; the bare `z9hG4bK` branch is the transaction layer's decision.
        let r = req(r);
        assert_eq!(r.top_via().unwrap().branch(), Some("z9hG4bK"));
    };

    // ---- 3.3 application layer semantics -------------------------------------------------
    s3_3_1_insuf, "3.3.1", "insuf.dat", "reject" => |r| {
        let e = err(r);
        assert_eq!(e.kind, ParseErrorKind::MissingHeader("From"));
        assert!(e.partial.is_some());
    };
    s3_3_2_unkscm, "3.3.2", "unkscm.dat", "accept-then-app-error" => |r| {
        // Parses; the engine answers 416.
        let r = req(r);
        assert_eq!(r.uri.scheme, Scheme::Other("nobodyKnowsThisScheme".into()));
        assert_eq!(r.uri.opaque.as_deref(), Some("totallyopaquecontent"));
    };
    s3_3_3_novelsc, "3.3.3", "novelsc.dat", "accept-then-app-error" => |r| {
        let r = req(r);
        assert_eq!(r.uri.scheme, Scheme::Other("soap.beep".into()));
        assert_eq!(r.uri.to_string(), "soap.beep://192.0.2.103:3002");
    };
    s3_3_4_unksm2, "3.3.4", "unksm2.dat", "accept-then-app-error" => |r| {
        // Parses; a registrar answers 400 because the AOR is not sip/sips.
        let r = req(r);
        assert_eq!(r.to_hdr().unwrap().uri.scheme, Scheme::Other("isbn".into()));
        assert_eq!(r.from_hdr().unwrap().uri.scheme, Scheme::Other("http".into()));
        assert_eq!(r.contacts().unwrap()[0].uri.scheme, Scheme::Other("name".into()));
    };
    s3_3_5_bext01, "3.3.5", "bext01.dat", "accept-then-app-error" => |r| {
        // Parses; the engine answers 420 listing the Require tags.
        let r = req(r);
        assert_eq!(r.headers.get_split("Require"), ["nothingSupportsThis", "nothingSupportsThisEither"]);
    };
    s3_3_6_invut, "3.3.6", "invut.dat", "accept-then-app-error" => |r| {
        // Parses; the engine answers 415.
        let r = req(r);
        assert_eq!(r.content_type(), Some("application/unknownformat"));
        assert_eq!(r.body.len(), 40);
    };
    s3_3_7_regaut01, "3.3.7", "regaut01.dat", "accept-then-app-error" => |r| {
        let r = req(r);
        assert_eq!(r.headers.get("Authorization"), Some("NoOneKnowsThisScheme opaque-data=here"));
    };
    s3_3_8_multi01, "3.3.8", "multi01.dat", "reject" => |r| {
        // Two CSeq (and Call-ID, To, From, Max-Forwards) values; the first duplicate found wins.
        let e = err(r);
        assert!(matches!(e.kind, ParseErrorKind::BadHeader(_)), "{e:?}");
        assert!(e.partial.is_some());
    };
    s3_3_9_mcl01, "3.3.9", "mcl01.dat", "reject" => |r| {
        assert_eq!(err(r).kind, ParseErrorKind::ContentLength);
    };
    s3_3_10_bcast, "3.3.10", "bcast.dat", "accept-then-app-error" => |r| {
        // Parses; the UA drops it because the top Via is not its own.
        let r = resp(r);
        assert_eq!(r.vias().unwrap()[1].host, "255.255.255.255");
    };
    s3_3_11_zeromf, "3.3.11", "zeromf.dat", "accept" => |r| {
        let r = req(r);
        assert_eq!(r.headers.get("Max-Forwards"), Some("0"));
    };
    s3_3_12_cparam01, "3.3.12", "cparam01.dat", "accept" => |r| {
        // Bare addr-spec: `;unknownparam` is a contact parameter, not a URI parameter.
        let c = &req(r).contacts().unwrap()[0];
        assert!(c.uri.params.is_empty());
        assert_eq!(c.params[0].name, "unknownparam");
    };
    s3_3_13_cparam02, "3.3.13", "cparam02.dat", "accept" => |r| {
        // Inside `<>`: `;unknownparam` is a URI parameter.
        let c = &req(r).contacts().unwrap()[0];
        assert_eq!(c.uri.params[0].name, "unknownparam");
        assert!(c.params.is_empty());
    };
    s3_3_14_regescrt, "3.3.14", "regescrt.dat", "accept" => |r| {
        let c = &req(r).contacts().unwrap()[0];
        assert_eq!(c.uri.headers, [("Route".to_string(), "%3Csip:sip.example.com%3E".to_string())]);
    };
    s3_3_15_sdp01, "3.3.15", "sdp01.dat", "accept-then-app-error" => |r| {
        // Parses; the engine answers 406 (Accept lacks application/sdp).
        assert_eq!(req(r).headers.get("Accept"), Some("text/nobodyKnowsThis"));
    };

    // ---- 3.4 backward compatibility ------------------------------------------------------
    s3_4_1_inv2543, "3.4.1", "inv2543.dat", "accept" => |r| {
        // No Content-Length: the body is the rest of the datagram (and the parsed message
        // gains a Content-Length equal to it). No branch, no From tag, no Max-Forwards.
        let r = req(r);
        assert_eq!(r.body.len(), 105);
        assert_eq!(r.headers.get("Content-Length"), Some("105"));
        assert_eq!(r.top_via().unwrap().branch(), None);
        assert_eq!(r.from_hdr().unwrap().tag(), None);
    };
}
