//! Calls complete through a lossy, duplicating network (RFC 3261 §17 retransmissions).

mod sim;

use std::time::Duration;

use sim::Net;
use sipline::api::Command;

#[test]
fn calls_complete_with_30_percent_loss_both_ways() {
    let mut failures = Vec::new();
    for seed in 0..100u64 {
        let mut net = Net::new(2, seed);
        net.loss = 0.3;
        net.duplicate = 0.05;
        let target = net.uri(1);
        net.command(0, Command::Invite { target });
        if net
            .wait_event(1, "incoming", Duration::from_secs(30))
            .is_none()
        {
            failures.push((seed, "incoming"));
            continue;
        }
        net.command(1, Command::Accept { call: None });
        if net
            .wait_event(0, "accepted", Duration::from_secs(30))
            .is_none()
        {
            failures.push((seed, "accepted"));
            continue;
        }
        net.run_for(Duration::from_secs(1));
        net.command(0, Command::Hangup { call: None });
        if net
            .wait_event(1, "terminated", Duration::from_secs(40))
            .is_none()
        {
            failures.push((seed, "terminated"));
            continue;
        }
        net.run_for(Duration::from_secs(60));
        if net.uas[1].engine.call_count() != 0 || net.uas[0].engine.call_count() != 0 {
            failures.push((seed, "leftover call"));
        }
    }
    assert!(failures.is_empty(), "seeds that failed: {failures:?}");
}
