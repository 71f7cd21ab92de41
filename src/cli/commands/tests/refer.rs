//! Tests of the transfer commands.

use super::*;
use crate::api::ReferOptions;

#[test]
fn refer_blind_attended_and_no_sub() {
    let blind = |call, no_sub| Command::Refer {
        call,
        target: "sip:carol@127.0.0.1:5063".into(),
        replace: None,
        options: ReferOptions { no_sub },
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
            options: ReferOptions { no_sub: true },
        }
    );
    assert_eq!(
        err("refer 1 --no-sub"),
        "refer: missing target (expected refer [N] <URI> | refer [N] --replace M [--no-sub])"
    );
    assert_eq!(
        err("refer 1 a b"),
        "refer: unexpected 'b' (expected refer [N] <URI> | refer [N] --replace M [--no-sub])"
    );
}
