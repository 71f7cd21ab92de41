//! sipline accounts at kamailio with digest auth (issue 4's proof against a real registrar):
//! `assets/kamailio/registrar-auth.cfg`, which challenges REGISTER with 401 and initial
//! requests with 407 (qop=auth, realm `127.0.0.1`) and checks passwords held in memory (no
//! database server).
//!
//! - The right password (`--password`): the first REGISTER carries no credentials, the 401
//!   is answered with an `Authorization` (qop=auth, nc=00000001), kamailio saves the binding
//!   (`kamcmd ul.dump`) and sipline reports `registered`; at quit the unregister
//!   authenticates at the first try with the cached nonce (nc=00000002) and the binding goes.
//! - The same with `algorithm = SHA-256` challenges (RFC 7616/8760).
//! - A refresh after kamailio's nonce expired (nonce_expire 2 s, refresh at 5 s): the
//!   fresh 401 is answered silently and alice stays registered.
//! - A wrong password: kamailio challenges the credentials again with a fresh nonce; sipline
//!   reports one `registration-failed` (401, `auth failed`, a retry 30 s or more away) and
//!   sends no third REGISTER (kamailio's log and sipline's trace both count two).
//! - Two accounts from a config file, alice's password from `password_env` and bob's from
//!   `password_command`, register with auth and call each other through kamailio: alice's
//!   INVITE is challenged with 407 and sent again with `Proxy-Authorization`, bob receives
//!   it without credentials (kamailio consumes them), and each recording holds the other's
//!   tone.
//! - In every test no password appears anywhere in sipline's stdout or stderr, although
//!   every test runs with `--sip-trace`, and the trace shows credentials with the digest
//!   `response` masked (`"***"`).

mod common;

use common::*;

/// Passwords distinctive enough that finding one in the output cannot be chance.
const ALICE_PW: &str = "alice-pw-Qx7v2";
const BOB_PW: &str = "bob-pw-Zr4k9";

