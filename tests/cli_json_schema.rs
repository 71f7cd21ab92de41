//! `--json` output checked against the schema documented in `docs/events.md`: two sipline
//! processes call each other on 127.0.0.1 (answered, a DTMF digit by SIP INFO, `stats`,
//! `expect-audio`, hung up; rejected; canceled while ringing), and a third registers two
//! accounts at a fake
//! registrar (`tests/cli_registrar`: one account accepted, then unregistered; one refused) and
//! makes a command mistake. Every line each prints on stdout must be a JSON object with
//! exactly the documented fields, of the documented types, for its event; together they
//! must show every event kind that can be produced quickly (all but `failed`, which takes
//! a 32 s timeout and is checked by the unit tests in `src/cli/schema.rs`).

mod cli_registrar;
mod common;

use std::collections::BTreeSet;

use cli_registrar::FakeRegistrar;

use common::*;

#[test]
fn two_phones_print_only_documented_events() {
    let schema = documented_schema();
    let dir = TempDir::new("json-schema");
    let (pa, pb) = (reserve_port(), reserve_port());
    let alice = SiplineOpts::new("alice", pa.port());
    let bob = SiplineOpts::new("bob", pb.port()).audio_in("tone:1000");

    let mut callee = Sipline::spawn("bob", bob.clone(), dir.path());
    callee.send(
        "wait incoming 1 20s\n\
         progress 1\n\
         accept 1\n\
         wait dtmf 1 5 10s\n\
         wait terminated 1 20s\n\
         wait incoming 2 20s\n\
         reject 2 486\n\
         wait incoming 3 20s\n\
         progress 3 183 Session Progress\n\
         wait canceled 3 20s\n\
         wait incoming 4 20s\n\
         redirect 4 sip:carol@127.0.0.1:9\n\
         quit\n",
    );
    callee.expect_listening();
    let uri = bob.uri();
    let script = format!(
        "invite {uri}\n\
         wait progress 1 10s\n\
         wait accepted 1 10s\n\
         wait media 1 5s\n\
         dtmf 1 5 --mode info --gap 0\n\
         wait dtmf-sent 1 10s\n\
         request 1 OPTIONS\n\
         wait response 1 10s\n\
         # a second of bob's tone, then the counters
         sleep 1200ms\n\
         stats 1\n\
         expect-audio 1 tone:1000 --for 500ms\n\
         hold 1\n\
         wait held 1 10s\n\
         unhold 1\n\
         wait resumed 1 10s\n\
         sleep 300ms\n\
         hangup 1\n\
         wait terminated 1 10s\n\
         invite {uri}\n\
         wait rejected 2 10s\n\
         invite {uri}\n\
         wait progress 3 10s\n\
         cancel 3\n\
         wait canceled 3 10s\n\
         invite {uri} --no-follow\n\
         wait redirected 4 10s\n\
         quit\n"
    );
    let a = run_sipline("alice", alice, &script, dir.path(), secs(60));
    let b = callee.finish(secs(20));
    a.assert_success();
    b.assert_success();

    // Registrations: carol's (ad-hoc) is accepted and then removed, dave's (from a config
    // file) refused. Then a mistake: there is no call to accept. The script fails (exit 1)
    // after the event.
    let registrar = FakeRegistrar::deciding(|user| match user {
        "carol" => (200, "OK"),
        _ => (403, "Forbidden"),
    });
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!("[[account]]\naor = \"sip:dave@{}\"\n", registrar.addr),
    )
    .expect("write config.toml");
    let pc = reserve_port();
    let mut carol = SiplineOpts::new("carol", pc.port());
    carol.extra = vec![
        "--domain".into(),
        registrar.addr.to_string(),
        "--register".into(),
        "--config".into(),
        config.display().to_string(),
    ];
    let lone = run_sipline(
        "carol",
        carol,
        "wait registered carol 10s\n\
         register dave\n\
         wait registration-failed dave 10s\n\
         unregister\n\
         wait unregistered carol 10s\n\
         accept\n",
        dir.path(),
        secs(30),
    );
    drop(registrar);
    assert_eq!(lone.code(), Some(1), "{}", lone.report());
    assert_eq!(
        lone.first("registered")["account"],
        "carol",
        "{}",
        lone.report()
    );
    assert_eq!(
        lone.first("registration-failed")["code"],
        403,
        "{}",
        lone.report()
    );

    // Every event of a call names both parties (docs/events.md, `every call event`):
    // alice called bob, so on her side she is local and bob remote, and the other way
    // round on bob's.
    for (out, me, peer) in [(&a, "alice", "bob"), (&b, "bob", "alice")] {
        for ev in &out.events {
            if ev["call"].as_u64().unwrap_or(0) == 0 {
                continue;
            }
            let (local, remote) = (
                ev["local_identity"].as_str().unwrap_or_default(),
                ev["remote_identity"].as_str().unwrap_or_default(),
            );
            assert!(
                local.contains(&format!("sip:{me}@")) && remote.contains(&format!("sip:{peer}@")),
                "{}: {ev}\n{}",
                out.name,
                out.report()
            );
        }
    }

    let mut seen = check_documented(&schema, &a);
    seen.extend(check_documented(&schema, &b));
    seen.extend(check_documented(&schema, &lone));
    let want: BTreeSet<String> = schema
        .events
        .keys()
        // `failed` needs a 32 s timeout; transfers need a third phone and are checked
        // against this schema in tests/transfer_process.rs.
        .filter(|name| *name != "failed" && !name.starts_with("refer"))
        .cloned()
        .collect();
    assert_eq!(
        seen,
        want,
        "event kinds seen vs documented (all but failed)\n{}\n{}\n{}",
        a.report(),
        b.report(),
        lone.report()
    );

    // A few values the page promises beyond their types.
    let stats = a.first("stats");
    assert_eq!(stats["call"], 1, "{}", a.report());
    assert!(
        stats["received_packets"].as_u64().is_some_and(|n| n >= 40)
            && stats["sent_packets"].as_u64().is_some_and(|n| n >= 40),
        "about a second of 20 ms packets each way: {stats}"
    );
    assert!(
        stats["level_dbfs"].as_i64().is_some_and(|l| l > -20),
        "bob's tone is loud (a full-scale sine is -3 dBFS): {stats}"
    );
    assert_eq!(stats["lost"], 0, "loopback loses nothing: {stats}");
    let checked = a.first("audio-checked");
    assert_eq!(
        (&checked["check"], &checked["passed"]),
        (&"tone:1000".into(), &true.into()),
        "alice hears bob's tone: {checked}"
    );
    assert_eq!(a.first("calling")["to"], uri.as_str(), "{}", a.report());
    let incoming = b.first("incoming");
    assert!(
        incoming["from"]
            .as_str()
            .is_some_and(|f| f.contains("sip:alice@127.0.0.1") && !f.contains("tag=")),
        "{}",
        b.report()
    );
    assert_eq!(a.first("rejected")["code"], 486, "{}", a.report());
    assert_eq!(a.first("dtmf-sent")["method"], "info", "{}", a.report());
    let dtmf = b.first("dtmf");
    assert_eq!(
        (&dtmf["digit"], &dtmf["method"]),
        (&"5".into(), &"info".into()),
        "{}",
        b.report()
    );
    assert_eq!(a.first("canceled")["by"], "local", "{}", a.report());
    assert_eq!(b.first("canceled")["by"], "remote", "{}", b.report());
    for out in [&a, &b] {
        let ts: Vec<f64> = out.events.iter().filter_map(|e| e["ts"].as_f64()).collect();
        assert!(
            ts.windows(2).all(|w| w[0] <= w[1]) && ts.iter().all(|&t| t > 1.7e9),
            "{}: timestamps must be Unix seconds in order: {ts:?}",
            out.name
        );
    }
}
