//! Call transfer between three sipline processes on 127.0.0.1 (RFC 3515, RFC 4488
//! sipfrag NOTIFYs): alice calls bob and transfers him to carol (`refer`); bob accepts
//! (`refer-accept`) and calls carol; carol answers; alice hears the outcome by NOTIFY
//! and leaves. Carol's recording must then hold bob's tone. A second run has bob refuse
//! the transfer: alice gets `refer-failed` and her call to bob goes on. A third has carol
//! refuse bob's call (486): alice gets `refer-rejected` and her call to bob goes on.
//!
//! Every JSON line the three print is checked against `docs/events.md`, and together they
//! must show each transfer event kind.

mod common;

use std::collections::BTreeSet;

use common::*;

#[test]
fn blind_transfer_connects_bob_to_carol() {
    let schema = documented_schema();
    let dir = TempDir::new("transfer-blind");
    let (pa, pb, pc) = (reserve_port(), reserve_port(), reserve_port());
    let carol_wav = dir.join("carol-heard.wav");
    let alice = SiplineOpts::new("alice", pa.port()).audio_in("tone:2000");
    let bob = SiplineOpts::new("bob", pb.port()).audio_in("tone:440");
    let carol = SiplineOpts::new("carol", pc.port())
        .audio_in("tone:1000")
        .record_to(&carol_wav);

    let mut c = Sipline::spawn("carol", carol.clone(), dir.path());
    c.send(
        "wait incoming 1 30s\n\
         accept 1\n\
         wait media 1 5s\n\
         sleep 3s\n\
         hangup 1\n\
         wait terminated 1 10s\n\
         quit\n",
    );
    c.expect_listening();
    let mut b = Sipline::spawn("bob", bob.clone(), dir.path());
    b.send(
        "wait incoming 1 20s\n\
         accept 1\n\
         wait referred 1 20s\n\
         refer-accept 1\n\
         wait refer-invite-sent 1 10s\n\
         wait accepted 2 10s\n\
         wait terminated 1 10s\n\
         wait terminated 2 20s\n\
         quit\n",
    );
    b.expect_listening();
    let script = format!(
        "invite {}\n\
         wait accepted 1 10s\n\
         wait media 1 5s\n\
         sleep 300ms\n\
         refer 1 {}\n\
         wait refer-progress 1 10s\n\
         wait refer-accepted 1 20s\n\
         wait terminated 1 10s\n\
         quit\n",
        bob.uri(),
        carol.uri()
    );
    let a = run_sipline("alice", alice, &script, dir.path(), secs(60));
    let b = b.finish(secs(30));
    let c = c.finish(secs(30));
    a.assert_success();
    b.assert_success();
    c.assert_success();

    let referred = b.first("referred");
    assert_eq!(referred["refer_to"], carol.uri().as_str(), "{}", b.report());
    assert_eq!(referred["replaces"], false, "{}", b.report());
    assert!(
        referred["referred_by"]
            .as_str()
            .is_some_and(|r| r.contains("sip:alice@127.0.0.1")),
        "{}",
        b.report()
    );
    assert_eq!(
        b.first("refer-invite-sent")["new_call"],
        2,
        "{}",
        b.report()
    );
    assert_eq!(
        a.first("terminated")["cause"],
        "transferred",
        "{}",
        a.report()
    );
    let codes: Vec<u64> = a
        .named("refer-progress")
        .iter()
        .filter_map(|e| e["code"].as_u64())
        .collect();
    assert!(codes.contains(&202), "REFER accepted: {codes:?}");
    // carol's INVITE came from bob and carries alice as the referrer (RFC 3892).
    let invites = c.received_messages("INVITE ");
    assert!(
        invites
            .iter()
            .any(|(_, m)| m.contains("Referred-By: <sip:alice@127.0.0.1")),
        "{}",
        c.report()
    );

    let (heard, rate) = read_wav(&carol_wav)
        .unwrap_or_else(|e| panic!("carol's recording {}: {e:?}", carol_wav.display()));
    assert_tone(
        "carol's recording (bob sends 440 Hz)",
        &heard,
        rate,
        440.0,
        0.6,
    );

    // A refused transfer: alice is told, and her call to bob goes on.
    let (pa2, pb2) = (reserve_port(), reserve_port());
    let alice2 = SiplineOpts::new("alice", pa2.port());
    let bob2 = SiplineOpts::new("bob", pb2.port());
    let mut b2 = Sipline::spawn("bob-refuses", bob2.clone(), dir.path());
    b2.send(
        "wait incoming 1 20s\n\
         accept 1\n\
         wait referred 1 20s\n\
         refer-reject 1 603\n\
         wait terminated 1 20s\n\
         quit\n",
    );
    b2.expect_listening();
    let script = format!(
        "invite {}\n\
         wait accepted 1 10s\n\
         refer 1 {}\n\
         wait refer-failed 1 10s\n\
         sleep 300ms\n\
         hangup 1\n\
         wait terminated 1 10s\n\
         quit\n",
        bob2.uri(),
        carol.uri()
    );
    let a2 = run_sipline("alice-refused", alice2, &script, dir.path(), secs(40));
    let b2 = b2.finish(secs(20));
    a2.assert_success();
    b2.assert_success();
    assert_eq!(a2.first("refer-failed")["code"], 603, "{}", a2.report());
    assert_eq!(
        a2.first("terminated")["cause"],
        "hangup",
        "the call stayed up until alice hung up\n{}",
        a2.report()
    );

    // The target refuses bob's call: alice is told by NOTIFY, and her call goes on.
    let (pa3, pb3, pc3) = (reserve_port(), reserve_port(), reserve_port());
    let alice3 = SiplineOpts::new("alice", pa3.port());
    let bob3 = SiplineOpts::new("bob", pb3.port());
    let carol3 = SiplineOpts::new("carol", pc3.port());
    let mut c3 = Sipline::spawn("carol-busy", carol3.clone(), dir.path());
    c3.send(
        "wait incoming 1 30s\n\
         reject 1 486\n\
         sleep 500ms\n\
         quit\n",
    );
    c3.expect_listening();
    let mut b3 = Sipline::spawn("bob-follows", bob3.clone(), dir.path());
    b3.send(
        "wait incoming 1 20s\n\
         accept 1\n\
         wait referred 1 20s\n\
         refer-accept 1\n\
         wait rejected 2 10s\n\
         wait terminated 1 20s\n\
         quit\n",
    );
    b3.expect_listening();
    let script = format!(
        "invite {}\n\
         wait accepted 1 10s\n\
         refer 1 {}\n\
         wait refer-rejected 1 15s\n\
         sleep 300ms\n\
         hangup 1\n\
         wait terminated 1 10s\n\
         quit\n",
        bob3.uri(),
        carol3.uri()
    );
    let a3 = run_sipline("alice-target-busy", alice3, &script, dir.path(), secs(40));
    let b3 = b3.finish(secs(20));
    let c3 = c3.finish(secs(20));
    a3.assert_success();
    b3.assert_success();
    c3.assert_success();
    let rejected = a3.first("refer-rejected");
    assert_eq!(rejected["code"], 486, "{}", a3.report());
    assert_eq!(rejected["reason"], "Busy Here", "{}", a3.report());
    assert!(a3.named("refer-failed").is_empty(), "{}", a3.report());
    assert_eq!(a3.first("terminated")["cause"], "hangup", "{}", a3.report());

    let mut seen = BTreeSet::new();
    for out in [&a, &b, &c, &a2, &b2, &a3, &b3, &c3] {
        seen.extend(check_documented(&schema, out));
    }
    let transfer: BTreeSet<String> = schema
        .events
        .keys()
        .filter(|name| name.starts_with("refer"))
        .cloned()
        .collect();
    assert_eq!(
        transfer.difference(&seen).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "transfer events never seen\n{}\n{}",
        a.report(),
        b.report()
    );
}
