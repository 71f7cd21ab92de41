//! Hold and resume by re-INVITE (RFC 3264 §8.4, RFC 6337), and re-INVITE glare (§14.1).

mod sim;

use std::time::Duration;

use sim::Net;
use sipline::api::{Command, Event, Party};
use sipline::media::{MediaCtl, MediaDirection};

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

fn last_direction(net: &Net, ua: usize) -> MediaDirection {
    net.uas[ua]
        .media
        .iter()
        .rev()
        .find_map(|m| match m {
            MediaCtl::Start { params, .. } => Some(params.direction),
            _ => None,
        })
        .unwrap()
}

fn sdp_of_last(net: &Net, ua: usize, start: &str) -> String {
    net.uas[ua]
        .sent
        .iter()
        .rev()
        .map(|(_, _, b)| String::from_utf8_lossy(b).to_string())
        .find(|t| t.starts_with(start))
        .unwrap()
}

#[test]
fn hold_offers_sendonly_and_both_sides_report_it_then_resume() {
    let mut net = call_up(91);
    net.command(0, Command::Hold { call: None });
    net.run_for(S);
    assert!(sdp_of_last(&net, 0, "INVITE ").contains("a=sendonly\r\n"));
    assert!(sdp_of_last(&net, 1, "SIP/2.0 200").contains("a=recvonly\r\n"));
    assert!(net.uas[0].events.iter().any(|(_, e)| *e
        == Event::Held {
            call: sipline::api::CallHandle(1),
            by: Party::Local
        }));
    assert!(net.uas[1].events.iter().any(|(_, e)| matches!(
        e,
        Event::Held {
            by: Party::Remote,
            ..
        }
    )));
    assert_eq!(last_direction(&net, 0), MediaDirection::SendOnly);
    assert_eq!(last_direction(&net, 1), MediaDirection::RecvOnly);
    // The re-INVITE was ACKed: the 200 went out once.
    let oks = net
        .sent_lines(1)
        .iter()
        .filter(|l| *l == "SIP/2.0 200")
        .count();
    assert_eq!(oks, 2, "200 for the INVITE and for the re-INVITE");

    net.command(0, Command::Hold { call: None });
    assert!(matches!(
        net.uas[0].events.last().map(|(_, e)| e.clone()),
        Some(Event::CommandError { message }) if message == "hold: call 1 is already on hold"
    ));

    net.command(0, Command::Unhold { call: None });
    net.run_for(S);
    assert!(sdp_of_last(&net, 0, "INVITE ").contains("a=sendrecv\r\n"));
    assert!(net.uas[1].events.iter().any(|(_, e)| matches!(
        e,
        Event::Resumed {
            by: Party::Remote,
            ..
        }
    )));
    assert_eq!(last_direction(&net, 0), MediaDirection::SendRecv);
    assert_eq!(last_direction(&net, 1), MediaDirection::SendRecv);
}

#[test]
fn glare_gets_491_both_ways_and_the_retries_settle_in_their_windows() {
    let mut net = call_up(92);
    let t0 = net.elapsed();
    net.command(0, Command::Hold { call: None });
    net.command(1, Command::Hold { call: None });
    net.run_for(S * 10);
    for ua in [0, 1] {
        let n491 = net
            .sent_lines(ua)
            .iter()
            .filter(|l| *l == "SIP/2.0 491")
            .count();
        assert_eq!(n491, 1, "ua {ua}: {:?}", net.sent_lines(ua));
    }
    let invites = |ua: usize| -> Vec<Duration> {
        net.uas[ua]
            .sent
            .iter()
            .filter(|(_, _, b)| b.starts_with(b"INVITE "))
            .map(|(t, _, _)| t.saturating_sub(t0))
            .collect()
    };
    // Alice placed the call (owns the Call-ID): she waits 2.1-4 s; Bob waits 0-2 s.
    let (a, b) = (invites(0), invites(1));
    assert_eq!(a.len(), 3, "{a:?}"); // the call, the hold, the retry
    assert_eq!(b.len(), 2, "{b:?}"); // the hold, the retry
    assert!(
        a[2] >= Duration::from_millis(2100) && a[2] <= Duration::from_millis(4100),
        "{a:?}"
    );
    assert!(b[1] <= Duration::from_millis(2100), "{b:?}");
    // Both end up on hold, each seeing the other's hold too.
    for ua in [0, 1] {
        let held: Vec<Party> = net.uas[ua]
            .events
            .iter()
            .filter_map(|(_, e)| match e {
                Event::Held { by, .. } => Some(*by),
                _ => None,
            })
            .collect();
        assert!(
            held.contains(&Party::Local) && held.contains(&Party::Remote),
            "ua {ua}: {held:?}"
        );
    }
    assert_eq!(last_direction(&net, 0), MediaDirection::Inactive);
    assert_eq!(last_direction(&net, 1), MediaDirection::Inactive);
}

#[test]
fn an_update_with_a_sendonly_offer_is_answered_recvonly_and_reported_as_held() {
    let mut net = call_up(93);
    // Turn alice's last in-dialog request (the ACK) into an UPDATE carrying a hold offer.
    let invite = sdp_of_last(&net, 0, "INVITE ");
    let sdp_start = invite.find("\r\n\r\n").unwrap() + 4;
    let offer = invite[sdp_start..].replace("a=sendrecv", "a=sendonly");
    let ack = sdp_of_last(&net, 0, "ACK ");
    let head_end = ack.find("\r\n\r\n").unwrap();
    let head = ack[..head_end]
        .replacen("ACK ", "UPDATE ", 1)
        .replace("CSeq: 1 ACK", "CSeq: 5 UPDATE")
        .replace("branch=z9hG4bK", "branch=z9hG4bKupd")
        .replace("Content-Length: 0", "Content-Type: application/sdp");
    let update = format!("{head}\r\n\r\n{offer}");
    net.inject(1, "127.0.0.1:5061".parse().unwrap(), update.as_bytes());
    net.run_for(S);
    let ok = sdp_of_last(&net, 1, "SIP/2.0 200");
    assert!(ok.contains("CSeq: 5 UPDATE\r\n"), "{ok}");
    assert!(ok.contains("a=recvonly\r\n"), "{ok}");
    assert!(net.uas[1].events.iter().any(|(_, e)| matches!(
        e,
        Event::Held {
            by: Party::Remote,
            ..
        }
    )));
    assert_eq!(last_direction(&net, 1), MediaDirection::RecvOnly);
}
