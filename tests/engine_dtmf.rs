//! DTMF on a call: SIP INFO both ways and the choice of method (RFC 4733 vs INFO).

mod sim;

use std::time::Duration;

use sim::Net;
use sipline::api::{Command, DtmfMode, Event};
use sipline::media::{MediaCtl, MediaReport};

const S: Duration = Duration::from_secs(1);

fn call_up(seed: u64) -> Net {
    let mut net = Net::new(2, seed);
    let target = net.uri(1);
    net.command(0, Command::Invite { target });
    net.wait_event(1, "incoming", S).unwrap();
    net.command(1, Command::Accept { call: None });
    net.wait_event(0, "accepted", S).unwrap();
    net.run_for(S);
    net
}

fn dtmf(digits: &str, mode: DtmfMode) -> Command {
    Command::SendDtmf {
        call: None,
        digits: digits.into(),
        mode,
        duration_ms: None,
        gap_ms: None,
    }
}

#[test]
fn info_digits_arrive_in_order_one_request_at_a_time() {
    let mut net = call_up(61);
    net.command(0, dtmf("159#*0D", DtmfMode::Info));
    net.run_for(S * 10);
    let got: Vec<(String, DtmfMode, u32)> = net.uas[1]
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::Dtmf {
                digit,
                method,
                duration_ms,
                ..
            } => Some((digit.clone(), *method, *duration_ms)),
            _ => None,
        })
        .collect();
    let digits: String = got.iter().map(|g| g.0.as_str()).collect();
    assert_eq!(digits, "159#*0D");
    assert!(got.iter().all(|g| g.1 == DtmfMode::Info && g.2 == 100));
    let sent = net.uas[0]
        .events
        .iter()
        .filter(|(_, e)| {
            matches!(
                e,
                Event::DtmfSent {
                    method: DtmfMode::Info,
                    ..
                }
            )
        })
        .count();
    assert_eq!(sent, 7);
    // Each INFO left only after the previous one's 200 and the 500 ms gap.
    let infos: Vec<Duration> = net.uas[0]
        .sent
        .iter()
        .filter(|(_, _, b)| b.starts_with(b"INFO "))
        .map(|(t, _, _)| *t)
        .collect();
    assert_eq!(infos.len(), 7);
    for w in infos.windows(2) {
        assert!(w[1] - w[0] >= Duration::from_millis(500), "{infos:?}");
    }
    let first = String::from_utf8_lossy(
        &net.uas[0]
            .sent
            .iter()
            .find(|(_, _, b)| b.starts_with(b"INFO "))
            .unwrap()
            .2,
    )
    .to_string();
    assert!(
        first.contains("Content-Type: application/dtmf-relay\r\n"),
        "{first}"
    );
    assert!(
        first.ends_with("\r\n\r\nSignal=1\r\nDuration=100\r\n"),
        "{first}"
    );
}

#[test]
fn a_comma_pauses_two_seconds() {
    let mut net = call_up(62);
    net.command(0, dtmf("1,2", DtmfMode::Info));
    net.run_for(S * 10);
    let infos: Vec<Duration> = net.uas[0]
        .sent
        .iter()
        .filter(|(_, _, b)| b.starts_with(b"INFO "))
        .map(|(t, _, _)| *t)
        .collect();
    assert_eq!(infos.len(), 2);
    assert!(
        infos[1] - infos[0] >= Duration::from_millis(2500),
        "{infos:?}"
    );
}

#[test]
fn auto_uses_rfc4733_when_negotiated_and_reports_media_digits() {
    let mut net = call_up(63);
    net.command(0, dtmf("12#", DtmfMode::Auto));
    let ctl = net.uas[0].media.last().cloned().unwrap();
    assert!(
        matches!(&ctl, MediaCtl::SendDtmf { digits, duration_ms: 100, gap_ms: 500, .. } if digits == "12#"),
        "{ctl:?}"
    );
    assert!(!net.uas[0]
        .sent
        .iter()
        .any(|(_, _, b)| b.starts_with(b"INFO ")));
    // The media task's reports become events.
    let call = net.call_of(1, "incoming").unwrap();
    let now = net.now;
    net.uas[1].engine.handle_input(
        now,
        sipline::sip::Input::Media(MediaReport::DtmfReceived {
            call,
            digit: '7',
            duration_ms: 120,
        }),
    );
    let ev = std::iter::from_fn(|| net.uas[1].engine.poll_output())
        .find_map(|o| match o {
            sipline::sip::Output::Event(e) => Some(e),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        ev,
        Event::Dtmf {
            call,
            digit: "7".into(),
            duration_ms: 120,
            method: DtmfMode::Rfc4733
        }
    );
}

#[test]
fn a_bad_digit_is_refused_and_nothing_is_sent() {
    let mut net = call_up(64);
    let before = net.uas[0].sent.len();
    net.command(0, dtmf("12x4", DtmfMode::Info));
    net.run_for(S * 3);
    assert_eq!(net.uas[0].sent.len(), before);
    assert!(matches!(
        net.uas[0].events.last().map(|(_, e)| e.clone()),
        Some(Event::CommandError { message }) if message == "dtmf: 'x' is not a DTMF digit (0-9 * # A-D ,)"
    ));
}

#[test]
fn info_with_an_unknown_body_gets_415() {
    let mut net = call_up(65);
    // Build an in-dialog INFO from alice's BYE template: send dtmf via info then rewrite.
    net.command(0, dtmf("1", DtmfMode::Info));
    let info = net.uas[0]
        .sent
        .iter()
        .find(|(_, _, b)| b.starts_with(b"INFO "))
        .map(|(_, _, b)| String::from_utf8_lossy(b).to_string())
        .unwrap();
    let odd = info
        .replace("application/dtmf-relay", "application/x-custom")
        .replace("CSeq: 2 INFO", "CSeq: 9 INFO")
        .replace("branch=z9hG4bK", "branch=z9hG4bKodd");
    net.run_for(S);
    net.inject(1, "127.0.0.1:5061".parse().unwrap(), odd.as_bytes());
    net.run_for(S);
    assert!(
        net.sent_lines(1).contains(&"SIP/2.0 415".to_string()),
        "{:?}",
        net.sent_lines(1)
    );
}
