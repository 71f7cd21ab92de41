//! DTMF between real processes on 127.0.0.1 (issue 6's proof):
//!
//! - Two siplines: A sends `159#*0D` with `--mode rfc4733`, then (another call) with
//!   `--mode info`; B's `wait dtmf 1 159#*0D 20s` passes and B reports exactly those digits,
//!   in order, with the method used; A reports a `dtmf-sent` per digit with that method.
//! - sipp's `uac_pcap.xml` (shared corpus) calls sipline and plays a PCMA capture then an
//!   RFC 2833 capture of the key `1`: sipline reports digit `1` by rfc4733. Replaying a
//!   capture needs root or CAP_NET_RAW; without it the test says so loudly and skips.
//! - baresip sends `sndcode` digits to sipline (baresip 1.0 sends them as RFC 4733 events),
//!   and sipline sends digits to baresip by RFC 4733 (`--mode auto`) and by INFO; baresip
//!   reports each as a `CALL_DTMF_START` ctrl_tcp event with the digit.

mod common;

use serde_json::Value;

use common::*;

const DIGITS: &str = "159#*0D";

/// The `dtmf` digits of an outcome, concatenated, and their methods.
fn received(out: &Outcome) -> (String, Vec<String>) {
    let events = out.named("dtmf");
    (
        events
            .iter()
            .map(|e| e["digit"].as_str().unwrap_or("?").to_owned())
            .collect(),
        events
            .iter()
            .map(|e| e["method"].as_str().unwrap_or("?").to_owned())
            .collect(),
    )
}

fn sent(out: &Outcome) -> (String, Vec<String>) {
    let events = out.named("dtmf-sent");
    (
        events
            .iter()
            .map(|e| e["digit"].as_str().unwrap_or("?").to_owned())
            .collect(),
        events
            .iter()
            .map(|e| e["method"].as_str().unwrap_or("?").to_owned())
            .collect(),
    )
}

/// A sends DIGITS by `mode` with `timing` (`--duration`/`--gap` flags, may be empty) and
/// waits for each `dtmf-sent`; B waits for the digits; `durations` bounds B's `duration_ms`.
fn two_siplines(mode: &str, timing: &str, durations: std::ops::RangeInclusive<u64>) {
    let dir = TempDir::new(&format!("dtmf-two-{mode}"));
    let (pa, pb) = (reserve_port(), reserve_port());
    let a_opts = SiplineOpts::new("alice", pa.port());
    let b_opts = SiplineOpts::new("bob", pb.port());
    let mut b = Sipline::spawn("bob", b_opts.clone(), dir.path());
    b.send(&format!(
        "wait incoming 20s\n\
         accept\n\
         wait dtmf 1 {DIGITS} 20s\n\
         sleep 1s\n\
         hangup\n\
         wait terminated 10s\n\
         quit\n"
    ));
    b.expect_listening();
    let a = run_sipline(
        "alice",
        a_opts,
        &format!(
            "invite {}\n\
             wait accepted 10s\n\
             wait media 5s\n\
             dtmf {DIGITS} --mode {mode}{timing}\n\
             {waits}\
             wait terminated 30s\n\
             quit\n",
            b_opts.uri(),
            waits = "wait dtmf-sent 10s\n".repeat(DIGITS.len()),
        ),
        dir.path(),
        secs(45),
    );
    let b = b.finish(secs(10));
    let story = format!("{}\n{}", a.report(), b.report());
    a.assert_success();
    b.assert_success();
    let (digits, methods) = received(&b);
    assert_eq!(digits, DIGITS, "bob's `dtmf` digits\n{story}");
    assert!(
        methods.iter().all(|m| m == mode),
        "every digit should arrive by {mode}: {methods:?}\n{story}"
    );
    for e in b.named("dtmf") {
        assert_eq!(e["call"], 1, "{story}");
        assert!(
            e["duration_ms"]
                .as_u64()
                .is_some_and(|d| durations.contains(&d)),
            "duration_ms should be in {durations:?} for `dtmf …{timing}`: {e}\n{story}"
        );
    }
    let (digits, methods) = sent(&a);
    assert_eq!(digits, DIGITS, "alice's `dtmf-sent` digits\n{story}");
    assert!(
        methods.iter().all(|m| m == mode),
        "every digit should go by {mode}: {methods:?}\n{story}"
    );
}

#[test]
fn two_siplines_dtmf_rfc4733() {
    // The default 100 ms key press, measured from the event's duration field.
    two_siplines("rfc4733", "", 60..=160);
}

