//! Tests of the call control commands.

use super::*;
use crate::api::DtmfMode;
use crate::api::InviteOptions;

#[test]
fn invite_echo_and_tone_are_the_test_line() {
    use crate::api::TestLine;
    for (line, want) in [
        ("invite echo", TestLine::Echo),
        ("call ECHO", TestLine::Echo),
        ("dial tone", TestLine::Tone),
    ] {
        assert_eq!(
            send(line),
            Command::InviteTestLine {
                line: want,
                options: InviteOptions::default()
            },
            "{line}"
        );
    }
    assert_eq!(
        send("invite echo --no-sdp"),
        Command::InviteTestLine {
            line: TestLine::Echo,
            options: InviteOptions {
                no_sdp: true,
                ..InviteOptions::default()
            }
        }
    );
    // Anything with a host is dialled as written, even with the user echo.
    for (line, target) in [
        ("invite sip:echo@pbx.example", "sip:echo@pbx.example"),
        ("invite echo@127.0.0.1:5070", "sip:echo@127.0.0.1:5070"),
        ("invite echoes", "echoes"),
    ] {
        assert_eq!(
            send(line),
            Command::Invite {
                target: target.into()
            },
            "{line}"
        );
    }
}

#[test]
fn invite_and_aliases() {
    let want = Command::Invite {
        target: "sip:100@127.0.0.1:5070".into(),
    };
    for line in [
        "invite sip:100@127.0.0.1:5070",
        "call sip:100@127.0.0.1:5070",
        "dial sip:100@127.0.0.1:5070",
        "  INVITE   sip:100@127.0.0.1:5070  ",
    ] {
        assert_eq!(send(line), want, "{line:?}");
    }
    // A bare number goes as typed: the engine calls it at the account's domain.
    assert_eq!(
        send("invite 100"),
        Command::Invite {
            target: "100".into()
        }
    );
    assert_eq!(
        send("invite 100@127.0.0.1:5070"),
        Command::Invite {
            target: "sip:100@127.0.0.1:5070".into()
        }
    );
    assert_eq!(
        send("invite 100 --anonymous -H 'X-Case: 7' --no-sdp"),
        Command::InviteWith {
            target: "100".into(),
            options: InviteOptions {
                no_sdp: true,
                anonymous: true,
                headers: vec![("X-Case".into(), "7".into())],
                account: None,
                without_account: false,
                no_follow: false,
            },
        }
    );
    assert_eq!(
        send("invite sip:a@127.0.0.1 --no-follow"),
        Command::InviteWith {
            target: "sip:a@127.0.0.1".into(),
            options: InviteOptions {
                no_follow: true,
                ..InviteOptions::default()
            },
        }
    );
    assert_eq!(
        send("invite 100 --account office"),
        Command::InviteWith {
            target: "100".into(),
            options: InviteOptions {
                account: Some("office".into()),
                ..InviteOptions::default()
            },
        }
    );
    assert_eq!(
        err("invite 100 -H nocolon"),
        "invite: -H 'nocolon' is not a header (expected -H 'Name: value')"
    );
    assert_eq!(send("hold"), Command::Hold { call: None });
    assert_eq!(
        send("resume 2"),
        Command::Unhold {
            call: Some(CallHandle(2))
        }
    );
    assert_eq!(
        send("reply 2 183"),
        Command::Reply {
            call: Some(CallHandle(2)),
            code: 183,
            reason: None
        }
    );
    assert!(
        err("reply").contains("a status code is required"),
        "{}",
        err("reply")
    );
    assert_eq!(
        send("redirect sip:carol@127.0.0.1:5063 --code 301"),
        Command::Redirect {
            call: None,
            targets: vec!["sip:carol@127.0.0.1:5063".into()],
            code: 301
        }
    );
    assert_eq!(
        send("invite sips:alice@example.com"),
        Command::Invite {
            target: "sips:alice@example.com".into()
        }
    );
    for (line, target) in [
        ("invite alice@[::1]:5070", "sip:alice@[::1]:5070"),
        ("invite localhost:5070", "sip:localhost:5070"),
        ("invite 127.0.0.1", "sip:127.0.0.1"),
        ("invite SIP:100@h", "SIP:100@h"),
        ("invite sip:100@h:5070", "sip:100@h:5070"),
    ] {
        assert_eq!(
            send(line),
            Command::Invite {
                target: target.into()
            },
            "{line}"
        );
    }
    assert_eq!(
        err("invite tel:+4930123"),
        "invite: 'tel:+4930123' is a tel: URI; only sip: and sips: can be called (expected e.g. invite sip:100@127.0.0.1:5070)"
    );
    assert_eq!(
        err("invite http://example.com"),
        "invite: 'http://example.com' is a http: URI; only sip: and sips: can be called (expected e.g. invite sip:100@127.0.0.1:5070)"
    );
    assert_eq!(
        err("invite"),
        "invite: missing target (expected invite <URI>|echo|tone [--account NAME] [--no-sdp] [--anonymous] [--no-follow] [-H 'Name: value']..., e.g. invite sip:100@127.0.0.1:5070 or invite echo)"
    );
    assert_eq!(
        err("call sip:a@b extra"),
        "invite: unexpected 'extra' after the target (expected invite <URI>|echo|tone [--account NAME] [--no-sdp] [--anonymous] [--no-follow] [-H 'Name: value']...)"
    );
}

