//! Call control commands against sipp scenarios on 127.0.0.1 (issue 5):
//!
//! - `cancel --reason …`: the ringing UAS (`tests/sipp/cancel_reason_uas.xml`) checks the
//!   CANCEL's Reason header (RFC 3326) with a regexp and fails otherwise.
//! - `request OPTIONS URI -H …` out of dialog: the server (`tests/sipp/options_uas.xml`)
//!   checks the extra header and answers 200, printed as a `response` event.

mod common;

use common::*;

#[test]
fn cancel_with_a_reason_reaches_the_peer() {
    if !peer_available("sipp", "sip-tester") {
        return;
    }
    let dir = TempDir::new("cancel-reason");
    let mut sipp = Sipp::scenario_server(
        dir.path(),
        "uas",
        &sipp_scenario("cancel_reason_uas.xml"),
        &[],
    );
    let me = reserve_port();
    let opts = SiplineOpts::new("alice", me.port()).codecs("pcmu");
    let script = format!(
        "invite {}\n\
         wait progress 10s\n\
         cancel --reason 'SIP;cause=200;text=\"Call completed elsewhere\"'\n\
         wait canceled 10s\n\
         quit\n",
        sipp.uri("service")
    );
    let out = run_sipline("alice", opts, &script, dir.path(), secs(40));
    sipp.assert_success(
        secs(10),
        "the UAS expects a CANCEL with Reason: SIP;cause=200;text=\"Call completed elsewhere\"",
    );
    out.assert_success();
    assert_eq!(out.first("canceled")["by"], "local", "{}", out.report());
    let cancels = sipp.received_requests("CANCEL");
    assert_eq!(cancels.len(), 1, "{}", sipp.messages());
    assert!(
        cancels[0].contains("Reason: SIP;cause=200;text=\"Call completed elsewhere\""),
        "{}",
        cancels[0]
    );
}

#[test]
fn request_options_out_of_dialog_is_answered() {
    if !peer_available("sipp", "sip-tester") {
        return;
    }
    let dir = TempDir::new("request-options");
    let mut sipp = Sipp::scenario_server(dir.path(), "uas", &sipp_scenario("options_uas.xml"), &[]);
    let me = reserve_port();
    let opts = SiplineOpts::new("alice", me.port()).codecs("pcmu");
    let script = format!(
        "request OPTIONS {} -H 'X-Probe: 42'\n\
         wait response 10s\n\
         quit\n",
        sipp.uri("service")
    );
    let out = run_sipline("alice", opts, &script, dir.path(), secs(40));
    sipp.assert_success(secs(10), "the server expects one OPTIONS with X-Probe: 42");
    out.assert_success();
    let r = out.first("response");
    assert_eq!(r["call"], 0, "{}", out.report());
    assert_eq!(r["method"], "OPTIONS", "{}", out.report());
    assert_eq!(r["code"], 200, "{}", out.report());
    assert_eq!(r["reason"], "OK", "{}", out.report());
}
