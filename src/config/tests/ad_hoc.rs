//! Tests of the ad-hoc account flags and of accounts from a config file.

use super::*;

#[test]
fn ad_hoc_account_from_flags() {
    let c = config(&[
        "--user",
        "alice",
        "--domain",
        "127.0.0.1:5070",
        "--password",
        "hunter2",
        "--auth-user",
        "alice-auth",
        "--registrar",
        "127.0.0.1:5080",
        "--outbound-proxy",
        "sip:127.0.0.1:5090",
        "--register",
        "--expires",
        "600",
        "--transport",
        "TCP",
    ])
    .unwrap();
    let [a] = c.driver.accounts.as_slice() else {
        panic!("one account: {:?}", c.driver.accounts)
    };
    assert_eq!(a.name, "alice");
    assert_eq!(a.aor.to_string(), "sip:alice@127.0.0.1:5070");
    assert_eq!(a.username(), "alice-auth");
    assert_eq!(a.password.as_ref().unwrap().expose(), "hunter2");
    assert_eq!(
        a.registrar_uri().to_string(),
        "sip:127.0.0.1:5080;transport=tcp"
    );
    assert_eq!(
        a.outbound_proxy.as_ref().unwrap().to_string(),
        "sip:127.0.0.1:5090;transport=tcp"
    );
    assert!(a.register);
    assert_eq!(a.expires, 600);
    // Neither the flags nor the configuration show the password.
    assert!(!format!("{c:?}").contains("hunter2"));
    assert!(!format!("{:?}", cli(&["--password", "hunter2"])).contains("hunter2"));

    let c = config(&["--domain", "pbx.example.com"]).unwrap();
    let a = &c.driver.accounts[0];
    assert_eq!(a.name, "sipline");
    assert_eq!(a.aor.to_string(), "sip:sipline@pbx.example.com");
    assert!(!a.register && a.password.is_none());
    assert_eq!(a.expires, 3600);
    let c = config(&["--user", "bob", "--domain", "[::1]:5070"]).unwrap();
    assert_eq!(c.driver.accounts[0].aor.to_string(), "sip:bob@[::1]:5070");
}

#[test]
fn ad_hoc_flags_need_domain() {
    for (args, flag) in [
        (&["--password", "hunter2"][..], "--password"),
        (&["--auth-user", "a"], "--auth-user"),
        (&["--registrar", "sip:127.0.0.1"], "--registrar"),
        (&["--outbound-proxy", "sip:127.0.0.1"], "--outbound-proxy"),
        (&["--register"], "--register"),
        (&["--expires", "60"], "--expires"),
        (&["--transport", "tcp"], "--transport"),
    ] {
        assert_eq!(
            config(args).unwrap_err(),
            format!(
                "{flag}: needs --domain (an ad-hoc account is --user NAME --domain HOST[:PORT])"
            )
        );
    }
    // From SIPLINE_PASSWORD (a config file's password_env may use it): no account, no
    // error.
    let mut c = cli(&[]);
    c.password = Some(Secret::new("from-env"));
    c.password_from_env = true;
    let cfg = Config::from_cli_with(&c, None).unwrap();
    assert!(cfg.driver.accounts.is_empty());
    c.domain = Some("127.0.0.1".into());
    let cfg = Config::from_cli_with(&c, None).unwrap();
    assert_eq!(
        cfg.driver.accounts[0].password.as_ref().unwrap().expose(),
        "from-env"
    );
}

#[test]
fn ad_hoc_flag_errors() {
    let e = |args: &[&str]| {
        let mut all = vec!["--domain", "127.0.0.1"];
        all.extend_from_slice(args);
        config(&all).unwrap_err()
    };
    assert_eq!(
        e(&["--transport", "sctp"]),
        "--transport: 'sctp' is not one of udp, tcp, tls"
    );
    assert_eq!(
        e(&["--expires", "0"]),
        "--expires: '0' is not a number of seconds above 0 (e.g. --expires 600)"
    );
    assert_eq!(
        e(&["--expires", "10m"]),
        "--expires: '10m' is not a number of seconds above 0 (e.g. --expires 600)"
    );
    assert_eq!(
        e(&["--registrar", "sip:"]),
        "--registrar: 'sip:' is not a SIP URI (e.g. sip:192.0.2.10:5060)"
    );
    assert_eq!(
        e(&["--auth-user", "a b"]),
        "--auth-user: 'a b' is not a SIP user name: ' ' is not allowed (letters, digits and -_.!~*'()&=+$,;?/%)"
    );
    for bad in [
        "",
        "a b",
        "alice@pbx",
        "sip:pbx",
        "pbx:x",
        "[::1",
        "pbx;x=1",
    ] {
        assert_eq!(
            config(&["--domain", bad]).unwrap_err(),
            format!("--domain: '{}' is not HOST[:PORT] (e.g. --domain pbx.example.com or 192.0.2.10:5070)", bad.trim()),
            "{bad:?}"
        );
    }
    let e = config(&[
        "--domain",
        "127.0.0.1",
        "--password",
        "hunter2",
        "--transport",
        "x",
    ])
    .unwrap_err();
    assert!(!e.contains("hunter2"), "{e}");
}

#[test]
fn accounts_from_a_config_file() {
    let file = temp_file(
        "two.toml",
        "[[account]]\nname = \"office\"\naor = \"sip:alice@127.0.0.1:5070\"\nregister = true\n\n\
         [[account]]\naor = \"sip:bob@127.0.0.1\"\n",
    );
    let path = file.to_str().unwrap();
    let c = config(&["--config", path]).unwrap();
    let names: Vec<&str> = c.driver.accounts.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["office", "bob"]);
    // The ad-hoc account comes first: it is the default.
    let c = config(&["--config", path, "--user", "carol", "--domain", "127.0.0.1"]).unwrap();
    let names: Vec<&str> = c.driver.accounts.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["carol", "office", "bob"]);
    assert_eq!(
        config(&["--config", path, "--user", "bob", "--domain", "127.0.0.1"]).unwrap_err(),
        format!("--user: the ad-hoc account and an account in {path} are both named 'bob'; names must be unique")
    );
    // The default file is read when it exists, and only then; --config wins.
    let with_default = |args: &[&str], default: &std::path::Path| {
        let mut argv = vec!["sipline"];
        argv.extend_from_slice(args);
        Config::from_cli_with(&Cli::try_from_args(argv).unwrap(), Some(default))
            .map(|c| c.driver.accounts.len())
            .map_err(|e| e.to_string())
    };
    assert_eq!(with_default(&[], &file), Ok(2));
    assert_eq!(with_default(&[], &file.with_extension("absent")), Ok(0));
    let one = temp_file("one.toml", "[[account]]\naor = \"sip:dave@127.0.0.1\"\n");
    assert_eq!(
        with_default(&["--config", one.to_str().unwrap()], &file),
        Ok(1)
    );
    // A missing --config file, or a bad one, is an error naming it.
    let missing = file.with_extension("missing");
    let e = config(&["--config", missing.to_str().unwrap()]).unwrap_err();
    assert!(
        e.starts_with(&format!("cannot read {}: ", missing.display())),
        "{e}"
    );
    let bad = temp_file(
        "bad.toml",
        "[[account]]\naor = \"sip:a@127.0.0.1\"\ncolour = 1\n",
    );
    let e = with_default(&[], &bad).unwrap_err();
    assert!(
        e.starts_with(&format!("{}: unknown field `colour`", bad.display())),
        "{e}"
    );
}
