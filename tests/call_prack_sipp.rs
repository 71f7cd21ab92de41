//! Reliable provisional responses (RFC 3262) against sipp on 127.0.0.1:
//!
//! - sipline calls a sipp UAS that sends a reliable 183 with SDP: sipline PRACKs it in the
//!   early dialog, early media starts before the answer, then 200/ACK/BYE.

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
