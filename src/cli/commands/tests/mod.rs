//! Tests of the command table: lookup, prefixes, help, and the helpers the other test
//! files share.

use super::*;

fn ok(line: &str) -> Action {
    parse_line(line, Mode::Script)
        .unwrap_or_else(|e| panic!("{line:?}: {e}"))
        .unwrap_or_else(|| panic!("{line:?}: no action"))
}

fn err(line: &str) -> String {
    match parse_line(line, Mode::Script) {
        Err(e) => e.to_string(),
        Ok(a) => panic!("{line:?} parsed as {a:?}"),
    }
}

fn send(line: &str) -> Command {
    match ok(line) {
        Action::Send(c) => c,
        a => panic!("{line:?} parsed as {a:?}"),
    }
}

const C1: Option<CallHandle> = Some(CallHandle(1));
const C2: Option<CallHandle> = Some(CallHandle(2));

mod call;
mod refer;
mod script_only;

#[test]
fn blank_and_comment_lines() {
    for line in ["", "   ", "\t", "# a comment", "   #indented", "#"] {
        assert_eq!(parse_line(line, Mode::Script), Ok(None), "{line:?}");
        assert_eq!(parse_line(line, Mode::Repl), Ok(None), "{line:?}");
    }
}

#[test]
fn help_quit() {
    assert_eq!(ok("help"), Action::Help(None));
    assert_eq!(ok("help reject"), Action::Help(Some("reject")));
    assert_eq!(ok("help dial"), Action::Help(Some("invite")));
    assert_eq!(ok("help wait"), Action::Help(Some("wait")));
    assert_eq!(
        err("help frob"),
        "help: no command 'frob' (try 'help' for the list)"
    );
    assert_eq!(
        err("help zz b"),
        "help: no command 'zz' (try 'help' for the list)"
    );
    assert_eq!(
        err("help accept b"),
        "help: unexpected 'b' (expected help [COMMAND])"
    );
    assert_eq!(ok("sessions"), Action::Sessions);
    assert_eq!(
        err("sessions 1"),
        "sessions: unexpected '1' (expected sessions)"
    );
    assert_eq!(ok("quit"), Action::Quit);
    assert_eq!(ok("exit"), Action::Quit);
    assert_eq!(ok("QUIT"), Action::Quit);
    assert_eq!(err("quit now"), "quit: unexpected 'now' (expected quit)");
}

#[test]
fn register_unregister() {
    assert_eq!(send("register"), Command::Register { account: None });
    assert_eq!(
        send("register office"),
        Command::Register {
            account: Some("office".into())
        }
    );
    assert_eq!(send("unregister"), Command::Unregister { account: None });
    assert_eq!(
        send("unreg 100"),
        Command::Unregister {
            account: Some("100".into())
        }
    );
    assert_eq!(send("reg"), Command::Register { account: None });
    assert_eq!(
        err("register a b"),
        "register: unexpected 'b' (expected register [ACCOUNT])"
    );
    assert_eq!(
        err("re"),
        "'re' could be reject, reply, redirect, refer, refer-accept, refer-reject, refer-progress, resume, request, register (type more of it)"
    );
    assert_eq!(
        parse_line("register alice", Mode::Repl),
        Ok(Some(Action::Send(Command::Register {
            account: Some("alice".into())
        })))
    );
}

#[test]
fn unknown_and_mode() {
    assert_eq!(
        err("frobnicate now"),
        "unknown command 'frobnicate' (try 'help' for the list)"
    );
    for line in ["wait accepted", "sleep 1s", "echo hi"] {
        let e = parse_line(line, Mode::Repl).unwrap_err();
        assert!(
            e.to_string()
                .ends_with(": only in scripts (--script FILE, -e CMD or piped stdin)"),
            "{e}"
        );
    }
    assert_eq!(
        parse_line("accept", Mode::Repl),
        Ok(Some(Action::Send(Command::Accept { call: None })))
    );
}

