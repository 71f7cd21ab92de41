//! Digest authentication against sipp scenarios that challenge (tests/sipp/):
//!
//! - `register_401.xml`, a registrar: 401 (realm `sipline.test`, MD5, qop=auth), then
//!   sipp's `verifyauth` checks alice/secret. The right password gives `registered` (and the
//!   unregister at quit is accepted); a wrong one gets 401 again with the same nonce, and
//!   sipline must report `registration-failed` (401/403, `auth failed`) and send no third
//!   REGISTER (sipp sees exactly two).
//! - `invite_407.xml`, a UAS behind an authenticating proxy: 407 on the INVITE, then the
//!   INVITE again with Proxy-Authorization; the call completes. sipp 3.6's `verifyauth`
//!   reads only `Authorization`, so this test recomputes the Proxy-Authorization response
//!   (RFC 2617 §3.2.2, MD5 with qop=auth) from sipp's message trace.
//! - Harness self-checks: sipp as the client (`[authentication]`) against both scenarios,
//!   so a scenario bug is never blamed on sipline.
//!
//! Not used: `../shared/corpora/sipp/sergey-safarov/sipp_uac_invite-401-invite.xml` is a
//! client that answers a 401 from the UAS it calls; sipline does not challenge incoming
//! requests (it is a UA, not a registrar or proxy), so there is nothing to run it against.

mod common;

use common::*;

const USER: &str = "alice";
const PASSWORD: &str = "secret";
const REALM: &str = "sipline.test";

/// sipline as account alice at `registrar` with `password`, `--user alice`.
fn alice(
    port: u16,
    registrar: std::net::SocketAddr,
    password: &str,
    register: bool,
) -> SiplineOpts {
    let mut opts = SiplineOpts::new(USER, port);
    opts.extra = vec![
        "--domain".to_owned(),
        registrar.to_string(),
        "--password".to_owned(),
        password.to_owned(),
    ];
    if register {
        opts.extra.push("--register".to_owned());
    }
    opts
}

fn story(out: &Outcome, sipp: &Sipp) -> String {
    format!(
        "{}\n{}\n--- sipp message trace (tail) ---\n{}",
        out.report(),
        sipp.peer.logs(),
        sipp.trace_tail()
    )
}

#[test]
fn register_answers_a_401_challenge() {
    if !peer_available("sipp", "sip-tester") {
        return;
    }
    let dir = TempDir::new("register-401");
    let mut sipp = Sipp::scenario_server(
        dir.path(),
        "registrar",
        &sipp_scenario("register_401.xml"),
        &[],
    );
    let me = reserve_port();
    let out = run_sipline(
        "alice",
        alice(me.port(), sipp.addr(), PASSWORD, true),
        "wait registered 10s\nquit\n",
        dir.path(),
        secs(40),
    );
    sipp.assert_success(
        secs(10),
        "registrar scenario (401, then 200, then the unregister)",
    );
    let story = story(&out, &sipp);
    out.assert_success();
    let reg = out.first("registered");
    assert_eq!(reg["account"], USER, "{story}");
    assert_eq!(reg["expires"], 60, "the registrar granted 60 s\n{story}");
    assert!(
        out.named("registration-failed").is_empty(),
        "no registration-failed expected\n{story}"
    );
    assert_eq!(out.named("unregistered").len(), 1, "{story}");

    let registers = sipp.received_requests("REGISTER");
    assert!(
        registers[0]
            .lines()
            .all(|l| !l.starts_with("Authorization:")),
        "the first REGISTER carries no credentials\n{story}"
    );
    let auth = header(&registers[1], "Authorization")
        .unwrap_or_else(|| panic!("the second REGISTER has no Authorization\n{story}"));
    assert!(
        auth.contains("qop=auth") && auth.contains("nc=00000001"),
        "qop=auth was offered: the answer should use it with nc=00000001: {auth}\n{story}"
    );
    // Credentials are cached per realm: the unregister authenticates at the first try, with
    // the same nonce and the next nonce count (RFC 2617 §3.2.2).
    assert_eq!(
        registers.len(),
        3,
        "REGISTER, REGISTER with credentials, then the unregister with cached ones\n{story}"
    );
    let unreg_auth = header(&registers[2], "Authorization")
        .unwrap_or_else(|| panic!("the unregister has no cached Authorization\n{story}"));
    assert_eq!(
        digest_param(&unreg_auth, "nc").as_deref(),
        Some("00000002"),
        "the nonce count goes on across requests: {unreg_auth}\n{story}"
    );
    let last = registers.last().expect("REGISTERs");
    assert!(
        header(last, "Expires").as_deref() == Some("0") || last.contains(";expires=0"),
        "the last REGISTER (at quit) should unregister with Expires: 0:\n{last}\n{story}"
    );
}

