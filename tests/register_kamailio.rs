//! Two sipline accounts registered at kamailio (Debian's stock config: an in-memory
//! registrar and record-routing proxy, without auth — its digest auth needs a database
//! server) call each other through it, with audio both ways (issue 4's proof). The same
//! with digest auth (our own kamailio config) is in `register_kamailio_auth.rs`.
//!
//! - alice starts with `--domain 127.0.0.1:KPORT --register --expires 300`, bob with
//!   `--config FILE` (an `[[account]]` table: aor, register, expires = 120): each reports
//!   `registered` with the expiry it asked for, and kamailio's location table (`kamcmd ul.dump`) holds each AoR with the
//!   Contact of that sipline's listening port.
//! - alice calls `sip:bob@127.0.0.1:KPORT`, and in a second test `invite bob` (a bare user
//!   that the account's domain completes; sent to the registrar); kamailio looks bob up and
//!   forwards; bob gets `incoming` from alice and accepts; alice
//!   sends 440 Hz, bob 1000 Hz, and each recording holds the other's tone.
//! - At quit each sends REGISTER Expires: 0: `unregistered` events, and the location table
//!   is empty again.

mod common;

use common::*;

/// alice's account from flags: `--domain 127.0.0.1:KPORT --register --expires 300`.
fn account_flags(kamailio: &Kamailio) -> Vec<String> {
    vec![
        "--domain".to_owned(),
        kamailio.addr().to_string(),
        "--register".to_owned(),
        "--expires".to_owned(),
        ALICE_EXPIRES.to_string(),
    ]
}

/// bob's account from a config file: `--config FILE` with one `[[account]]` table.
fn account_config(kamailio: &Kamailio, dir: &TempDir, transport: &str) -> Vec<String> {
    let path = dir.join("bob.toml");
    std::fs::write(
        &path,
        format!(
            "[[account]]\n\
             aor = \"{}\"\n\
             register = true\n\
             transport = \"{transport}\"\n\
             expires = {BOB_EXPIRES}\n",
            kamailio.uri("bob")
        ),
    )
    .expect("write bob.toml");
    vec!["--config".to_owned(), path.display().to_string()]
}

/// The expiries asked for; kamailio's stock config grants 60-3600 s as asked.
const ALICE_EXPIRES: u64 = 300;
const BOB_EXPIRES: u64 = 120;

/// `register` and `unregister` as commands (no `--register`): the location table follows,
/// `wait unregistered` passes, and quitting after the unregister sends nothing more.
#[test]
fn register_and_unregister_commands() {
    if !peer_available("kamailio", "kamailio") {
        return;
    }
    let dir = TempDir::new("register-kamailio-commands");
    let kamailio = Kamailio::start(dir.path());
    let me = reserve_port();
    let mut opts = SiplineOpts::new("carol", me.port());
    opts.extra = vec!["--domain".to_owned(), kamailio.addr().to_string()];
    let mut carol = Sipline::spawn("carol", opts, dir.path());
    carol.expect_listening();
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(
        !kamailio.registrations().contains("AoR: carol\n"),
        "without --register nothing registers at start:\n{}",
        kamailio.registrations()
    );
    carol.send("register\nwait registered 10s\n");
    carol.expect_event("registered", secs(15));
    assert!(
        kamailio.wait_registered("carol", secs(5)),
        "`register` should put carol in the location table:\n{}",
        kamailio.registrations()
    );
    carol.send("unregister\nwait unregistered 10s\n");
    carol.expect_event("unregistered", secs(15));
    assert!(
        kamailio.wait_unregistered("carol", secs(5)),
        "`unregister` should remove carol:\n{}",
        kamailio.registrations()
    );
    carol.send("quit\n");
    let out = carol.finish(secs(20));
    out.assert_success();
    assert_eq!(out.named("registered").len(), 1, "{}", out.report());
    assert_eq!(out.named("unregistered").len(), 1, "{}", out.report());
    let registers = out.sent_messages("REGISTER ");
    assert_eq!(
        registers.len(),
        2,
        "one REGISTER for `register`, one (Expires: 0) for `unregister`, none at quit\n{}",
        out.report()
    );
    assert!(
        registers[1].1.lines().any(|l| l.trim() == "Expires: 0"),
        "the unregister carries Expires: 0:\n{}",
        registers[1].1
    );
}

