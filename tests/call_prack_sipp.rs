//! Reliable provisional responses (RFC 3262) against sipp on 127.0.0.1:
//!
//! - sipline calls a sipp UAS that sends a reliable 183 with SDP: sipline PRACKs it in the
//!   early dialog, early media starts before the answer, then 200/ACK/BYE.
//! - a sipp UAC offering 100rel calls sipline, which `preaccept`s: a reliable 183 with SDP,
//!   PRACKed by sipp, then `accept` (held back until the PRACK came), ACK, sipp's BYE.

mod common;

use common::*;

/// The value of header `name` in a traced message.
fn header<'a>(msg: &'a str, name: &str) -> Option<&'a str> {
    msg.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[test]
fn sipline_pracks_a_reliable_183_from_sipp_and_plays_early_media() {
    if !peer_available("sipp", "sip-tester") {
        return;
    }
    let dir = TempDir::new("sipline-pracks-sipp");
    let mut sipp = Sipp::scenario_server(
        dir.path(),
        "uas-183",
        &sipp_scenario("uas_reliable_183.xml"),
        &[],
    );
    let me = reserve_port();
    let opts = SiplineOpts::new("alice", me.port()).codecs("pcmu");
    let script = format!(
        "invite {}\n\
         wait progress 10s\n\
         wait accepted 10s\n\
         sleep 1s\n\
         hangup\n\
         wait terminated 10s\n\
         quit\n",
        sipp.uri("service")
    );
    let out = run_sipline("sipline", opts, &script, dir.path(), secs(40));
    out.assert_success();
    sipp.assert_success(
        secs(10),
        "sipp expects Supported: 100rel, a PRACK with RAck: 1 <cseq> INVITE, ACK and BYE",
    );
    let p = out.first("progress");
    assert_eq!(p["code"], 183, "{}", out.report());
    // Early media: the 183's answer was used before the 200 arrived.
    let names: Vec<&str> = out
        .events
        .iter()
        .filter_map(|e| e["event"].as_str())
        .collect();
    let media = names.iter().position(|n| *n == "media");
    let accepted = names.iter().position(|n| *n == "accepted");
    assert!(
        media.is_some() && media < accepted,
        "media before accepted: {names:?}\n{}",
        out.report()
    );
    let pracks = out.sent_messages("PRACK ");
    assert_eq!(pracks.len(), 1, "{}", out.report());
    let prack = &pracks[0].1;
    let invite = &out.sent_messages("INVITE ")[0].1;
    let invite_cseq = header(invite, "CSeq").and_then(|c| c.split_whitespace().next());
    assert_eq!(
        header(prack, "RAck"),
        Some(format!("1 {} INVITE", invite_cseq.unwrap_or("?")).as_str()),
        "{prack}"
    );
    assert!(
        header(prack, "To").is_some_and(|t| t.contains("SIPpTag183")),
        "PRACK in the early dialog: {prack}"
    );
    // sipp received exactly one PRACK.
    assert_eq!(sipp.received_requests("PRACK").len(), 1);
}

#[test]
fn sipline_preaccepts_and_sipp_pracks_the_reliable_183() {
    if !peer_available("sipp", "sip-tester") {
        return;
    }
    let dir = TempDir::new("sipp-pracks-sipline");
    let me = reserve_port();
    let opts = SiplineOpts::new("sipline", me.port()).codecs("pcmu");
    let mut sipline = Sipline::spawn("sipline", opts, dir.path());
    // `accept` right after `preaccept`: the 2xx waits for the PRACK (RFC 3262 §3).
    sipline.send(
        "wait incoming 20s\n\
         preaccept\n\
         accept\n\
         wait terminated 20s\n\
         quit\n",
    );
    sipline.expect_listening();
    let mut sipp = Sipp::scenario_client(
        dir.path(),
        "uac-100rel",
        &sipp_scenario("uac_100rel.xml"),
        local(me.port()),
        &["-s", "sipline"],
        dir.path(),
    );
    sipp.assert_success(
        secs(40),
        "sipp expects a 183 with Require: 100rel, RSeq and SDP, 200 to its PRACK, then 200 to its INVITE",
    );
    let out = sipline.finish(secs(10));
    out.assert_success();
    let p = out.first("progress");
    assert_eq!(p["code"], 183, "{}", out.report());
    assert_eq!(p["reliable"], true, "{}", out.report());
    let names: Vec<&str> = out
        .events
        .iter()
        .filter_map(|e| e["event"].as_str())
        .collect();
    let media = names.iter().position(|n| *n == "media");
    let accepted = names.iter().position(|n| *n == "accepted");
    assert!(
        media.is_some() && media < accepted,
        "early media starts at the 183: {names:?}\n{}",
        out.report()
    );
    let r183 = out.sent_messages("SIP/2.0 183");
    assert_eq!(r183.len(), 1, "PRACKed at once\n{}", out.report());
    assert_eq!(header(&r183[0].1, "Require"), Some("100rel"));
    let ok: Vec<String> = out
        .sent_messages("SIP/2.0 200")
        .iter()
        .filter_map(|(_, m)| header(m, "CSeq").map(str::to_string))
        .collect();
    assert_eq!(ok[..2], ["2 PRACK", "1 INVITE"], "{}", out.report());
    assert_eq!(out.first("terminated")["by"], "remote", "{}", out.report());
}