fn users() -> [(&'static str, &'static str); 2] {
    [("alice", ALICE_PW), ("bob", BOB_PW)]
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

/// `msgs` without retransmissions (one per Call-ID and CSeq).
fn distinct(msgs: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut seen = Vec::new();
    msgs.into_iter()
        .filter(|(_, m)| {
            let key = (header(m, "Call-ID"), header(m, "CSeq"));
            let new = !seen.contains(&key);
            seen.push(key);
            new
        })
        .collect()
}

/// Panics if any password shows up in the process's stdout (events and other lines) or
/// stderr (the `--sip-trace`).
fn assert_no_password(out: &Outcome, passwords: &[&str]) {
    let stdout = format!(
        "{}\n{}",
        out.events
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("\n"),
        out.other_stdout.join("\n")
    );
    for pw in passwords {
        assert!(
            !stdout.contains(pw) && !out.stderr.contains(pw),
            "{}: a password appears in its output\n{}",
            out.name,
            out.report()
        );
    }
    assert!(
        out.stderr.contains("----- sent"),
        "{}: the check needs the --sip-trace on stderr\n{}",
        out.name,
        out.report()
    );
}

fn kam_logs(k: &Kamailio) -> String {
    format!(
        "\n--- kamailio location table ---\n{}\n--- kamailio ---\n{}",
        k.registrations(),
        k.peer.logs()
    )
}

/// `--domain 127.0.0.1:KPORT --password PW --register`.
fn flags_account(kamailio: &Kamailio, user: &str, port: u16, password: &str) -> SiplineOpts {
    let mut opts = SiplineOpts::new(user, port);
    opts.extra = vec![
        "--domain".to_owned(),
        kamailio.addr().to_string(),
        "--password".to_owned(),
        password.to_owned(),
        "--register".to_owned(),
    ];
    opts
}

#[test]
fn register_with_the_right_password() {
    register_ok("MD5", "udp");
}

/// The same over TCP (`--transport tcp`): challenge and credentials on the connection.
#[test]
fn register_over_tcp_with_the_right_password() {
    register_ok("MD5", "tcp");
}

/// kamailio's `auth` module with `algorithm = SHA-256`: the challenge says so and sipline
/// answers with SHA-256 (RFC 7616 §3.4.1, RFC 8760).
#[test]
fn register_with_sha256_challenges() {
    register_ok("SHA-256", "udp");
}

fn register_ok(algorithm: &'static str, transport: &str) {
    if !peer_available("kamailio", "kamailio") {
        return;
    }
    let dir = TempDir::new(&format!("kamailio-auth-register-{algorithm}-{transport}"));
    let options = AuthOptions {
        algorithm,
        ..AuthOptions::default()
    };
    let kamailio = Kamailio::start_with_auth_options(dir.path(), &users(), &options);
    let me = reserve_port();
    let mut opts = flags_account(&kamailio, "alice", me.port(), ALICE_PW);
    opts.extra
        .extend(["--transport".to_owned(), transport.to_owned()]);
    let mut alice = Sipline::spawn("alice", opts, dir.path());
    alice.send("wait registered 10s\n");
    let reg = alice.expect_event("registered", secs(15));
    assert_eq!(reg["account"], "alice", "{reg}");
    assert!(
        kamailio.wait_registered("alice", secs(5)),
        "alice is not in kamailio's location table{}",
        kam_logs(&kamailio)
    );
    assert!(
        kamailio
            .registrations()
            .contains(&format!("sip:alice@127.0.0.1:{}", me.port())),
        "the binding holds alice's Contact{}",
        kam_logs(&kamailio)
    );
    alice.send("quit\n");
    let out = alice.finish(secs(20));
    let story = format!("{}{}", out.report(), kam_logs(&kamailio));
    out.assert_success();
    assert!(
        kamailio.wait_unregistered("alice", secs(5)),
        "the unregister at quit should remove the binding{story}"
    );
    assert_eq!(out.named("unregistered").len(), 1, "{story}");
    assert!(out.named("registration-failed").is_empty(), "{story}");

    let registers = distinct(out.sent_messages("REGISTER "));
    assert_eq!(
        registers.len(),
        3,
        "REGISTER, REGISTER with credentials, the unregister with cached ones{story}"
    );
    assert!(
        header(&registers[0].1, "Authorization").is_none(),
        "the first REGISTER carries no credentials{story}"
    );
    for (dir_line, _) in &registers {
        assert_eq!(
            dir_line.contains("over TCP"),
            transport == "tcp",
            "every REGISTER goes over {transport}: {dir_line}{story}"
        );
    }
    let challenge = out
        .received_messages("SIP/2.0 401")
        .into_iter()
        .next()
        .map(|(_, m)| m)
        .unwrap_or_else(|| panic!("kamailio sent no 401{story}"));
    let www = header(&challenge, "WWW-Authenticate")
        .unwrap_or_else(|| panic!("the 401 has no WWW-Authenticate{story}"));
    assert_eq!(digest_param(&www, "realm").as_deref(), Some("127.0.0.1"));
    assert_eq!(digest_param(&www, "qop").as_deref(), Some("auth"), "{www}");
    if algorithm != "MD5" {
        assert_eq!(
            digest_param(&www, "algorithm").as_deref(),
            Some(algorithm),
            "{www}"
        );
    }
    let auth = header(&registers[1].1, "Authorization")
        .unwrap_or_else(|| panic!("the second REGISTER has no Authorization{story}"));
    for (key, want) in [
        ("username", "alice"),
        ("realm", "127.0.0.1"),
        ("qop", "auth"),
        ("nc", "00000001"),
    ] {
        assert_eq!(digest_param(&auth, key).as_deref(), Some(want), "{auth}");
    }
    assert_eq!(
        digest_param(&auth, "nonce"),
        digest_param(&www, "nonce"),
        "{auth}"
    );
    assert_eq!(
        digest_param(&auth, "response").as_deref(),
        Some("***"),
        "--sip-trace masks the digest response (a guessable function of the password)"
    );
    if algorithm != "MD5" {
        assert_eq!(
            digest_param(&auth, "algorithm").as_deref(),
            Some(algorithm),
            "{auth}"
        );
    }
    let unreg = &registers[2].1;
    assert!(
        header(unreg, "Expires").as_deref() == Some("0") || unreg.contains(";expires=0"),
        "the last REGISTER unregisters{story}"
    );
    let unreg_auth = header(unreg, "Authorization")
        .unwrap_or_else(|| panic!("the unregister has no cached Authorization{story}"));
    assert_eq!(
        digest_param(&unreg_auth, "nc").as_deref(),
        Some("00000002"),
        "the cached nonce, counted on{story}"
    );
    assert_eq!(
        distinct(out.received_messages("SIP/2.0 401")).len(),
        1,
        "only the first REGISTER is challenged{story}"
    );
    assert_eq!(kamailio.requests_logged("REGISTER"), 3, "{story}");
    assert_no_password(&out, &[ALICE_PW, BOB_PW]);
}

/// A refresh after kamailio's nonce expired: the refresh carries the cached nonce (nc=2),
/// kamailio challenges it with a fresh nonce (no `stale=true`), and sipline answers that
/// silently at nc=00000001 (a nonce that had been accepted before: RFC 7616 §3.3's stale
/// case, without the flag) — still registered, no `registration-failed`.
#[test]
fn refresh_after_the_nonce_expired_authenticates_again() {
    if !peer_available("kamailio", "kamailio") {
        return;
    }
    let dir = TempDir::new("kamailio-auth-refresh");
    // Nonces live 2 s; alice asks for 10 s and refreshes at half that, 5 s.
    let options = AuthOptions {
        nonce_expire: 2,
        min_expires: 5,
        ..AuthOptions::default()
    };
    let kamailio = Kamailio::start_with_auth_options(dir.path(), &users(), &options);
    let me = reserve_port();
    let mut opts = flags_account(&kamailio, "alice", me.port(), ALICE_PW);
    opts.extra.extend(["--expires".to_owned(), "10".to_owned()]);
    let mut alice = Sipline::spawn("alice", opts, dir.path());
    alice.send("wait registered 10s\n");
    alice.expect_event("registered", secs(15));
    // The refresh (due at 5 s): a second `registered`.
    let refreshed = alice.wait_events("registered", 2, secs(15));
    alice.send("quit\n");
    let out = alice.finish(secs(20));
    let story = format!("{}{}", out.report(), kam_logs(&kamailio));
    out.assert_success();
    assert!(refreshed, "no refresh within 15 s{story}");
    assert!(out.named("registration-failed").is_empty(), "{story}");
    assert_eq!(out.named("unregistered").len(), 1, "{story}");
    let registers = distinct(out.sent_messages("REGISTER "));
    let creds: Vec<(String, String)> = registers
        .iter()
        .map(|(_, m)| {
            let auth = header(m, "Authorization").unwrap_or_default();
            (
                digest_param(&auth, "nonce").unwrap_or_default(),
                digest_param(&auth, "nc").unwrap_or_default(),
            )
        })
        .collect();
    // REGISTER, REGISTER (N1, 1), refresh (N1, 2) → 401, REGISTER (N2, 1) → 200, …
    assert!(
        registers.len() >= 4,
        "at least four REGISTERs before the unregister{story}"
    );
    assert_eq!(creds[1].1, "00000001", "{story}");
    assert_eq!(
        (creds[2].0.as_str(), creds[2].1.as_str()),
        (creds[1].0.as_str(), "00000002"),
        "the refresh uses the cached nonce{story}"
    );
    assert_ne!(creds[3].0, creds[1].0, "a fresh nonce{story}");
    assert_eq!(creds[3].1, "00000001", "{story}");
    assert!(
        kamailio.log().contains("not authenticated (code -4)"),
        "kamailio should have refused the expired nonce (code -4){story}"
    );
    assert_no_password(&out, &[ALICE_PW]);
}

#[test]
fn register_with_a_wrong_password_fails_once_without_a_loop() {
    if !peer_available("kamailio", "kamailio") {
        return;
    }
    let dir = TempDir::new("kamailio-auth-wrong");
    let kamailio = Kamailio::start_with_auth(dir.path(), &users());
    let me = reserve_port();
    let wrong = "not-alices-pw-Kd83";
    let mut alice = Sipline::spawn(
        "alice",
        flags_account(&kamailio, "alice", me.port(), wrong),
        dir.path(),
    );
    alice.send("wait registration-failed 10s\n");
    let failed = alice.expect_event("registration-failed", secs(15));
    // Time for a loop to show, were there one: kamailio answers in milliseconds.
    std::thread::sleep(secs(3));
    alice.send("quit\n");
    let out = alice.finish(secs(20));
    let story = format!("{}{}", out.report(), kam_logs(&kamailio));
    out.assert_success();
    assert_eq!(failed["account"], "alice", "{failed}");
    assert_eq!(failed["code"], 401, "{failed}\n{story}");
    assert_eq!(failed["reason"], "auth failed", "{failed}\n{story}");
    assert!(
        failed["retry_in"].as_u64().is_some_and(|s| s >= 30),
        "the retry is backed off by 30 s or more: {failed}\n{story}"
    );
    assert_eq!(
        out.named("registration-failed").len(),
        1,
        "one failure{story}"
    );
    assert!(out.named("registered").is_empty(), "{story}");
    assert_eq!(
        distinct(out.sent_messages("REGISTER ")).len(),
        2,
        "REGISTER, REGISTER with the wrong credentials, then nothing (no loop, and no \
         unregister for a binding that never existed){story}"
    );
    assert_eq!(
        kamailio.requests_logged("REGISTER"),
        2,
        "kamailio saw two REGISTERs{story}"
    );
    let challenges = distinct(out.received_messages("SIP/2.0 401"));
    assert_eq!(challenges.len(), 2, "{story}");
    let nonce = |m: &str| {
        header(m, "WWW-Authenticate")
            .and_then(|w| digest_param(&w, "nonce"))
            .unwrap_or_default()
    };
    assert_ne!(
        nonce(&challenges[0].1),
        nonce(&challenges[1].1),
        "kamailio re-challenges with a fresh nonce (the case sipline must not loop on){story}"
    );
    assert!(
        !kamailio.registrations().contains("AoR: alice\n"),
        "{story}"
    );
    assert_no_password(&out, &[wrong, ALICE_PW]);
}

/// A config file with one account; `secret` is the password key and its value.
fn account_file(dir: &TempDir, kamailio: &Kamailio, user: &str, secret: &str) -> Vec<String> {
    let path = dir.join(&format!("{user}.toml"));
    std::fs::write(
        &path,
        format!(
            "[[account]]\n\
             aor = \"{}\"\n\
             register = true\n\
             {secret}\n",
            kamailio.uri(user)
        ),
    )
    .expect("write account file");
    vec!["--config".to_owned(), path.display().to_string()]
}

#[test]
fn accounts_with_password_env_and_password_command_call_through_kamailio() {
    if !peer_available("kamailio", "kamailio") {
        return;
    }
    let dir = TempDir::new("kamailio-auth-call");
    let kamailio = Kamailio::start_with_auth(dir.path(), &users());
    let (pa, pb) = (reserve_port(), reserve_port());
    let alice_wav = dir.join("alice-heard.wav");
    let bob_wav = dir.join("bob-heard.wav");

    // alice: password_env; bob: password_command reading a file (the password is in
    // neither config file nor any command line).
    let mut alice_opts = SiplineOpts::new("alice", pa.port())
        .audio_in("tone:440")
        .record_to(&alice_wav);
    alice_opts.extra = account_file(
        &dir,
        &kamailio,
        "alice",
        "password_env = \"KAMAUTH_ALICE_SECRET\"",
    );
    alice_opts.env = vec![("KAMAUTH_ALICE_SECRET".to_owned(), ALICE_PW.to_owned())];
    let bob_pw_file = dir.join("bob.pw");
    std::fs::write(&bob_pw_file, format!("{BOB_PW}\n")).expect("write bob.pw");
    let mut bob_opts = SiplineOpts::new("bob", pb.port())
        .audio_in("tone:1000")
        .record_to(&bob_wav);
    bob_opts.extra = account_file(
        &dir,
        &kamailio,
        "bob",
        &format!("password_command = \"cat {}\"", bob_pw_file.display()),
    );

    let mut bob = Sipline::spawn("bob", bob_opts, dir.path());
    bob.send(
        "wait registered 10s\n\
         wait incoming 30s\n\
         accept\n\
         wait terminated 30s\n\
         quit\n",
    );
    let mut alice = Sipline::spawn("alice", alice_opts, dir.path());
    alice.send("wait registered 10s\n");
    alice.expect_event("registered", secs(15));
    bob.expect_event("registered", secs(15));
    for user in ["alice", "bob"] {
        assert!(
            kamailio.wait_registered(user, secs(5)),
            "kamailio's location table lacks {user}{}",
            kam_logs(&kamailio)
        );
    }
    alice.send(&format!(
        "invite {}\n\
         wait accepted 10s\n\
         wait media 5s\n\
         sleep 4s\n\
         hangup\n\
         wait terminated 10s\n\
         quit\n",
        kamailio.uri("bob")
    ));
    let a = alice.finish(secs(45));
    let b = bob.finish(secs(20));
    let story = format!("{}\n{}{}", a.report(), b.report(), kam_logs(&kamailio));
    a.assert_success();
    b.assert_success();
    assert_eq!(a.first("accepted")["code"], 200, "{story}");
    assert_eq!(b.first("terminated")["by"], "remote", "{story}");

    // The INVITE: challenged with 407, sent again with Proxy-Authorization for alice.
    let invites = distinct(a.sent_messages("INVITE "));
    assert_eq!(invites.len(), 2, "INVITE, INVITE with credentials{story}");
    assert!(
        header(&invites[0].1, "Proxy-Authorization").is_none(),
        "{story}"
    );
    let proxy_challenge = a
        .received_messages("SIP/2.0 407")
        .into_iter()
        .next()
        .map(|(_, m)| m)
        .unwrap_or_else(|| panic!("kamailio did not challenge the INVITE with 407{story}"));
    let pa_hdr = header(&proxy_challenge, "Proxy-Authenticate")
        .unwrap_or_else(|| panic!("the 407 has no Proxy-Authenticate{story}"));
    let creds = header(&invites[1].1, "Proxy-Authorization")
        .unwrap_or_else(|| panic!("the second INVITE has no Proxy-Authorization{story}"));
    assert_eq!(
        digest_param(&creds, "username").as_deref(),
        Some("alice"),
        "{creds}"
    );
    assert_eq!(
        digest_param(&creds, "nonce"),
        digest_param(&pa_hdr, "nonce"),
        "{creds}"
    );
    assert_eq!(
        digest_param(&creds, "response").as_deref(),
        Some("***"),
        "--sip-trace masks the digest response: {creds}"
    );
    assert_eq!(
        header(&invites[0].1, "Call-ID"),
        header(&invites[1].1, "Call-ID"),
        "the retry is the same call{story}"
    );
    assert_eq!(
        distinct(a.sent_messages("ACK ")).len(),
        2,
        "one ACK for the 407 and one for the 200{story}"
    );
    // kamailio checked and consumed the credentials: bob sees one INVITE, without them.
    let at_bob = distinct(b.received_messages("INVITE "));
    assert_eq!(at_bob.len(), 1, "{story}");
    assert!(
        header(&at_bob[0].1, "Proxy-Authorization").is_none(),
        "kamailio consumes the credentials it checked{story}"
    );
    assert_eq!(kamailio.requests_logged("INVITE"), 2, "{story}");

    let (heard_by_alice, rate_a) = read_wav(&alice_wav)
        .unwrap_or_else(|e| panic!("alice's recording {}: {e:?}", alice_wav.display()));
    let (heard_by_bob, rate_b) = read_wav(&bob_wav)
        .unwrap_or_else(|e| panic!("bob's recording {}: {e:?}", bob_wav.display()));
    assert_tone(
        "via kamailio with auth: alice's recording (bob sends 1000 Hz)",
        &heard_by_alice,
        rate_a,
        1000.0,
        0.7,
    );
    assert_tone(
        "via kamailio with auth: bob's recording (alice sends 440 Hz)",
        &heard_by_bob,
        rate_b,
        440.0,
        0.7,
    );

    for out in [&a, &b] {
        assert_eq!(out.named("unregistered").len(), 1, "{story}");
        assert_no_password(out, &[ALICE_PW, BOB_PW]);
    }
    for user in ["alice", "bob"] {
        assert!(
            kamailio.wait_unregistered(user, secs(5)),
            "{user} is still registered after quitting{story}"
        );
    }
}

/// CANCEL of an INVITE that kamailio challenged: the CANCEL must match the INVITE that
/// carried the credentials (same branch and CSeq number, RFC 3261 §9.1), needs no
/// credentials itself (§22.1), and kamailio relays it to bob: `canceled` on both sides,
/// bob answers the INVITE with 487.
#[test]
fn cancel_of_a_challenged_invite_reaches_the_callee() {
    if !peer_available("kamailio", "kamailio") {
        return;
    }
    let dir = TempDir::new("kamailio-auth-cancel");
    let kamailio = Kamailio::start_with_auth(dir.path(), &users());
    let (pa, pb) = (reserve_port(), reserve_port());
    let mut bob = Sipline::spawn(
        "bob",
        flags_account(&kamailio, "bob", pb.port(), BOB_PW),
        dir.path(),
    );
    bob.send(
        "wait registered 10s\n\
         wait incoming 30s\n\
         progress 180\n\
         wait canceled 15s\n\
         quit\n",
    );
    let mut alice = Sipline::spawn(
        "alice",
        flags_account(&kamailio, "alice", pa.port(), ALICE_PW),
        dir.path(),
    );
    alice.send("wait registered 10s\n");
    alice.expect_event("registered", secs(15));
    bob.expect_event("registered", secs(15));
    alice.send(&format!(
        "invite {}\n\
         wait progress 10s\n\
         cancel\n\
         wait canceled 10s\n\
         quit\n",
        kamailio.uri("bob")
    ));
    let a = alice.finish(secs(30));
    let b = bob.finish(secs(20));
    let story = format!("{}\n{}{}", a.report(), b.report(), kam_logs(&kamailio));
    a.assert_success();
    b.assert_success();
    assert_eq!(a.first("canceled")["by"], "local", "{story}");
    assert_eq!(b.first("canceled")["by"], "remote", "{story}");
    assert!(a.named("accepted").is_empty(), "{story}");

    let invites = distinct(a.sent_messages("INVITE "));
    assert_eq!(invites.len(), 2, "INVITE, INVITE with credentials{story}");
    let cancels = distinct(a.sent_messages("CANCEL "));
    assert_eq!(cancels.len(), 1, "{story}");
    let cseq_number = |m: &str| {
        header(m, "CSeq")
            .and_then(|c| c.split_whitespace().next().map(str::to_owned))
            .unwrap_or_default()
    };
    let top_via = |m: &str| header(m, "Via").unwrap_or_default();
    assert_eq!(
        cseq_number(&cancels[0].1),
        cseq_number(&invites[1].1),
        "the CANCEL's CSeq number is the authenticated INVITE's (§9.1){story}"
    );
    assert_eq!(
        top_via(&cancels[0].1),
        top_via(&invites[1].1),
        "the CANCEL's Via is the authenticated INVITE's (§9.1){story}"
    );
    assert!(
        header(&cancels[0].1, "Proxy-Authorization").is_none(),
        "a CANCEL cannot be challenged and carries no credentials (§22.1){story}"
    );
    assert!(
        a.received_messages("SIP/2.0 200")
            .iter()
            .any(|(_, m)| m.contains(" CANCEL\n")),
        "kamailio answers the CANCEL with 200{story}"
    );
    assert_eq!(
        distinct(b.received_messages("CANCEL ")).len(),
        1,
        "kamailio relays the CANCEL to bob{story}"
    );
    assert!(
        !b.sent_messages("SIP/2.0 487").is_empty(),
        "bob ends the INVITE with 487 (§9.2){story}"
    );
    assert!(
        !a.received_messages("SIP/2.0 487").is_empty(),
        "the 487 reaches alice{story}"
    );
    for out in [&a, &b] {
        assert_no_password(out, &[ALICE_PW, BOB_PW]);
    }
}

/// kamailio set to challenge in-dialog requests too (RFC 3261 §22.3): bob, the callee, who
/// has only answered a 401 (for his REGISTER) so far, hangs up; his BYE goes to the proxy
/// by the route set, gets a 407 and is sent again (next CSeq, same route) with
/// Proxy-Authorization; alice receives one BYE and the call ends on both sides.
#[test]
fn bye_challenged_by_the_proxy_is_sent_again_with_credentials() {
    if !peer_available("kamailio", "kamailio") {
        return;
    }
    let dir = TempDir::new("kamailio-auth-bye");
    let options = AuthOptions {
        challenge_in_dialog: true,
        ..AuthOptions::default()
    };
    let kamailio = Kamailio::start_with_auth_options(dir.path(), &users(), &options);
    let (pa, pb) = (reserve_port(), reserve_port());
    let mut bob = Sipline::spawn(
        "bob",
        flags_account(&kamailio, "bob", pb.port(), BOB_PW),
        dir.path(),
    );
    bob.send(
        "wait registered 10s\n\
         wait incoming 30s\n\
         accept\n\
         wait media 5s\n\
         sleep 1s\n\
         hangup\n\
         wait terminated 10s\n\
         quit\n",
    );
    let mut alice = Sipline::spawn(
        "alice",
        flags_account(&kamailio, "alice", pa.port(), ALICE_PW),
        dir.path(),
    );
    alice.send("wait registered 10s\n");
    alice.expect_event("registered", secs(15));
    bob.expect_event("registered", secs(15));
    alice.send(&format!(
        "invite {}\n\
         wait accepted 10s\n\
         wait terminated 20s\n\
         quit\n",
        kamailio.uri("bob")
    ));
    let a = alice.finish(secs(40));
    let b = bob.finish(secs(20));
    let story = format!("{}\n{}{}", a.report(), b.report(), kam_logs(&kamailio));
    a.assert_success();
    b.assert_success();
    assert_eq!(a.first("terminated")["by"], "remote", "{story}");
    assert_eq!(b.first("terminated")["by"], "local", "{story}");

    let byes = distinct(b.sent_messages("BYE "));
    assert_eq!(byes.len(), 2, "BYE, BYE with credentials{story}");
    assert!(
        header(&byes[0].1, "Proxy-Authorization").is_none(),
        "bob has no proxy credentials before the 407{story}"
    );
    let creds = header(&byes[1].1, "Proxy-Authorization")
        .unwrap_or_else(|| panic!("the second BYE has no Proxy-Authorization{story}"));
    assert_eq!(
        digest_param(&creds, "username").as_deref(),
        Some("bob"),
        "{creds}"
    );
    let cseq = |m: &str| {
        header(m, "CSeq")
            .and_then(|c| c.split_whitespace().next()?.parse::<u32>().ok())
            .unwrap_or_default()
    };
    assert!(
        cseq(&byes[1].1) > cseq(&byes[0].1),
        "the retry is a new request with a higher CSeq (RFC 3261 §22.2){story}"
    );
    for (dir_line, msg) in &byes {
        assert!(
            dir_line.contains(&kamailio.addr().to_string()),
            "each BYE goes to the proxy (route set): {dir_line}{story}"
        );
        assert_eq!(
            header(msg, "Route"),
            header(&byes[0].1, "Route"),
            "the retry keeps the route set{story}"
        );
    }
    assert!(
        b.received_messages("SIP/2.0 407")
            .iter()
            .any(|(_, m)| m.contains(" BYE\n")),
        "kamailio challenged the BYE{story}"
    );
    let at_alice = distinct(a.received_messages("BYE "));
    assert_eq!(at_alice.len(), 1, "{story}");
    assert!(
        header(&at_alice[0].1, "Proxy-Authorization").is_none(),
        "kamailio consumes the credentials it checked{story}"
    );
    for out in [&a, &b] {
        assert_no_password(out, &[ALICE_PW, BOB_PW]);
    }
}
