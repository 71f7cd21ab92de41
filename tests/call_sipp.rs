//! sipline against sipp's built-in scenarios on 127.0.0.1, plus the script-mode exit codes.
//!
//! - sipline calls `sipp -sn uas`, talks, hangs up: both exit 0.
//! - `sipp -sn uac` calls sipline, which answers from a script: both exit 0.
//! - `sipp -sn uac` ↔ `sipp -sn uas`: the harness and the peer themselves (no sipline).

mod common;

use common::*;

#[test]
fn harness_sipp_uac_calls_sipp_uas() {
    if !peer_available("sipp", "sip-tester") {
        return;
    }
    let dir = TempDir::new("sipp-selfcheck");
    let mut uas = Sipp::uas(dir.path());
    let mut uac = Sipp::uac(dir.path(), uas.sip.addr(), "service", 500);
    uac.assert_success(secs(30), "built-in uac calling the built-in uas");
    uas.assert_success(secs(10), "built-in uas answering the built-in uac");
}

#[test]
fn sipline_calls_sipp_uas_and_hangs_up() {
    if !peer_available("sipp", "sip-tester") {
        return;
    }
    let dir = TempDir::new("sipline-calls-sipp");
    let mut sipp = Sipp::uas(dir.path());
    let me = reserve_port();
    let opts = SiplineOpts::new("alice", me.port())
        .codecs("pcmu")
        .audio_in("tone:440");
    let script = format!(
        "# call sipp's built-in uas, talk a little, hang up\n\
         invite {}\n\
         wait accepted 10s\n\
         sleep 2s\n\
         hangup\n\
         wait terminated 10s\n\
         quit\n",
        sipp.uri("service")
    );
    let out = run_sipline("sipline", opts, &script, dir.path(), secs(40));
    out.assert_success();
    assert_eq!(out.named("calling").len(), 1, "{}", out.report());
    assert_eq!(out.first("accepted")["code"], 200, "{}", out.report());
    let term = out.first("terminated");
    assert_eq!(term["by"], "local", "{}", out.report());
    assert_eq!(
        term["call"],
        out.first("accepted")["call"],
        "{}",
        out.report()
    );
    sipp.assert_success(secs(10), "sipp uas expects INVITE, ACK, then our BYE");
}

#[test]
fn sipp_uac_calls_sipline_which_answers() {
    if !peer_available("sipp", "sip-tester") {
        return;
    }
    let dir = TempDir::new("sipp-calls-sipline");
    let me = reserve_port();
    let opts = SiplineOpts::new("sipline", me.port()).codecs("pcmu");
    let mut sipline = Sipline::spawn("sipline", opts, dir.path());
    sipline.send(
        "# answer one call and wait for the caller to hang up\n\
         wait incoming 20s\n\
         accept\n\
         wait terminated 20s\n\
         quit\n",
    );
    sipline.expect_listening();
    let mut sipp = Sipp::uac(dir.path(), local(me.port()), "sipline", 2000);
    sipp.assert_success(
        secs(40),
        "sipp uac expects 200 to its INVITE and 200 to its BYE",
    );
    let out = sipline.finish(secs(10));
    out.assert_success();
    let incoming = out.first("incoming");
    assert!(
        incoming["from"]
            .as_str()
            .is_some_and(|f| f.contains("sipp")),
        "From should name sipp\n{}",
        out.report()
    );
    assert!(
        incoming["to"]
            .as_str()
            .is_some_and(|t| t.contains("sipline@127.0.0.1")),
        "To should be sipline@127.0.0.1\n{}",
        out.report()
    );
    assert_eq!(out.first("accepted")["code"], 200, "{}", out.report());
    let media = out.first("media");
    assert!(
        media["codec"]
            .as_str()
            .is_some_and(|c| c.to_ascii_uppercase().starts_with("PCMU")),
        "sipp offers PCMU only\n{}",
        out.report()
    );
    let term = out.first("terminated");
    assert_eq!(term["by"], "remote", "{}", out.report());
    assert_eq!(term["cause"], "bye", "{}", out.report());
}

// ----- script-mode contract (no peer needed; kept here to avoid another test binary) -----

#[test]
fn script_wait_timeout_exits_1_and_says_what_it_waited_for() {
    let dir = TempDir::new("wait-timeout");
    let me = reserve_port();
    let out = run_sipline(
        "sipline",
        SiplineOpts::new("lonely", me.port()),
        "echo nobody will call\nwait incoming 1s\nquit\n",
        dir.path(),
        secs(20),
    );
    assert_eq!(out.code(), Some(1), "{}", out.report());
    assert!(
        out.stderr.lines().any(|l| l.contains("incoming")),
        "stderr should say which wait timed out\n{}",
        out.report()
    );
}

#[test]
fn bad_flags_exit_2() {
    let dir = TempDir::new("bad-flags");
    let me = reserve_port();
    let mut opts = SiplineOpts::new("x", me.port()).codecs("no-such-codec");
    let out = run_sipline("sipline", opts.clone(), "quit\n", dir.path(), secs(20));
    assert_eq!(out.code(), Some(2), "unknown codec\n{}", out.report());
    opts = SiplineOpts::new("x", me.port());
    opts.extra.push("--no-such-flag".to_owned());
    let out = run_sipline("sipline", opts, "quit\n", dir.path(), secs(20));
    assert_eq!(out.code(), Some(2), "unknown flag\n{}", out.report());
}