#[test]
fn unambiguous_prefixes() {
    assert_eq!(send("acc"), Command::Accept { call: None });
    assert_eq!(send("ans 2"), Command::Accept { call: C2 });
    assert_eq!(send("ha 1"), Command::Hangup { call: C1 });
    assert_eq!(
        send("can"),
        Command::Cancel {
            call: None,
            reason: None
        }
    );
    assert_eq!(send("REJ 486"), send("reject 486"));
    assert_eq!(send("di sip:a@b"), send("invite sip:a@b"));
    assert_eq!(ok("sess"), Action::Sessions);
    assert_eq!(ok("statu"), Action::Status);
    assert_eq!(ok("registrations"), Action::Registrations);
    assert_eq!(send("reg"), Command::Register { account: None });
    assert_eq!(send("regis"), Command::Register { account: None });
    assert_eq!(send("stats"), Command::Stats { call: None });
    assert_eq!(send("stats 2"), Command::Stats { call: C2 });
    assert_eq!(err("st"), "'st' could be status, stats (type more of it)");
    assert_eq!(
        err("s"),
        "'s' could be sessions, status, stats, sleep (type more of it)"
    );
    assert_eq!(ok("help acc"), Action::Help(Some("accept")));
    assert_eq!(ok("wa incoming"), ok("wait incoming"));
    assert_eq!(err("c 1"), "'c' could be call, cancel (type more of it)");
    assert_eq!(err("ca 1"), "'ca' could be call, cancel (type more of it)");
    // A stray letter must not end every call.
    assert_eq!(err("q"), "unknown command 'q' (try 'help' for the list)");
    assert_eq!(
        err("qui"),
        "unknown command 'qui' (try 'help' for the list)"
    );
    // In the REPL, script-only commands are not candidates.
    assert_eq!(
        parse_line("exi", Mode::Repl).unwrap_err().to_string(),
        "unknown command 'exi' (try 'help' for the list)"
    );
    assert_eq!(
        parse_line("w", Mode::Repl).unwrap_err().to_string(),
        "unknown command 'w' (try 'help' for the list)"
    );
    assert_eq!(ok("e hi"), Action::Echo("hi".into()));
    // expect-audio is typed in full: `e` stays echo.
    assert_eq!(
        err("expect tone:440"),
        "unknown command 'expect' (try 'help' for the list)"
    );
    assert_eq!(ok("exit"), Action::Quit);
}

#[test]
fn table_is_consistent() {
    let mut seen = std::collections::HashSet::new();
    for spec in COMMANDS {
        assert!(seen.insert(spec.name), "duplicate {}", spec.name);
        for a in spec.aliases {
            assert!(seen.insert(a), "duplicate alias {a}");
        }
        assert!(spec.usage.starts_with(spec.name), "{}", spec.usage);
        assert_eq!(lookup(spec.name).unwrap().name, spec.name);
    }
    let repl: Vec<_> = names(Mode::Repl).collect();
    assert!(repl.contains(&"dial") && !repl.contains(&"wait"));
    assert!(names(Mode::Script).any(|n| n == "wait"));
}

#[test]
fn help_lists_table() {
    let all = help_text(None, Mode::Script);
    for spec in COMMANDS {
        assert!(all.contains(spec.usage), "{}", spec.usage);
    }
    assert!(
        all.contains("\n  dtmf [N] DIGITS [--mode auto|rfc4733|info] [--duration MS] [--gap MS]\n                                 send DTMF digits"),
        "{all}"
    );
    assert!(
        all.contains("\n  register [ACCOUNT]             register an account"),
        "{all}"
    );
    let repl = help_text(None, Mode::Repl);
    assert!(!repl.contains("wait <EVENT>"));
    assert!(repl.contains("(also: call, dial)"), "{repl}");
    let one = help_text(Some("dial"), Mode::Repl);
    assert!(one.starts_with("usage: invite <URI>"), "{one}");
    assert!(one.contains("aliases: call, dial"), "{one}");
}
