//! Tests of the transfer commands.

use super::*;
use crate::api::ReferOptions;

#[test]
fn refer_blind_attended_and_no_sub() {
    let blind = |call, no_sub| Command::Refer {
        call,
        target: "sip:carol@127.0.0.1:5063".into(),
        replace: None,
        options: ReferOptions {
            no_sub,
            ..Default::default()
        },
    };
    assert_eq!(send("refer sip:carol@127.0.0.1:5063"), blind(None, false));
    assert_eq!(send("xfer 1 sip:carol@127.0.0.1:5063"), blind(C1, false));
    assert_eq!(
        send("refer 1 sip:carol@127.0.0.1:5063 --no-sub"),
        blind(C1, true)
    );
    assert_eq!(
        send("transfer --no-sub sip:carol@127.0.0.1:5063"),
        blind(None, true)
    );
    assert_eq!(
        send("refer 1 --replace 2 --no-sub"),
        Command::Refer {
            call: C1,
            target: String::new(),
            replace: C2,
            options: ReferOptions {
                no_sub: true,
                ..Default::default()
            },
        }
    );
    assert_eq!(
        send("refer 2 --hold carol@127.0.0.1:5063 --no-sub"),
        Command::Refer {
            call: C2,
            target: "carol@127.0.0.1:5063".into(),
            replace: None,
            options: ReferOptions {
                no_sub: true,
                hold: true,
            },
        }
    );
    assert_eq!(
        err("refer 1 --no-sub"),
        "refer: missing target (expected refer [N] <URI> | refer [N] --replace M [--no-sub] [--hold] | refer <URI> --to <RECIPIENT>)"
    );
    assert_eq!(
        err("refer 1 a b"),
        "refer: unexpected 'b' (expected refer [N] <URI> | refer [N] --replace M [--no-sub] [--hold] | refer <URI> --to <RECIPIENT>)"
    );
}

#[test]
fn refer_accept_reject_and_progress() {
    assert_eq!(send("refer-accept"), Command::ReferAccept { call: None });
    assert_eq!(send("refer-accept 2"), Command::ReferAccept { call: C2 });
    assert_eq!(
        send("refer-reject 1 603"),
        Command::ReferReject {
            call: C1,
            code: 603
        }
    );
    assert_eq!(
        send("refer-reject"),
        Command::ReferReject {
            call: None,
            code: 480
        }
    );
    assert_eq!(
        send("refer-progress"),
        Command::ReferProgress { call: None }
    );
    assert_eq!(send("refer-p 1"), Command::ReferProgress { call: C1 });
    assert_eq!(
        err("refer-progress x"),
        "refer-progress: 'x' is not a call number (expected refer-progress [N])"
    );
}

#[test]
fn refer_out_of_dialog() {
    let ood = |target: &str, no_sub| Command::ReferOutOfDialog {
        recipient: "sip:bob@127.0.0.1:5062".into(),
        target: target.into(),
        options: ReferOptions {
            no_sub,
            ..Default::default()
        },
    };
    assert_eq!(
        send("refer sip:carol@127.0.0.1:5063 --to sip:bob@127.0.0.1:5062"),
        ood("sip:carol@127.0.0.1:5063", false)
    );
    assert_eq!(
        send("refer --to sip:bob@127.0.0.1:5062 --no-sub carol@127.0.0.1:5063"),
        ood("carol@127.0.0.1:5063", true)
    );
    // A lone number is the target (an extension), not a call.
    assert_eq!(
        send("refer 100 --to sip:bob@127.0.0.1:5062"),
        ood("100", false)
    );
    let usage = "(expected refer [N] <URI> | refer [N] --replace M [--no-sub] [--hold] | refer <URI> --to <RECIPIENT>)";
    assert_eq!(
        err("refer sip:carol@h --to"),
        format!("refer: --to needs a URI {usage}")
    );
    assert_eq!(
        err("refer 1 sip:carol@h --to sip:bob@h"),
        format!("refer: --to sends the REFER outside any call; call 1 does not fit {usage}")
    );
    assert_eq!(
        err("refer sip:carol@h --to sip:bob@h --hold"),
        format!("refer: --to cannot go with --replace or --hold, which need a call {usage}")
    );
    assert_eq!(
        err("refer --to sip:bob@h"),
        format!("refer: missing target {usage}")
    );
}