#[test]
fn accept_cancel_hangup() {
    assert_eq!(send("accept"), Command::Accept { call: None });
    assert_eq!(send("accept 2"), Command::Accept { call: C2 });
    assert_eq!(send("answer 1"), Command::Accept { call: C1 });
    assert_eq!(send("preaccept"), Command::PreAccept { call: None });
    assert_eq!(send("preaccept 2"), Command::PreAccept { call: C2 });
    assert_eq!(send("pre 1"), Command::PreAccept { call: C1 });
    assert_eq!(
        err("preaccept x"),
        "preaccept: 'x' is not a call number (expected preaccept [N])"
    );
    assert_eq!(
        send("cancel"),
        Command::Cancel {
            call: None,
            reason: None
        }
    );
    assert_eq!(
        send("cancel 1"),
        Command::Cancel {
            call: C1,
            reason: None
        }
    );
    assert_eq!(send("hangup"), Command::Hangup { call: None });
    assert_eq!(send("hangup 2"), Command::Hangup { call: C2 });
    assert_eq!(send("bye 2"), Command::Bye { call: C2 });
    assert_eq!(send("bye"), Command::Bye { call: None });
    assert_eq!(send("accept 02"), Command::Accept { call: C2 });
    assert_eq!(
        err("accept x"),
        "accept: 'x' is not a call number (expected accept [N] [-H 'Name: value'])"
    );
    assert_eq!(
        err("accept 0"),
        "accept: '0' is not a call number (expected accept [N] [-H 'Name: value'])"
    );
    assert_eq!(
        err("accept -1"),
        "accept: '-1' is not a call number (expected accept [N] [-H 'Name: value'])"
    );
    assert_eq!(
        err("accept 1 2"),
        "accept: unexpected '2' (expected accept [N] [-H 'Name: value'])"
    );
    assert_eq!(
        err("cancel one"),
        "cancel: 'one' is not a call number (expected cancel [N] [--reason 'SIP;cause=NUM;text=\"...\"'])"
    );
    assert_eq!(err("bye 1 now"), "bye: unexpected 'now' (expected bye [N])");
    assert_eq!(
        err("hangup 1 now"),
        "hangup: unexpected 'now' (expected hangup [N])"
    );
    assert_eq!(
        err("hangup 99999999999"),
        "hangup: '99999999999' is not a call number (expected hangup [N])"
    );
}