/// A hangs up while its 3 s key press is still going (no end packet is ever sent): B gets
/// the BYE with the event open and must still report the digit, with the time it heard,
/// when its media stops. Before, the open digit died with the call.
#[test]
fn a_digit_still_held_at_the_peers_hangup_is_reported() {
    let dir = TempDir::new("dtmf-held-at-hangup");
    let (pa, pb) = (reserve_port(), reserve_port());
    let a_opts = SiplineOpts::new("alice", pa.port());
    let b_opts = SiplineOpts::new("bob", pb.port());
    let mut b = Sipline::spawn("bob", b_opts.clone(), dir.path());
    b.send("wait incoming 20s\naccept\nwait terminated 20s\nquit\n");
    b.expect_listening();
    let a = run_sipline(
        "alice",
        a_opts,
        &format!(
            "invite {}\n\
             wait accepted 10s\n\
             wait media 5s\n\
             dtmf 7 --mode rfc4733 --duration 3000\n\
             sleep 1s\n\
             hangup\n\
             wait terminated 10s\n\
             quit\n",
            b_opts.uri(),
        ),
        dir.path(),
        secs(30),
    );
    let b = b.finish(secs(10));
    let story = format!("{}\n{}", a.report(), b.report());
    a.assert_success();
    b.assert_success();
    assert!(
        a.named("dtmf-sent").is_empty(),
        "the press never ended\n{story}"
    );
    let (digits, methods) = received(&b);
    assert_eq!(digits, "7", "bob's `dtmf` digits\n{story}");
    assert_eq!(methods, ["rfc4733"], "{story}");
    let heard = b.named("dtmf")[0]["duration_ms"].as_u64().unwrap_or(0);
    assert!(
        (500..3000).contains(&heard),
        "bob heard the key for about the second before the hangup, not {heard} ms\n{story}"
    );
}

#[test]
fn two_siplines_dtmf_rfc4733_long_presses() {
    two_siplines("rfc4733", " --duration 300 --gap 150", 260..=360);
}

#[test]
fn two_siplines_dtmf_info() {
    // INFO carries Duration=250; the receiver reports it as sent.
    two_siplines("info", " --duration 250", 250..=250);
}

/// sipp `uac_pcap.xml`: PCMA audio then an RFC 2833 event for `1`, replayed from captures.
#[test]
fn sipp_pcap_dtmf_reaches_sipline() {
    if !peer_available("sipp", "sip-tester") {
        return;
    }
    let corpus = corpora_dir().join("sipp/sipp-official");
    let scenario = corpus.join("uac_pcap.xml");
    assert!(
        scenario.is_file() && corpus.join("pcap/dtmf_2833_1.pcap").is_file(),
        "the sipp corpus is missing: {} (set SIPLINE_SHARED)",
        corpus.display()
    );
    let dir = TempDir::new("dtmf-sipp-pcap");
    let me = reserve_port();
    let opts = SiplineOpts::new("sipline", me.port()).codecs("pcma,pcmu");
    let mut sipline = Sipline::spawn("sipline", opts, dir.path());
    sipline.send(
        "wait incoming 20s\n\
         accept\n\
         wait dtmf 1 1 20s\n\
         wait terminated 20s\n\
         quit\n",
    );
    sipline.expect_listening();
    // The pcap paths in the scenario are relative to the corpus folder.
    let mut sipp = Sipp::scenario_client(
        dir.path(),
        "uac-pcap",
        &scenario,
        local(me.port()),
        &["-s", "sipline"],
        &corpus,
    );
    let status = sipp.peer.wait(secs(40));
    let out = sipline.finish(secs(10));
    let errors = std::fs::read_to_string(dir.join("sipp-uac-pcap-errors.log")).unwrap_or_default();
    let logs = format!("{}\n{errors}", sipp.peer.logs());
    if logs.contains("Operation not permitted") || logs.contains("EPERM") {
        eprintln!(
            "\n**********************************************************************\n\
             *** SKIPPED: sipp could not replay the pcap (needs root or CAP_NET_RAW).\n\
             {logs}\n\
             **********************************************************************\n"
        );
        return;
    }
    let story = format!(
        "{}\nsipp exit: {status:?}\n{logs}\n--- sipp trace ---\n{}",
        out.report(),
        sipp.trace_tail()
    );
    assert!(status.is_some_and(|s| s.success()), "sipp failed\n{story}");
    out.assert_success();
    let (digits, methods) = received(&out);
    assert_eq!(digits, "1", "the capture holds one key press of 1\n{story}");
    assert_eq!(methods, ["rfc4733"], "{story}");
    assert_eq!(out.first("terminated")["by"], "remote", "{story}");
}

