//! Two `MediaManager`s on 127.0.0.1 send tones to each other over real RTP for about two
//! seconds and record what they hear to WAV; the recordings must hold the other side's tone
//! (verified by content, ARCHITECTURE.md "Testing layers"). Real time, loopback only.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sipline::api::CallHandle;
use sipline::driver::media::{MediaConfig, MediaManager};
use sipline::media::analysis::{read_wav, tone_fraction};
use sipline::media::audio::{AudioInSpec, AudioOutSpec};
use sipline::media::codec::CodecKind;
use sipline::media::{MediaCtl, MediaDirection, MediaParams, MediaReport, NegotiatedCodec};

const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// A fresh WAV path under the temp dir, removed on drop.
struct TempWav(PathBuf);

impl TempWav {
    fn new(tag: &str) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        TempWav(std::env::temp_dir().join(format!(
            "sipline-media-loopback-{}-{nanos}-{tag}.wav",
            std::process::id()
        )))
    }
}

impl Drop for TempWav {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn manager(tone: f32, out: &TempWav, ports: (u16, u16)) -> MediaManager {
    MediaManager::new(MediaConfig {
        audio_in: AudioInSpec::Tone(tone),
        audio_out: AudioOutSpec::Wav(out.0.clone()),
        bind_ip: LOCALHOST,
        rtp_ports: ports,
    })
}

fn open(m: &mut MediaManager, call: CallHandle) -> SocketAddr {
    match m.handle(MediaCtl::Open { call }) {
        Some(MediaReport::Opened { call: c, local }) => {
            assert_eq!(c, call);
            assert_eq!(local.ip(), LOCALHOST);
            assert_eq!(local.port() % 2, 0, "RTP port must be even");
            local
        }
        other => panic!("Open gave {other:?}"),
    }
}

fn params(kind: CodecKind, remote: SocketAddr, direction: MediaDirection) -> MediaParams {
    MediaParams {
        codec: NegotiatedCodec {
            kind,
            pt: kind.default_pt(),
            clock_rate: kind.clock_rate(),
        },
        dtmf: Some((101, kind.clock_rate())),
        remote,
        ptime: 20,
        direction,
    }
}

/// (samples, rate) of a finished recording, and the fraction of 20 ms blocks holding `hz`.
fn analyse(path: &TempWav, hz: f32) -> (usize, u32, f64) {
    let (samples, rate) = read_wav(&path.0).expect("recording readable");
    let frac = tone_fraction(&samples, rate, hz);
    (samples.len(), rate, frac)
}

async fn loopback(kind: CodecKind, base_port: u16) {
    let wav_a = TempWav::new(&format!("{kind:?}-a"));
    let wav_b = TempWav::new(&format!("{kind:?}-b"));
    let mut a = manager(440.0, &wav_a, (base_port, base_port + 49));
    let mut b = manager(1000.0, &wav_b, (base_port + 50, base_port + 99));
    let call = CallHandle(1);
    let addr_a = open(&mut a, call);
    let addr_b = open(&mut b, call);
    assert_ne!(addr_a, addr_b);
    assert!(a
        .handle(MediaCtl::Start {
            call,
            params: params(kind, addr_b, MediaDirection::SendRecv),
        })
        .is_none());
    assert!(b
        .handle(MediaCtl::Start {
            call,
            params: params(kind, addr_a, MediaDirection::SendRecv),
        })
        .is_none());
    tokio::time::sleep(Duration::from_millis(2000)).await;
    let sa = a.stats(call).expect("A running");
    let sb = b.stats(call).expect("B running");
    eprintln!("{kind:?}: A {sa:?}\n{kind:?}: B {sb:?}");
    for (s, peer) in [(sa, addr_b), (sb, addr_a)] {
        // Snapshots are taken once a second: at least the one at 1 s is in.
        assert!(s.sent_packets >= 45, "{s:?}");
        assert!(s.rtp.accepted >= 45, "{s:?}");
        assert_eq!(s.remote, Some(peer));
        assert_eq!(
            (s.rtp.malformed, s.rtp.unknown_pt, s.send_errors),
            (0, 0, 0)
        );
        // Loopback loses nothing and reorders nothing.
        assert_eq!(
            (s.jitter.lost, s.jitter.late, s.jitter.duplicates),
            (0, 0, 0)
        );
    }
    assert!(a.handle(MediaCtl::Stop { call }).is_none());
    assert!(b.handle(MediaCtl::Stop { call }).is_none());
    a.shutdown().await;
    b.shutdown().await;

    let (len_a, rate_a, frac_a) = analyse(&wav_a, 1000.0);
    let (len_b, rate_b, frac_b) = analyse(&wav_b, 440.0);
    let wrong_a = analyse(&wav_a, 440.0).2;
    eprintln!(
        "{kind:?}: A heard {:.2} s at {rate_a} Hz, 1000 Hz in {frac_a:.3} of it (440 Hz: {wrong_a:.3}); \
         B heard {:.2} s at {rate_b} Hz, 440 Hz in {frac_b:.3}",
        len_a as f64 / f64::from(rate_a),
        len_b as f64 / f64::from(rate_b),
    );
    assert_eq!(rate_a, kind.pcm_rate());
    // About two seconds of timeline each (the tick writes a frame whether or not audio came).
    for (len, rate) in [(len_a, rate_a), (len_b, rate_b)] {
        let secs = len as f64 / f64::from(rate);
        assert!((1.7..2.5).contains(&secs), "recorded {secs:.2} s");
    }
    assert!(
        frac_a > 0.8,
        "A's recording holds B's 1000 Hz tone in {frac_a:.3}"
    );
    assert!(
        frac_b > 0.8,
        "B's recording holds A's 440 Hz tone in {frac_b:.3}"
    );
    assert!(
        wrong_a < 0.05,
        "A's recording holds its own tone in {wrong_a:.3}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pcmu_tones_cross_over_loopback() {
    loopback(CodecKind::Pcmu, 41_000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opus_tones_cross_over_loopback() {
    loopback(CodecKind::Opus, 41_200).await;
}

/// RFC 4961: A was told a wrong address for B (say B is behind a NAT); once B's first
/// packet arrives, A sends to where it came from, and B hears A after all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn symmetric_rtp_latches_onto_the_source_address() {
    let wav_a = TempWav::new("latch-a");
    let wav_b = TempWav::new("latch-b");
    let mut a = manager(440.0, &wav_a, (41_400, 41_449));
    let mut b = manager(1000.0, &wav_b, (41_450, 41_499));
    let call = CallHandle(7);
    let addr_a = open(&mut a, call);
    let addr_b = open(&mut b, call);
    // A port nobody listens on (one of B's range, odd so never bound for RTP by B).
    let nowhere = SocketAddr::new(LOCALHOST, 41_497);
    a.handle(MediaCtl::Start {
        call,
        params: params(CodecKind::Pcmu, nowhere, MediaDirection::SendRecv),
    });
    b.handle(MediaCtl::Start {
        call,
        params: params(CodecKind::Pcmu, addr_a, MediaDirection::SendRecv),
    });
    tokio::time::sleep(Duration::from_millis(1000)).await;
    // A now sends where B's packets come from.
    assert_eq!(a.stats(call).and_then(|s| s.remote), Some(addr_b));
    a.shutdown().await;
    b.shutdown().await;
    let (_, _, frac_b) = analyse(&wav_b, 440.0);
    eprintln!("latch: B heard A's tone in {frac_b:.3}");
    assert!(frac_b > 0.8, "B's recording holds A's tone in {frac_b:.3}");
}

/// A second `Start` with `recvonly` (we put the peer on hold) stops A's sending: B's
/// recording has A's tone in about the first half only, and silence after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_with_recvonly_stops_sending() {
    let wav_a = TempWav::new("hold-a");
    let wav_b = TempWav::new("hold-b");
    let mut a = manager(440.0, &wav_a, (41_600, 41_649));
    let mut b = manager(1000.0, &wav_b, (41_650, 41_699));
    let call = CallHandle(3);
    let addr_a = open(&mut a, call);
    let addr_b = open(&mut b, call);
    a.handle(MediaCtl::Start {
        call,
        params: params(CodecKind::Pcmu, addr_b, MediaDirection::SendRecv),
    });
    b.handle(MediaCtl::Start {
        call,
        params: params(CodecKind::Pcmu, addr_a, MediaDirection::SendRecv),
    });
    tokio::time::sleep(Duration::from_millis(1000)).await;
    a.handle(MediaCtl::Start {
        call,
        params: params(CodecKind::Pcmu, addr_b, MediaDirection::RecvOnly),
    });
    tokio::time::sleep(Duration::from_millis(1000)).await;
    a.shutdown().await;
    b.shutdown().await;
    let (samples, rate) = read_wav(&wav_b.0).expect("recording readable");
    // The switch is about half way; leave 200 ms either side of it for jitter buffering
    // and concealment.
    let n = samples.len();
    let first = tone_fraction(&samples[..n * 4 / 10], rate, 440.0);
    let second = tone_fraction(&samples[n * 6 / 10..], rate, 440.0);
    // A still hears B throughout.
    let (_, _, frac_a) = analyse(&wav_a, 1000.0);
    eprintln!(
        "hold: B heard 440 Hz in {first:.3} then {second:.3}; A heard 1000 Hz in {frac_a:.3}"
    );
    assert!(first > 0.8, "{first:.3}");
    assert!(second < 0.05, "{second:.3}");
    assert!(frac_a > 0.8, "{frac_a:.3}");
}

/// Open is answered at once: even ports, distinct per call, the same address when asked
/// twice, ports in use skipped, and OpenFailed when the range is exhausted.
#[tokio::test]
async fn open_binds_even_ports_and_fails_when_the_range_is_full() {
    let wav = TempWav::new("open");
    let mut m = manager(440.0, &wav, (41_801, 41_806));
    // Someone else holds 41802; the only even ports left are 41804 and 41806.
    let _squatter = std::net::UdpSocket::bind((LOCALHOST, 41_802)).expect("bind 41802");
    let a = open(&mut m, CallHandle(1));
    let b = open(&mut m, CallHandle(2));
    assert_ne!(a, b);
    for p in [a.port(), b.port()] {
        assert!(p == 41_804 || p == 41_806, "port {p}");
    }
    assert_eq!(open(&mut m, CallHandle(1)), a);
    assert_eq!(m.local_addr(CallHandle(2)), Some(b));
    assert_eq!(
        m.handle(MediaCtl::Open {
            call: CallHandle(3)
        }),
        Some(MediaReport::OpenFailed {
            call: CallHandle(3)
        })
    );
    // Stopping a call that never started frees its port for the next Open.
    assert!(m
        .handle(MediaCtl::Stop {
            call: CallHandle(1)
        })
        .is_none());
    assert_eq!(open(&mut m, CallHandle(3)), a);
    m.shutdown().await;
}

/// A re-INVITE switches both sides from PCMU to Opus mid-call: the tasks rebuild their
/// codecs in place (the WAV sinks stay at 8 kHz, so Opus's 48 kHz output is resampled),
/// and each recording holds the peer's tone before and after the switch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_with_another_codec_switches_in_place() {
    let wav_a = TempWav::new("switch-a");
    let wav_b = TempWav::new("switch-b");
    let mut a = manager(440.0, &wav_a, (41_900, 41_949));
    let mut b = manager(1000.0, &wav_b, (41_950, 41_999));
    let call = CallHandle(9);
    let addr_a = open(&mut a, call);
    let addr_b = open(&mut b, call);
    for (m, peer) in [(&mut a, addr_b), (&mut b, addr_a)] {
        m.handle(MediaCtl::Start {
            call,
            params: params(CodecKind::Pcmu, peer, MediaDirection::SendRecv),
        });
    }
    tokio::time::sleep(Duration::from_millis(1000)).await;
    for (m, peer) in [(&mut a, addr_b), (&mut b, addr_a)] {
        m.handle(MediaCtl::Start {
            call,
            params: params(CodecKind::Opus, peer, MediaDirection::SendRecv),
        });
    }
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let sa = a.stats(call).expect("running");
    a.shutdown().await;
    b.shutdown().await;
    eprintln!("switch: A {sa:?}");
    // Counters survive the switch (the snapshot may be from the switch itself).
    assert!(sa.rtp.accepted >= 45 && sa.jitter.received >= 45, "{sa:?}");
    for (wav, hz) in [(&wav_a, 1000.0), (&wav_b, 440.0)] {
        let (samples, rate) = read_wav(&wav.0).expect("recording readable");
        assert_eq!(rate, 8000, "the sink keeps the rate it was opened with");
        let n = samples.len();
        let before = tone_fraction(&samples[..n * 45 / 100], rate, hz);
        let after = tone_fraction(&samples[n * 55 / 100..], rate, hz);
        eprintln!("switch: {hz} Hz in {before:.3} before, {after:.3} after");
        assert!(before > 0.8 && after > 0.8, "{before:.3} / {after:.3}");
    }
}

/// Forward RTP between A and B through two sockets of our own, dropping every
/// `drop_every`-th packet and delaying each by a pseudo-random 0–`max_delay_ms` ms (so
/// some arrive out of order). Returns the addresses A and B must send to.
async fn lossy_proxy(
    a: SocketAddr,
    b: SocketAddr,
    drop_every: u64,
    max_delay_ms: u64,
) -> (SocketAddr, SocketAddr, tokio::task::JoinHandle<()>) {
    use std::sync::Arc;
    use tokio::net::UdpSocket;
    let pa = Arc::new(UdpSocket::bind((LOCALHOST, 0)).await.expect("bind"));
    let pb = Arc::new(UdpSocket::bind((LOCALHOST, 0)).await.expect("bind"));
    let (to_a, to_b) = (pa.local_addr().unwrap(), pb.local_addr().unwrap());
    let join = tokio::spawn(async move {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut n = 0u64;
        let (mut ba, mut bb) = (vec![0u8; 2048], vec![0u8; 2048]);
        loop {
            // A packet from A (arriving at pa) leaves from pb towards B, and back.
            let (data, out, dest) = tokio::select! {
                r = pa.recv_from(&mut ba) => match r {
                    Ok((len, _)) => (ba[..len].to_vec(), pb.clone(), b),
                    Err(_) => return,
                },
                r = pb.recv_from(&mut bb) => match r {
                    Ok((len, _)) => (bb[..len].to_vec(), pa.clone(), a),
                    Err(_) => return,
                },
            };
            n += 1;
            if n % drop_every == 0 {
                continue;
            }
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let delay = Duration::from_millis(x % (max_delay_ms + 1));
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                let _ = out.send_to(&data, dest).await;
            });
        }
    });
    (to_a, to_b, join)
}

