//! Registration and digest authentication on virtual time (RFC 3261 §10, §22; RFC 2617).
//!
//! The registrar here is a scripted responder on the simulated network that challenges and
//! checks digest responses; the same flows run against kamailio and sipp in process tests.

mod sim;

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use sim::digest::{account, digest_params, param, REALM};
use sim::Net;
use sipline::api::{Command, Event, FailureCause};
use sipline::sip::account::AccountConfig;
use sipline::sip::auth::{Algorithm, DigestInput, Qop};
use sipline::sip::msg::{Message, Request, SipMessage, Uri};

const REGISTRAR: &str = "127.0.0.1:5070";
const S: Duration = Duration::from_secs(1);

/// What the scripted registrar does.
#[derive(Clone)]
struct Policy {
    password: &'static str,
    grant: Option<u32>,
    min_expires: Option<u32>,
    /// Answer the first authorized REGISTER with `stale=true` and a new nonce.
    stale_once: bool,
    /// Challenge with 407 instead of 401 (a proxy).
    proxy: bool,
    /// Report this as the address the REGISTER came from (Via received/rport), as a
    /// registrar in front of which we sit behind NAT would.
    nat: Option<&'static str>,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            password: "secret",
            grant: None,
            min_expires: None,
            stale_once: false,
            proxy: false,
            nat: None,
        }
    }
}

#[derive(Default)]
struct Log {
    /// Every request received: (method, Expires, Authorization present).
    requests: Vec<(String, Option<u32>, bool)>,
}

/// A registrar (or proxy) that challenges every request without valid credentials.
fn registrar(policy: Policy, log: Rc<RefCell<Log>>) -> sim::Responder {
    let mut nonce_n = 0u32;
    let mut stale_done = false;
    Box::new(move |bytes: &[u8]| {
        let Ok(Message::Request(req)) = Message::parse(bytes) else {
            return Vec::new();
        };
        if req.method.as_str() == "ACK" {
            return Vec::new();
        }
        let expires = req.headers.get("Expires").and_then(|v| v.parse().ok());
        let auth_header = if policy.proxy {
            "Proxy-Authorization"
        } else {
            "Authorization"
        };
        let creds = req.headers.get(auth_header).map(digest_params);
        log.borrow_mut()
            .requests
            .push((req.method.to_string(), expires, creds.is_some()));
        let challenge = |n: u32, stale: bool| -> Vec<u8> {
            let code = if policy.proxy { 407 } else { 401 };
            let mut r = req.make_response(code, None);
            let hdr = if policy.proxy {
                "Proxy-Authenticate"
            } else {
                "WWW-Authenticate"
            };
            let stale = if stale { ", stale=true" } else { "" };
            r.headers.push(
                hdr,
                format!(
                    "Digest realm=\"{REALM}\", nonce=\"n{n}\", algorithm=MD5, qop=\"auth\"{stale}"
                ),
            );
            r.headers
                .set("To", format!("{};tag=reg", req.headers.get("To").unwrap()));
            r.to_bytes()
        };
        let Some(ps) = creds else {
            nonce_n += 1;
            return vec![challenge(nonce_n, false)];
        };
        let nc = u32::from_str_radix(param(&ps, "nc"), 16).unwrap_or(0);
        let expected = DigestInput {
            algorithm: Algorithm::Md5,
            username: param(&ps, "username"),
            realm: REALM,
            password: policy.password,
            nonce: param(&ps, "nonce"),
            cnonce: param(&ps, "cnonce"),
            nc,
            qop: Some(Qop::Auth),
            method: req.method.as_str(),
            uri: param(&ps, "uri"),
            body: &[],
        }
        .response();
        let fresh = param(&ps, "nonce") == format!("n{nonce_n}");
        if expected != param(&ps, "response") || !fresh {
            // Like Asterisk: a wrong password gets a new challenge with a new nonce.
            nonce_n += 1;
            return vec![challenge(nonce_n, false)];
        }
        if policy.stale_once && !stale_done {
            stale_done = true;
            nonce_n += 1;
            return vec![challenge(nonce_n, true)];
        }
        if let (Some(min), Some(e)) = (policy.min_expires, expires) {
            if e != 0 && e < min {
                let mut r = req.make_response(423, None);
                r.headers.push("Min-Expires", min.to_string());
                return vec![r.to_bytes()];
            }
        }
        if req.method.as_str() == "INVITE" {
            let mut r = req.make_response(486, None);
            r.headers
                .set("To", format!("{};tag=busy", req.headers.get("To").unwrap()));
            return vec![r.to_bytes()];
        }
        let granted = match expires {
            Some(0) => 0,
            e => policy.grant.or(e).unwrap_or(3600),
        };
        let mut r = req.make_response(200, None);
        r.headers
            .set("To", format!("{};tag=reg", req.headers.get("To").unwrap()));
        if let Some(seen) = policy.nat {
            let (ip, port) = seen.split_once(':').unwrap();
            let mut via = r.top_via().unwrap();
            via.set_param("received", Some(ip.into()));
            via.set_param("rport", Some(port.into()));
            r.headers.set("Via", via.to_string());
        }
        if granted > 0 {
            // The live binding: the last Contact (an earlier one may be expires=0).
            let contact = req.headers.get_split("Contact").last().unwrap().to_string();
            r.headers
                .push("Contact", format!("{contact};expires={granted}"));
        }
        vec![r.to_bytes()]
    })
}