/// The password from the environment (`SIPLINE_PASSWORD`) instead of `--password`.
#[test]
fn register_with_the_password_from_the_environment() {
    if !peer_available("sipp", "sip-tester") {
        return;
    }
    let dir = TempDir::new("register-401-env");
    let mut sipp = Sipp::scenario_server(
        dir.path(),
        "registrar",
        &sipp_scenario("register_401.xml"),
        &[],
    );
    let me = reserve_port();
    let mut opts = SiplineOpts::new(USER, me.port());
    opts.extra = vec![
        "--domain".to_owned(),
        sipp.addr().to_string(),
        "--register".to_owned(),
    ];
    opts.env = vec![("SIPLINE_PASSWORD".to_owned(), PASSWORD.to_owned())];
    let out = run_sipline(
        "alice",
        opts,
        "wait registered 10s\nquit\n",
        dir.path(),
        secs(40),
    );
    sipp.assert_success(secs(10), "registrar scenario with SIPLINE_PASSWORD");
    let story = story(&out, &sipp);
    out.assert_success();
    assert_eq!(out.first("registered")["expires"], 60, "{story}");
    assert_eq!(out.named("unregistered").len(), 1, "{story}");
}

#[test]
fn register_with_a_wrong_password_fails_once_without_a_loop() {
    if !peer_available("sipp", "sip-tester") {
        return;
    }
    let dir = TempDir::new("register-401-wrong");
    let mut sipp = Sipp::scenario_server(
        dir.path(),
        "registrar",
        &sipp_scenario("register_401.xml"),
        &[],
    );
    let me = reserve_port();
    let mut sipline = Sipline::spawn(
        "alice",
        alice(me.port(), sipp.addr(), "not-the-password", true),
        dir.path(),
    );
    sipline.send("wait registration-failed 10s\n");
    let failed = sipline.expect_event("registration-failed", secs(15));
    // The scenario waits 4 s for a third REGISTER (a loop) and fails if one comes.
    sipp.assert_success(
        secs(15),
        "registrar scenario: 401, wrong answer, 401 with the same nonce, then silence",
    );
    sipline.send("quit\n");
    let out = sipline.finish(secs(40));
    let story = story(&out, &sipp);
    assert_eq!(failed["account"], USER, "{story}");
    assert!(
        failed["code"] == 401 || failed["code"] == 403,
        "registration-failed should carry the 401/403: {failed}\n{story}"
    );
    assert_eq!(failed["reason"], "auth failed", "{failed}\n{story}");
    assert_eq!(
        sipp.received_requests("REGISTER").len(),
        2,
        "sipp should see exactly two REGISTERs (no loop)\n{story}"
    );
    assert!(
        out.named("registered").is_empty(),
        "a wrong password never registers\n{story}"
    );
    assert_eq!(
        out.named("registration-failed").len(),
        1,
        "one failure, not one per retry\n{story}"
    );
}

/// The value of the first header `name` (case-insensitive) in a message's text.
fn header(msg: &str, name: &str) -> Option<String> {
    msg.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_owned())
    })
}

/// A parameter of a Digest header value: `key="v"` or `key=v`.
fn digest_param(value: &str, key: &str) -> Option<String> {
    let rest = value.trim_start().strip_prefix("Digest")?;
    rest.split(',').find_map(|part| {
        let (k, v) = part.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(key)
            .then(|| v.trim().trim_matches('"').to_owned())
    })
}

