//! Calls over TLS (RFC 3261 §26.2) between two sipline processes on 127.0.0.1, with a
//! self-signed certificate for IP 127.0.0.1 made by rcgen at test time: a trusted call
//! with tone both ways, an untrusted certificate failing at once with cause `transport`,
//! and the dangerous skip flag letting the same call through. Then baresip (libre over
//! OpenSSL, another TLS stack) both ways. sipline verifies baresip's certificate; baresip
//! 1.0 does not verify ours (tried by hand: it connects with an unrelated `sip_cafile`), so
//! that direction proves the handshake and the calls, not our certificate's checking.
//!
//! sipp is not used here: the Debian build of sipp has no TLS ("To use a TLS transport you
//! must compile SIPp with OpenSSL").
//!
//! sipline's TLS settings are its flags (`--tls-cert`, `--tls-key`, `--tls-ca`,
//! `--dangerous-skip-tls-verify`), passed in `SiplineOpts::extra`.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::*;

/// A self-signed certificate for IP 127.0.0.1 and its key, as PEM files in `dir`.
struct TestCert {
    cert: PathBuf,
    key: PathBuf,
}

fn make_cert(dir: &Path) -> TestCert {
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()])
        .expect("rcgen makes a certificate");
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(&cert, made.cert.pem()).expect("write cert.pem");
    std::fs::write(&key, made.signing_key.serialize_pem()).expect("write key.pem");
    TestCert { cert, key }
}

const BARESIP_CONFIG: &str = include_str!("../assets/baresip/config.template");

/// A headless baresip 1.0 with `cert` as its TLS identity (`sip_certificate`: certificate
/// and key in one PEM) and as its trusted CA (`sip_cafile`), sending a 1000 Hz tone and
/// answering at once; `dial` makes it call that URI as it starts (`-e /dial`). Its TLS
/// port is its SIP port + 1.
struct TlsBaresip {
    peer: Peer,
    sip: Ports,
    _ctrl: Ports,
    rec_dir: PathBuf,
}

impl TlsBaresip {
    fn start(dir: &Path, cert: &TestCert, dial: Option<&str>) -> TlsBaresip {
        let home = dir.join("baresip");
        let rec_dir = home.join("rec");
        std::fs::create_dir_all(&rec_dir).expect("create baresip dirs");
        let tone = home.join("tone.wav");
        write_tone_wav(&tone, 1000.0, 8000, 60.0);
        let identity = home.join("identity.pem");
        let pem = std::fs::read_to_string(&cert.cert).unwrap()
            + &std::fs::read_to_string(&cert.key).unwrap();
        std::fs::write(&identity, pem).expect("write baresip identity");
        let sip = reserve_ports(2);
        let ctrl = reserve_port();
        let config = BARESIP_CONFIG
            .replace("@SIP_PORT@", &sip.port().to_string())
            .replace("@CTRL_PORT@", &ctrl.port().to_string())
            .replace("@AUDIO_SOURCE@", &tone.display().to_string())
            .replace("@AUDIO_SOURCE_RATE@", "8000")
            .replace("@SND_PATH@", &rec_dir.display().to_string())
            + &format!(
                "sip_certificate\t\t{}\nsip_cafile\t\t{}\n",
                identity.display(),
                cert.cert.display()
            );
        std::fs::write(home.join("config"), config).expect("write baresip config");
        let account = format!(
            "<sip:baresip@127.0.0.1:{};transport=udp>;regint=0;answermode=auto;\
             audio_codecs=pcmu\n",
            sip.port()
        );
        std::fs::write(home.join("accounts"), account).expect("write baresip accounts");
        let mut cmd = std::process::Command::new("baresip");
        cmd.arg("-s").arg("-f").arg(&home);
        if let Some(uri) = dial {
            cmd.arg("-e").arg(format!("/dial {uri}"));
        }
        let peer = Peer::spawn("baresip", cmd, dir);
        let baresip = TlsBaresip {
            peer,
            sip,
            _ctrl: ctrl,
            rec_dir,
        };
        if dial.is_none() {
            wait_tcp_listening(baresip.sip.nth(1));
        }
        baresip
    }

    /// What baresip decoded (its sndfile `-dec.wav`), once the call is over.
    fn heard(&mut self) -> (Vec<i16>, u32) {
        let dec = std::fs::read_dir(&self.rec_dir).ok().and_then(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .find(|p| p.to_string_lossy().ends_with("-dec.wav"))
        });
        match dec {
            Some(p) => read_wav_mono(&p),
            None => panic!("baresip recorded nothing\n{}", self.peer.logs()),
        }
    }
}

impl Drop for TlsBaresip {
    fn drop(&mut self) {
        if self.peer.running() {
            self.peer.stop(secs(2));
        }
    }
}