fn setup(policy: Policy, acct: AccountConfig) -> (Net, Rc<RefCell<Log>>) {
    let mut net = Net::with_accounts(1, 51, move |_| vec![acct.clone()]);
    let log = Rc::new(RefCell::new(Log::default()));
    let addr: SocketAddr = REGISTRAR.parse().unwrap();
    net.serve(addr, registrar(policy, log.clone()));
    (net, log)
}

fn events(net: &Net) -> Vec<(Duration, Event)> {
    net.uas[0].events.clone()
}

#[test]
fn register_is_challenged_then_accepted() {
    let (mut net, log) = setup(Policy::default(), account("secret", 3600));
    let ev = net.wait_event(0, "registered", S * 5).expect("registered");
    assert_eq!(
        ev,
        Event::Registered {
            account: "alice".into(),
            expires: 3600
        }
    );
    let reqs = log.borrow().requests.clone();
    assert_eq!(
        reqs,
        vec![
            ("REGISTER".into(), Some(3600), false),
            ("REGISTER".into(), Some(3600), true)
        ]
    );
    // The retry kept Call-ID and raised CSeq (§10.2.4).
    let sent: Vec<Request> = net.uas[0]
        .sent
        .iter()
        .map(|(_, _, b)| match Message::parse(b).unwrap() {
            Message::Request(r) => r,
            Message::Response(_) => unreachable!(),
        })
        .collect();
    assert_eq!(sent[0].call_id().unwrap(), sent[1].call_id().unwrap());
    assert_eq!(sent[0].cseq().unwrap().seq + 1, sent[1].cseq().unwrap().seq);
}

#[test]
fn refresh_happens_at_half_the_granted_time_over_an_hour_without_new_challenges() {
    let policy = Policy {
        grant: Some(600),
        ..Policy::default()
    };
    let (mut net, log) = setup(policy, account("secret", 3600));
    net.run_for(Duration::from_secs(3600));
    let registered: Vec<Duration> = events(&net)
        .iter()
        .filter(|(_, e)| matches!(e, Event::Registered { expires: 600, .. }))
        .map(|(t, _)| *t)
        .collect();
    // 0 s, then every 300 s: 12 registrations in an hour.
    assert_eq!(registered.len(), 12, "{registered:?}");
    for w in registered.windows(2) {
        let gap = (w[1] - w[0]).as_secs();
        assert!((299..=301).contains(&gap), "refresh gap {gap}s");
    }
    // Credentials were cached: only the very first REGISTER went without them.
    let unauth = log.borrow().requests.iter().filter(|r| !r.2).count();
    assert_eq!(unauth, 1);
    assert!(!events(&net)
        .iter()
        .any(|(_, e)| e.name() == "registration-failed"));
}

