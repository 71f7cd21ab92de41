//! Call control commands against sipp scenarios on 127.0.0.1 (issue 5):
//!
//! - `cancel --reason …`: the ringing UAS (`tests/sipp/cancel_reason_uas.xml`) checks the
//!   CANCEL's Reason header (RFC 3326) with a regexp and fails otherwise.
//! - `request OPTIONS URI -H …` out of dialog: the server (`tests/sipp/options_uas.xml`)
//!   checks the extra header and answers 200, printed as a `response` event.
//! - `answer_mode = "auto"` in the accounts file: `sipp -sn uac` calls the account and is
//!   answered with no `accept` in the script.
//! - `hold` / `unhold`: the UAS (`tests/sipp/hold_uas.xml`) checks the re-INVITEs' SDP
//!   direction (`a=sendonly`, then `a=sendrecv`) and answers recvonly / sendrecv.
//! - a 302 with two Contacts (`tests/sipp/redirect_uas.xml`) is followed to the higher-q
//!   one, which the UAS checks in the new INVITE's Request-URI.

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

#[test]
fn an_auto_answer_account_answers_sipp_without_a_command() {
    if !peer_available("sipp", "sip-tester") {
        return;
    }
    let dir = TempDir::new("answer-mode-auto");
    let me = reserve_port();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[[account]]\naor = \"sip:bob@127.0.0.1:{}\"\nanswer_mode = \"auto\"\n",
            me.port()
        ),
    )
    .expect("write config.toml");
    let mut opts = SiplineOpts::new("bob", me.port()).codecs("pcmu");
    opts.extra = vec!["--config".into(), config.display().to_string()];
    let mut sipline = Sipline::spawn("bob", opts, dir.path());
    sipline.send("wait terminated 20s\nquit\n");
    sipline.expect_listening();
    let mut sipp = Sipp::uac(dir.path(), local(me.port()), "bob", 1000);
    sipp.assert_success(
        secs(40),
        "sipp uac expects 200 to its INVITE and to its BYE",
    );
    let out = sipline.finish(secs(10));
    out.assert_success();
    assert_eq!(out.first("accepted")["code"], 200, "{}", out.report());
    assert_eq!(out.first("terminated")["by"], "remote", "{}", out.report());
}

#[test]
fn hold_and_unhold_are_seen_by_the_peer_in_the_sdp_direction() {
    if !peer_available("sipp", "sip-tester") {
        return;
    }
    let dir = TempDir::new("hold-sipp");
    let mut sipp = Sipp::scenario_server(dir.path(), "uas", &sipp_scenario("hold_uas.xml"), &[]);
    let me = reserve_port();
    let opts = SiplineOpts::new("alice", me.port()).codecs("pcmu");
    let script = format!(
        "invite {}\n\
         wait accepted 10s\n\
         hold\n\
         wait held 10s\n\
         unhold\n\
         wait resumed 10s\n\
         hangup\n\
         wait terminated 10s\n\
         quit\n",
        sipp.uri("service")
    );
    let out = run_sipline("alice", opts, &script, dir.path(), secs(40));
    sipp.assert_success(
        secs(10),
        "the UAS expects a re-INVITE with a=sendonly, then one with a=sendrecv, then BYE",
    );
    out.assert_success();
    assert_eq!(out.first("held")["by"], "local", "{}", out.report());
    assert_eq!(out.first("resumed")["by"], "local", "{}", out.report());
    let invites = sipp.received_requests("INVITE");
    assert_eq!(invites.len(), 3, "{}", sipp.messages());
    assert!(invites[1].contains("a=sendonly"), "{}", invites[1]);
    assert!(invites[2].contains("a=sendrecv"), "{}", invites[2]);
}

#[test]
fn a_302_is_followed_to_the_highest_q_contact() {
    if !peer_available("sipp", "sip-tester") {
        return;
    }
    let dir = TempDir::new("redirect-sipp");
    let mut sipp =
        Sipp::scenario_server(dir.path(), "uas", &sipp_scenario("redirect_uas.xml"), &[]);
    let me = reserve_port();
    let opts = SiplineOpts::new("alice", me.port()).codecs("pcmu");
    let script = format!(
        "invite {}\n\
         wait accepted 10s\n\
         hangup\n\
         wait terminated 10s\n\
         quit\n",
        sipp.uri("service")
    );
    let out = run_sipline("alice", opts, &script, dir.path(), secs(40));
    sipp.assert_success(
        secs(10),
        "the UAS expects the ACK of its 302, then an INVITE to sip:second@…, then BYE",
    );
    out.assert_success();
    let invites = sipp.received_requests("INVITE");
    assert_eq!(invites.len(), 2, "{}", sipp.messages());
    assert!(
        invites[0].starts_with("INVITE sip:service@"),
        "{}",
        invites[0]
    );
    assert!(
        invites[1].starts_with("INVITE sip:second@"),
        "{}",
        invites[1]
    );
    assert_eq!(out.first("accepted")["code"], 200, "{}", out.report());
    assert!(out.named("redirected").is_empty(), "{}", out.report());
}
