//! Calls over TCP (RFC 3261 §18) with real peers on 127.0.0.1: sipp in `-t t1` mode both
//! ways, and two siplines, audio checked by tone.

mod common;

use std::process::Command;
use std::time::Duration;

use common::*;

/// sipp over TCP (`-t t1`: one connection for all calls), in the foreground with a bound.
fn sipp_tcp(dir: &std::path::Path, scenario: &str, port: u16, extra: &[String]) -> Peer {
    let mut cmd = Command::new("sipp");
    cmd.args(["-sn", scenario, "-t", "t1", "-i", "127.0.0.1", "-p"])
        .arg(port.to_string())
        .args(["-m", "1", "-nostdin", "-timeout", "30s", "-trace_msg"])
        .args(extra);
    Peer::spawn(&format!("sipp-{scenario}-tcp"), cmd, dir)
}

fn wait_tcp_listening(port: u16) {
    for _ in 0..100 {
        if std::net::TcpStream::connect(local(port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("nothing listens on 127.0.0.1:{port}/tcp");
}

#[test]
fn sipline_calls_sipp_uas_over_tcp() {
    if !peer_available("sipp", "sip-tester") {
        return;
    }
    let dir = TempDir::new("sipline-calls-sipp-tcp");
    let sipp_port = reserve_port();
    let mut sipp = sipp_tcp(dir.path(), "uas", sipp_port.port(), &[]);
    wait_tcp_listening(sipp_port.port());
    let me = reserve_port();
    let opts = SiplineOpts::new("alice", me.port())
        .codecs("pcmu")
        .audio_in("tone:440");
    // sipp's uas pauses 4 s after the BYE and counts a connection closed during that pause
    // as a failed call, so stay up until it is done.
    let script = format!(
        "invite sip:service@127.0.0.1:{};transport=tcp\n\
         wait accepted 10s\n\
         sleep 1s\n\
         hangup\n\
         wait terminated 10s\n\
         sleep 5s\n\
         quit\n",
        sipp_port.port()
    );
    let out = run_sipline("sipline", opts, &script, dir.path(), secs(40));
    out.assert_success();
    assert_eq!(out.first("accepted")["code"], 200, "{}", out.report());
    let status = sipp.wait(secs(10));
    assert!(
        status.is_some_and(|s| s.success()),
        "sipp uas over TCP: {status:?}\n{}",
        sipp.logs()
    );
}

#[test]
fn sipp_uac_calls_sipline_over_tcp() {
    if !peer_available("sipp", "sip-tester") {
        return;
    }
    let dir = TempDir::new("sipp-calls-sipline-tcp");
    let me = reserve_port();
    let opts = SiplineOpts::new("bob", me.port())
        .codecs("pcmu")
        .audio_in("tone:440");
    let mut sipline = Sipline::spawn("sipline", opts, dir.path());
    sipline.send("wait incoming 20s\naccept\nwait terminated 20s\nquit\n");
    sipline.expect_listening();
    wait_tcp_listening(me.port());
    let sipp_port = reserve_port();
    let target = format!("127.0.0.1:{}", me.port());
    let mut sipp = sipp_tcp(
        dir.path(),
        "uac",
        sipp_port.port(),
        &[
            target,
            "-d".into(),
            "1000".into(),
            "-s".into(),
            "bob".into(),
        ],
    );
    let status = sipp.wait(secs(30));
    let out = sipline.finish(secs(20));
    out.assert_success();
    assert!(
        status.is_some_and(|s| s.success()),
        "sipp uac over TCP: {status:?}\n{}",
        sipp.logs()
    );
    assert_eq!(out.first("terminated")["by"], "remote", "{}", out.report());
}

#[test]
fn two_siplines_talk_over_tcp() {
    let dir = TempDir::new("two-siplines-tcp");
    let a_port = reserve_port();
    let b_port = reserve_port();
    let a_heard = dir.join("a-heard.wav");
    let b_heard = dir.join("b-heard.wav");
    let b_opts = SiplineOpts::new("bob", b_port.port())
        .codecs("pcmu")
        .audio_in("tone:1000")
        .record_to(&b_heard);
    let mut bob = Sipline::spawn("bob", b_opts, dir.path());
    bob.send("wait incoming 20s\naccept\nwait terminated 20s\nquit\n");
    bob.expect_listening();
    let a_opts = SiplineOpts::new("alice", a_port.port())
        .codecs("pcmu")
        .audio_in("tone:440")
        .record_to(&a_heard);
    let script = format!(
        "invite sip:bob@127.0.0.1:{};transport=tcp\nwait accepted 10s\nsleep 3s\nhangup\nwait terminated 10s\nquit\n",
        b_port.port()
    );
    let alice = run_sipline("alice", a_opts, &script, dir.path(), secs(40));
    let bob = bob.finish(secs(20));
    alice.assert_success();
    bob.assert_success();
    let (a, rate) = read_wav_mono(&a_heard);
    assert_tone(
        "alice hears bob over a TCP-signalled call",
        &a,
        rate,
        1000.0,
        0.7,
    );
    let (b, rate) = read_wav_mono(&b_heard);
    assert_tone(
        "bob hears alice over a TCP-signalled call",
        &b,
        rate,
        440.0,
        0.7,
    );
}
