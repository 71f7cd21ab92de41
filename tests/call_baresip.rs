//! sipline against baresip 1.0 (Debian 12), headless on 127.0.0.1: baresip sends a 1000 Hz
//! tone from an aufile WAV and records what it decodes (sndfile); sipline sends 440 Hz and
//! records what it decodes. Each side must hear the other's tone for most of the call.
//!
//! - sipline calls baresip (auto-answer), with PCMU and with Opus.
//! - baresip dials sipline over ctrl_tcp; sipline answers from its script; PCMU and Opus.
//! - baresip calls baresip: the harness and the peer themselves (no sipline).

mod common;

use common::*;

/// Checks both directions of a finished call: baresip heard 440 Hz, sipline heard 1000 Hz.
fn check_audio(label: &str, baresip: &mut Baresip, ours: &std::path::Path) {
    let (theirs, rate) = baresip.received_audio();
    assert_tone(
        &format!("{label}: baresip's decoded recording (we send 440 Hz)"),
        &theirs,
        rate,
        440.0,
        0.7,
    );
    let (heard, rate) =
        read_wav(ours).unwrap_or_else(|e| panic!("our recording {}: {e:?}", ours.display()));
    assert_tone(
        &format!("{label}: our recording (baresip sends 1000 Hz)"),
        &heard,
        rate,
        1000.0,
        0.7,
    );
}

fn sipline_calls_baresip(codec: &str, baresip_codecs: &str) {
    if !peer_available("baresip", "baresip") {
        return;
    }
    let dir = TempDir::new(&format!("sipline-calls-baresip-{codec}"));
    let mut baresip = Baresip::start(dir.path(), BaresipOpts::new(baresip_codecs));
    let me = reserve_port();
    let ours = dir.join("sipline-heard.wav");
    let opts = SiplineOpts::new("alice", me.port())
        .codecs(codec)
        .audio_in("tone:440")
        .record_to(&ours);
    let script = format!(
        "# baresip answers at once (answermode=auto)\n\
         invite {}\n\
         wait accepted 10s\n\
         wait media 5s\n\
         sleep 5s\n\
         hangup\n\
         wait terminated 10s\n\
         quit\n",
        baresip.uri()
    );
    let out = run_sipline("sipline", opts, &script, dir.path(), secs(45));
    out.assert_success();
    assert_eq!(out.first("accepted")["code"], 200, "{}", out.report());
    assert_eq!(out.first("terminated")["by"], "local", "{}", out.report());
    let closed = baresip.wait_event("CALL_CLOSED", secs(5));
    assert!(
        baresip.wait_event("CALL_ESTABLISHED", secs(0)).is_some() && closed.is_some(),
        "baresip should report CALL_ESTABLISHED then CALL_CLOSED\n{}\n{}",
        baresip.events_text(),
        out.report()
    );
    baresip.stop();
    check_audio(&format!("sipline→baresip {codec}"), &mut baresip, &ours);
}

fn baresip_calls_sipline(codec: &str, baresip_codecs: &str) {
    if !peer_available("baresip", "baresip") {
        return;
    }
    let dir = TempDir::new(&format!("baresip-calls-sipline-{codec}"));
    let mut baresip = Baresip::start(dir.path(), BaresipOpts::new(baresip_codecs));
    let me = reserve_port();
    let ours = dir.join("sipline-heard.wav");
    let opts = SiplineOpts::new("sipline", me.port())
        .codecs(codec)
        .audio_in("tone:440")
        .record_to(&ours);
    let uri = opts.uri();
    let mut sipline = Sipline::spawn("sipline", opts, dir.path());
    sipline.send(
        "wait incoming 20s\n\
         accept\n\
         wait media 5s\n\
         sleep 5s\n\
         hangup\n\
         wait terminated 10s\n\
         quit\n",
    );
    sipline.expect_listening();
    if let Err(e) = baresip.command("dial", &uri, secs(5)) {
        let out = sipline.finish(secs(2));
        panic!("{e}\n{}\n{}", baresip.peer.logs(), out.report());
    }
    let out = sipline.finish(secs(45));
    let closed = baresip.wait_event("CALL_CLOSED", secs(5));
    out.assert_success();
    assert!(
        closed.is_some(),
        "baresip should report CALL_CLOSED after our BYE\n{}",
        baresip.events_text()
    );
    assert_eq!(out.first("accepted")["code"], 200, "{}", out.report());
    assert_eq!(out.first("terminated")["by"], "local", "{}", out.report());
    baresip.stop();
    check_audio(&format!("baresip→sipline {codec}"), &mut baresip, &ours);
}

#[test]
fn sipline_calls_baresip_pcmu() {
    sipline_calls_baresip("pcmu", "pcmu");
}

#[test]
fn sipline_calls_baresip_opus() {
    sipline_calls_baresip("opus", "opus/48000/2");
}

#[test]
fn baresip_calls_sipline_pcmu() {
    baresip_calls_sipline("pcmu", "pcmu");
}

#[test]
fn baresip_calls_sipline_opus() {
    baresip_calls_sipline("opus", "opus/48000/2");
}

#[test]
fn harness_baresip_calls_baresip() {
    if !peer_available("baresip", "baresip") {
        return;
    }
    let dir = TempDir::new("baresip-selfcheck");
    let mut caller_opts = BaresipOpts::new("opus/48000/2,pcmu");
    caller_opts.user = "carol".to_owned();
    caller_opts.tone_hz = 440.0;
    caller_opts.answermode = "manual".to_owned();
    let mut callee = Baresip::start(dir.path(), BaresipOpts::new("opus/48000/2,pcmu"));
    let mut caller = Baresip::start(dir.path(), caller_opts);
    let target = callee.uri();
    caller.command("dial", &target, secs(5)).unwrap();
    assert!(
        caller.wait_event("CALL_ESTABLISHED", secs(10)).is_some(),
        "no CALL_ESTABLISHED\n{}\n{}",
        caller.events_text(),
        callee.peer.logs()
    );
    std::thread::sleep(secs(4));
    caller.command("hangup", "", secs(5)).unwrap();
    assert!(callee.wait_event("CALL_CLOSED", secs(5)).is_some());
    caller.stop();
    callee.stop();
    let (heard, rate) = callee.received_audio();
    assert_tone(
        "callee's recording (caller sends 440 Hz)",
        &heard,
        rate,
        440.0,
        0.7,
    );
    let (heard, rate) = caller.received_audio();
    assert_tone(
        "caller's recording (callee sends 1000 Hz)",
        &heard,
        rate,
        1000.0,
        0.7,
    );
}