#[test]
fn wrong_password_fails_once_without_looping_and_backs_off_30_to_60_s() {
    let (mut net, log) = setup(Policy::default(), account("wrong", 3600));
    let ev = net
        .wait_event(0, "registration-failed", S * 5)
        .expect("fails");
    let Event::RegistrationFailed {
        code,
        reason,
        retry_in,
        ..
    } = ev
    else {
        unreachable!()
    };
    assert_eq!(code, 401);
    assert_eq!(reason, "auth failed");
    let retry = retry_in;
    assert!((30..=60).contains(&retry), "retry in {retry}s");
    assert_eq!(
        log.borrow().requests.len(),
        2,
        "challenge, one answer, stop"
    );
    // The retry comes inside the window.
    let failed_at = events(&net)
        .iter()
        .find(|(_, e)| e.name() == "registration-failed")
        .unwrap()
        .0;
    net.run_for(Duration::from_secs(61));
    let times: Vec<Duration> = net.uas[0].sent.iter().map(|(t, _, _)| *t).collect();
    assert_eq!(times.len(), 4, "retried once more (and challenged)");
    let retried = times[2] - failed_at;
    assert!(retried >= Duration::from_secs(30) && retried <= Duration::from_secs(60));
}

#[test]
fn stale_nonce_is_retried_silently() {
    let policy = Policy {
        stale_once: true,
        ..Policy::default()
    };
    let (mut net, log) = setup(policy, account("secret", 3600));
    assert!(net.wait_event(0, "registered", S * 5).is_some());
    assert!(!events(&net)
        .iter()
        .any(|(_, e)| e.name() == "registration-failed"));
    assert_eq!(log.borrow().requests.len(), 3);
}

#[test]
fn interval_too_brief_raises_expires_to_min_expires() {
    let policy = Policy {
        min_expires: Some(1800),
        ..Policy::default()
    };
    let (mut net, log) = setup(policy, account("secret", 600));
    let ev = net.wait_event(0, "registered", S * 5).expect("registered");
    assert!(
        matches!(ev, Event::Registered { expires: 1800, .. }),
        "{ev:?}"
    );
    let expires: Vec<Option<u32>> = log.borrow().requests.iter().map(|r| r.1).collect();
    assert_eq!(expires, vec![Some(600), Some(600), Some(1800)]);
}

#[test]
fn a_silent_registrar_times_out_at_32_s_and_a_retry_follows() {
    let acct = account("secret", 3600);
    let mut net = Net::with_accounts(1, 52, move |_| vec![acct.clone()]);
    net.run_for(Duration::from_secs(40));
    let (t, ev) = events(&net)
        .into_iter()
        .find(|(_, e)| e.name() == "registration-failed")
        .expect("failed");
    assert_eq!(t, Duration::from_secs(32));
    assert!(
        matches!(ev, Event::RegistrationFailed { code: 0, ref reason, .. } if reason == "timeout")
    );
}

#[test]
fn shutdown_unregisters_with_expires_zero() {
    let (mut net, log) = setup(Policy::default(), account("secret", 3600));
    net.wait_event(0, "registered", S * 5).unwrap();
    net.command(0, Command::Shutdown);
    assert!(net.wait_event(0, "unregistered", S * 5).is_some());
    let last = log.borrow().requests.last().cloned().unwrap();
    assert_eq!(last, ("REGISTER".into(), Some(0), true));
    assert!(net.uas[0].engine.is_shut_down());
}

