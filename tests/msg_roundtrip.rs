//! parse → print → parse gives an equal `Message`: hand-written INVITE / 200 / BYE /
//! REGISTER, and every RFC 4475 message whose manifest disposition is a successful parse.

use std::path::PathBuf;

use sipline::sip::msg::{Message, Method, Request, Response, SipMessage, Uri};

fn roundtrip(bytes: &[u8]) -> Message {
    let first = Message::parse(bytes).unwrap_or_else(|e| panic!("first parse: {e:?}"));
    let printed = first.to_bytes();
    let second = Message::parse(&printed).unwrap_or_else(|e| {
        panic!(
            "reparse failed: {e:?}\n{}",
            String::from_utf8_lossy(&printed)
        )
    });
    assert_eq!(first, second, "{}", String::from_utf8_lossy(&printed));
    // Printing is a fixed point after one round.
    assert_eq!(printed, second.to_bytes());
    first
}

const INVITE: &str = "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;rport\r\n\
Max-Forwards: 70\r\n\
To: Bob <sip:bob@biloxi.example.com>\r\n\
From: \"Alice \\\"A\\\" Liddell\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n\
CSeq: 314159 INVITE\r\n\
Contact: <sip:alice@[2001:db8::10]:5062;transport=tcp>\r\n\
Supported: replaces, 100rel\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 142\r\n\
\r\n\
v=0\r\n\
o=alice 2890844526 2890844526 IN IP4 pc33.atlanta.example.com\r\n\
s=-\r\n\
c=IN IP4 192.0.2.101\r\n\
t=0 0\r\n\
m=audio 49172 RTP/AVP 0\r\n\
a=rtpmap:0 PCMU/8000\r\n";

const OK200: &str = "SIP/2.0 200 OK\r\n\
Via: SIP/2.0/UDP server10.biloxi.example.com;branch=z9hG4bKnashds8;received=192.0.2.3\r\n\
Via: SIP/2.0/UDP bigbox3.site3.atlanta.example.com;branch=z9hG4bK77ef4c2312983.1;received=192.0.2.2\r\n\
Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds ;received=192.0.2.1\r\n\
Record-Route: <sip:server10.biloxi.example.com;lr>, <sip:bigbox3.site3.atlanta.example.com;lr>\r\n\
To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n\
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n\
CSeq: 314159 INVITE\r\n\
Contact: <sip:bob@192.0.2.4>\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 4\r\n\
\r\n\
v=0\n";

const BYE: &str = "BYE sip:alice@pc33.atlanta.example.com SIP/2.0\r\n\
Via: SIP/2.0/TCP 192.0.2.4;branch=z9hG4bKnashds10\r\n\
Max-Forwards: 70\r\n\
From: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n\
To: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710\r\n\
CSeq: 231 BYE\r\n\
Content-Length: 0\r\n\
\r\n";

// Compact forms, lower case names, folding, no Content-Length.
const REGISTER: &str = "REGISTER sips:ss2.biloxi.example.com SIP/2.0\r\n\
v: SIP/2.0/TLS client.biloxi.example.com:5061;branch=z9hG4bKnashds7\r\n\
max-forwards: 70\r\n\
f: Bob <sips:bob@biloxi.example.com>;tag=a73kszlfl\r\n\
t: Bob <sips:bob@biloxi.example.com>\r\n\
i: 1j9FpLxk3uxtm8tn@biloxi.example.com\r\n\
CSEQ: 1 REGISTER\r\n\
m: <sips:bob@client.biloxi.example.com>;expires=3600,\r\n\x20\
<tel:+1-201-555-0123;phone-context=example.com>;q=0.5\r\n\
\r\n";

#[test]
fn invite_roundtrips() {
    let m = roundtrip(INVITE.as_bytes());
    let Message::Request(r) = m else {
        panic!("not a request")
    };
    assert_eq!(r.method, Method::Invite);
    assert_eq!(r.body.len(), 142);
    assert_eq!(
        r.from_hdr().unwrap().display.as_deref(),
        Some("Alice \"A\" Liddell")
    );
    assert_eq!(r.contacts().unwrap()[0].uri.host, "[2001:db8::10]");
}

#[test]
fn ok200_roundtrips() {
    let Message::Response(r) = roundtrip(OK200.as_bytes()) else {
        panic!("not a response")
    };
    assert_eq!(r.code, 200);
    assert_eq!(r.vias().unwrap().len(), 3);
    assert_eq!(r.record_routes().unwrap().len(), 2);
    assert_eq!(r.body, b"v=0\n");
}

#[test]
fn bye_roundtrips() {
    roundtrip(BYE.as_bytes());
}

