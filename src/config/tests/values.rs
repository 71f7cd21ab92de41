//! Tests of the flag value parsers and their error messages.

use super::*;

#[test]
fn listen_forms() {
    let p = |s| parse_listen(s).map(|a| a.to_string());
    assert_eq!(p("5070"), Ok("0.0.0.0:5070".into()));
    assert_eq!(p("127.0.0.1:5070"), Ok("127.0.0.1:5070".into()));
    assert_eq!(p("127.0.0.1"), Ok("127.0.0.1:5060".into()));
    assert_eq!(p("[::1]:5070"), Ok("[::1]:5070".into()));
    assert_eq!(p("::1"), Ok("[::1]:5060".into()));
    assert_eq!(p("localhost:5070"), Ok("127.0.0.1:5070".into()));
    assert_eq!(p("0"), Ok("0.0.0.0:0".into()));
    assert_eq!(
        p("70000"),
        Err("port 70000 is out of range (expected 0-65535)".into())
    );
    assert_eq!(
        config(&["--listen", "foo"]).unwrap_err(),
        "--listen: 'foo' is not an address (expected IP:PORT or PORT, e.g. 127.0.0.1:5070 or 5070)"
    );
    assert!(p("127.0.0.1:99999").is_err());
    assert!(p("").is_err());
}

#[test]
fn codec_errors() {
    assert_eq!(
        config(&["--codecs", "foo"]).unwrap_err(),
        "--codecs: unknown codec 'foo' (expected opus, pcmu or pcma)"
    );
    assert_eq!(
        config(&["--codecs", "opus,,pcmu"]).unwrap_err(),
        "--codecs: empty entry in 'opus,,pcmu' (expected a comma-separated list of opus, pcmu, pcma)"
    );
    assert_eq!(
        config(&["--codecs", ""]).unwrap_err(),
        "--codecs: empty entry in '' (expected a comma-separated list of opus, pcmu, pcma)"
    );
    assert_eq!(
        config(&["--codecs", "pcmu,ulaw"]).unwrap_err(),
        "--codecs: 'ulaw' is listed twice in 'pcmu,ulaw'"
    );
    assert_eq!(parse_codecs("opus"), Ok(vec![CodecKind::Opus]));
}

#[test]
fn audio_errors() {
    assert_eq!(
        config(&["--audio-in", "tone:abc"]).unwrap_err(),
        "--audio-in: 'tone:abc' is not a tone: expected tone:HZ with HZ between 0 and 24000, e.g. tone:440"
    );
    assert!(config(&["--audio-out", ""])
        .unwrap_err()
        .starts_with("--audio-out: empty audio output"));
    let c = config(&["--audio-in", "silence", "--audio-out", "null"]).unwrap();
    assert_eq!(c.driver.media.audio_in, AudioInSpec::Silence);
    assert_eq!(c.driver.media.audio_out, AudioOutSpec::Null);
}

#[test]
fn port_range_errors() {
    assert_eq!(parse_port_range("4000-4001"), Ok((4000, 4001)));
    assert_eq!(parse_port_range("4000-4000"), Ok((4000, 4000)));
    assert_eq!(
        config(&["--rtp-ports", "10000"]).unwrap_err(),
        "--rtp-ports: '10000' is not a port range (expected LO-HI, e.g. 10000-20000)"
    );
    assert_eq!(
        config(&["--rtp-ports", "20000-10000"]).unwrap_err(),
        "--rtp-ports: '20000-10000': 20000 is above 10000 (expected LO-HI, e.g. 10000-20000)"
    );
    assert_eq!(
        config(&["--rtp-ports", "0-100"]).unwrap_err(),
        "--rtp-ports: '0-100' is not a port range (expected LO-HI, e.g. 10000-20000), ports 1-65535"
    );
    assert_eq!(
        config(&["--rtp-ports", "4001-4001"]).unwrap_err(),
        "--rtp-ports: '4001-4001' has no even port (RTP uses even ports) (expected LO-HI, e.g. 10000-20000)"
    );
    assert!(parse_port_range("a-b").is_err());
}

#[test]
fn user_and_timeout_errors() {
    assert_eq!(
        config(&["--user", "al ice"]).unwrap_err(),
        "--user: 'al ice' is not a SIP user name: ' ' is not allowed (letters, digits and -_.!~*'()&=+$,;?/%)"
    );
    assert_eq!(
        config(&["--user", ""]).unwrap_err(),
        "--user: empty user name (expected e.g. --user alice)"
    );
    assert_eq!(
        config(&["--user", "+4930123"]).unwrap().driver.user,
        "+4930123"
    );
    assert_eq!(
        config(&["--timeout", "10"]).unwrap_err(),
        "--timeout: '10' needs a unit (e.g. 10s, 500ms, 2m)"
    );
    assert_eq!(
        config(&["--timeout", "0s"]).unwrap_err(),
        "--timeout: must be more than 0s (e.g. 60s, 2m)"
    );
}
