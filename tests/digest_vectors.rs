//! Digest authentication (src/sip/auth): published test vectors (RFC 2617 §3.5, RFC 7616
//! §3.9.1), `-sess` and SIP values derived independently with Python's hashlib, challenge
//! parsing of headers as Asterisk, Kamailio and FreeSWITCH send them, and the DigestClient
//! state machine (401 → retry, rejection without a loop, stale nonces, nc counting, 407).
//!
//! Independent values were computed with this helper (Python 3):
//!
//! ```text
//! python3 - <<'EOF'
//! import hashlib
//! def H(alg, s): return hashlib.new(alg, s.encode()).hexdigest()
//! def resp(alg, user, realm, pw, nonce, cnonce, nc, qop, method, uri, sess=False):
//!     ha1 = H(alg, f"{user}:{realm}:{pw}")
//!     if sess: ha1 = H(alg, f"{ha1}:{nonce}:{cnonce}")
//!     ha2 = H(alg, f"{method}:{uri}")
//!     if qop: return H(alg, f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")
//!     return H(alg, f"{ha1}:{nonce}:{ha2}")
//! EOF
//! ```
//!
//! Each test quotes the call it checks against.

use sipline::sip::auth::{
    authorization_value, parse_challenges, redact_authorization, Algorithm, AuthDecision,
    AuthError, AuthFailure, Challenge, ChallengeError, Credentials, DigestClient, DigestInput, Qop,
};
use sipline::sip::msg::{Message, Method, Request, Response, Uri};

// ===== published vectors =====

/// RFC 7616 §3.9.1 inputs (note: "Circle of Life", lower-case "of").
fn rfc7616(algorithm: Algorithm) -> DigestInput<'static> {
    DigestInput {
        algorithm,
        username: "Mufasa",
        realm: "http-auth@example.org",
        password: "Circle of Life",
        nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
        cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
        nc: 1,
        qop: Some(Qop::Auth),
        method: "GET",
        uri: "/dir/index.html",
        body: b"",
    }
}

/// RFC 2617 §3.5 inputs ("Circle Of Life", cnonce 0a4f113b).
fn rfc2617() -> DigestInput<'static> {
    DigestInput {
        algorithm: Algorithm::Md5,
        username: "Mufasa",
        realm: "testrealm@host.com",
        password: "Circle Of Life",
        nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
        cnonce: "0a4f113b",
        nc: 1,
        qop: Some(Qop::Auth),
        method: "GET",
        uri: "/dir/index.html",
        body: b"",
    }
}

#[test]
fn rfc2617_section_3_5_example() {
    assert_eq!(rfc2617().response(), "6629fae49393a05397450978507c4ef1");
}

#[test]
fn rfc2617_without_qop_rfc2069_form() {
    // resp("md5","Mufasa","testrealm@host.com","Circle Of Life",
    //      "dcd98b7102dd2f0e8b11d0f600bfb0c093","","","","GET","/dir/index.html")
    let input = DigestInput {
        qop: None,
        ..rfc2617()
    };
    assert_eq!(input.response(), "670fd8c2df070c60b045671b8b24ff02");
}

#[test]
fn rfc2617_md5_sess() {
    // resp("md5","Mufasa","testrealm@host.com","Circle Of Life",
    //      "dcd98b7102dd2f0e8b11d0f600bfb0c093","0a4f113b","00000001","auth","GET",
    //      "/dir/index.html",sess=True)
    let input = DigestInput {
        algorithm: Algorithm::Md5Sess,
        ..rfc2617()
    };
    assert_eq!(input.response(), "8e3825c57e897f5a0dec6c2d4e5059d0");
}

#[test]
fn rfc7616_section_3_9_1_md5() {
    assert_eq!(
        rfc7616(Algorithm::Md5).response(),
        "8ca523f5e9506fed4657c9700eebdbec"
    );
}

#[test]
fn rfc7616_section_3_9_1_sha256() {
    assert_eq!(
        rfc7616(Algorithm::Sha256).response(),
        "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
    );
}

