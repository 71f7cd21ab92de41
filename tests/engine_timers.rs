//! Retransmission schedules on virtual time (RFC 3261 §17.1.1.2, §17.1.2.2, §13.3.1.4).

mod sim;

use std::time::Duration;

use sim::Net;
use sipline::api::{Command, Event, FailureCause};

#[test]
fn unanswered_invite_is_retransmitted_on_timer_a_and_fails_on_timer_b() {
    // Bob does not exist: alice's INVITE goes nowhere.
    let mut net = Net::new(1, 11);
    net.command(
        0,
        Command::Invite {
            target: "sip:nobody@127.0.0.1:5999".into(),
        },
    );
    net.run_for(Duration::from_secs(40));
    let times: Vec<u128> = net
        .stray
        .iter()
        .filter(|(_, _, _, b)| b.starts_with(b"INVITE"))
        .map(|(t, _, _, _)| t.as_millis())
        .collect();
    // Sent at 0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s (+10 ms network latency, +<1 ms jitter).
    let sent: Vec<u128> = times.iter().map(|t| (t - 10) / 100 * 100).collect();
    assert_eq!(sent, vec![0, 500, 1500, 3500, 7500, 15500, 31500]);
    let failed: Vec<(Duration, Event)> = net.uas[0]
        .events
        .iter()
        .filter(|(_, e)| e.name() == "failed")
        .cloned()
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].0, Duration::from_secs(32));
    assert!(matches!(
        failed[0].1,
        Event::Failed {
            cause: FailureCause::Timeout,
            ..
        }
    ));
}

#[test]
fn accepted_2xx_is_retransmitted_until_ack_then_bye_after_64_t1() {
    // Alice's ACKs are all lost: bob retransmits 200 at T1 doubling to T2, and after
    // 64*T1 gives up with BYE (§13.3.1.4).
    let mut net = Net::new(2, 12);
    let target = net.uri(1);
    net.command(0, Command::Invite { target });
    net.wait_event(1, "incoming", Duration::from_secs(1))
        .unwrap();
    net.command(1, Command::Accept { call: None });
    let t0 = net.elapsed();
    // Drop everything alice sends from now on.
    net.loss = 1.0;
    net.run_for(Duration::from_secs(40));
    let oks: Vec<u128> = net.uas[1]
        .sent
        .iter()
        .filter(|(_, _, b)| b.starts_with(b"SIP/2.0 200"))
        .map(|(t, _, _)| (*t - t0).as_millis())
        .collect();
    // 0, then +0.5, +1, +2, +4, +4, … until 32 s.
    assert_eq!(&oks[..6], &[0, 500, 1500, 3500, 7500, 11500]);
    assert!(oks.iter().all(|t| *t <= 32_000));
    let terminated = net.uas[1]
        .events
        .iter()
        .find(|(_, e)| e.name() == "terminated")
        .expect("bob gave up");
    assert!(matches!(&terminated.1, Event::Terminated { cause, .. } if cause == "no-ack"));
    assert_eq!(terminated.0 - t0, Duration::from_secs(32));
}