fn md5_hex(s: &str) -> String {
    use md5::{Digest, Md5};
    Md5::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// RFC 2617 §3.2.2.1 with qop=auth (or without qop), MD5.
fn expected_response(auth: &str, method: &str, password: &str) -> String {
    let p = |k: &str| digest_param(auth, k).unwrap_or_default();
    let ha1 = md5_hex(&format!("{}:{}:{password}", p("username"), p("realm")));
    let ha2 = md5_hex(&format!("{method}:{}", p("uri")));
    if p("qop").is_empty() {
        md5_hex(&format!("{ha1}:{}:{ha2}", p("nonce")))
    } else {
        md5_hex(&format!(
            "{ha1}:{}:{}:{}:{}:{ha2}",
            p("nonce"),
            p("nc"),
            p("cnonce"),
            p("qop")
        ))
    }
}

#[test]
fn invite_answers_a_407_challenge() {
    if !peer_available("sipp", "sip-tester") {
        return;
    }
    let dir = TempDir::new("invite-407");
    let mut sipp =
        Sipp::scenario_server(dir.path(), "uas407", &sipp_scenario("invite_407.xml"), &[]);
    let me = reserve_port();
    let out = run_sipline(
        "alice",
        alice(me.port(), sipp.addr(), PASSWORD, false).codecs("pcmu"),
        &format!(
            "invite {}\n\
             wait accepted 10s\n\
             wait media 5s\n\
             sleep 2s\n\
             hangup\n\
             wait terminated 10s\n\
             quit\n",
            sipp.uri("bob")
        ),
        dir.path(),
        secs(40),
    );
    sipp.assert_success(secs(10), "UAS scenario with a 407 challenge");
    let story = story(&out, &sipp);
    out.assert_success();
    assert_eq!(out.first("accepted")["code"], 200, "{story}");
    assert!(out.named("failed").is_empty(), "{story}");

    let invites = sipp.received_requests("INVITE");
    assert_eq!(
        invites.len(),
        2,
        "one INVITE, one retry with credentials\n{story}"
    );
    assert!(
        header(&invites[0], "Proxy-Authorization").is_none(),
        "the first INVITE carries no credentials\n{story}"
    );
    let auth = header(&invites[1], "Proxy-Authorization")
        .unwrap_or_else(|| panic!("the second INVITE has no Proxy-Authorization\n{story}"));
    assert_eq!(
        digest_param(&auth, "username").as_deref(),
        Some(USER),
        "{auth}"
    );
    assert_eq!(
        digest_param(&auth, "realm").as_deref(),
        Some(REALM),
        "{auth}"
    );
    assert_eq!(
        digest_param(&auth, "qop").as_deref(),
        Some("auth"),
        "qop=auth was offered\n{auth}"
    );
    assert_eq!(
        digest_param(&auth, "response"),
        Some(expected_response(&auth, "INVITE", PASSWORD)),
        "the Proxy-Authorization response does not match MD5 of alice/secret: {auth}\n{story}"
    );
    // The same call: same Call-ID, CSeq one higher (RFC 3261 §22.2).
    assert_eq!(
        header(&invites[0], "Call-ID"),
        header(&invites[1], "Call-ID"),
        "{story}"
    );
}

/// A proxy that answers the credentials with a second 407 (same nonce): the call fails
/// with cause `auth`, each 407 is ACKed, and no third INVITE follows.
#[test]
fn invite_rejected_credentials_fail_without_a_loop() {
    if !peer_available("sipp", "sip-tester") {
        return;
    }
    let dir = TempDir::new("invite-407-again");
    let mut sipp = Sipp::scenario_server(
        dir.path(),
        "uas407again",
        &sipp_scenario("invite_407_again.xml"),
        &[],
    );
    let me = reserve_port();
    let out = run_sipline(
        "alice",
        alice(me.port(), sipp.addr(), PASSWORD, false).codecs("pcmu"),
        &format!(
            "invite {}\n\
             wait failed 15s\n\
             sleep 5s\n\
             quit\n",
            sipp.uri("bob")
        ),
        dir.path(),
        secs(40),
    );
    sipp.assert_success(
        secs(10),
        "UAS scenario answering the credentials with 407 again",
    );
    let story = story(&out, &sipp);
    out.assert_success();
    assert_eq!(out.first("failed")["cause"], "auth", "{story}");
    assert!(out.named("accepted").is_empty(), "{story}");
    assert_eq!(
        sipp.received_requests("INVITE").len(),
        2,
        "exactly two INVITEs (no loop)\n{story}"
    );
    assert_eq!(
        sipp.received_requests("ACK").len(),
        2,
        "each 407 is ACKed (RFC 3261 §17.1.1.3)\n{story}"
    );
}

/// sipp's own client answers the registrar scenario's challenge: the scenario accepts a
/// correct digest (with qop=auth) and the unregister after it.
#[test]
fn harness_sipp_client_registers_with_the_401_scenario() {
    harness_pair("register_401.xml", "selfcheck_register_uac.xml");
}

/// sipp's own client answers the 407 scenario's challenge and completes the call.
#[test]
fn harness_sipp_client_calls_the_407_scenario() {
    harness_pair("invite_407.xml", "selfcheck_invite_uac.xml");
}

fn harness_pair(server: &str, client: &str) {
    if !peer_available("sipp", "sip-tester") {
        return;
    }
    let dir = TempDir::new("sipp-auth-selfcheck");
    let mut srv = Sipp::scenario_server(dir.path(), "server", &sipp_scenario(server), &[]);
    let mut cli = Sipp::scenario_client(
        dir.path(),
        "client",
        &sipp_scenario(client),
        srv.addr(),
        &["-au", USER, "-ap", PASSWORD],
        dir.path(),
    );
    cli.assert_success(secs(20), &format!("sipp client {client}"));
    srv.assert_success(secs(10), &format!("sipp server {server}"));
}
