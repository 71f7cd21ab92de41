//! Call transfer (RFC 3515 REFER, RFC 4488 / RFC 3420 message/sipfrag NOTIFYs, RFC 3892
//! Referred-By) between sipline and a real baresip 1.0 (Debian 12), on 127.0.0.1 only.
//!
//! - sipline transfers baresip: alice (sipline) calls baresip, then `refer 1 <carol>` where
//!   carol is a second sipline. baresip 1.0 follows a REFER by itself, with no extra
//!   config: it answers 202, NOTIFYs `SIP/2.0 100 Trying`, emits a `TRANSFER` ctrl event,
//!   and menu.so (already loaded for ctrl_tcp) dials the Refer-To URI. So carol gets an
//!   INVITE from baresip and answers; alice sees `refer-progress` 202, then
//!   `refer-accepted` from baresip's sipfrag NOTIFY, and leaves with cause `transferred`.
//!   Carol's recording must hold baresip's 1000 Hz tone.
//! - baresip transfers sipline: baresip dials bob (sipline), then the ctrl_tcp command
//!   `transfer <carol>` (menu.so's in-call `/transfer`, key `t`) sends a REFER. Bob prints
//!   `referred`, accepts it (`refer-accept`), calls carol, and reports by NOTIFY; baresip
//!   must answer each NOTIFY 200 and, on the final `SIP/2.0 200` sipfrag, close its call
//!   to bob (BYE, CALL_CLOSED). Carol's recording must hold bob's 440 Hz tone.
//! - A transfer the target refuses: carol answers baresip's INVITE with 486; baresip's final
//!   sipfrag NOTIFY carries `SIP/2.0 486`, alice prints `refer-failed` 486 and her call to
//!   baresip stays up until she hangs up.
//!
//! What baresip 1.0 does not do, so it is not asserted: it sends no Referred-By in its
//! REFER (its Refer-To is a bare URI, no angle brackets), and it copies no Referred-By into
//! the INVITE it places for a REFER (RFC 3892 is optional for both roles). So RFC 3892 is
//! checked only on our side: alice's REFER carries `Referred-By: <sip:alice@…>`, and bob
//! puts into his INVITE to carol exactly the Referred-By the REFER had (none).

mod common;

use common::*;

/// The direction line's address: `----- received from 127.0.0.1:PORT (N bytes)` → PORT.
fn trace_port(direction: &str) -> Option<u16> {
    let rest = direction.split("127.0.0.1:").nth(1)?;
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// The first line of a SIP message's body (after the blank line).
fn body_first_line(msg: &str) -> &str {
    msg.split_once("\n\n")
        .or_else(|| msg.split_once("\r\n\r\n"))
        .map(|(_, body)| body.lines().next().unwrap_or("").trim())
        .unwrap_or("")
}

/// The value of the first header line `name: value` (case-insensitive name).
fn header<'a>(msg: &'a str, name: &str) -> Option<&'a str> {
    msg.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// baresip's ctrl_tcp events so far, parsed back from [`Baresip::events_text`].
fn baresip_events(baresip: &mut Baresip) -> Vec<serde_json::Value> {
    baresip
        .events_text()
        .lines()
        .filter_map(|l| serde_json::from_str(l.trim()).ok())
        .collect()
}