#[test]
fn reject_forms() {
    let r = |call, code, reason: Option<&str>| Command::Reject {
        call,
        code,
        reason: reason.map(str::to_string),
    };
    assert_eq!(send("reject"), r(None, 480, None));
    assert_eq!(send("reject 2"), r(C2, 480, None));
    assert_eq!(send("reject 486"), r(None, 486, None));
    assert_eq!(
        send("reject 486 Busy Here"),
        r(None, 486, Some("Busy Here"))
    );
    assert_eq!(send("reject 2 486"), r(C2, 486, None));
    assert_eq!(
        send("reject 2 603   Decline  now "),
        r(C2, 603, Some("Decline  now"))
    );
    assert_eq!(send("reject 150 486"), r(Some(CallHandle(150)), 486, None));
    assert_eq!(
        err("reject 99x"),
        "reject: '99x' is not a status code (expected 300-699)"
    );
    assert_eq!(
        err("reject 1 99x"),
        "reject: '99x' is not a status code (expected 300-699)"
    );
    assert_eq!(
        err("reject 2 Busy"),
        "reject: 'Busy' is not a status code (expected 300-699)"
    );
    assert_eq!(
        err("reject 200"),
        "reject: 200 is out of range (expected a status code 300-699)"
    );
    assert_eq!(
        err("reject 1 700"),
        "reject: 700 is out of range (expected a status code 300-699)"
    );
    assert_eq!(
        err("reject 1 4860"),
        "reject: '4860' is not a status code (expected 300-699)"
    );
    assert_eq!(
        err("reject busy"),
        "reject: 'busy' is not a call number or status code (expected reject [N] [CODE [REASON…]] [-H 'Name: value']... [--body TEXT [--content-type TYPE]])"
    );
    assert_eq!(
        err("reject 0 486"),
        "reject: '0' is not a call number (expected reject [N] [CODE [REASON…]] [-H 'Name: value']... [--body TEXT [--content-type TYPE]])"
    );
}

#[test]
fn progress_forms() {
    let p = |call, code, reason: Option<&str>| Command::Progress {
        call,
        code,
        reason: reason.map(str::to_string),
    };
    assert_eq!(send("progress"), p(None, 180, None));
    assert_eq!(send("progress 1"), p(C1, 180, None));
    assert_eq!(send("progress 183"), p(None, 183, None));
    assert_eq!(
        send("progress 1 183 Session Progress"),
        p(C1, 183, Some("Session Progress"))
    );
    assert_eq!(
        err("progress 100"),
        "progress: 100 is out of range (expected a status code 101-199)"
    );
    assert_eq!(
        err("progress 1 200"),
        "progress: 200 is out of range (expected a status code 101-199)"
    );
    assert_eq!(
        err("progress 1 ring"),
        "progress: 'ring' is not a status code (expected 101-199)"
    );
    assert_eq!(
        err("progress now"),
        "progress: 'now' is not a call number or status code (expected progress [N] [CODE [REASON…]] [-H 'Name: value']... [--body TEXT [--content-type TYPE]])"
    );
}