#[test]
fn register_roundtrips() {
    let Message::Request(r) = roundtrip(REGISTER.as_bytes()) else {
        panic!("not a request")
    };
    let contacts = r.contacts().unwrap();
    assert_eq!(contacts.len(), 2);
    assert_eq!(
        contacts[1].uri.to_string(),
        "tel:+1-201-555-0123;phone-context=example.com"
    );
    assert_eq!(r.headers.get("Content-Length"), Some("0"));
    assert_eq!(r.headers.iter().nth(5).unwrap().0, "CSeq");
    assert_eq!(r.headers.iter().nth(1).unwrap().0, "Max-Forwards");
}

#[test]
fn built_messages_roundtrip() {
    let mut req = Request::new(
        Method::Options,
        Uri::sip(Some("bob"), "example.com", Some(5070)),
    );
    req.headers
        .push("Via", "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1;rport");
    req.headers.push("From", "<sip:alice@example.com>;tag=x");
    req.headers.push("To", "<sip:bob@example.com>");
    req.headers.push("Call-ID", "c1");
    req.headers.push("CSeq", "1 OPTIONS");
    req.body = b"hello".to_vec();
    let bytes = req.to_bytes();
    let Message::Request(back) = roundtrip(&bytes) else {
        panic!("not a request")
    };
    assert_eq!(back.body, b"hello");
    assert_eq!(back.headers.get("Content-Length"), Some("5"));

    let resp: Response = back.make_response(486, None);
    let Message::Response(r) = roundtrip(&resp.to_bytes()) else {
        panic!("not a response")
    };
    assert_eq!(r.reason, "Busy Here");
}

// A REGISTER as softphones send it to Asterisk: outbound Contact with +sip.instance,
// Digest Authorization with commas inside quotes, Allow and Supported lists.
const REGISTER_AUTH: &str = "REGISTER sip:pbx.example.org;transport=udp SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.168.1.20:50326;rport;branch=z9hG4bKPj5b6a\r\n\
Max-Forwards: 70\r\n\
From: \"Alice\" <sip:1001@pbx.example.org>;tag=a1b2\r\n\
To: \"Alice\" <sip:1001@pbx.example.org>\r\n\
Call-ID: 7f3c2e9a-reg\r\n\
CSeq: 2 REGISTER\r\n\
Contact: <sip:1001@192.168.1.20:50326;ob>;reg-id=1;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000a95a0e128>\"\r\n\
Expires: 300\r\n\
Allow: PRACK, INVITE, ACK, BYE, CANCEL, UPDATE, INFO, SUBSCRIBE, NOTIFY, REFER, MESSAGE, OPTIONS\r\n\
Supported: outbound, path, replaces\r\n\
Authorization: Digest username=\"1001\", realm=\"asterisk\", nonce=\"1700000000/abc,def\", uri=\"sip:pbx.example.org;transport=udp\", response=\"0123456789abcdef0123456789abcdef\", algorithm=MD5, cnonce=\"xyz\", qop=auth, nc=00000001\r\n\
User-Agent: sipline/0.1\r\n\
Content-Length:  0\r\n\
\r\n";

#[test]
fn real_world_register_roundtrips() {
    let Message::Request(r) = roundtrip(REGISTER_AUTH.as_bytes()) else {
        panic!("not a request")
    };
    let c = &r.contacts().unwrap()[0];
    assert_eq!(c.uri.param("ob"), Some(None));
    assert_eq!(c.params.len(), 2);
    assert_eq!(r.headers.get_split("Allow").len(), 12);
    assert!(r
        .headers
        .get("Authorization")
        .unwrap()
        .contains("nonce=\"1700000000/abc,def\""));
    assert_eq!(r.top_via().unwrap().rport(), Some(None));
    assert_eq!(r.headers.get("Content-Length"), Some("0"));
}

fn corpus_dir() -> PathBuf {
    let base = match std::env::var_os("SIPLINE_SHARED") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora"),
    };
    base.join("rfc4475")
}

#[test]
fn every_parsable_corpus_message_roundtrips() {
    let dir = corpus_dir();
    let manifest = std::fs::read_to_string(dir.join("manifest.tsv")).expect("manifest");
    let mut n = 0;
    for line in manifest.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (file, expect) = (cols[1], cols[2]);
        let bytes = std::fs::read(dir.join(file)).expect("message");
        if expect.starts_with("accept") {
            roundtrip(&bytes);
            n += 1;
        } else if Message::parse(&bytes).is_ok() {
            // reject-or-liberal messages we accept must round-trip too.
            roundtrip(&bytes);
            n += 1;
        }
    }
    assert!(n >= 27, "only {n} messages round-tripped");
}