/// `--NAME FILE`, e.g. `flag("tls-ca", &cert.cert)`.
fn flag(name: &str, file: &Path) -> Vec<String> {
    vec![format!("--{name}"), file.display().to_string()]
}

/// Starts sipline with the given TLS flags (and no others).
fn spawn_tls(name: &str, mut opts: SiplineOpts, dir: &Path, tls: Vec<String>) -> Sipline {
    opts.extra.extend(tls);
    Sipline::spawn(name, opts, dir)
}

/// Bob: listens with the certificate (TLS on his SIP port and on port + 1), sends `tone`,
/// answers one call and hangs up after 3 s if `hangs_up`, else waits for the caller to.
fn start_bob(
    dir: &Path,
    ports: &Ports,
    cert: &TestCert,
    tone: &str,
    record: Option<&Path>,
    hangs_up: bool,
) -> Sipline {
    let mut opts = SiplineOpts::new("bob", ports.port())
        .codecs("pcmu")
        .audio_in(tone);
    if let Some(path) = record {
        opts = opts.record_to(path);
    }
    let mut bob = spawn_tls(
        "bob",
        opts,
        dir,
        [flag("tls-cert", &cert.cert), flag("tls-key", &cert.key)].concat(),
    );
    if hangs_up {
        bob.send("wait incoming 20s\naccept\nsleep 3s\nhangup\nwait terminated 10s\nquit\n");
    } else {
        bob.send("wait incoming 20s\naccept\nwait terminated 20s\nquit\n");
    }
    bob.expect_listening();
    wait_tcp_listening(ports.nth(1));
    bob
}

