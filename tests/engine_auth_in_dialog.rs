//! Requests inside a dialog that a proxy challenges (RFC 3261 §22.3): BYE, re-INVITE, INFO,
//! REFER and PRACK (in the early dialog) answer a 401/407 once with the account's credentials, as a new request
//! (§22.2), and never loop. The 407 is injected on the simulated network in place of the
//! peer's answer.

mod sim;

use std::time::Duration;

use sim::digest::{alice_with_account, assert_answers, challenge_407, REALM};
use sim::Net;
use sipline::api::{Command, Event, ReferOptions};
use sipline::sip::msg::{Message, Request, SipMessage};

const S: Duration = Duration::from_secs(1);
const ALICE: usize = 0;
const BOB: usize = 1;

/// Alice (with an account and password `secret`, not registering) calls bob, who answers;
/// returns once the call is up.
fn alice_calls_bob(seed: u64) -> Net {
    let mut net = alice_with_account(seed);
    let target = net.uri(BOB);
    net.command(ALICE, Command::Invite { target });
    net.wait_event(BOB, "incoming", S * 2).expect("incoming");
    net.command(BOB, Command::Accept { call: None });
    net.wait_event(ALICE, "accepted", S * 2).expect("accepted");
    net.run_for(S);
    net
}

/// Every `method` request alice sent, in order (retransmissions included).
fn sent_by_alice(net: &Net, method: &str) -> Vec<Request> {
    net.uas[ALICE]
        .sent
        .iter()
        .filter_map(|(_, _, b)| match Message::parse(b) {
            Ok(Message::Request(r)) if r.method.as_str() == method => Some(r),
            _ => None,
        })
        .collect()
}

/// A proxy may challenge requests inside a dialog (RFC 3261 §22.3): alice's BYE gets a
/// 407 (injected in place of the callee's answer); she sends it again, with a higher CSeq,
/// the same Route and Proxy-Authorization whose digest matches her password. A second 407
/// for the retry (same nonce) ends it: no third BYE.
#[test]
fn bye_challenged_with_407_is_sent_again_once_with_credentials() {
    let mut net = alice_calls_bob(53);
    let (alice, bob) = (ALICE, BOB);

    let byes = |net: &Net| sent_by_alice(net, "BYE");
    let bob_addr = net.uas[bob].addr;

    net.hold(alice, "BYE");
    net.command(alice, Command::Hangup { call: None });
    net.run_for(S / 10);
    assert_eq!(net.discard_held(), 1, "alice's BYE");
    net.release();
    let first = byes(&net).pop().expect("a BYE");
    assert!(first.headers.get("Proxy-Authorization").is_none());
    net.hold(alice, "BYE");
    net.inject(alice, bob_addr, &challenge_407(&first, "bye-nonce"));
    net.run_for(S / 10);
    assert_eq!(net.discard_held(), 1, "the BYE again, with credentials");
    let sent = byes(&net);
    let retry = sent.last().expect("the retry");
    assert_eq!(sent.len(), 2, "one retry");
    assert_eq!(
        retry.cseq().unwrap().seq,
        first.cseq().unwrap().seq + 1,
        "§22.2: the retry is a new request"
    );
    assert_eq!(retry.headers.get("Route"), first.headers.get("Route"));
    assert_answers(retry, "bye-nonce", "BYE");

    // The proxy refuses that too (same nonce): no third BYE.
    net.inject(alice, bob_addr, &challenge_407(retry, "bye-nonce"));
    net.run_for(S * 40);
    assert_eq!(byes(&net).len(), 2, "no loop");
    assert!(matches!(
        net.wait_event(alice, "terminated", S),
        Some(Event::Terminated { .. })
    ));
}