/// alice calls bob's AoR at kamailio, written out: `invite sip:bob@127.0.0.1:KPORT`.
#[test]
fn two_sipline_accounts_call_through_kamailio() {
    call_through_kamailio(false);
}

/// The same with both accounts on TCP (`--transport tcp`; `transport = "tcp"` in bob's
/// file): REGISTER over TCP, and kamailio reaches bob's `;transport=tcp` Contact over TCP.
/// (alice's own INVITE to `sip:bob@KAMAILIO` goes by UDP today: the account's transport is
/// applied to registrar and outbound-proxy hops only. Not asserted here.)
#[test]
fn two_sipline_accounts_call_through_kamailio_over_tcp() {
    call_through_kamailio_with(false, "tcp");
}

/// The same with a bare user: `invite bob` must become `sip:bob@<account domain>` and go to
/// the registrar.
#[test]
fn invite_bare_user_resolves_to_the_account_domain() {
    call_through_kamailio(true);
}

fn call_through_kamailio(bare_user: bool) {
    call_through_kamailio_with(bare_user, "udp");
}

/// kamailio record-routes the INVITE; the dialog must keep that route (RFC 3261 §12.1.1:
/// the UAS copies Record-Route into its 2xx; §12.2.1.1: the UAC sends ACK and BYE to the
/// first route, the proxy). Checked on the traces of the UDP call.
#[test]
fn dialog_through_kamailio_follows_its_record_route() {
    let Some((a, b, proxy)) = call_through_kamailio_with(false, "udp") else {
        return;
    };
    let story = format!("{}\n{}", a.report(), b.report());
    let invite = b
        .received_messages("INVITE ")
        .into_iter()
        .next()
        .map(|(_, m)| m)
        .unwrap_or_else(|| panic!("no INVITE in bob's trace\n{story}"));
    let rr_in: Vec<&str> = invite
        .lines()
        .filter(|l| l.to_ascii_lowercase().starts_with("record-route:"))
        .collect();
    assert!(
        !rr_in.is_empty(),
        "kamailio's stock config record-routes INVITEs:\n{invite}"
    );
    let ok = b
        .sent_messages("SIP/2.0 200")
        .into_iter()
        .map(|(_, m)| m)
        .find(|m| m.contains(" INVITE\n"))
        .unwrap_or_else(|| panic!("bob sent no 200 for the INVITE\n{story}"));
    let rr_out: Vec<&str> = ok
        .lines()
        .filter(|l| l.to_ascii_lowercase().starts_with("record-route:"))
        .collect();
    assert_eq!(
        rr_out, rr_in,
        "bob (UAS) must copy the INVITE's Record-Route into its 200 (RFC 3261 §12.1.1); \
         it sent:\n{ok}"
    );
    for method in ["ACK ", "BYE "] {
        let (dir, msg) = a
            .sent_messages(method)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("alice sent no {method}\n{story}"));
        assert!(
            dir.contains(&proxy.to_string()),
            "alice's {method}must go to the proxy {proxy} (the route set), but: {dir}\n{msg}"
        );
    }
}