/// Waits up to `timeout` for baresip's CALL_CLOSED of its call with `peer` (a URI prefix);
/// returns its `param` (baresip's reason).
fn wait_closed_with(
    baresip: &mut Baresip,
    peer: &str,
    timeout: std::time::Duration,
) -> Option<String> {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let hit = baresip_events(baresip).into_iter().find(|e| {
            e["type"] == "CALL_CLOSED" && e["peeruri"].as_str().is_some_and(|p| p.starts_with(peer))
        });
        if let Some(e) = hit {
            return Some(e["param"].as_str().unwrap_or("").to_owned());
        }
        if std::time::Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn sipline_transfers_baresip_to_sipline() {
    if !peer_available("baresip", "baresip") {
        return;
    }
    let dir = TempDir::new("xfer-baresip-transferee");
    let mut baresip = Baresip::start(dir.path(), BaresipOpts::new("pcmu"));
    let (pa, pc) = (reserve_port(), reserve_port());
    let carol_wav = dir.join("carol-heard.wav");
    let alice = SiplineOpts::new("alice", pa.port()).audio_in("tone:440");
    let carol = SiplineOpts::new("carol", pc.port())
        .audio_in("tone:700")
        .record_to(&carol_wav);

    let mut c = Sipline::spawn("carol", carol.clone(), dir.path());
    c.send(
        "wait incoming 1 20s\n\
         accept 1\n\
         wait media 1 5s\n\
         sleep 3s\n\
         hangup 1\n\
         wait terminated 1 10s\n\
         quit\n",
    );
    c.expect_listening();
    let script = format!(
        "# baresip answers at once (answermode=auto)\n\
         invite {}\n\
         wait accepted 1 10s\n\
         wait media 1 5s\n\
         sleep 300ms\n\
         refer 1 {}\n\
         wait refer-progress 1 10s\n\
         wait refer-accepted 1 15s\n\
         wait terminated 1 10s\n\
         quit\n",
        baresip.uri(),
        carol.uri()
    );
    let a = run_sipline("alice", alice, &script, dir.path(), secs(40));
    let c = c.finish(secs(20));
    let closed = wait_closed_with(&mut baresip, "sip:alice@127.0.0.1", secs(3));
    let story = format!(
        "{}\n{}\nbaresip ctrl events:\n{}\n{}",
        a.report(),
        c.report(),
        baresip.events_text(),
        baresip.peer.logs()
    );
    a.assert_success();
    c.assert_success();
    check_documented(&documented_schema(), &a);
    check_documented(&documented_schema(), &c);
    assert!(
        closed.is_some(),
        "baresip should close its call with alice (her BYE after the transfer)\n{story}"
    );

    // alice: REFER accepted (202), then the sipfrag 200 from baresip, then she left.
    let codes: Vec<u64> = a
        .named("refer-progress")
        .iter()
        .filter_map(|e| e["code"].as_u64())
        .collect();
    assert!(codes.contains(&202), "REFER accepted: {codes:?}\n{story}");
    // baresip NOTIFYs `SIP/2.0 100 Trying` as soon as it accepts the REFER.
    assert!(
        codes.contains(&100),
        "sipfrag 100 Trying: {codes:?}\n{story}"
    );
    assert!(a.named("refer-failed").is_empty(), "{story}");
    a.first("refer-accepted");
    let terminated = a.first("terminated");
    assert_eq!(terminated["cause"], "transferred", "{story}");
    assert_eq!(terminated["by"], "local", "{story}");
    // Our REFER carried Refer-To carol and Referred-By alice (RFC 3892).
    let refers = a.sent_messages("REFER ");
    assert_eq!(refers.len(), 1, "{story}");
    let refer = &refers[0].1;
    assert!(
        header(refer, "Refer-To").is_some_and(|v| v.contains(&carol.uri())),
        "{refer}"
    );
    assert!(
        header(refer, "Referred-By").is_some_and(|v| v.contains("sip:alice@127.0.0.1")),
        "{refer}"
    );
    // baresip's NOTIFYs: Event refer, message/sipfrag, and a final 200.
    let notifies = a.received_messages("NOTIFY ");
    assert!(
        notifies.iter().all(|(_, m)| header(m, "Event")
            .is_some_and(|e| e.to_ascii_lowercase().starts_with("refer"))
            && header(m, "Content-Type")
                .is_some_and(|t| t.to_ascii_lowercase().starts_with("message/sipfrag"))),
        "{story}"
    );
    assert!(
        notifies
            .iter()
            .any(|(_, m)| body_first_line(m).starts_with("SIP/2.0 200")),
        "no NOTIFY with a `SIP/2.0 200` sipfrag\n{story}"
    );
    let answered = a
        .sent_messages("SIP/2.0 200")
        .iter()
        .filter(|(_, m)| header(m, "CSeq").is_some_and(|v| v.ends_with("NOTIFY")))
        .count();
    assert_eq!(
        answered,
        notifies.len(),
        "each NOTIFY answered 200\n{story}"
    );

    // carol's INVITE came from baresip (its SIP port), not from alice.
    let invites = c.received_messages("INVITE ");
    assert_eq!(invites.len(), 1, "{story}");
    assert_eq!(
        trace_port(&invites[0].0),
        Some(baresip.sip.port()),
        "carol's INVITE should come from baresip\n{story}"
    );
    assert!(
        header(&invites[0].1, "From").is_some_and(|f| f.contains("sip:baresip@127.0.0.1")),
        "{story}"
    );
    assert_eq!(c.first("accepted")["code"], 200, "{story}");

    // baresip reported the REFER (its `TRANSFER` event names the Refer-To) and established
    // a second call, to carol.
    let events = baresip_events(&mut baresip);
    assert!(
        events.iter().any(|e| e["type"] == "TRANSFER"
            && e["param"]
                .as_str()
                .is_some_and(|p| p.contains(&carol.uri()))),
        "baresip should report TRANSFER to carol\n{story}"
    );
    assert!(
        events.iter().any(|e| e["type"] == "CALL_ESTABLISHED"
            && e["direction"] == "outgoing"
            && e["peeruri"]
                .as_str()
                .is_some_and(|p| p.contains(&carol.uri()))),
        "baresip should establish an outgoing call to carol\n{story}"
    );
    baresip.stop();

    let (heard, rate) = read_wav(&carol_wav)
        .unwrap_or_else(|e| panic!("carol's recording {}: {e:?}", carol_wav.display()));
    assert_tone(
        "carol's recording (baresip sends 1000 Hz)",
        &heard,
        rate,
        1000.0,
        0.6,
    );
}

#[test]
fn baresip_transfers_sipline_to_sipline() {
    if !peer_available("baresip", "baresip") {
        return;
    }
    let dir = TempDir::new("xfer-baresip-transferor");
    let mut baresip = Baresip::start(dir.path(), BaresipOpts::new("pcmu"));
    let (pb, pc) = (reserve_port(), reserve_port());
    let carol_wav = dir.join("carol-heard.wav");
    let bob = SiplineOpts::new("bob", pb.port()).audio_in("tone:440");
    let carol = SiplineOpts::new("carol", pc.port())
        .audio_in("tone:700")
        .record_to(&carol_wav);

    let mut c = Sipline::spawn("carol", carol.clone(), dir.path());
    c.send(
        "wait incoming 1 20s\n\
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
    if let Err(e) = baresip.command("dial", &bob.uri(), secs(5)) {
        let b = b.finish(secs(2));
        panic!("{e}\n{}\n{}", baresip.peer.logs(), b.report());
    }
    let up = baresip.wait_event("CALL_ESTABLISHED", secs(10)).is_some()
        && b.wait_event("media", Some(1), secs(5)).is_some();
    std::thread::sleep(std::time::Duration::from_millis(300));
    // menu.so's in-call command `/transfer <uri>` (key `t`): a REFER on the current call.
    let transfer = if up {
        baresip.command("transfer", &carol.uri(), secs(5))
    } else {
        Err("the call to bob never came up".to_owned())
    };
    let b = b.finish(secs(40));
    let c = c.finish(secs(20));
    let story = format!(
        "{}\n{}\nbaresip ctrl events:\n{}\n{}",
        b.report(),
        c.report(),
        baresip.events_text(),
        baresip.peer.logs()
    );
    if let Err(e) = transfer {
        panic!("{e}\n{story}");
    }
    b.assert_success();
    c.assert_success();
    check_documented(&documented_schema(), &b);
    check_documented(&documented_schema(), &c);

    // bob was asked (REFER from baresip) and followed.
    let referred = b.first("referred");
    assert_eq!(referred["refer_to"], carol.uri().as_str(), "{story}");
    assert_eq!(referred["replaces"], false, "{story}");
    assert_eq!(b.first("refer-invite-sent")["new_call"], 2, "{story}");
    let refers = b.received_messages("REFER ");
    assert_eq!(refers.len(), 1, "{story}");
    assert_eq!(
        trace_port(&refers[0].0),
        Some(baresip.sip.port()),
        "{story}"
    );
    // 202 to the REFER (RFC 3515 §2.4.2).
    assert!(
        b.sent_messages("SIP/2.0 202")
            .iter()
            .any(|(_, m)| header(m, "CSeq").is_some_and(|v| v.ends_with("REFER"))),
        "{story}"
    );

    // bob's NOTIFYs to baresip: Event refer, message/sipfrag, 100 Trying first and a final
    // 200 OK that ends the subscription (RFC 3515 §2.4.4-5).
    let notifies = b.sent_messages("NOTIFY ");
    let frags: Vec<&str> = notifies.iter().map(|(_, m)| body_first_line(m)).collect();
    assert!(
        notifies.iter().all(|(dir, m)| {
            trace_port(dir) == Some(baresip.sip.port())
                && header(m, "Event").is_some_and(|e| e.eq_ignore_ascii_case("refer"))
                && header(m, "Content-Type")
                    .is_some_and(|t| t.to_ascii_lowercase().starts_with("message/sipfrag"))
        }),
        "{story}"
    );
    assert_eq!(frags.first(), Some(&"SIP/2.0 100 Trying"), "{story}");
    assert_eq!(frags.last(), Some(&"SIP/2.0 200 OK"), "{story}");
    let last = &notifies[notifies.len() - 1].1;
    assert!(
        header(last, "Subscription-State").is_some_and(|s| s.starts_with("terminated")),
        "{story}"
    );
    // baresip answered every one 200.
    let answered: Vec<String> = b
        .received_messages("SIP/2.0 ")
        .iter()
        .filter_map(|(_, m)| {
            let cseq = header(m, "CSeq")?;
            cseq.ends_with("NOTIFY")
                .then(|| format!("{} {}", m.lines().next().unwrap_or(""), cseq))
        })
        .collect();
    assert_eq!(answered.len(), notifies.len(), "{answered:?}\n{story}");
    assert!(
        answered.iter().all(|r| r.starts_with("SIP/2.0 200")),
        "{answered:?}\n{story}"
    );

    // On the final sipfrag baresip ended its call to bob: a BYE from baresip.
    let t1 = b
        .named("terminated")
        .into_iter()
        .find(|e| e["call"] == 1)
        .cloned()
        .unwrap_or_else(|| panic!("call 1 never ended\n{story}"));
    assert_eq!(t1["by"], "remote", "{story}");
    assert_eq!(t1["cause"], "bye", "{story}");
    assert!(
        b.received_messages("BYE ")
            .iter()
            .any(|(dir, _)| trace_port(dir) == Some(baresip.sip.port())),
        "{story}"
    );
    // ... and only after our final NOTIFY.
    let trace = b.trace_messages();
    let last_notify = trace
        .iter()
        .rposition(|(dir, m)| dir.starts_with("----- sent") && m.starts_with("NOTIFY "));
    let bye = trace.iter().position(|(dir, m)| {
        dir.starts_with("----- received")
            && m.starts_with("BYE ")
            && trace_port(dir) == Some(baresip.sip.port())
    });
    assert!(
        matches!((last_notify, bye), (Some(n), Some(b)) if b > n),
        "baresip's BYE should follow our final NOTIFY\n{story}"
    );
    let events = baresip_events(&mut baresip);
    assert!(
        events
            .iter()
            .any(|e| e["type"] == "CALL_CLOSED" && e["param"] == "Call transfered"),
        "baresip should close the call to bob as transferred (its CALL_CLOSED `Call \
         transfered`, sic), which it does only on a 2xx sipfrag\n{story}"
    );

    // carol's INVITE came from bob; our Referred-By copies the REFER's (baresip sends none).
    let invites = c.received_messages("INVITE ");
    assert_eq!(invites.len(), 1, "{story}");
    assert_eq!(trace_port(&invites[0].0), Some(bob.port), "{story}");
    assert_eq!(
        header(&invites[0].1, "Referred-By"),
        header(&refers[0].1, "Referred-By"),
        "{story}"
    );
    assert_eq!(c.first("accepted")["code"], 200, "{story}");
    baresip.stop();

    let (heard, rate) = read_wav(&carol_wav)
        .unwrap_or_else(|e| panic!("carol's recording {}: {e:?}", carol_wav.display()));
    assert_tone(
        "carol's recording (bob sends 440 Hz)",
        &heard,
        rate,
        440.0,
        0.6,
    );
}

/// A transfer that fails at the target: carol refuses baresip's INVITE with 486. baresip
/// must report that in a sipfrag NOTIFY, alice prints `refer-rejected` with that code, and
/// her call to baresip goes on until she hangs up.
#[test]
fn sipline_transfer_refused_by_target_keeps_call() {
    if !peer_available("baresip", "baresip") {
        return;
    }
    let dir = TempDir::new("xfer-baresip-refused");
    let mut baresip = Baresip::start(dir.path(), BaresipOpts::new("pcmu"));
    let (pa, pc) = (reserve_port(), reserve_port());
    let alice = SiplineOpts::new("alice", pa.port()).audio_in("tone:440");
    let carol = SiplineOpts::new("carol", pc.port());
    let mut c = Sipline::spawn("carol", carol.clone(), dir.path());
    c.send(
        "wait incoming 1 20s\n\
         reject 1 486\n\
         sleep 1s\n\
         quit\n",
    );
    c.expect_listening();
    let script = format!(
        "invite {}\n\
         wait accepted 1 10s\n\
         wait media 1 5s\n\
         sleep 300ms\n\
         refer 1 {}\n\
         wait refer-rejected 1 15s\n\
         sleep 1s\n\
         hangup 1\n\
         wait terminated 1 10s\n\
         quit\n",
        baresip.uri(),
        carol.uri()
    );
    let a = run_sipline("alice", alice, &script, dir.path(), secs(40));
    let c = c.finish(secs(20));
    let closed = wait_closed_with(&mut baresip, "sip:alice@127.0.0.1", secs(3));
    let carol_closed = wait_closed_with(&mut baresip, &carol.uri(), secs(0));
    let story = format!(
        "{}\n{}\nbaresip ctrl events:\n{}\n{}",
        a.report(),
        c.report(),
        baresip.events_text(),
        baresip.peer.logs()
    );
    a.assert_success();
    c.assert_success();
    check_documented(&documented_schema(), &a);
    check_documented(&documented_schema(), &c);
    // carol refused baresip's INVITE.
    let invites = c.received_messages("INVITE ");
    assert_eq!(invites.len(), 1, "{story}");
    assert_eq!(
        trace_port(&invites[0].0),
        Some(baresip.sip.port()),
        "{story}"
    );
    assert_eq!(carol_closed.as_deref(), Some("486 Busy Here"), "{story}");
    // baresip passed the 486 on in a final sipfrag NOTIFY, and alice printed it.
    let notifies = a.received_messages("NOTIFY ");
    let last = notifies.last().map(|(_, m)| m.as_str()).unwrap_or("");
    assert!(
        body_first_line(last).starts_with("SIP/2.0 486")
            && header(last, "Subscription-State").is_some_and(|v| v.starts_with("terminated")),
        "baresip's last NOTIFY should carry `SIP/2.0 486` and end the subscription\n{story}"
    );
    let rejected = a.first("refer-rejected");
    assert_eq!(rejected["code"], 486, "{story}");
    assert_eq!(rejected["reason"], "Busy Here", "{story}");
    assert!(a.named("refer-accepted").is_empty(), "{story}");
    assert!(
        a.named("refer-failed").is_empty(),
        "the REFER itself was accepted\n{story}"
    );
    // The call to baresip went on: alice ended it herself, and baresip saw her BYE.
    let terminated = a.first("terminated");
    assert_eq!(terminated["cause"], "hangup", "{story}");
    assert_eq!(terminated["by"], "local", "{story}");
    assert!(a.received_messages("BYE ").is_empty(), "{story}");
    assert!(closed.is_some(), "baresip never saw alice's BYE\n{story}");
    baresip.stop();
}

/// `refer --no-sub` to baresip (RFC 4488). baresip 1.0 does not know `Refer-Sub`: its
/// 202 carries none and it sends the usual NOTIFYs. So the subscription exists (RFC 4488
/// §4) and alice must not take the 202 as success: `refer-accepted` comes from baresip's
/// NOTIFY with the target's 200, as without `--no-sub`.
#[test]
fn sipline_transfers_baresip_with_refer_sub_false() {
    if !peer_available("baresip", "baresip") {
        return;
    }
    let dir = TempDir::new("xfer-baresip-norefersub");
    let mut baresip = Baresip::start(dir.path(), BaresipOpts::new("pcmu"));
    let (pa, pc) = (reserve_port(), reserve_port());
    let alice = SiplineOpts::new("alice", pa.port()).audio_in("tone:440");
    let carol = SiplineOpts::new("carol", pc.port());
    let mut c = Sipline::spawn("carol", carol.clone(), dir.path());
    c.send(
        "wait incoming 1 20s\n\
         accept 1\n\
         wait media 1 5s\n\
         sleep 1s\n\
         hangup 1\n\
         wait terminated 1 10s\n\
         quit\n",
    );
    c.expect_listening();
    let script = format!(
        "invite {}\n\
         wait accepted 1 10s\n\
         wait media 1 5s\n\
         refer 1 {} --no-sub\n\
         wait refer-accepted 1 15s\n\
         wait terminated 1 10s\n\
         quit\n",
        baresip.uri(),
        carol.uri()
    );
    let a = run_sipline("alice", alice, &script, dir.path(), secs(40));
    let c = c.finish(secs(20));
    let story = format!(
        "{}\n{}\nbaresip ctrl events:\n{}\n{}",
        a.report(),
        c.report(),
        baresip.events_text(),
        baresip.peer.logs()
    );
    a.assert_success();
    c.assert_success();
    check_documented(&documented_schema(), &a);
    let refers = a.sent_messages("REFER ");
    assert_eq!(refers.len(), 1, "{story}");
    assert_eq!(header(&refers[0].1, "Refer-Sub"), Some("false"), "{story}");
    assert_eq!(
        header(&refers[0].1, "Supported"),
        Some("norefersub"),
        "{story}"
    );
    let answer = a
        .received_messages("SIP/2.0 2")
        .into_iter()
        .map(|(_, m)| m)
        .find(|m| header(m, "CSeq").is_some_and(|v| v.ends_with("REFER")))
        .unwrap_or_else(|| panic!("no 2xx to the REFER\n{story}"));
    assert_eq!(header(&answer, "Refer-Sub"), None, "{story}");
    let notifies = a.received_messages("NOTIFY ");
    assert!(
        notifies
            .iter()
            .any(|(_, m)| body_first_line(m).starts_with("SIP/2.0 200")),
        "{story}"
    );
    // The events in order: 202, then (from the NOTIFYs) refer-accepted, not before.
    let order: Vec<&str> = a
        .events
        .iter()
        .filter_map(|e| e["event"].as_str())
        .filter(|n| n.starts_with("refer-"))
        .collect();
    let accepted = order.iter().position(|n| *n == "refer-accepted");
    assert!(
        accepted.is_some_and(|i| i >= 2),
        "refer-progress 202 and the NOTIFY's 100 come first: {order:?}\n{story}"
    );
    assert_eq!(a.first("terminated")["cause"], "transferred", "{story}");
    assert_eq!(c.received_messages("INVITE ").len(), 1, "{story}");
    baresip.stop();
}