fn wait_tcp_listening(port: u16) {
    for _ in 0..100 {
        if std::net::TcpStream::connect(local(port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("nothing listens on 127.0.0.1:{port}/tcp");
}

/// Alice runs `script` with the given TLS flags and no certificate of her own.
fn run_alice(dir: &Path, script: &str, record: Option<&Path>, tls: Vec<String>) -> Outcome {
    let me = reserve_port();
    let mut opts = SiplineOpts::new("alice", me.port())
        .codecs("pcmu")
        .audio_in("tone:440");
    if let Some(path) = record {
        opts = opts.record_to(path);
    }
    let mut alice = spawn_tls("alice", opts, dir, tls);
    alice.send(script);
    alice.finish(secs(40))
}

#[test]
fn two_siplines_talk_over_tls() {
    let dir = TempDir::new("two-siplines-tls");
    let cert = make_cert(dir.path());
    // Bob's SIP port and the one above it, where his dedicated TLS listener goes.
    let b_ports = reserve_ports(2);
    let a_heard = dir.join("a-heard.wav");
    let b_heard = dir.join("b-heard.wav");
    let bob = start_bob(
        dir.path(),
        &b_ports,
        &cert,
        "tone:1000",
        Some(&b_heard),
        false,
    );
    let script = format!(
        "invite sip:bob@127.0.0.1:{};transport=tls\nwait accepted 10s\nsleep 3s\nhangup\n\
         wait terminated 10s\nquit\n",
        b_ports.nth(1)
    );
    let alice = run_alice(
        dir.path(),
        &script,
        Some(&a_heard),
        flag("tls-ca", &cert.cert),
    );
    let bob = bob.finish(secs(20));
    alice.assert_success();
    bob.assert_success();
    assert_eq!(alice.first("accepted")["code"], 200, "{}", alice.report());
    assert_eq!(bob.first("terminated")["by"], "remote", "{}", bob.report());
    // The signalling really went over TLS, not plain TCP.
    assert!(
        alice.stderr.contains("sent over TLS to") && alice.stderr.contains("SIP/2.0/TLS"),
        "{}",
        alice.report()
    );
    assert!(
        bob.stderr.contains("received over TLS from"),
        "{}",
        bob.report()
    );
    assert!(
        !alice.stderr.contains("over TCP") && !bob.stderr.contains("over TCP"),
        "plain TCP was used\n{}\n{}",
        alice.report(),
        bob.report()
    );
    let (a, rate) = read_wav_mono(&a_heard);
    assert_tone(
        "alice hears bob over a TLS-signalled call",
        &a,
        rate,
        1000.0,
        0.7,
    );
    let (b, rate) = read_wav_mono(&b_heard);
    assert_tone(
        "bob hears alice over a TLS-signalled call",
        &b,
        rate,
        440.0,
        0.7,
    );
}

#[test]
fn untrusted_certificate_fails_the_call_at_once() {
    let dir = TempDir::new("tls-untrusted");
    let cert = make_cert(dir.path());
    let b_ports = reserve_ports(2);
    let bob = start_bob(dir.path(), &b_ports, &cert, "tone:1000", None, false);
    // Alice trusts only the system's roots: Bob's self-signed certificate is not among them.
    let script = format!(
        "invite sip:bob@127.0.0.1:{};transport=tls\nwait failed 10s\nquit\n",
        b_ports.nth(1)
    );
    let started = Instant::now();
    let alice = run_alice(dir.path(), &script, None, Vec::new());
    let took = started.elapsed();
    drop(bob);
    alice.assert_success();
    let failed = alice.first("failed");
    assert_eq!(failed["cause"], "transport", "{}", alice.report());
    assert!(
        alice
            .stderr
            .contains("certificate for 127.0.0.1 not trusted"),
        "the reason is not on stderr\n{}",
        alice.report()
    );
    // Not Timer B (32 s): the `wait failed 10s` above already bounds it; this says so.
    assert!(took < secs(20), "took {took:?}\n{}", alice.report());
}

#[test]
fn dangerous_skip_verify_lets_the_call_through_and_the_callee_hangs_up() {
    let dir = TempDir::new("tls-dangerous");
    let cert = make_cert(dir.path());
    let b_ports = reserve_ports(2);
    // Bob hangs up: his BYE goes to Alice's Contact (her SIP port, ;transport=tls), where
    // Alice, without a certificate, accepts no TLS; it must reuse her connection.
    let bob = start_bob(dir.path(), &b_ports, &cert, "tone:1000", None, true);
    // Straight to Bob's SIP port this time: TLS is told from plain SIP by its first byte.
    let script = format!(
        "invite sip:bob@127.0.0.1:{};transport=tls\nwait accepted 10s\nwait terminated 20s\nquit\n",
        b_ports.port()
    );
    let alice = run_alice(
        dir.path(),
        &script,
        None,
        vec!["--dangerous-skip-tls-verify".to_owned()],
    );
    let bob = bob.finish(secs(20));
    alice.assert_success();
    bob.assert_success();
    assert_eq!(alice.first("accepted")["code"], 200, "{}", alice.report());
    assert_eq!(
        alice.first("terminated")["by"],
        "remote",
        "{}",
        alice.report()
    );
    assert!(
        alice.stderr.contains("NOT verified"),
        "no warning about the skipped verification\n{}",
        alice.report()
    );
    assert!(
        bob.stderr.contains("sent over TLS to") && !bob.stderr.contains("over TCP"),
        "{}",
        bob.report()
    );
}

#[test]
fn sipline_calls_baresip_over_tls() {
    if !peer_available("baresip", "baresip") {
        return;
    }
    let dir = TempDir::new("sipline-calls-baresip-tls");
    let cert = make_cert(dir.path());
    let mut baresip = TlsBaresip::start(dir.path(), &cert, None);
    let heard = dir.join("alice-heard.wav");
    let script = format!(
        "invite sip:baresip@127.0.0.1:{};transport=tls\nwait accepted 10s\nsleep 3s\nhangup\n\
         wait terminated 10s\nsleep 500ms\nquit\n",
        baresip.sip.nth(1)
    );
    let alice = run_alice(
        dir.path(),
        &script,
        Some(&heard),
        flag("tls-ca", &cert.cert),
    );
    alice.assert_success();
    assert!(
        alice.stderr.contains("received over TLS from"),
        "{}",
        alice.report()
    );
    let (ours, rate) = read_wav_mono(&heard);
    assert_tone("sipline hears baresip over TLS", &ours, rate, 1000.0, 0.7);
    let (theirs, rate) = baresip.heard();
    assert_tone("baresip hears sipline over TLS", &theirs, rate, 440.0, 0.7);
}

#[test]
fn baresip_calls_sipline_over_tls() {
    if !peer_available("baresip", "baresip") {
        return;
    }
    let dir = TempDir::new("baresip-calls-sipline-tls");
    let cert = make_cert(dir.path());
    let b_ports = reserve_ports(2);
    let heard = dir.join("bob-heard.wav");
    // Bob hangs up: his BYE goes to baresip's Contact over TLS.
    let bob = start_bob(dir.path(), &b_ports, &cert, "tone:440", Some(&heard), true);
    let uri = format!("sip:bob@127.0.0.1:{};transport=tls", b_ports.nth(1));
    let mut baresip = TlsBaresip::start(dir.path(), &cert, Some(&uri));
    let bob = bob.finish(secs(30));
    bob.assert_success();
    assert_eq!(bob.first("terminated")["by"], "local", "{}", bob.report());
    assert!(
        bob.stderr.contains("received over TLS from") && !bob.stderr.contains("over TCP"),
        "{}",
        bob.report()
    );
    let (ours, rate) = read_wav_mono(&heard);
    assert_tone("sipline hears baresip over TLS", &ours, rate, 1000.0, 0.7);
    baresip.peer.stop(secs(3));
    let (theirs, rate) = baresip.heard();
    assert_tone("baresip hears sipline over TLS", &theirs, rate, 440.0, 0.7);
}

#[test]
fn tls_connect_refused_fails_the_call_at_once() {
    let dir = TempDir::new("tls-refused");
    // Reserved, so nothing else listens there; nor do we.
    let nobody = reserve_port();
    let script = format!(
        "invite sip:nobody@127.0.0.1:{};transport=tls\nwait failed 10s\nquit\n",
        nobody.port()
    );
    let alice = run_alice(dir.path(), &script, None, Vec::new());
    alice.assert_success();
    assert_eq!(
        alice.first("failed")["cause"],
        "transport",
        "{}",
        alice.report()
    );
}

/// A TLS client made here with rustls' blocking API, trusting `cert`.
fn tls_client(
    cert: &TestCert,
    port: u16,
) -> rustls::StreamOwned<rustls::ClientConnection, std::net::TcpStream> {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls::pki_types::CertificateDer::pem_file_iter(&cert.cert).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let conn = rustls::ClientConnection::new(std::sync::Arc::new(config), name).unwrap();
    let tcp = std::net::TcpStream::connect(local(port)).expect("connect");
    tcp.set_read_timeout(Some(secs(10))).unwrap();
    rustls::StreamOwned::new(conn, tcp)
}

fn options(proto: &str, port: u16, n: u32) -> String {
    format!(
        "OPTIONS sip:bob@127.0.0.1:{port} SIP/2.0\r\n\
         Via: SIP/2.0/{proto} 127.0.0.1:9;branch=z9hG4bK-probe-{n};rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:probe@127.0.0.1>;tag=probe{n}\r\n\
         To: <sip:bob@127.0.0.1>\r\n\
         Call-ID: tls-probe-{n}\r\n\
         CSeq: {n} OPTIONS\r\n\
         Content-Length: 0\r\n\r\n"
    )
}

/// Reads until `want` has arrived (or panics at the read timeout), returns all read.
fn read_until(stream: &mut impl std::io::Read, want: &str) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&got).contains(want) {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => panic!(
                "reading for {want:?}: {e}; got {:?}",
                String::from_utf8_lossy(&got)
            ),
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

#[test]
fn tls_and_tcp_share_the_sip_port_and_pings_are_answered_over_tls() {
    use std::io::Write;
    let dir = TempDir::new("tls-server-probe");
    let cert = make_cert(dir.path());
    let ports = reserve_ports(2);
    let _bob = start_bob(dir.path(), &ports, &cert, "silence", None, false);
    for port in [ports.nth(1), ports.port()] {
        let mut tls = tls_client(&cert, port);
        // RFC 5626 §4.4.1: a double-CRLF ping gets a CRLF pong.
        tls.write_all(b"\r\n\r\n").unwrap();
        tls.flush().unwrap();
        let pong = read_until(&mut tls, "\r\n");
        assert_eq!(pong, "\r\n", "pong over TLS on port {port}");
        tls.write_all(options("TLS", port, u32::from(port)).as_bytes())
            .unwrap();
        tls.flush().unwrap();
        let resp = read_until(&mut tls, "\r\n\r\n");
        assert!(
            resp.starts_with("SIP/2.0 200"),
            "OPTIONS over TLS on {port}: {resp}"
        );
        assert!(resp.contains("SIP/2.0/TLS"), "{resp}");
    }
    // Plain SIP over TCP on the SIP port still works beside TLS.
    let mut tcp = std::net::TcpStream::connect(local(ports.port())).unwrap();
    tcp.set_read_timeout(Some(secs(10))).unwrap();
    tcp.write_all(options("TCP", ports.port(), 1).as_bytes())
        .unwrap();
    let resp = read_until(&mut tcp, "\r\n\r\n");
    assert!(resp.starts_with("SIP/2.0 200"), "OPTIONS over TCP: {resp}");
}

#[test]
fn unusable_tls_files_stop_the_start_with_one_line() {
    let dir = TempDir::new("tls-bad-files");
    let cert = make_cert(dir.path());
    let missing = dir.join("missing.pem");
    let cases: [(&str, Vec<String>, &str); 3] = [
        (
            "missing certificate",
            [flag("tls-cert", &missing), flag("tls-key", &cert.key)].concat(),
            "TLS certificate",
        ),
        (
            "certificate without key",
            flag("tls-cert", &cert.cert),
            "without its private key",
        ),
        (
            "key file given as CA",
            flag("tls-ca", &cert.key),
            "no PEM certificate",
        ),
    ];
    for (what, tls, expected) in cases {
        let me = reserve_port();
        let mut sipline = spawn_tls(
            "sipline",
            SiplineOpts::new("alice", me.port()),
            dir.path(),
            tls,
        );
        sipline.send("quit\n");
        let out = sipline.finish(secs(20));
        assert_eq!(out.code(), Some(2), "{what}\n{}", out.report());
        assert!(out.stderr.contains(expected), "{what}\n{}", out.report());
    }
}