/// A proxy challenges alice's hold re-INVITE with 407 (§22.3): she sends it again once,
/// as a new request (higher CSeq) with Proxy-Authorization for INVITE, and the hold
/// completes when bob answers the retry. A second 407 to the retry is not retried.
#[test]
fn reinvite_challenged_with_407_is_sent_again_once_with_credentials() {
    let mut net = alice_calls_bob(54);
    let (alice, bob) = (ALICE, BOB);

    let invites = |net: &Net| sent_by_alice(net, "INVITE");
    let bob_addr = net.uas[bob].addr;

    // First round: the re-INVITE is challenged; the retry goes through to bob.
    net.hold(alice, "INVITE");
    net.command(alice, Command::Hold { call: None });
    net.run_for(S / 10);
    assert_eq!(net.discard_held(), 1, "alice's re-INVITE");
    net.release();
    let first = invites(&net).pop().expect("a re-INVITE");
    assert!(first.headers.get("Proxy-Authorization").is_none());
    net.inject(alice, bob_addr, &challenge_407(&first, "reinvite-nonce"));
    net.run_for(S * 2);
    let sent = invites(&net);
    assert_eq!(sent.len(), 3, "the INVITE, the re-INVITE and its retry");
    let retry = &sent[2];
    assert_eq!(
        retry.cseq().unwrap().seq,
        first.cseq().unwrap().seq + 1,
        "§22.2: the retry is a new request"
    );
    assert_answers(retry, "reinvite-nonce", "INVITE");
    assert!(
        String::from_utf8_lossy(&retry.body).contains("a=sendonly"),
        "the retry offers the hold again"
    );
    assert!(
        matches!(
            net.wait_event(alice, "held", S * 2),
            Some(Event::Held { .. })
        ),
        "bob answered the retry"
    );

    // Second round: resume, challenged twice with the same nonce: one retry only, and
    // the user hears that the peer refused.
    net.hold(alice, "INVITE");
    net.command(alice, Command::Unhold { call: None });
    net.run_for(S / 10);
    assert_eq!(net.discard_held(), 1, "the resume re-INVITE");
    let resume = invites(&net).pop().expect("resume");
    net.inject(alice, bob_addr, &challenge_407(&resume, "resume-nonce"));
    net.run_for(S / 10);
    assert_eq!(net.discard_held(), 1, "the resume again, with credentials");
    let resume_retry = invites(&net).pop().expect("resume retry");
    assert!(resume_retry.headers.get("Proxy-Authorization").is_some());
    net.release();
    net.inject(
        alice,
        bob_addr,
        &challenge_407(&resume_retry, "resume-nonce"),
    );
    net.run_for(S * 5);
    assert_eq!(
        invites(&net).len(),
        5,
        "no loop: INVITE, hold + retry, resume + retry"
    );
    let refused = net.uas[alice].events.iter().any(|(_, e)| {
        matches!(e, Event::CommandError { message } if message.contains("unhold") && message.contains("407"))
    });
    assert!(refused, "the user hears the resume was refused");
}

/// A proxy challenges alice's DTMF INFO with 407 (§22.3): she sends the same digit again
/// once, as a new request with Proxy-Authorization, and bob receives it; the next digit
/// goes with the cached credentials at the first try.
#[test]
fn info_challenged_with_407_is_sent_again_with_credentials() {
    let mut net = alice_calls_bob(55);
    let (alice, bob) = (ALICE, BOB);

    let infos = |net: &Net| sent_by_alice(net, "INFO");
    let bob_addr = net.uas[bob].addr;
    net.hold(alice, "INFO");
    net.command(
        alice,
        Command::SendDtmf {
            call: None,
            digits: "5".into(),
            mode: sipline::api::DtmfMode::Info,
            duration_ms: None,
            gap_ms: None,
        },
    );
    net.run_for(S / 10);
    assert_eq!(net.discard_held(), 1, "alice's INFO");
    net.release();
    let first = infos(&net).pop().expect("an INFO");
    assert!(first.headers.get("Proxy-Authorization").is_none());
    let mut challenge = first.make_response(407, None);
    challenge.headers.push(
        "Proxy-Authenticate",
        format!("Digest realm=\"{REALM}\", nonce=\"info-nonce\", algorithm=MD5, qop=\"auth\""),
    );
    net.inject(alice, bob_addr, &challenge.to_bytes());
    let got = net
        .wait_event(bob, "dtmf", S * 2)
        .expect("bob gets the digit");
    assert!(
        matches!(got, Event::Dtmf { ref digit, .. } if digit == "5"),
        "{got:?}"
    );
    assert!(net.wait_event(alice, "dtmf-sent", S * 2).is_some());
    let sent = infos(&net);
    assert_eq!(sent.len(), 2, "the INFO and its retry");
    assert_eq!(sent[1].cseq().unwrap().seq, first.cseq().unwrap().seq + 1);
    assert_answers(&sent[1], "info-nonce", "INFO");
    assert!(!net.uas[alice]
        .events
        .iter()
        .any(|(_, e)| matches!(e, Event::CommandError { .. })));
}

