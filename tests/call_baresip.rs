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

/// The proxy's logs for failure messages (empty without a proxy).
fn proxy_logs(proxy: Option<&Kamailio>) -> String {
    proxy
        .map(|k| format!("\n--- kamailio ---\n{}", k.peer.logs()))
        .unwrap_or_default()
}

/// With a Record-Route set the BYE goes to the proxy, not to the callee's Contact (RFC 3261
/// §12.2.1.1). Read from sipline's `--sip-trace`: the nearest address line above the BYE's
/// request line names where it was sent. Skipped (loudly) if the trace has no BYE line.
fn assert_bye_sent_to(out: &Outcome, proxy: std::net::SocketAddr) {
    let lines: Vec<&str> = out.stderr.lines().collect();
    let Some(bye) = lines.iter().position(|l| l.starts_with("BYE sip:")) else {
        eprintln!("*** no `BYE sip:` line in sipline's --sip-trace: BYE routing not checked ***");
        return;
    };
    let sent_to = lines[..bye]
        .iter()
        .rev()
        .find(|l| l.contains("127.0.0.1:"))
        .copied()
        .unwrap_or("");
    assert!(
        sent_to.contains(&proxy.to_string()),
        "the BYE should go to the proxy {proxy} (Record-Route), but the trace says: {sent_to:?}\n{}",
        out.report()
    );
}

fn sipline_calls_baresip(codec: &str, baresip_codecs: &str) {
    if !peer_available("baresip", "baresip") {
        return;
    }
    let dir = TempDir::new(&format!("sipline-calls-baresip-{codec}"));
    let mut baresip = Baresip::start(dir.path(), BaresipOpts::new(baresip_codecs));
    let target = baresip.uri();
    call_baresip_at(&dir, &mut baresip, &target, codec, None);
}

/// sipline calls `target` (baresip itself, or `proxy` in front of it), talks for 5 s with a
/// 440 Hz tone and hangs up; then both recordings are checked.
fn call_baresip_at(
    dir: &TempDir,
    baresip: &mut Baresip,
    target: &str,
    codec: &str,
    proxy: Option<&Kamailio>,
) {
    let me = reserve_port();
    let ours = dir.join("sipline-heard.wav");
    let opts = SiplineOpts::new("alice", me.port())
        .codecs(codec)
        .audio_in("tone:440")
        .record_to(&ours);
    let script = format!(
        "# baresip answers at once (answermode=auto)\n\
         invite {target}\n\
         wait accepted 10s\n\
         wait media 5s\n\
         sleep 5s\n\
         hangup\n\
         wait terminated 10s\n\
         quit\n"
    );
    let out = run_sipline("sipline", opts, &script, dir.path(), secs(45));
    assert_eq!(out.code(), Some(0), "{}{}", out.report(), proxy_logs(proxy));
    assert_eq!(
        out.first("accepted")["code"],
        200,
        "{}{}",
        out.report(),
        proxy_logs(proxy)
    );
    assert_eq!(
        out.first("terminated")["by"],
        "local",
        "{}{}",
        out.report(),
        proxy_logs(proxy)
    );
    if let Some(kamailio) = proxy {
        assert_bye_sent_to(&out, kamailio.addr());
    }
    let closed = baresip.wait_event("CALL_CLOSED", secs(5));
    assert!(
        baresip.wait_event("CALL_ESTABLISHED", secs(0)).is_some() && closed.is_some(),
        "baresip should report CALL_ESTABLISHED then CALL_CLOSED (our BYE reached it)\n{}\n{}{}",
        baresip.events_text(),
        out.report(),
        proxy_logs(proxy)
    );
    baresip.stop();
    check_audio(&format!("sipline→{target} {codec}"), baresip, &ours);
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

/// Through a record-routing proxy: baresip registers with kamailio, sipline calls the AOR at
/// kamailio, and the ACK and BYE must follow the Record-Route set back through the proxy
/// (baresip's CALL_CLOSED proves the BYE arrived).
#[test]
fn sipline_calls_baresip_through_kamailio() {
    if !peer_available("baresip", "baresip") || !peer_available("kamailio", "kamailio") {
        return;
    }
    let dir = TempDir::new("via-kamailio");
    let kamailio = Kamailio::start(dir.path());
    let mut opts = BaresipOpts::new("pcmu");
    opts.registrar = Some(kamailio.addr());
    let mut baresip = Baresip::start(dir.path(), opts);
    if !kamailio.wait_registered("baresip", secs(10)) {
        panic!(
            "baresip did not register with kamailio\n{}\n{}\nlocation table:\n{}",
            baresip.events_text(),
            kamailio.peer.logs(),
            kamailio.registrations()
        );
    }
    let target = kamailio.uri("baresip");
    call_baresip_at(&dir, &mut baresip, &target, "pcmu", Some(&kamailio));
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