/// baresip dials sipline and, once the call is up, sends digits with `sndcode`; sipline
/// reports them. Then sipline sends digits and baresip reports what it received.
#[test]
fn baresip_and_sipline_exchange_dtmf() {
    if !peer_available("baresip", "baresip") {
        return;
    }
    let dir = TempDir::new("dtmf-baresip");
    let mut baresip = Baresip::start(dir.path(), BaresipOpts::new("pcmu"));
    let me = reserve_port();
    let opts = SiplineOpts::new("sipline", me.port());
    let uri = opts.uri();
    let mut sipline = Sipline::spawn("sipline", opts, dir.path());
    sipline.send("wait incoming 20s\naccept\nwait media 5s\n");
    sipline.expect_listening();
    if let Err(e) = baresip.command("dial", &uri, secs(5)) {
        let out = sipline.finish(secs(2));
        panic!("{e}\n{}\n{}", baresip.peer.logs(), out.report());
    }
    if baresip.wait_event("CALL_ESTABLISHED", secs(10)).is_none() {
        let events = baresip.events_text();
        let out = sipline.finish(secs(2));
        panic!(
            "baresip never reported CALL_ESTABLISHED\n{events}\n{}",
            out.report()
        );
    }
    sipline.expect_event("media", secs(5));
    // baresip → sipline, one digit per sndcode, spaced like key presses.
    for digit in ["4", "2", "#"] {
        if let Err(e) = baresip.command("sndcode", digit, secs(5)) {
            let events = baresip.events_text();
            let out = sipline.finish(secs(2));
            panic!("{e}\n{events}\n{}\n{}", baresip.peer.logs(), out.report());
        }
        std::thread::sleep(std::time::Duration::from_millis(400));
    }
    sipline.send(
        "wait dtmf 1 42# 10s\n\
         dtmf 7*3 --mode auto\n\
         sleep 3s\n\
         dtmf 9 --mode info\n\
         sleep 2s\n\
         hangup\n\
         wait terminated 10s\n\
         quit\n",
    );
    let out = sipline.finish(secs(30));
    baresip.wait_event("CALL_CLOSED", secs(5));
    let baresip_events = baresip.events_text();
    baresip.stop();
    let story = format!(
        "{}\n--- baresip ctrl events ---\n{baresip_events}\n{}",
        out.report(),
        baresip.peer.logs()
    );
    out.assert_success();
    let (digits, methods) = received(&out);
    assert_eq!(digits, "42#", "digits baresip sent with sndcode\n{story}");
    assert!(
        methods.iter().all(|m| m == "rfc4733"),
        "baresip 1.0 sends sndcode digits as RFC 4733 events: {methods:?}\n{story}"
    );
    let (digits, methods) = sent(&out);
    assert_eq!(digits, "7*39", "sipline's dtmf-sent\n{story}");
    assert_eq!(
        methods,
        ["rfc4733", "rfc4733", "rfc4733", "info"],
        "auto picks rfc4733 (baresip offers telephone-event); 9 went by INFO\n{story}"
    );

    // What baresip reports for received DTMF: CALL_DTMF_START events on ctrl_tcp.
    let heard: String = baresip_dtmf_events(&baresip_events);
    assert_eq!(
        heard, "7*39",
        "baresip's CALL_DTMF_START events should spell the digits sipline sent (by RFC 4733 \
         and by INFO)\n{story}"
    );
}

/// The digits of baresip's `CALL_DTMF_START` events (param = the digit), from the rendered
/// event list.
fn baresip_dtmf_events(rendered: &str) -> String {
    rendered
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l.trim()).ok())
        .filter(|v| v["type"] == "CALL_DTMF_START")
        .filter_map(|v| v["param"].as_str().map(str::to_owned))
        .collect()
}

/// The peer itself: baresip dials baresip and sends `sndcode` digits; the callee's
/// ctrl_tcp events show what baresip reports for received DTMF (no sipline involved).
#[test]
fn harness_baresip_sends_dtmf_to_baresip() {
    if !peer_available("baresip", "baresip") {
        return;
    }
    let dir = TempDir::new("dtmf-baresip-selfcheck");
    let mut caller_opts = BaresipOpts::new("pcmu");
    caller_opts.user = "carol".to_owned();
    caller_opts.answermode = "manual".to_owned();
    let mut callee = Baresip::start(dir.path(), BaresipOpts::new("pcmu"));
    let mut caller = Baresip::start(dir.path(), caller_opts);
    let target = callee.uri();
    caller.command("dial", &target, secs(5)).unwrap();
    assert!(
        caller.wait_event("CALL_ESTABLISHED", secs(10)).is_some(),
        "no CALL_ESTABLISHED\n{}\n{}",
        caller.events_text(),
        callee.peer.logs()
    );
    std::thread::sleep(secs(1));
    for digit in ["4", "2", "#"] {
        caller.command("sndcode", digit, secs(5)).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(400));
    }
    std::thread::sleep(secs(1));
    caller.command("hangup", "", secs(5)).unwrap();
    callee.wait_event("CALL_CLOSED", secs(5));
    let events = callee.events_text();
    caller.stop();
    callee.stop();
    assert_eq!(
        baresip_dtmf_events(&events),
        "42#",
        "callee's ctrl_tcp events\n{events}\n{}",
        callee.peer.logs()
    );
}