#[test]
fn dtmf_forms() {
    let d = |call, digits: &str, mode, duration_ms, gap_ms| Command::SendDtmf {
        call,
        digits: digits.into(),
        mode,
        duration_ms,
        gap_ms,
    };
    use DtmfMode::*;
    assert_eq!(send("dtmf 123#"), d(None, "123#", Auto, None, None));
    // A lone number is DIGITS; N only when DIGITS follow.
    assert_eq!(send("dtmf 123"), d(None, "123", Auto, None, None));
    assert_eq!(send("dtmf 2 123"), d(C2, "123", Auto, None, None));
    assert_eq!(send("dtmf 1 *9,,1ad"), d(C1, "*9,,1AD", Auto, None, None));
    assert_eq!(
        send("dtmf 159#*0D --mode info"),
        d(None, "159#*0D", Info, None, None)
    );
    assert_eq!(
        send("dtmf 1 5 --mode RFC4733 --duration 200 --gap 300"),
        d(C1, "5", Rfc4733, Some(200), Some(300))
    );
    assert_eq!(
        send("dtmf --mode=auto --duration=150ms --gap=1s 2 #"),
        d(C2, "#", Auto, Some(150), Some(1000))
    );
    assert_eq!(send("dtmf 1 --gap 0"), d(None, "1", Auto, None, Some(0)));
    assert_eq!(
        err("dtmf 12x4"),
        "dtmf: 'x' is not a DTMF digit (0-9 * # A-D ,)"
    );
    assert_eq!(
        err("dtmf 1 E"),
        "dtmf: 'E' is not a DTMF digit (0-9 * # A-D ,)"
    );
    assert_eq!(
        err("dtmf"),
        "dtmf: missing digits (expected dtmf [N] DIGITS [--mode auto|rfc4733|info] [--duration MS] [--gap MS])"
    );
    assert_eq!(
        err("dtmf --mode info"),
        "dtmf: missing digits (expected dtmf [N] DIGITS [--mode auto|rfc4733|info] [--duration MS] [--gap MS])"
    );
    assert_eq!(
        err("dtmf x 12"),
        "dtmf: 'x' is not a call number (expected dtmf [N] DIGITS [--mode auto|rfc4733|info] [--duration MS] [--gap MS])"
    );
    assert_eq!(
        err("dtmf 1 2 3"),
        "dtmf: unexpected '3' (expected dtmf [N] DIGITS [--mode auto|rfc4733|info] [--duration MS] [--gap MS])"
    );
    assert_eq!(
        err("dtmf 1 --mode sip"),
        "dtmf: --mode 'sip' is not one of auto, rfc4733, info"
    );
    assert_eq!(
        err("dtmf 1 --mode"),
        "dtmf: --mode needs a value (auto, rfc4733 or info)"
    );
    assert_eq!(
        err("dtmf 1 --duration 5"),
        "dtmf: --duration 5 is out of range (expected 20-10000 ms)"
    );
    assert_eq!(
        err("dtmf 1 --duration long"),
        "dtmf: --duration 'long' is not a time in milliseconds (e.g. --duration 150 or --duration 150ms)"
    );
    assert_eq!(
        err("dtmf 1 --gap 1m"),
        "dtmf: --gap 1m is out of range (expected 0-10000 ms)"
    );
    assert_eq!(
        err("dtmf 1 --loud"),
        "dtmf: unknown option '--loud' (expected dtmf [N] DIGITS [--mode auto|rfc4733|info] [--duration MS] [--gap MS])"
    );
}

#[test]
fn dtmf_digits_are_checked_one_by_one() {
    assert_eq!(parse_dtmf("123#"), Ok("123#".into()));
    assert_eq!(parse_dtmf("*9,,1ad"), Ok("*9,,1AD".into()));
    let e = parse_dtmf("12x4").unwrap_err();
    assert_eq!(e, "'x' is not a DTMF digit (0-9 * # A-D ,)");
    // As the user will see it, named by the command (issue 8's form).
    let shown = ParseError {
        command: Some("dtmf"),
        message: e,
    };
    assert_eq!(
        shown.to_string(),
        "dtmf: 'x' is not a DTMF digit (0-9 * # A-D ,)"
    );
    assert_eq!(
        parse_dtmf("E"),
        Err("'E' is not a DTMF digit (0-9 * # A-D ,)".into())
    );
    assert_eq!(
        parse_dtmf("1 2"),
        Err("' ' is not a DTMF digit (0-9 * # A-D ,)".into())
    );
    assert_eq!(
        parse_dtmf(""),
        Err("missing DTMF digits (expected 0-9 * # A-D ,)".into())
    );
}