/// Runs the whole call; `None` when kamailio is missing (skipped). Returns alice's and
/// bob's outcomes and kamailio's address for more checks.
fn call_through_kamailio_with(
    bare_user: bool,
    transport: &str,
) -> Option<(Outcome, Outcome, std::net::SocketAddr)> {
    if !peer_available("kamailio", "kamailio") {
        return None;
    }
    let dir = TempDir::new(&format!(
        "register-kamailio-{transport}{}",
        if bare_user { "-bare" } else { "" }
    ));
    let kamailio = Kamailio::start(dir.path());
    let (pa, pb) = (reserve_port(), reserve_port());
    let alice_wav = dir.join("alice-heard.wav");
    let bob_wav = dir.join("bob-heard.wav");
    let mut alice_opts = SiplineOpts::new("alice", pa.port())
        .audio_in("tone:440")
        .record_to(&alice_wav);
    alice_opts.extra = account_flags(&kamailio);
    alice_opts
        .extra
        .extend(["--transport".to_owned(), transport.to_owned()]);
    let mut bob_opts = SiplineOpts::new("bob", pb.port())
        .audio_in("tone:1000")
        .record_to(&bob_wav);
    bob_opts.extra = account_config(&kamailio, &dir, transport);
    let kam_logs = |k: &Kamailio| {
        format!(
            "\n--- kamailio location table ---\n{}\n--- kamailio ---\n{}",
            k.registrations(),
            k.peer.logs()
        )
    };

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
    for (who, s, expires) in [
        ("alice", &mut alice, ALICE_EXPIRES),
        ("bob", &mut bob, BOB_EXPIRES),
    ] {
        let reg = s.expect_event("registered", secs(15));
        assert_eq!(reg["account"], who, "{who}: {reg}");
        assert_eq!(
            reg["expires"].as_u64(),
            Some(expires),
            "{who}: kamailio grants the expiry asked for: {reg}"
        );
    }
    for (user, port) in [("alice", pa.port()), ("bob", pb.port())] {
        assert!(
            kamailio.wait_registered(user, secs(5)),
            "kamailio's location table lacks {user}{}",
            kam_logs(&kamailio)
        );
        let table = kamailio.registrations();
        assert!(
            table.contains(&format!("sip:{user}@127.0.0.1:{port}")),
            "kamailio's location table should hold {user}'s Contact sip:{user}@127.0.0.1:{port}{}",
            kam_logs(&kamailio)
        );
    }

    // A bare user: the account's domain completes it and the registrar routes it.
    let target = if bare_user {
        "bob".to_owned()
    } else {
        kamailio.uri("bob")
    };
    alice.send(&format!(
        "invite {target}\n\
         wait accepted 10s\n\
         wait media 5s\n\
         sleep 5s\n\
         hangup\n\
         wait terminated 10s\n\
         quit\n"
    ));
    let a = alice.finish(secs(45));
    let b = bob.finish(secs(20));
    let story = format!("{}\n{}{}", a.report(), b.report(), kam_logs(&kamailio));
    a.assert_success();
    b.assert_success();
    assert_eq!(
        a.first("calling")["to"],
        kamailio.uri("bob"),
        "`invite bob` should call sip:bob@<the account's domain>\n{story}"
    );
    let incoming = b.first("incoming");
    assert!(
        incoming["from"]
            .as_str()
            .is_some_and(|f| f.contains("sip:alice@127.0.0.1")),
        "bob's incoming call should come from alice's AoR: {incoming}\n{story}"
    );
    assert_eq!(a.first("accepted")["code"], 200, "{story}");
    assert_eq!(b.first("terminated")["by"], "remote", "{story}");

    // Unregister at quit: an `unregistered` event each, and the table is empty.
    for out in [&a, &b] {
        let unreg = out.named("unregistered");
        assert_eq!(
            unreg.len(),
            1,
            "{}: one `unregistered` at quit expected\n{story}",
            out.name
        );
        assert_eq!(unreg[0]["account"], out.name.as_str(), "{story}");
    }
    for user in ["alice", "bob"] {
        assert!(
            kamailio.wait_unregistered(user, secs(5)),
            "{user} is still in kamailio's location table after quitting{}",
            kam_logs(&kamailio)
        );
    }

    let (heard_by_alice, rate_a) = read_wav(&alice_wav)
        .unwrap_or_else(|e| panic!("alice's recording {}: {e:?}", alice_wav.display()));
    let (heard_by_bob, rate_b) = read_wav(&bob_wav)
        .unwrap_or_else(|e| panic!("bob's recording {}: {e:?}", bob_wav.display()));
    assert_tone(
        "via kamailio: alice's recording (bob sends 1000 Hz)",
        &heard_by_alice,
        rate_a,
        1000.0,
        0.7,
    );
    assert_tone(
        "via kamailio: bob's recording (alice sends 440 Hz)",
        &heard_by_bob,
        rate_b,
        440.0,
        0.7,
    );
    Some((a, b, kamailio.addr()))
}