#[test]
fn invite_challenged_with_407_is_resent_with_proxy_authorization() {
    let mut acct = account("secret", 3600);
    acct.register = false;
    acct.outbound_proxy = Some(Uri::parse("sip:127.0.0.1:5070").unwrap());
    let policy = Policy {
        proxy: true,
        ..Policy::default()
    };
    let (mut net, log) = setup(policy, acct);
    net.command(
        0,
        Command::Invite {
            target: "bob".into(),
        },
    );
    let ev = net
        .wait_event(0, "rejected", S * 5)
        .expect("the proxy's 486");
    assert!(matches!(ev, Event::Rejected { code: 486, .. }));
    let reqs = log.borrow().requests.clone();
    assert_eq!(reqs[0], ("INVITE".into(), None, false));
    // (ACKs are not logged.)
    assert_eq!(reqs[1], ("INVITE".into(), None, true), "{reqs:?}");
    // The bare `bob` went to the account's domain, with a pre-loaded Route to the proxy.
    let invite = String::from_utf8_lossy(&net.uas[0].sent[0].2).to_string();
    assert!(
        invite.starts_with("INVITE sip:bob@127.0.0.1:5070 SIP/2.0\r\n"),
        "{invite}"
    );
    assert!(
        invite.contains("Route: <sip:127.0.0.1:5070;lr>\r\n"),
        "{invite}"
    );
    assert!(
        invite.contains("From: <sip:alice@127.0.0.1:5070>;tag="),
        "{invite}"
    );
}

#[test]
fn invite_with_a_wrong_password_fails_with_cause_auth() {
    let mut acct = account("wrong", 3600);
    acct.register = false;
    acct.outbound_proxy = Some(Uri::parse("sip:127.0.0.1:5070").unwrap());
    let policy = Policy {
        proxy: true,
        ..Policy::default()
    };
    let (mut net, _log) = setup(policy, acct);
    net.command(
        0,
        Command::Invite {
            target: "bob".into(),
        },
    );
    let ev = net.wait_event(0, "failed", S * 5).expect("failed");
    assert!(matches!(
        ev,
        Event::Failed {
            cause: FailureCause::Auth,
            ..
        }
    ));
}

#[test]
fn passwords_never_show_in_debug_output_or_on_the_wire() {
    let acct = account("s3cr3t-pa55", 3600);
    assert!(!format!("{acct:?}").contains("s3cr3t"));
    let (mut net, _log) = setup(
        Policy {
            password: "s3cr3t-pa55",
            ..Policy::default()
        },
        acct,
    );
    net.wait_event(0, "registered", S * 5).unwrap();
    for (_, _, bytes) in &net.uas[0].sent {
        assert!(!String::from_utf8_lossy(bytes).contains("s3cr3t"));
    }
    for (_, e) in &net.uas[0].events {
        assert!(!format!("{e:?}").contains("s3cr3t"));
    }
}

#[test]
fn behind_nat_the_contact_is_rewritten_from_received_and_rport_once() {
    let policy = Policy {
        nat: Some("203.0.113.5:40000"),
        ..Policy::default()
    };
    let (mut net, log) = setup(policy, account("secret", 3600));
    assert!(net.wait_event(0, "registered", S * 5).is_some());
    let registers: Vec<String> = net.uas[0]
        .sent
        .iter()
        .map(|(_, _, b)| String::from_utf8_lossy(b).to_string())
        .filter(|t| t.starts_with("REGISTER "))
        .collect();
    // Challenge, credentials (answered with the NAT address), one more with the new Contact.
    assert_eq!(registers.len(), 3, "{:?}", log.borrow().requests);
    assert!(registers[1].contains("Contact: <sip:alice@127.0.0.1:5061>"));
    assert!(
        registers[2].contains("Contact: <sip:alice@127.0.0.1:5061>;expires=0\r\n"),
        "the first binding is removed: {}",
        registers[2]
    );
    assert!(
        registers[2].contains("Contact: <sip:alice@203.0.113.5:40000>"),
        "{}",
        registers[2]
    );
    // Only one `registered`, after the binding with the public address.
    let registered = net.uas[0]
        .events
        .iter()
        .filter(|(_, e)| e.name() == "registered")
        .count();
    assert_eq!(registered, 1);
    // Calls from the account advertise the same address.
    net.command(
        0,
        Command::Invite {
            target: "bob".into(),
        },
    );
    net.run_for(S);
    let invite = net.uas[0]
        .sent
        .iter()
        .map(|(_, _, b)| String::from_utf8_lossy(b).to_string())
        .find(|t| t.starts_with("INVITE "))
        .unwrap();
    assert!(
        invite.contains("Contact: <sip:alice@203.0.113.5:40000>"),
        "{invite}"
    );
}

