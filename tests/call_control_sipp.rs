//! Call control commands against sipp scenarios on 127.0.0.1 (issue 5):
//!
//! - `cancel --reason …`: the ringing UAS (`tests/sipp/cancel_reason_uas.xml`) checks the
//!   CANCEL's Reason header (RFC 3326) with a regexp and fails otherwise.
//! - `request OPTIONS URI -H …` out of dialog: the server (`tests/sipp/options_uas.xml`)
//!   checks the extra header and answers 200, printed as a `response` event.
//! - `answer_mode = "auto"` in the accounts file: `sipp -sn uac` calls the account and is
//!   answered with no `accept` in the script.

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
