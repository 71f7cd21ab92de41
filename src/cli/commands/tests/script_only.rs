//! Tests of the script-only commands.

use super::*;

#[test]
fn wait_forms() {
    let w = |event, call, secs| Action::Wait(WaitSpec::new(event, call, Duration::from_secs(secs)));
    assert_eq!(ok("wait accepted"), w("accepted", None, 30));
    assert_eq!(ok("wait accepted 1"), w("accepted", C1, 30));
    assert_eq!(ok("wait accepted 10s"), w("accepted", None, 10));
    assert_eq!(ok("wait accepted 1 2m"), w("accepted", C1, 120));
    assert_eq!(ok("wait Incoming 5s"), w("incoming", None, 5));
    for name in WAIT_EVENTS {
        assert_eq!(ok(&format!("wait {name}")), w(name, None, 30));
    }
    assert_eq!(ok("wait dtmf-sent 2 5s"), w("dtmf-sent", C2, 5));
    assert_eq!(
        err("wait"),
        "wait: missing event (expected wait <EVENT> [N] [TIMEOUT], EVENT one of calling, progress, accepted, rejected, failed, canceled, incoming, media, terminated, dtmf, dtmf-sent, registered, registration-failed, unregistered, held, resumed, referred, refer-invite-sent, refer-progress, refer-accepted, refer-failed, refer-rejected, response, redirected)"
    );
    assert_eq!(
        err("wait answered"),
        "wait: 'answered' is not an event (expected one of calling, progress, accepted, rejected, failed, canceled, incoming, media, terminated, dtmf, dtmf-sent, registered, registration-failed, unregistered, held, resumed, referred, refer-invite-sent, refer-progress, refer-accepted, refer-failed, refer-rejected, response, redirected)"
    );
    assert_eq!(
        err("wait command-error"),
        "wait: 'command-error' is not an event (expected one of calling, progress, accepted, rejected, failed, canceled, incoming, media, terminated, dtmf, dtmf-sent, registered, registration-failed, unregistered, held, resumed, referred, refer-invite-sent, refer-progress, refer-accepted, refer-failed, refer-rejected, response, redirected)"
    );
    assert_eq!(
        err("wait accepted soon"),
        "wait: 'soon' is not a call number or a duration (expected wait <EVENT> [N] [TIMEOUT], TIMEOUT e.g. 10s, 500ms, 2m)"
    );
    assert_eq!(
        err("wait accepted 1 10"),
        "wait: '10' needs a unit (e.g. 10s, 500ms, 2m)"
    );
    assert_eq!(
        err("wait accepted 0"),
        "wait: '0' is not a call number (expected wait <EVENT> [N] [TIMEOUT])"
    );
    assert_eq!(
        err("wait accepted 1 10s x"),
        "wait: unexpected 'x' (expected wait <EVENT> [N] [TIMEOUT])"
    );
    assert_eq!(
        err("wait accepted 10s 1"),
        "wait: unexpected '1' (expected wait <EVENT> [N] [TIMEOUT])"
    );
}

#[test]
fn wait_for_an_account() {
    let w = |event, account: Option<&str>, secs| {
        let mut spec = WaitSpec::new(event, None, Duration::from_secs(secs));
        spec.account = account.map(str::to_string);
        Action::Wait(spec)
    };
    assert_eq!(ok("wait registered"), w("registered", None, 30));
    assert_eq!(ok("wait registered 40s"), w("registered", None, 40));
    assert_eq!(
        ok("wait registered office"),
        w("registered", Some("office"), 30)
    );
    assert_eq!(
        ok("wait registered office 1m"),
        w("registered", Some("office"), 60)
    );
    // Account names may be numbers: a word that is not a duration is the account.
    assert_eq!(
        ok("wait registered 100 5s"),
        w("registered", Some("100"), 5)
    );
    assert_eq!(
        ok("wait Unregistered alice"),
        w("unregistered", Some("alice"), 30)
    );
    assert_eq!(
        ok("wait registration-failed alice 35s"),
        w("registration-failed", Some("alice"), 35)
    );
    assert_eq!(
        err("wait registered alice soon"),
        "wait: 'soon' is not a duration (e.g. 10s, 500ms, 2m)"
    );
    assert_eq!(
        err("wait registered alice 5s x"),
        "wait: unexpected 'x' (expected wait registered [ACCOUNT] [TIMEOUT])"
    );
    assert_eq!(
        err("wait unregistered 5s 6s"),
        "wait: unexpected '6s' (expected wait unregistered [ACCOUNT] [TIMEOUT])"
    );
}

#[test]
fn wait_for_dtmf() {
    let w = |call, digits: Option<&str>, secs| {
        let mut spec = WaitSpec::new("dtmf", call, Duration::from_secs(secs));
        spec.digits = digits.map(str::to_string);
        Action::Wait(spec)
    };
    assert_eq!(ok("wait dtmf"), w(None, None, 30));
    assert_eq!(ok("wait dtmf 10s"), w(None, None, 10));
    assert_eq!(ok("wait dtmf 123#"), w(None, Some("123#"), 30));
    // A lone number is DIGITS, as in `dtmf`.
    assert_eq!(ok("wait dtmf 1"), w(None, Some("1"), 30));
    assert_eq!(ok("wait dtmf 1 10s"), w(None, Some("1"), 10));
    assert_eq!(ok("wait dtmf 1 123#"), w(C1, Some("123#"), 30));
    assert_eq!(ok("wait dtmf 2 159#*0d 20s"), w(C2, Some("159#*0D"), 20));
    assert_eq!(ok("wait dtmf *"), w(None, Some("*"), 30));
    assert_eq!(
        err("wait dtmf 12x"),
        "wait: 'x' is not a DTMF digit (0-9 * # A-D)"
    );
    assert_eq!(
        err("wait dtmf 1 2,3"),
        "wait: ',' is a pause when sending; it never arrives (expected 0-9 * # A-D)"
    );
    assert_eq!(
        err("wait dtmf soon"),
        "wait: 'soon' is not DTMF digits or a duration (expected wait dtmf [N] [DIGITS] [TIMEOUT], DIGITS 0-9 * # A-D, TIMEOUT e.g. 10s, 500ms, 2m)"
    );
    assert_eq!(
        err("wait dtmf x 12"),
        "wait: 'x' is not a call number (expected wait dtmf [N] [DIGITS] [TIMEOUT])"
    );
    assert_eq!(
        err("wait dtmf 0 12"),
        "wait: '0' is not a call number (expected wait dtmf [N] [DIGITS] [TIMEOUT])"
    );
    assert_eq!(
        err("wait dtmf 1 12 34 5s"),
        "wait: unexpected '34' (expected wait dtmf [N] [DIGITS] [TIMEOUT])"
    );
}

#[test]
fn sleep_echo() {
    assert_eq!(ok("sleep 2s"), Action::Sleep(Duration::from_secs(2)));
    assert_eq!(ok("sleep 250ms"), Action::Sleep(Duration::from_millis(250)));
    assert_eq!(
        err("sleep"),
        "sleep: missing duration (expected sleep <DURATION>, e.g. 10s, 500ms, 2m)"
    );
    assert_eq!(
        err("sleep 2"),
        "sleep: '2' needs a unit (e.g. 10s, 500ms, 2m)"
    );
    assert_eq!(
        err("sleep 2s 3s"),
        "sleep: unexpected '3s' (expected sleep <DURATION>)"
    );
    assert_eq!(ok("echo"), Action::Echo(String::new()));
    assert_eq!(
        ok("echo  hello   world # not a comment "),
        Action::Echo("hello   world # not a comment".into())
    );
}
