//! Two sipline processes call each other on 127.0.0.1 and each records what it hears:
//! alice sends a 440 Hz tone, bob a 1000 Hz tone; each recording must hold the other's tone
//! for most of the call (and not mostly its own, which would mean a loop-back).

mod common;

use common::*;

fn two_siplines(codec: &str, codec_name: &str) {
    let dir = TempDir::new(&format!("two-siplines-{codec}"));
    let (pa, pb) = (reserve_port(), reserve_port());
    let alice_wav = dir.join("alice-heard.wav");
    let bob_wav = dir.join("bob-heard.wav");
    let alice = SiplineOpts::new("alice", pa.port())
        .codecs(codec)
        .audio_in("tone:440")
        .record_to(&alice_wav);
    let bob = SiplineOpts::new("bob", pb.port())
        .codecs(codec)
        .audio_in("tone:1000")
        .record_to(&bob_wav);

    let mut callee = Sipline::spawn("bob", bob.clone(), dir.path());
    callee.send("wait incoming 20s\naccept\nwait terminated 30s\nquit\n");
    callee.expect_listening();
    let script = format!(
        "invite {}\n\
         wait accepted 10s\n\
         wait media 5s\n\
         # talk for a while: both tones flow both ways\n\
         sleep 5s\n\
         hangup\n\
         wait terminated 10s\n\
         quit\n",
        bob.uri()
    );
    let a = run_sipline("alice", alice, &script, dir.path(), secs(45));
    let b = callee.finish(secs(15));
    a.assert_success();
    b.assert_success();

    for out in [&a, &b] {
        let media = out.first("media");
        assert!(
            media["codec"]
                .as_str()
                .is_some_and(|c| c.to_ascii_lowercase().starts_with(codec_name)),
            "{}: expected codec {codec_name}\n{}",
            out.name,
            out.report()
        );
        assert_eq!(out.first("accepted")["code"], 200, "{}", out.report());
    }
    assert_eq!(a.first("terminated")["by"], "local", "{}", a.report());
    assert_eq!(b.first("terminated")["by"], "remote", "{}", b.report());
    assert_eq!(b.first("terminated")["cause"], "bye", "{}", b.report());

    let (heard_by_alice, rate_a) = read_wav(&alice_wav)
        .unwrap_or_else(|e| panic!("alice's recording {}: {e:?}", alice_wav.display()));
    let (heard_by_bob, rate_b) = read_wav(&bob_wav)
        .unwrap_or_else(|e| panic!("bob's recording {}: {e:?}", bob_wav.display()));
    assert_tone(
        &format!("{codec}: alice's recording (bob sends 1000 Hz)"),
        &heard_by_alice,
        rate_a,
        1000.0,
        0.7,
    );
    assert_tone(
        &format!("{codec}: bob's recording (alice sends 440 Hz)"),
        &heard_by_bob,
        rate_b,
        440.0,
        0.7,
    );
    let own = tone_fraction(&heard_by_alice, rate_a as _, 440.0 as _) as f64;
    assert!(
        own < 0.3,
        "alice's recording holds her own 440 Hz tone {:.0}% of the time: a loop-back?",
        own * 100.0
    );
}

#[test]
fn two_siplines_talk_with_opus() {
    two_siplines("opus", "opus");
}

#[test]
fn two_siplines_talk_with_pcmu() {
    two_siplines("pcmu", "pcmu");
}