#[test]
fn cancel_with_a_reason() {
    let want = |call, r: &str| Command::Cancel {
        call,
        reason: Some(r.to_string()),
    };
    assert_eq!(
        send("cancel --reason 'SIP;cause=200;text=\"Call completed elsewhere\"'"),
        want(None, "SIP;cause=200;text=\"Call completed elsewhere\"")
    );
    assert_eq!(
        send("cancel 1 --reason Q.850;cause=16"),
        want(C1, "Q.850;cause=16")
    );
    assert_eq!(
        send("cancel --reason=SIP;cause=480 2"),
        want(C2, "SIP;cause=480")
    );
    // A ';' inside the quoted text is not a parameter separator.
    assert_eq!(
        send("cancel --reason 'SIP;text=\"a;b\";cause=487'"),
        want(None, "SIP;text=\"a;b\";cause=487")
    );
    let form = "(expected --reason 'SIP;cause=NUMBER[;text=\"…\"]')";
    for (line, why) in [
        ("cancel --reason", "--reason needs a value".to_string()),
        (
            "cancel --reason SIP",
            "--reason 'SIP': the cause is missing".into(),
        ),
        (
            "cancel --reason SIP;cause=abc",
            "--reason 'SIP;cause=abc': cause must be a number".into(),
        ),
        (
            "cancel --reason 'SIP;cause=1;text=plain'",
            "--reason 'SIP;cause=1;text=plain': text must be in double quotes".into(),
        ),
        (
            "cancel --reason ';cause=1'",
            "--reason ';cause=1': '' is not a protocol name such as SIP or Q.850".into(),
        ),
        (
            "cancel --reason 'SIP;cause=1;text=\"open'",
            "--reason 'SIP;cause=1;text=\"open': a quote is not closed".into(),
        ),
    ] {
        assert_eq!(err(line), format!("cancel: {why} {form}"), "{line:?}");
    }
    assert_eq!(
        err("cancel --why"),
        "cancel: unknown option '--why' (expected cancel [N] [--reason 'SIP;cause=NUM;text=\"...\"'])"
    );
}

#[test]
fn response_commands_take_headers_and_a_body() {
    use crate::api::ResponseOptions;
    let with = |command, options| Command::RespondWith {
        command: Box::new(command),
        options,
    };
    let header = |n: &str, v: &str| ResponseOptions {
        headers: vec![(n.into(), v.into())],
        ..ResponseOptions::default()
    };
    assert_eq!(
        send("accept 2 -H 'X-Case: 7'"),
        with(Command::Accept { call: C2 }, header("X-Case", "7"))
    );
    assert_eq!(
        send("reject -H 'Retry-After: 30' 486 Busy Here --body 'come back' --content-type text/x-note"),
        with(
            Command::Reject {
                call: None,
                code: 486,
                reason: Some("Busy Here".into())
            },
            ResponseOptions {
                headers: vec![("Retry-After".into(), "30".into())],
                body: Some("come back".into()),
                content_type: Some("text/x-note".into()),
            }
        )
    );
    assert_eq!(
        send("progress 183 --body hi"),
        with(
            Command::Progress {
                call: None,
                code: 183,
                reason: None
            },
            ResponseOptions {
                body: Some("hi".into()),
                ..ResponseOptions::default()
            }
        )
    );
    assert_eq!(
        send("reply 1 404 -H 'X-A: 1' -H 'X-B: 2'"),
        with(
            Command::Reply {
                call: C1,
                code: 404,
                reason: None
            },
            ResponseOptions {
                headers: vec![("X-A".into(), "1".into()), ("X-B".into(), "2".into())],
                ..ResponseOptions::default()
            }
        )
    );
    assert_eq!(
        send("redirect sip:a@127.0.0.1 -H 'X-Why: moved' --code 301"),
        with(
            Command::Redirect {
                call: None,
                targets: vec!["sip:a@127.0.0.1".into()],
                code: 301
            },
            header("X-Why", "moved")
        )
    );
    // Without options, the plain command.
    assert_eq!(send("accept"), Command::Accept { call: None });
    assert_eq!(
        err("accept --body x"),
        "accept: a 200 carries our SDP answer; --body cannot go with it"
    );
    assert_eq!(
        err("reply 202 --body x"),
        "reply: a 202 carries our SDP answer; --body cannot go with it"
    );
    assert_eq!(
        err("reject --content-type text/plain"),
        "reject: --content-type needs a --body"
    );
    assert_eq!(
        err("reject --content-type plain --body x"),
        "reject: --content-type needs a type/subtype, e.g. --content-type text/plain"
    );
    assert_eq!(
        err("progress --body"),
        "progress: --body needs a text, e.g. --body 'hello'"
    );
    // The one -H parser: the same errors as invite's.
    assert_eq!(
        err("reject -H nocolon"),
        "reject: -H 'nocolon' is not a header (expected -H 'Name: value')"
    );
    assert_eq!(
        err("accept -H 'Content-Length: 9'"),
        "accept: -H 'Content-Length: 9': Content-Length is computed; it cannot be given"
    );
    assert_eq!(
        err("invite 100 -H 'Content-Length: 9'"),
        "invite: -H 'Content-Length: 9': Content-Length is computed; it cannot be given"
    );
}

