//! Tests of the `repl` module.

use super::*;
use crate::api::{CallHandle, Event};
use tokio::sync::mpsc;

fn replacements(before: &str, calls: &CallTable) -> (usize, Vec<String>) {
    let (start, pairs) = complete(before, calls, &Registrations::default());
    (start, pairs.into_iter().map(|p| p.replacement).collect())
}

#[test]
fn completes_command_names() {
    let none = CallTable::new();
    let c = |before| replacements(before, &none);
    assert_eq!(c(""), (0, names_sorted()));
    assert_eq!(c("ac"), (0, vec!["accept".to_string()]));
    assert_eq!(c("  ha"), (2, vec!["hangup".to_string()]));
    assert_eq!(c("c"), (0, vec!["call".to_string(), "cancel".to_string()]));
    assert_eq!(c("w"), (0, Vec::<String>::new()), "wait is script-only");
    assert_eq!(c("help rej"), (5, vec!["reject".to_string()]));
    assert_eq!(
        c("he re"),
        (
            3,
            [
                "redirect",
                "refer",
                "refer-accept",
                "refer-progress",
                "refer-reject",
                "register",
                "registrations",
                "reject",
                "reply",
                "request",
                "resume"
            ]
            .map(String::from)
            .to_vec()
        ),
        "help by prefix"
    );
    assert_eq!(
        c("un"),
        (0, vec!["unhold".to_string(), "unregister".to_string()])
    );
    assert_eq!(c("dt"), (0, vec!["dtmf".to_string()]));
    assert_eq!(c("accept 1"), (7, Vec::<String>::new()), "no calls");
    assert_eq!(c("invite sip:a "), (13, Vec::<String>::new()));
    assert_eq!(c("E"), (0, vec!["exit".to_string()]));
    assert_eq!(
        c("st"),
        (0, vec!["stats".to_string(), "status".to_string()])
    );
}

#[test]
fn invite_completes_the_test_line() {
    let none = CallTable::new();
    assert_eq!(
        replacements("invite e", &none),
        (7, vec!["echo".to_string()])
    );
    assert_eq!(
        replacements("call ", &none),
        (5, vec!["echo".to_string(), "tone".to_string()])
    );
    assert_eq!(
        replacements("invite sip:", &none),
        (7, Vec::<String>::new())
    );
}

#[test]
fn completes_call_numbers_the_command_fits() {
    let mut calls = CallTable::new();
    calls.update(&Event::Calling {
        call: CallHandle(1),
        to: "sip:100@127.0.0.1:5070".into(),
        from: "sip:me@127.0.0.1".into(),
    });
    for n in [2, 12] {
        calls.update(&Event::Incoming {
            call: CallHandle(n),
            from: format!("<sip:caller{n}@127.0.0.1>"),
            to: "<sip:me@127.0.0.1>".into(),
        });
    }
    let c = |before| replacements(before, &calls);
    assert_eq!(c("accept "), (7, vec!["2".to_string(), "12".to_string()]));
    assert_eq!(c("acc 1"), (4, vec!["12".to_string()]));
    assert_eq!(c("reject "), (7, vec!["2".to_string(), "12".to_string()]));
    assert_eq!(c("cancel "), (7, vec!["1".to_string()]));
    assert_eq!(
        c("hangup "),
        (7, vec!["1".to_string(), "2".to_string(), "12".to_string()])
    );
    assert_eq!(c("sessions "), (9, Vec::<String>::new()));
    assert_eq!(c("reject 2 "), (9, Vec::<String>::new()), "then a code");
    let (_, pairs) = complete("answer ", &calls, &Registrations::default());
    assert_eq!(pairs[0].display, "2  incoming from <sip:caller2@127.0.0.1>");
    // Once answered, a call is no longer offered to accept, but still to hangup.
    calls.update(&Event::Accepted {
        call: CallHandle(2),
        code: 200,
    });
    assert_eq!(replacements("accept ", &calls), (7, vec!["12".to_string()]));
    assert_eq!(replacements("bye 2", &calls), (4, vec!["2".to_string()]));
}

#[test]
fn completes_account_names_and_answered_calls() {
    let mut accounts = Registrations::new(["alice", "office"]);
    accounts.update(&Event::Registered {
        account: "alice".into(),
        expires: 600,
    });
    accounts.update(&Event::Registered {
        account: "other".into(),
        expires: 60,
    });
    let mut calls = CallTable::new();
    for n in [1, 2] {
        calls.update(&Event::Incoming {
            call: CallHandle(n),
            from: format!("<sip:caller{n}@127.0.0.1>"),
            to: "<sip:me@127.0.0.1>".into(),
        });
    }
    calls.update(&Event::Accepted {
        call: CallHandle(2),
        code: 200,
    });
    let c = |before| {
        let (start, pairs) = complete(before, &calls, &accounts);
        (
            start,
            pairs.into_iter().map(|p| p.replacement).collect::<Vec<_>>(),
        )
    };
    assert_eq!(
        c("register "),
        (9, vec!["alice".into(), "office".into(), "other".into()])
    );
    assert_eq!(
        c("unregister o"),
        (11, vec!["office".into(), "other".into()])
    );
    assert_eq!(c("reg al"), (4, vec!["alice".to_string()]));
    assert_eq!(c("register alice "), (15, Vec::<String>::new()));
    let (_, pairs) = complete("register a", &calls, &accounts);
    assert_eq!(pairs[0].display, "alice  registered");
    let (_, pairs) = complete("register of", &calls, &accounts);
    assert_eq!(pairs[0].display, "office  not registered");
    assert_eq!(
        c("dtmf "),
        (5, vec!["2".to_string()]),
        "answered calls only"
    );
}