/// Through a network that loses 1 packet in 17 and delays by 0–40 ms, the jitter buffer
/// reorders, the decoder conceals (Opus: FEC or PLC), and the tone still comes through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lossy_jittery_network_is_concealed() {
    for (kind, base) in [(CodecKind::Pcmu, 42_000), (CodecKind::Opus, 42_100)] {
        let wav_a = TempWav::new(&format!("lossy-{kind:?}-a"));
        let wav_b = TempWav::new(&format!("lossy-{kind:?}-b"));
        let mut a = manager(440.0, &wav_a, (base, base + 49));
        let mut b = manager(1000.0, &wav_b, (base + 50, base + 99));
        let call = CallHandle(4);
        let addr_a = open(&mut a, call);
        let addr_b = open(&mut b, call);
        let (via_a, via_b, proxy) = lossy_proxy(addr_a, addr_b, 17, 40).await;
        a.handle(MediaCtl::Start {
            call,
            params: params(kind, via_a, MediaDirection::SendRecv),
        });
        b.handle(MediaCtl::Start {
            call,
            params: params(kind, via_b, MediaDirection::SendRecv),
        });
        tokio::time::sleep(Duration::from_millis(2100)).await;
        let sa = a.stats(call).expect("running");
        a.shutdown().await;
        b.shutdown().await;
        proxy.abort();
        let (_, _, frac_a) = analyse(&wav_a, 1000.0);
        let (_, _, frac_b) = analyse(&wav_b, 440.0);
        eprintln!(
            "lossy {kind:?}: A heard 1000 Hz in {frac_a:.3}, B heard 440 Hz in {frac_b:.3}; A {sa:?}"
        );
        // The snapshot at 2 s: about 100 packets sent by B, 1 in 17 dropped (both
        // directions share the proxy's counter, so roughly 3 lost per second each way).
        assert!(sa.jitter.lost >= 2, "{sa:?}");
        assert!(sa.concealed_frames >= sa.jitter.lost, "{sa:?}");
        assert!(frac_a > 0.8, "{kind:?}: {frac_a:.3}");
        assert!(frac_b > 0.8, "{kind:?}: {frac_b:.3}");
    }
}