#[test]
fn rfc7616_sess_and_sha512_256_derived() {
    // n="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"; c="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
    // resp(alg,"Mufasa","http-auth@example.org","Circle of Life",n,c,"00000001","auth",
    //      "GET","/dir/index.html",sess) for alg in md5, sha256, sha512_256
    let cases = [
        (Algorithm::Md5Sess, "e783283f46242139c486a698fec7211d"),
        (
            Algorithm::Sha256Sess,
            "2fd51b3a77ad75bad6afad6003e818d767133c46d9e2749e7f5232ae1ea3efd7",
        ),
        (
            Algorithm::Sha512_256,
            "430d05014cecc49cab6fbe03176d41a1da86cbfe24a16580e22aaad928d960d0",
        ),
        (
            Algorithm::Sha512_256Sess,
            "3f2a34f923c38b0fb26dce2fdfc2ce326c23cecf86fbb1444f3e51fbbc2cb92e",
        ),
    ];
    for (alg, want) in cases {
        assert_eq!(rfc7616(alg).response(), want, "{alg}");
    }
}

#[test]
fn rfc7616_authorization_header_layout() {
    let challenge = Challenge::parse(
        r#"Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5,
           nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
           opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#,
    )
    .unwrap();
    assert_eq!(challenge.chosen_qop(), Some(Qop::Auth));
    let v = authorization_value(&challenge, &rfc7616(Algorithm::Md5));
    assert_eq!(
        v,
        "Digest username=\"Mufasa\", realm=\"http-auth@example.org\", \
         nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", uri=\"/dir/index.html\", \
         response=\"8ca523f5e9506fed4657c9700eebdbec\", algorithm=MD5, \
         cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\", \
         opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\", qop=auth, nc=00000001"
    );
}

// ===== real-world challenges =====

#[test]
fn asterisk_challenge() {
    let c = Challenge::parse(
        r#"Digest realm="asterisk",nonce="1700000000/abc",opaque="123",algorithm=MD5,qop="auth""#,
    )
    .unwrap();
    assert_eq!(
        (c.realm.as_str(), c.nonce.as_str(), c.opaque.as_deref()),
        ("asterisk", "1700000000/abc", Some("123"))
    );
    assert_eq!(
        (c.algorithm, c.qop.as_slice()),
        (Algorithm::Md5, &[Qop::Auth][..])
    );
}

#[test]
fn kamailio_challenges() {
    // auth module, default: no algorithm (MD5), qop quoted.
    let c = Challenge::parse(
        r#"Digest realm="sip.example.org", nonce="ZcGz1WXBsqn+2F0lqfM5GvA4yB4pI4Wm", qop="auth""#,
    )
    .unwrap();
    assert_eq!(c.algorithm, Algorithm::Md5);
    assert_eq!(c.qop, vec![Qop::Auth]);
    // RFC 8760 deployment: SHA-256 then MD5 in one value, stale on the first.
    let v = parse_challenges(
        r#"Digest realm="sip.example.org", nonce="n2", qop="auth", algorithm=SHA-256, stale=true, Digest realm="sip.example.org", nonce="n1", qop="auth", algorithm=MD5"#,
    );
    let algs: Vec<_> = v.iter().map(|c| c.as_ref().unwrap().algorithm).collect();
    assert_eq!(algs, vec![Algorithm::Sha256, Algorithm::Md5]);
    assert!(v[0].as_ref().unwrap().stale);
}

#[test]
fn freeswitch_challenge() {
    let c = Challenge::parse(
        r#"Digest realm="10.0.0.1", nonce="2a7d3f64-8c1e-4b6a-9f0a-1d2e3f4a5b6c", algorithm=MD5, qop="auth""#,
    )
    .unwrap();
    assert_eq!(c.realm, "10.0.0.1");
    assert_eq!(c.nonce, "2a7d3f64-8c1e-4b6a-9f0a-1d2e3f4a5b6c");
    assert_eq!(c.opaque, None);
}