#[test]
fn keepalives_ping_the_registrar_while_registered() {
    let mut acct = account("secret", 3600);
    acct.keepalive = Some(15);
    let (mut net, _log) = setup(Policy::default(), acct);
    net.wait_event(0, "registered", S * 5).unwrap();
    let t0 = net.elapsed();
    net.run_for(S * 61);
    let pings: Vec<Duration> = net.uas[0]
        .sent
        .iter()
        .filter(|(_, _, b)| b.as_slice() == b"\r\n\r\n")
        .map(|(t, _, _)| *t - t0)
        .collect();
    assert_eq!(pings.len(), 4, "{pings:?}");
    // Every 15 s after registering: 15, 30, 45, 60. They stop once unregistered.
    net.command(0, Command::Unregister { account: None });
    net.run_for(S * 61);
    let after = net.uas[0]
        .sent
        .iter()
        .filter(|(_, _, b)| b.as_slice() == b"\r\n\r\n")
        .count();
    assert!(after <= 5, "pings stop once unregistered: {after}");
}

#[test]
fn sip_outbound_registers_an_instance_flow_and_marks_dialog_contacts_ob() {
    let mut acct = account("secret", 3600);
    acct.outbound = true;
    let urn = acct.instance_urn();
    // A name-based UUID (RFC 4122 §4.3 layout): the same on every run for this AOR.
    assert_eq!(urn, account("other", 60).instance_urn());
    assert!(
        urn.len() == 45 && urn.starts_with("urn:uuid:") && urn.as_bytes()[23] == b'5',
        "{urn}"
    );
    let (mut net, _log) = setup(Policy::default(), acct);
    assert!(net.wait_event(0, "registered", S * 5).is_some());
    let registers: Vec<String> = net.uas[0]
        .sent
        .iter()
        .map(|(_, _, b)| String::from_utf8_lossy(b).to_string())
        .filter(|t| t.starts_with("REGISTER "))
        .collect();
    for register in &registers {
        // RFC 5626 §4.2: the instance and its flow, and the option tag.
        assert!(
            register.contains(&format!(
                "Contact: <sip:alice@127.0.0.1:5061>;reg-id=1;+sip.instance=\"<{urn}>\"\r\n"
            )),
            "{register}"
        );
        assert!(
            register.contains("Supported: outbound, path\r\n"),
            "{register}"
        );
    }
    net.command(
        0,
        Command::Invite {
            target: "bob".into(),
        },
    );
    net.run_for(S);
    let invite = net.uas[0]
        .sent
        .iter()
        .map(|(_, _, b)| String::from_utf8_lossy(b).to_string())
        .find(|t| t.starts_with("INVITE "))
        .unwrap();
    // §4.3: dialogs stay on the registered flow.
    assert!(
        invite.contains("Contact: <sip:alice@127.0.0.1:5061;ob>\r\n"),
        "{invite}"
    );
}

#[test]
fn without_outbound_nothing_of_rfc_5626_is_sent() {
    let (mut net, _log) = setup(Policy::default(), account("secret", 3600));
    assert!(net.wait_event(0, "registered", S * 5).is_some());
    for (_, _, bytes) in &net.uas[0].sent {
        let text = String::from_utf8_lossy(bytes);
        assert!(
            !text.contains("reg-id") && !text.contains("+sip.instance") && !text.contains(";ob"),
            "{text}"
        );
    }
}