#[test]
fn request_forms() {
    use crate::api::ResponseOptions;
    let req = |call, target: Option<&str>, method: &str, options| Command::Request {
        call,
        target: target.map(str::to_string),
        account: None,
        method: method.into(),
        options,
    };
    let none = ResponseOptions::default;
    assert_eq!(send("request INFO"), req(None, None, "INFO", none()));
    assert_eq!(send("request 2 info"), req(C2, None, "INFO", none()));
    assert_eq!(
        send("request OPTIONS sip:pbx@127.0.0.1"),
        req(None, Some("sip:pbx@127.0.0.1"), "OPTIONS", none())
    );
    assert_eq!(
        send("request 1 MESSAGE --body 'hi there' -H 'X-A: 1' --content-type text/x-chat"),
        req(
            C1,
            None,
            "MESSAGE",
            ResponseOptions {
                headers: vec![("X-A".into(), "1".into())],
                body: Some("hi there".into()),
                content_type: Some("text/x-chat".into()),
            }
        )
    );
    assert_eq!(
        send("request OPTIONS sip:pbx@127.0.0.1 --account work -H 'X-A: 1'"),
        Command::Request {
            call: None,
            target: Some("sip:pbx@127.0.0.1".into()),
            account: Some("work".into()),
            method: "OPTIONS".into(),
            options: ResponseOptions {
                headers: vec![("X-A".into(), "1".into())],
                ..ResponseOptions::default()
            },
        }
    );
    let usage = "request [N] <METHOD> | request <METHOD> <URI> [--account NAME] [-H 'Name: value']... [--body TEXT [--content-type TYPE]]";
    assert_eq!(
        err("request OPTIONS sip:pbx@127.0.0.1 --account"),
        format!("request: --account needs an account name (expected {usage})")
    );
    assert_eq!(
        err("request 1 INFO --account work"),
        format!("request: --account is for a request out of dialog; in a call the call's account sends it (expected {usage})")
    );
    assert_eq!(
        err("request"),
        format!("request: missing method (expected {usage}, e.g. request INFO)")
    );
    assert_eq!(
        err("request 1 INFO sip:x"),
        format!("request: unexpected 'sip:x' (expected {usage})")
    );
    assert_eq!(
        err("request IN(FO"),
        format!("request: 'IN(FO' is not a method name (expected {usage})")
    );
    assert_eq!(
        err("request OPTIONS tel:+1234"),
        "request: 'tel:+1234' is a tel: URI; only sip: and sips: can be sent to"
    );
}