/// Accounts at a domain that is not an address (`sip:alice@sipline.test`), reached through
/// `--outbound-proxy sip:127.0.0.1:KPORT` (kamailio takes `sipline.test` as its own): the
/// REGISTER goes to the proxy with Request-URI `sip:sipline.test`, both register, and
/// alice's INVITE to `sip:bob@sipline.test` goes through the proxy to bob, with audio.
#[test]
fn accounts_behind_an_outbound_proxy() {
    if !peer_available("kamailio", "kamailio") {
        return;
    }
    let dir = TempDir::new("register-kamailio-outbound");
    let kamailio = Kamailio::start_with_aliases(dir.path(), &["sipline.test"]);
    let proxy = format!("sip:{}", kamailio.addr());
    let flags = || {
        vec![
            "--domain".to_owned(),
            "sipline.test".to_owned(),
            "--outbound-proxy".to_owned(),
            proxy.clone(),
            "--register".to_owned(),
        ]
    };
    let (pa, pb) = (reserve_port(), reserve_port());
    let bob_wav = dir.join("bob-heard.wav");
    let mut alice_opts = SiplineOpts::new("alice", pa.port()).audio_in("tone:440");
    alice_opts.extra = flags();
    let mut bob_opts = SiplineOpts::new("bob", pb.port())
        .audio_in("tone:1000")
        .record_to(&bob_wav);
    bob_opts.extra = flags();
    let kam_logs = |k: &Kamailio| {
        format!(
            "\n--- kamailio location table ---\n{}\n--- kamailio ---\n{}",
            k.registrations(),
            k.peer.logs()
        )
    };

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
    alice.send(
        "invite sip:bob@sipline.test\n\
         wait accepted 10s\n\
         wait media 5s\n\
         sleep 4s\n\
         hangup\n\
         wait terminated 10s\n\
         quit\n",
    );
    let a = alice.finish(secs(45));
    let b = bob.finish(secs(20));
    let story = format!("{}\n{}{}", a.report(), b.report(), kam_logs(&kamailio));
    a.assert_success();
    b.assert_success();

    let (dir_line, register) = a
        .sent_messages("REGISTER ")
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("alice sent no REGISTER\n{story}"));
    assert!(
        register.starts_with("REGISTER sip:sipline.test"),
        "the REGISTER's Request-URI is the registrar (the AoR's domain):\n{register}"
    );
    assert!(
        dir_line.contains(&kamailio.addr().to_string()),
        "the REGISTER goes to the outbound proxy {}: {dir_line}",
        kamailio.addr()
    );
    let (dir_line, invite) = a
        .sent_messages("INVITE ")
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("alice sent no INVITE\n{story}"));
    assert!(
        dir_line.contains(&kamailio.addr().to_string()),
        "the INVITE goes to the outbound proxy {}: {dir_line}\n{invite}",
        kamailio.addr()
    );
    assert!(
        invite
            .lines()
            .any(|l| l.to_ascii_lowercase().starts_with("route:") && l.contains(";lr")),
        "the INVITE carries the outbound proxy as a pre-loaded loose Route (RFC 3261 §8.1.2):\n{invite}"
    );
    assert_eq!(a.first("accepted")["code"], 200, "{story}");
    assert_eq!(b.first("terminated")["by"], "remote", "{story}");
    let (heard_by_bob, rate_b) = read_wav(&bob_wav)
        .unwrap_or_else(|e| panic!("bob's recording {}: {e:?}", bob_wav.display()));
    assert_tone(
        "outbound proxy: bob's recording (alice sends 440 Hz)",
        &heard_by_bob,
        rate_b,
        440.0,
        0.7,
    );
}