/// A proxy challenges alice's REFER with 407: she sends it again once, as the dialog's
/// next request with Proxy-Authorization, and bob is asked about the transfer; a second
/// 407 for a later REFER's retry fails that transfer (`refer-failed` 407), no loop.
#[test]
fn refer_challenged_with_407_is_sent_again_once_with_credentials() {
    let mut net = alice_calls_bob(56);
    let (alice, bob) = (ALICE, BOB);
    let refers = |net: &Net| sent_by_alice(net, "REFER");
    let bob_addr = net.uas[bob].addr;
    let refer = |net: &mut Net| {
        net.command(
            alice,
            Command::Refer {
                call: None,
                target: "sip:carol@127.0.0.1:5099".into(),
                replace: None,
                options: ReferOptions::default(),
            },
        )
    };

    net.hold(alice, "REFER");
    refer(&mut net);
    net.run_for(S / 10);
    assert_eq!(net.discard_held(), 1, "alice's REFER");
    net.release();
    let first = refers(&net).pop().expect("a REFER");
    assert!(first.headers.get("Proxy-Authorization").is_none());
    net.inject(alice, bob_addr, &challenge_407(&first, "refer-nonce"));
    let asked = net
        .wait_event(bob, "referred", S * 2)
        .expect("bob gets the retry");
    assert!(matches!(asked, Event::Referred { .. }), "{asked:?}");
    let sent = refers(&net);
    assert_eq!(sent.len(), 2, "the REFER and its retry");
    let retry = &sent[1];
    assert_eq!(retry.cseq().unwrap().seq, first.cseq().unwrap().seq + 1);
    assert_eq!(retry.headers.get("Refer-To"), first.headers.get("Refer-To"));
    assert_answers(retry, "refer-nonce", "REFER");
    net.command(
        bob,
        Command::ReferReject {
            call: None,
            code: 603,
        },
    );
    net.wait_event(alice, "refer-failed", S * 2)
        .expect("bob refused");

    // Challenged again with a fresh nonce, and the retry with the same nonce once more:
    // one retry, then the transfer fails with the 407.
    net.hold(alice, "REFER");
    refer(&mut net);
    net.run_for(S / 10);
    assert_eq!(net.discard_held(), 1);
    let second = refers(&net).pop().expect("the second REFER");
    net.inject(alice, bob_addr, &challenge_407(&second, "refer-nonce-2"));
    net.run_for(S / 10);
    assert_eq!(net.discard_held(), 1, "its retry");
    let second_retry = refers(&net).pop().expect("retry");
    net.release();
    net.inject(
        alice,
        bob_addr,
        &challenge_407(&second_retry, "refer-nonce-2"),
    );
    net.run_for(S * 5);
    assert_eq!(refers(&net).len(), 4, "no loop");
    let failed = net.uas[alice]
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::ReferFailed { code, .. } => Some(*code),
            _ => None,
        })
        .collect::<Vec<_>>();
    assert_eq!(failed, [603, 407]);
}

/// A proxy challenges alice's PRACK of bob's reliable 183 (RFC 3262 in a challenged
/// early dialog, §22.3): she sends it again once, with the same RAck, a higher CSeq and
/// Proxy-Authorization for PRACK; bob answers the retry and the call completes; her BYE
/// later still gets a higher CSeq than the retried PRACK. A second 407 is not retried.
#[test]
fn prack_challenged_with_407_is_sent_again_once_with_credentials() {
    for challenge_twice in [false, true] {
        let mut net = alice_with_account(57);
        let (alice, bob) = (ALICE, BOB);
        let bob_addr = net.uas[bob].addr;
        let pracks = |net: &Net| sent_by_alice(net, "PRACK");
        let target = net.uri(bob);
        net.command(alice, Command::Invite { target });
        net.wait_event(bob, "incoming", S * 2).expect("incoming");

        net.hold(alice, "PRACK");
        net.command(bob, Command::PreAccept { call: None });
        net.run_for(S / 10);
        assert_eq!(net.discard_held(), 1, "alice's PRACK");
        let first = pracks(&net).pop().expect("a PRACK");
        assert!(first.headers.get("Proxy-Authorization").is_none());
        if challenge_twice {
            net.hold(alice, "PRACK");
        } else {
            net.release();
        }
        net.inject(alice, bob_addr, &challenge_407(&first, "prack-nonce"));
        net.run_for(S / 10);
        let sent = pracks(&net);
        assert_eq!(sent.len(), 2, "one retry");
        let retry = &sent[1];
        assert_eq!(retry.headers.get("RAck"), first.headers.get("RAck"));
        assert_eq!(
            retry.cseq().unwrap().seq,
            first.cseq().unwrap().seq + 1,
            "§22.2: a new request"
        );
        assert_answers(retry, "prack-nonce", "PRACK");
        if challenge_twice {
            assert_eq!(net.discard_held(), 1, "the retry");
            net.release();
            net.inject(alice, bob_addr, &challenge_407(retry, "prack-nonce"));
            net.run_for(S * 2);
            assert_eq!(pracks(&net).len(), 2, "no loop");
            continue;
        }
        // Bob got the retry, answered it, and can now accept.
        net.run_for(S / 2);
        net.command(bob, Command::Accept { call: None });
        net.wait_event(alice, "accepted", S * 2).expect("accepted");
        net.run_for(S);
        net.command(alice, Command::Hangup { call: None });
        net.wait_event(bob, "terminated", S * 2)
            .expect("terminated");
        let bye = sent_by_alice(&net, "BYE").pop().expect("a BYE");
        assert!(
            bye.cseq().unwrap().seq > retry.cseq().unwrap().seq,
            "the dialog's CSeq stays ahead of the retried PRACK"
        );
    }
}