#[test]
fn malformed_challenges_are_errors_not_panics() {
    let cases: &[(&str, ChallengeError)] = &[
        ("", ChallengeError::Empty),
        (
            r#"Basic realm="x""#,
            ChallengeError::UnsupportedScheme("Basic".into()),
        ),
        (
            r#"Digest realm="x", nonce="y", algorithm=SHA-1"#,
            ChallengeError::UnsupportedAlgorithm("SHA-1".into()),
        ),
        (r#"Digest realm="x""#, ChallengeError::MissingParam("nonce")),
        (
            r#"Digest realm="x", nonce="y"#,
            ChallengeError::UnterminatedQuote { at: 24 },
        ),
    ];
    for (value, want) in cases {
        assert_eq!(&Challenge::parse(value).unwrap_err(), want, "{value}");
    }
}

// ===== the state machine =====

const ASTERISK_401: &str =
    r#"Digest realm="asterisk",nonce="1700000000/abc",opaque="123",algorithm=MD5,qop="auth""#;

fn register(cseq: u32) -> Request {
    let mut r = Request::new(Method::Register, Uri::sip(None, "pbx.example.com", None));
    r.headers
        .push("Via", "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKx");
    r.headers.push("From", "<sip:alice@pbx.example.com>;tag=1");
    r.headers.push("To", "<sip:alice@pbx.example.com>");
    r.headers.push("Call-ID", "reg-1@192.0.2.10");
    r.headers.push("CSeq", format!("{cseq} REGISTER"));
    r
}

fn challenged(req: &Request, code: u16, values: &[&str]) -> Response {
    let mut resp = req.make_response(code, None);
    let name = if code == 407 {
        "Proxy-Authenticate"
    } else {
        "WWW-Authenticate"
    };
    for v in values {
        resp.headers.push(name, *v);
    }
    resp
}

fn alice() -> DigestClient {
    DigestClient::new(vec![Credentials::new("alice", "s3cret")])
}

fn auth_lines<'a>(req: &'a Request, name: &str) -> Vec<&'a str> {
    req.headers.get_all(name).collect()
}

#[test]
fn register_401_retry_then_200() {
    let mut client = alice();
    let mut first = register(1);
    client.authorize(&mut first, "cn-0");
    assert!(auth_lines(&first, "Authorization").is_empty());

    let resp = challenged(&first, 401, &[ASTERISK_401]);
    assert_eq!(
        client.handle_challenge(&first, &resp),
        Ok(AuthDecision::Retry)
    );

    let mut retry = register(2);
    client.authorize(&mut retry, "cn-1");
    // resp("md5","alice","asterisk","s3cret","1700000000/abc","cn-1","00000001","auth",
    //      "REGISTER","sip:pbx.example.com")
    assert_eq!(
        auth_lines(&retry, "Authorization"),
        vec![
            "Digest username=\"alice\", realm=\"asterisk\", nonce=\"1700000000/abc\", \
             uri=\"sip:pbx.example.com\", response=\"f169d2593600b9fd4e6885386fbaecf7\", \
             algorithm=MD5, cnonce=\"cn-1\", opaque=\"123\", qop=auth, nc=00000001"
        ]
    );
    // The 200 needs nothing from the client; the next request authenticates at once.
    let mut refresh = register(3);
    client.authorize(&mut refresh, "cn-2");
    assert!(auth_lines(&refresh, "Authorization")[0].contains("nc=00000002"));
}

#[test]
fn same_nonce_rejected_again_fails_without_loop() {
    let mut client = alice();
    let first = register(1);
    let r1 = challenged(&first, 401, &[ASTERISK_401]);
    assert_eq!(
        client.handle_challenge(&first, &r1),
        Ok(AuthDecision::Retry)
    );
    let mut retry = register(2);
    client.authorize(&mut retry, "cn-1");
    let r2 = challenged(&retry, 401, &[ASTERISK_401]);
    assert_eq!(
        client.handle_challenge(&retry, &r2),
        Ok(AuthDecision::Fail(AuthFailure::Rejected {
            realm: "asterisk".into()
        }))
    );
}