#[test]
fn completes_wav_paths() {
    let dir = std::env::temp_dir().join(format!("sipline-wav-complete-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("sounds")).unwrap();
    for f in [
        "hello.wav",
        "HELLO2.WAV",
        "notes.txt",
        ".hidden.wav",
        "sounds/tone.wav",
    ] {
        std::fs::write(dir.join(f), b"").unwrap();
    }
    let w = |word| -> Vec<String> {
        wav_paths(word, &dir)
            .into_iter()
            .map(|p| p.replacement)
            .collect()
    };
    assert_eq!(w(""), ["HELLO2.WAV", "hello.wav", "sounds/"]);
    assert_eq!(w("h"), ["hello.wav"]);
    assert_eq!(w("so"), ["sounds/"]);
    assert_eq!(w("sounds/"), ["sounds/tone.wav"]);
    assert_eq!(w("."), [".hidden.wav"]);
    assert_eq!(w("missing/x"), Vec::<String>::new());
    let abs = format!("{}/sounds/t", dir.display());
    assert_eq!(w(&abs), [format!("{}/sounds/tone.wav", dir.display())]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn usage_hints() {
    let h = |line: &str| usage_hint(line, line.len());
    let reject = "[N] [CODE [REASON…]] [-H 'Name: value']... [--body TEXT [--content-type TYPE]]";
    assert_eq!(h("reject ").as_deref(), Some(reject));
    assert_eq!(h("rej ").as_deref(), Some(reject));
    assert_eq!(
        h("invite ").as_deref(),
        Some("<URI>|echo|tone [--account NAME] [--no-sdp] [--anonymous] [--no-follow] [-H 'Name: value']...")
    );
    assert_eq!(h("accept").as_deref(), None, "not before the space");
    assert_eq!(h("accept 1").as_deref(), None, "not once typing arguments");
    assert_eq!(h("accept 1 ").as_deref(), None);
    assert_eq!(h("status ").as_deref(), None, "nothing to add");
    assert_eq!(h("frob ").as_deref(), None);
    assert_eq!(h("wait ").as_deref(), None, "script-only");
    assert_eq!(usage_hint("reject ", 3), None, "cursor not at the end");
    assert_eq!(UsageHint("[N]".into()).completion(), None);
}

#[test]
fn ctrl_d_warning() {
    assert_eq!(
        eof_warning(1),
        "1 call up; Ctrl-D again to hang up and quit"
    );
    assert_eq!(
        eof_warning(3),
        "3 calls up; Ctrl-D again to hang up and quit"
    );
}

fn names_sorted() -> Vec<String> {
    let mut v: Vec<String> = commands::names(Mode::Repl).map(str::to_string).collect();
    v.sort();
    v
}

#[test]
fn history_location() {
    assert_eq!(
        history_path_from(Some("/x/data".into()), Some("/home/u".into())),
        Some(PathBuf::from("/x/data/sipline/history"))
    );
    assert_eq!(
        history_path_from(None, Some("/home/u".into())),
        Some(PathBuf::from("/home/u/.local/share/sipline/history"))
    );
    assert_eq!(
        history_path_from(Some("relative".into()), Some("/home/u".into())),
        Some(PathBuf::from("/home/u/.local/share/sipline/history"))
    );
    assert_eq!(history_path_from(None, None), None);
}

#[test]
fn lines_become_commands() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let calls = Mutex::new(CallTable::new());
    let accounts = Mutex::new(Registrations::new(["alice"]));
    let h = |line| handle_line(line, &tx, &calls, &accounts, Format::Human);
    assert!(h("accept 2"));
    assert!(h(""));
    assert!(h("reject 99x"));
    assert!(h("wait accepted"));
    assert!(h("sessions"));
    assert!(h("status"));
    assert!(h("register"));
    assert!(h("dtmf 2 1#"));
    assert!(!h("quit"));
    assert!(!h("exit"));
    assert_eq!(
        rx.try_recv().unwrap(),
        Command::Accept {
            call: Some(crate::api::CallHandle(2))
        }
    );
    assert_eq!(rx.try_recv().unwrap(), Command::Register { account: None });
    assert_eq!(
        rx.try_recv().unwrap(),
        Command::SendDtmf {
            call: Some(crate::api::CallHandle(2)),
            digits: "1#".into(),
            mode: crate::api::DtmfMode::Auto,
            duration_ms: None,
            gap_ms: None,
        }
    );
    assert!(rx.try_recv().is_err());
}