#[test]
fn fresh_nonce_without_stale_after_our_credentials_fails() {
    // Asterisk answers a wrong password with a new nonce and no stale flag.
    let mut client = alice();
    let first = register(1);
    let r1 = challenged(&first, 401, &[ASTERISK_401]);
    assert_eq!(
        client.handle_challenge(&first, &r1),
        Ok(AuthDecision::Retry)
    );
    let mut retry = register(2);
    client.authorize(&mut retry, "cn-1");
    let r2 = challenged(
        &retry,
        401,
        &[
            r#"Digest realm="asterisk",nonce="1700000001/xyz",opaque="123",algorithm=MD5,qop="auth""#,
        ],
    );
    assert!(matches!(
        client.handle_challenge(&retry, &r2),
        Ok(AuthDecision::Fail(AuthFailure::Rejected { .. }))
    ));
}

#[test]
fn stale_nonce_retries_silently_with_new_nonce() {
    let mut client = alice();
    let first = register(1);
    let r1 = challenged(&first, 401, &[ASTERISK_401]);
    assert_eq!(
        client.handle_challenge(&first, &r1),
        Ok(AuthDecision::Retry)
    );
    let mut second = register(2);
    client.authorize(&mut second, "cn-1");
    let mut third = register(3);
    client.authorize(&mut third, "cn-1b"); // nc=2 with the old nonce, accepted earlier
    let stale = challenged(
        &third,
        401,
        &[
            r#"Digest realm="asterisk",nonce="1700000300/def",opaque="123",algorithm=MD5,qop="auth",stale=true"#,
        ],
    );
    assert_eq!(
        client.handle_challenge(&third, &stale),
        Ok(AuthDecision::RetryStale)
    );
    let mut retry = register(4);
    retry
        .headers
        .push("Authorization", auth_lines(&third, "Authorization")[0]);
    client.authorize(&mut retry, "cn-2");
    // Replaced, not added; nc restarts at 1 for the new nonce.
    // resp("md5","alice","asterisk","s3cret","1700000300/def","cn-2","00000001","auth",
    //      "REGISTER","sip:pbx.example.com")
    let lines = auth_lines(&retry, "Authorization");
    assert_eq!(lines.len(), 1);
    assert!(
        lines[0].contains("nonce=\"1700000300/def\""),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains("response=\"142d39de98dd52e1fb5c3b518a98e0d9\""));
    assert!(lines[0].contains("nc=00000001"));

    // The server calls its brand-new nonce stale too: give up instead of looping.
    let again = challenged(
        &retry,
        401,
        &[r#"Digest realm="asterisk",nonce="1700000301/ghi",algorithm=MD5,qop="auth",stale=true"#],
    );
    assert!(matches!(
        client.handle_challenge(&retry, &again),
        Ok(AuthDecision::Fail(AuthFailure::Rejected { .. }))
    ));
}

#[test]
fn expired_nonce_without_stale_on_a_refresh_retries_once() {
    // A refresh carries a nonce accepted before (nc=2); the server answers with a new nonce
    // and no stale flag. Retry silently; if the retry (nc=1) is refused, stop.
    let mut client = alice();
    let first = register(1);
    let r1 = challenged(&first, 401, &[ASTERISK_401]);
    assert_eq!(
        client.handle_challenge(&first, &r1),
        Ok(AuthDecision::Retry)
    );
    let mut second = register(2);
    client.authorize(&mut second, "cn-1"); // 200 OK
    let mut refresh = register(3);
    client.authorize(&mut refresh, "cn-2"); // nc=2
    let expired = challenged(
        &refresh,
        401,
        &[r#"Digest realm="asterisk",nonce="1700003600/new",algorithm=MD5,qop="auth""#],
    );
    assert_eq!(
        client.handle_challenge(&refresh, &expired),
        Ok(AuthDecision::RetryStale)
    );
    let mut retry = register(4);
    client.authorize(&mut retry, "cn-3");
    assert!(auth_lines(&retry, "Authorization")[0].contains("nc=00000001"));
    let refused = challenged(
        &retry,
        401,
        &[r#"Digest realm="asterisk",nonce="1700003601/newer",algorithm=MD5,qop="auth""#],
    );
    assert!(matches!(
        client.handle_challenge(&retry, &refused),
        Ok(AuthDecision::Fail(AuthFailure::Rejected { .. }))
    ));
}

#[test]
fn without_qop_the_cached_count_decides() {
    // No qop: the request carries no nc, so the client's own count for the nonce is used.
    let mut client = alice();
    let first = register(1);
    let plain = r#"Digest realm="asterisk", nonce="plain-1""#;
    let r1 = challenged(&first, 401, &[plain]);
    assert_eq!(
        client.handle_challenge(&first, &r1),
        Ok(AuthDecision::Retry)
    );
    let mut second = register(2);
    client.authorize(&mut second, "unused");
    // resp("md5","alice","asterisk","s3cret","plain-1","","","","REGISTER","sip:pbx.example.com")
    assert_eq!(
        auth_lines(&second, "Authorization"),
        vec![
            "Digest username=\"alice\", realm=\"asterisk\", nonce=\"plain-1\", \
             uri=\"sip:pbx.example.com\", response=\"c7065911fa87ffdb87869626d31473d5\", \
             algorithm=MD5"
        ]
    );
    let mut third = register(3);
    client.authorize(&mut third, "unused"); // second use of plain-1
    let expired = challenged(
        &third,
        401,
        &[r#"Digest realm="asterisk", nonce="plain-2", stale=true"#],
    );
    assert_eq!(
        client.handle_challenge(&third, &expired),
        Ok(AuthDecision::RetryStale)
    );
    let mut fourth = register(4);
    client.authorize(&mut fourth, "unused"); // first use of plain-2
    let refused = challenged(
        &fourth,
        401,
        &[r#"Digest realm="asterisk", nonce="plain-3", stale=true"#],
    );
    assert!(matches!(
        client.handle_challenge(&fourth, &refused),
        Ok(AuthDecision::Fail(AuthFailure::Rejected { .. }))
    ));
}

#[test]
fn stale_with_the_nonce_we_used_fails() {
    let mut client = alice();
    let first = register(1);
    let r1 = challenged(&first, 401, &[ASTERISK_401]);
    let _ = client.handle_challenge(&first, &r1);
    let mut retry = register(2);
    client.authorize(&mut retry, "cn-1");
    let stale_same = challenged(
        &retry,
        401,
        &[r#"Digest realm="asterisk",nonce="1700000000/abc",qop="auth",stale=true"#],
    );
    assert!(matches!(
        client.handle_challenge(&retry, &stale_same),
        Ok(AuthDecision::Fail(AuthFailure::Rejected { .. }))
    ));
}

#[test]
fn nc_increments_per_request_with_the_same_nonce() {
    let mut client = alice();
    let first = register(1);
    let r1 = challenged(&first, 401, &[ASTERISK_401]);
    assert_eq!(
        client.handle_challenge(&first, &r1),
        Ok(AuthDecision::Retry)
    );
    // resp(... "1700000000/abc", cn, nc, "auth", "REGISTER", "sip:pbx.example.com")
    let want = [
        ("cn-1", "00000001", "f169d2593600b9fd4e6885386fbaecf7"),
        ("cn-2", "00000002", "7973a00b70b37f255576bfc692a341c2"),
        ("cn-3", "00000003", "9b74acd389e2bd9fe20d654986c53557"),
    ];
    for (i, (cnonce, nc, response)) in want.into_iter().enumerate() {
        let mut req = register(2 + i as u32);
        client.authorize(&mut req, cnonce);
        let line = auth_lines(&req, "Authorization")[0];
        assert!(line.contains(&format!("nc={nc}")), "{line}");
        assert!(line.contains(&format!("response=\"{response}\"")), "{line}");
    }
}

#[test]
fn proxy_407_uses_proxy_authorization() {
    // FreeSWITCH challenges an INVITE with 407.
    let mut client = DigestClient::new(vec![Credentials::new("1001", "1234")]);
    let mut invite = Request::new(Method::Invite, Uri::parse("sip:1000@10.0.0.1").unwrap());
    invite.headers.push("CSeq", "1 INVITE");
    let r = challenged(
        &invite,
        407,
        &[
            r#"Digest realm="10.0.0.1", nonce="2a7d3f64-8c1e-4b6a-9f0a-1d2e3f4a5b6c", algorithm=MD5, qop="auth""#,
        ],
    );
    assert_eq!(
        client.handle_challenge(&invite, &r),
        Ok(AuthDecision::Retry)
    );
    let mut retry = invite.clone();
    retry.headers.set("CSeq", "2 INVITE");
    client.authorize(&mut retry, "cn-1");
    assert!(auth_lines(&retry, "Authorization").is_empty());
    let lines = auth_lines(&retry, "Proxy-Authorization");
    assert_eq!(lines.len(), 1);
    // resp("md5","1001","10.0.0.1","1234","2a7d3f64-8c1e-4b6a-9f0a-1d2e3f4a5b6c","cn-1",
    //      "00000001","auth","INVITE","sip:1000@10.0.0.1")
    assert!(lines[0].contains("response=\"f73b9ebf5ceb1f6209e5924f14b17e47\""));
    assert!(lines[0].contains("uri=\"sip:1000@10.0.0.1\""));

    // A 407 to the retried INVITE without stale: rejected, via Proxy-Authorization.
    let r2 = challenged(
        &retry,
        407,
        &[
            r#"Digest realm="10.0.0.1", nonce="2a7d3f64-8c1e-4b6a-9f0a-1d2e3f4a5b6c", algorithm=MD5, qop="auth""#,
        ],
    );
    assert!(matches!(
        client.handle_challenge(&retry, &r2),
        Ok(AuthDecision::Fail(AuthFailure::Rejected { .. }))
    ));
}

#[test]
fn two_proxies_two_realms() {
    let mut client = DigestClient::new(vec![
        Credentials::new("edge-user", "pw1").with_realm("edge"),
        Credentials::new("core-user", "pw2").with_realm("core"),
    ]);
    let invite = Request::new(Method::Invite, Uri::parse("sip:bob@example.com").unwrap());
    let r = challenged(
        &invite,
        407,
        &[
            r#"Digest realm="edge", nonce="e1", qop="auth""#,
            r#"Digest realm="core", nonce="c1""#,
        ],
    );
    assert_eq!(
        client.handle_challenge(&invite, &r),
        Ok(AuthDecision::Retry)
    );
    let mut retry = invite.clone();
    client.authorize(&mut retry, "cn");
    let lines = auth_lines(&retry, "Proxy-Authorization");
    assert_eq!(lines.len(), 2);
    assert!(lines[0].starts_with("Digest username=\"edge-user\", realm=\"edge\""));
    assert!(lines[1].starts_with("Digest username=\"core-user\", realm=\"core\""));
    // No qop offered by "core": RFC 2069 form, no cnonce/nc/qop.
    assert!(
        !lines[1].contains("qop=") && !lines[1].contains("nc=") && !lines[1].contains("cnonce")
    );
    let realms: Vec<_> = client.cached_realms().map(|(_, r)| r.to_string()).collect();
    assert_eq!(realms, vec!["edge", "core"]);
}

#[test]
fn www_and_proxy_realms_both_sent() {
    let mut client = alice();
    let req = register(1);
    let r401 = challenged(&req, 401, &[ASTERISK_401]);
    assert_eq!(
        client.handle_challenge(&req, &r401),
        Ok(AuthDecision::Retry)
    );
    let mut second = register(2);
    client.authorize(&mut second, "cn-1");
    let r407 = challenged(
        &second,
        407,
        &[r#"Digest realm="proxy", nonce="p1", qop="auth""#],
    );
    assert_eq!(
        client.handle_challenge(&second, &r407),
        Ok(AuthDecision::Retry)
    );
    let mut third = register(3);
    client.authorize(&mut third, "cn-2");
    assert_eq!(auth_lines(&third, "Authorization").len(), 1);
    assert_eq!(auth_lines(&third, "Proxy-Authorization").len(), 1);
}

#[test]
fn strongest_supported_challenge_wins() {
    // MD5 listed first, SHA-256 second, an unknown algorithm third (ignored, RFC 7616 §3.3).
    let mut client = DigestClient::new(vec![Credentials::new("bob", "pw")]);
    let req = Request::new(Method::Register, Uri::parse("sip:sip.example.org").unwrap());
    let r = challenged(
        &req,
        401,
        &[
            r#"Digest realm="sip.example.org", nonce="md5nonce", qop="auth", algorithm=MD5"#,
            r#"Digest realm="sip.example.org", nonce="ZcGz1WXBsqn+2F0lqfM5GvA4yB4pI4Wm", qop="auth", algorithm=SHA-256"#,
            r#"Digest realm="sip.example.org", nonce="x", qop="auth", algorithm=SHA3-512"#,
        ],
    );
    assert_eq!(client.handle_challenge(&req, &r), Ok(AuthDecision::Retry));
    let mut retry = req.clone();
    client.authorize(&mut retry, "cn-1");
    let lines = auth_lines(&retry, "Authorization");
    assert_eq!(lines.len(), 1);
    // resp("sha256","bob","sip.example.org","pw","ZcGz1WXBsqn+2F0lqfM5GvA4yB4pI4Wm","cn-1",
    //      "00000001","auth","REGISTER","sip:sip.example.org")
    assert!(lines[0].contains("algorithm=SHA-256"), "{}", lines[0]);
    assert!(lines[0]
        .contains("response=\"598352fab6e48a36632c5892bbbeae58b4c52592cc8c4c117aeeea26307da9f3\""));
}

#[test]
fn userhash_sends_hashed_username() {
    let mut client = alice();
    let req = register(1);
    let r = challenged(
        &req,
        401,
        &[r#"Digest realm="asterisk", nonce="1700000000/abc", qop="auth", userhash=true"#],
    );
    assert_eq!(client.handle_challenge(&req, &r), Ok(AuthDecision::Retry));
    let mut retry = register(2);
    client.authorize(&mut retry, "cn-1");
    let line = auth_lines(&retry, "Authorization")[0];
    // H("md5","alice:asterisk")
    assert!(line.starts_with("Digest username=\"5e2241e3c42506807dcb9b1c942e45a2\""));
    assert!(line.ends_with(", userhash=true"));
    // The response still uses the plain username (RFC 7616 §3.4.4): same as nc=1 above.
    assert!(line.contains("response=\"f169d2593600b9fd4e6885386fbaecf7\""));
}

#[test]
fn realm_restricted_credentials_do_not_leak_to_other_realms() {
    let mut client = DigestClient::new(vec![Credentials::new("alice", "pw").with_realm("home")]);
    let req = register(1);
    let r = challenged(&req, 401, &[ASTERISK_401]);
    assert_eq!(
        client.handle_challenge(&req, &r),
        Ok(AuthDecision::Fail(AuthFailure::NoCredentials {
            realm: "asterisk".into()
        }))
    );
    let mut next = register(2);
    client.authorize(&mut next, "cn");
    assert!(auth_lines(&next, "Authorization").is_empty());
}

#[test]
fn nothing_usable_is_a_typed_error() {
    let mut client = alice();
    let req = register(1);
    let r = challenged(
        &req,
        401,
        &[
            r#"Basic realm="x""#,
            r#"Digest realm="x", nonce="n", algorithm=AKAv1-MD5"#,
        ],
    );
    assert_eq!(
        client.handle_challenge(&req, &r),
        Err(AuthError::NoUsableChallenge(vec![
            ChallengeError::UnsupportedScheme("Basic".into()),
            ChallengeError::UnsupportedAlgorithm("AKAv1-MD5".into()),
        ]))
    );
    let r = challenged(&req, 401, &[]);
    assert!(matches!(
        client.handle_challenge(&req, &r),
        Err(AuthError::MissingChallenge { code: 401, .. })
    ));
}

#[test]
fn challenge_from_a_parsed_kamailio_401() {
    let wire = "SIP/2.0 401 Unauthorized\r\n\
Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKx;rport=5060\r\n\
From: <sip:bob@sip.example.org>;tag=1\r\n\
To: <sip:bob@sip.example.org>;tag=b27e1a1d33761e85846fc98f5f3a7e58.d4a2\r\n\
Call-ID: reg-1@192.0.2.10\r\n\
CSeq: 1 REGISTER\r\n\
WWW-Authenticate: Digest realm=\"sip.example.org\", nonce=\"ZcGz1WXBsqn+2F0lqfM5GvA4yB4pI4Wm\",\r\n qop=\"auth\", algorithm=SHA-256\r\n\
WWW-Authenticate: Digest realm=\"sip.example.org\", nonce=\"md5nonce\", qop=\"auth\", algorithm=MD5\r\n\
Server: kamailio (5.7.4 (x86_64/linux))\r\n\
Content-Length: 0\r\n\r\n";
    let Message::Response(resp) = Message::parse(wire.as_bytes()).unwrap() else {
        panic!("not a response");
    };
    let mut client = DigestClient::new(vec![Credentials::new("bob", "pw")]);
    let req = Request::new(Method::Register, Uri::parse("sip:sip.example.org").unwrap());
    assert_eq!(
        client.handle_challenge(&req, &resp),
        Ok(AuthDecision::Retry)
    );
    let mut retry = req.clone();
    client.authorize(&mut retry, "cn-1");
    assert!(auth_lines(&retry, "Authorization")[0]
        .contains("response=\"598352fab6e48a36632c5892bbbeae58b4c52592cc8c4c117aeeea26307da9f3\""));
}

// ===== secrets stay secret =====

#[test]
fn password_never_in_debug_errors_or_redacted_trace() {
    let creds = Credentials::new("alice", "s3cret-Pa55");
    let mut client = DigestClient::new(vec![creds.clone()]);
    for s in [
        format!("{creds:?}"),
        format!("{creds:#?}"),
        format!("{client:?}"),
    ] {
        assert!(!s.contains("s3cret-Pa55"), "{s}");
        assert!(s.contains(r#"password: "***""#), "{s}");
    }

    let req = register(1);
    let r = challenged(&req, 401, &[ASTERISK_401]);
    assert_eq!(client.handle_challenge(&req, &r), Ok(AuthDecision::Retry));
    assert!(!format!("{client:?}").contains("s3cret-Pa55"));
    let mut retry = register(2);
    client.authorize(&mut retry, "cn-1");
    let r2 = challenged(&retry, 401, &[ASTERISK_401]);
    let AuthDecision::Fail(failure) = client.handle_challenge(&retry, &r2).unwrap() else {
        panic!("expected a failure");
    };
    let shown = format!("{failure} {failure:?}");
    assert!(!shown.contains("s3cret"), "{shown}");
    let err = AuthError::NoUsableChallenge(vec![ChallengeError::Empty]);
    assert!(!err.to_string().contains("s3cret"));

    // The trace shows the header with the response masked.
    let line = auth_lines(&retry, "Authorization")[0];
    let response = line
        .split("response=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap();
    assert_eq!(response.len(), 32);
    let redacted = redact_authorization(line);
    assert!(!redacted.contains(response), "{redacted}");
    assert!(redacted.contains(r#"response="***""#), "{redacted}");
    assert!(redacted.contains(r#"username="alice""#));
    assert!(redacted.contains("nc=00000001"));
    assert!(!redacted.contains("s3cret"));
}
