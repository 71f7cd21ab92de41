//! RFC 4733 telephone-events end to end, without sockets or clocks.
//!
//! * Every SIPp DTMF capture in `../shared/corpora/rfc4733/` (override the corpora folder
//!   with `SIPLINE_SHARED`), decoded packet by packet, yields exactly one key press, the
//!   right digit, also with its first packet lost, its end packets lost (timeout),
//!   everything duplicated, or its packets shuffled.
//! * `DtmfSender` → `RtpSender` → seeded lossy network → `RtpReceiver` → `DtmfReceiver` round
//!   trips of `159#*0D` at 8 and 48 kHz, with loss, duplication and reordering.
//! * 10 s events split into segments at duration 0xFFFF (RFC 4733 §2.5.1.3).

use std::collections::BTreeMap;
use std::path::PathBuf;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use sipline::media::dtmf::{
    DtmfDetected, DtmfEndReason, DtmfReceiver, DtmfRxEvent, DtmfSender, DtmfTiming, EventPayload,
};
use sipline::media::rtp::{RtpReceiver, RtpSender};

const EVENT_PT: u8 = 101;

fn corpus_dir() -> PathBuf {
    let base = match std::env::var_os("SIPLINE_SHARED") {
        Some(dir) => {
            // Accept either the shared folder or its corpora folder.
            let dir = PathBuf::from(dir);
            if dir.join("corpora/rfc4733").is_dir() {
                dir.join("corpora")
            } else {
                dir
            }
        }
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora"),
    };
    base.join("rfc4733")
}

/// One decoded packet of a capture.
#[derive(Clone, Debug)]
struct CapPacket {
    marker: bool,
    pt: u8,
    seq: u16,
    ts: u32,
    payload: Vec<u8>,
    event: u8,
    end: bool,
    volume: u8,
    duration: u16,
    t_ms: u64,
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}

/// All captures of the CSV, by pcap name, packets in file order.
fn captures() -> BTreeMap<String, Vec<CapPacket>> {
    let path = corpus_dir().join("sipp_dtmf_2833_pcaps_decoded.csv");
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    };
    let (c_pcap, c_m, c_pt, c_seq, c_ts, c_pl) = (
        col("pcap"),
        col("marker"),
        col("pt"),
        col("seq"),
        col("rtp_ts"),
        col("payload_hex"),
    );
    let (c_ev, c_end, c_vol, c_dur, c_t) = (
        col("event"),
        col("end"),
        col("volume"),
        col("duration"),
        col("capture_time"),
    );
    let mut out: BTreeMap<String, Vec<CapPacket>> = BTreeMap::new();
    let mut t0: BTreeMap<String, f64> = BTreeMap::new();
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split(',').collect();
        let name = f[c_pcap].to_string();
        let t: f64 = f[c_t].parse().expect("time");
        let start = *t0.entry(name.clone()).or_insert(t);
        out.entry(name).or_default().push(CapPacket {
            marker: f[c_m] == "1",
            pt: f[c_pt].parse().expect("pt"),
            seq: f[c_seq].parse().expect("seq"),
            ts: f[c_ts].parse().expect("ts"),
            payload: hex(f[c_pl]),
            event: f[c_ev].parse().expect("event"),
            end: f[c_end] == "1",
            volume: f[c_vol].parse().expect("volume"),
            duration: f[c_dur].parse().expect("duration"),
            t_ms: ((t - start) * 1000.0).round() as u64,
        });
    }
    out
}

fn capture(name: &str) -> Vec<CapPacket> {
    captures()
        .remove(name)
        .unwrap_or_else(|| panic!("{name} not in the corpus"))
}

/// Feed packets to a fresh 8 kHz receiver, then let any open event time out; every report.
fn receive(packets: &[CapPacket]) -> Vec<DtmfRxEvent> {
    let mut r = DtmfReceiver::new(8000);
    let mut events = Vec::new();
    let mut last_t = 0;
    for p in packets {
        r.on_timeout(p.t_ms);
        r.on_packet(p.t_ms, p.seq, p.ts, p.marker, &p.payload)
            .expect("well-formed payload");
        last_t = p.t_ms;
        events.extend(std::iter::from_fn(|| r.poll_event()));
    }
    if let Some(deadline) = r.poll_timeout() {
        assert!(deadline > last_t);
        r.on_timeout(deadline);
    }
    events.extend(std::iter::from_fn(|| r.poll_event()));
    assert!(!r.in_event());
    events
}

fn detections(events: &[DtmfRxEvent]) -> Vec<DtmfDetected> {
    events
        .iter()
        .filter_map(|e| match e {
            DtmfRxEvent::Ended(d) => Some(*d),
            DtmfRxEvent::Started { .. } => None,
        })
        .collect()
}

fn starts(events: &[DtmfRxEvent]) -> Vec<char> {
    events
        .iter()
        .filter_map(|e| match e {
            DtmfRxEvent::Started { digit, .. } => Some(*digit),
            DtmfRxEvent::Ended(_) => None,
        })
        .collect()
}

/// The capture, and variants of it, each give exactly one press of `digit`.
fn check_capture(name: &str, digit: char) {
    let pkts = capture(name);
    assert_eq!(pkts.len(), 10, "{name}");
    // The payload codec agrees with the decoded columns.
    for p in &pkts {
        assert_eq!(p.pt, EVENT_PT);
        let e = EventPayload::parse(&p.payload).expect("4 octets");
        assert_eq!(
            (e.event, e.end, e.volume, e.duration),
            (p.event, p.end, p.volume, p.duration),
            "{name}"
        );
        assert_eq!(e.to_bytes().as_slice(), p.payload.as_slice());
    }
    let ts = pkts[0].ts;

    // As captured: three identical end packets (same sequence number), one detection.
    let ev = receive(&pkts);
    assert_eq!(starts(&ev), vec![digit], "{name}");
    assert_eq!(
        detections(&ev),
        vec![DtmfDetected {
            digit,
            duration_ms: 280, // 2240 ticks of 8 kHz (SIPp counts twice real time)
            timestamp: ts,
            ended_by: DtmfEndReason::EndBit,
        }],
        "{name}"
    );
    // The start is reported at once, on the first packet.
    assert!(matches!(
        receive(&pkts[..1])[0],
        DtmfRxEvent::Started { .. }
    ));

    let variants: Vec<(&str, Vec<CapPacket>, DtmfEndReason)> = vec![
        ("first lost", pkts[1..].to_vec(), DtmfEndReason::EndBit),
        (
            "first three lost",
            pkts[3..].to_vec(),
            DtmfEndReason::EndBit,
        ),
        (
            "every end packet lost",
            pkts[..7].to_vec(),
            DtmfEndReason::Timeout,
        ),
        (
            "only the end packets",
            pkts[7..].to_vec(),
            DtmfEndReason::EndBit,
        ),
        (
            "each packet twice",
            pkts.iter().flat_map(|p| [p.clone(), p.clone()]).collect(),
            DtmfEndReason::EndBit,
        ),
        (
            "reversed",
            pkts.iter().rev().cloned().collect(),
            DtmfEndReason::EndBit,
        ),
        (
            "updates swapped pairwise",
            pkts.chunks(2)
                .flat_map(|c| c.iter().rev().cloned().collect::<Vec<_>>())
                .collect(),
            DtmfEndReason::EndBit,
        ),
    ];
    for (what, v, why) in variants {
        let ev = receive(&v);
        let d = detections(&ev);
        assert_eq!(d.len(), 1, "{name}, {what}: {ev:?}");
        assert_eq!(starts(&ev), vec![digit], "{name}, {what}");
        assert_eq!((d[0].digit, d[0].ended_by), (digit, why), "{name}, {what}");
        assert_eq!(d[0].timestamp, ts, "{name}, {what}");
    }

    // Two presses of the same capture, the second 1 s later on: two detections.
    let mut twice = pkts.clone();
    twice.extend(pkts.iter().map(|p| CapPacket {
        seq: p.seq.wrapping_add(10),
        ts: p.ts.wrapping_add(8000),
        t_ms: p.t_ms + 1000,
        ..p.clone()
    }));
    let d = detections(&receive(&twice));
    assert_eq!(
        d.iter().map(|d| d.digit).collect::<String>(),
        format!("{digit}{digit}"),
        "{name}"
    );
}

macro_rules! capture_tests {
    ($($test:ident: $file:literal => $digit:literal,)*) => {
        $(
            #[test]
            fn $test() {
                check_capture($file, $digit);
            }
        )*

        #[test]
        fn corpus_has_exactly_these_captures() {
            let names: Vec<String> = captures().into_keys().collect();
            let mut expected = vec![$($file.to_string()),*];
            expected.sort();
            assert_eq!(names, expected);
        }
    };
}

capture_tests! {
    sipp_capture_0: "dtmf_2833_0.pcap" => '0',
    sipp_capture_1: "dtmf_2833_1.pcap" => '1',
    sipp_capture_2: "dtmf_2833_2.pcap" => '2',
    sipp_capture_3: "dtmf_2833_3.pcap" => '3',
    sipp_capture_4: "dtmf_2833_4.pcap" => '4',
    sipp_capture_5: "dtmf_2833_5.pcap" => '5',
    sipp_capture_6: "dtmf_2833_6.pcap" => '6',
    sipp_capture_7: "dtmf_2833_7.pcap" => '7',
    sipp_capture_8: "dtmf_2833_8.pcap" => '8',
    sipp_capture_9: "dtmf_2833_9.pcap" => '9',
    sipp_capture_star: "dtmf_2833_star.pcap" => '*',
    sipp_capture_pound: "dtmf_2833_pound.pcap" => '#',
}

#[test]
fn json_decoding_agrees_with_csv() {
    let path = corpus_dir().join("sipp_dtmf_2833_pcaps_decoded.json");
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let json: serde_json::Value = serde_json::from_str(&text).expect("json");
    let csv = captures();
    let obj = json.as_object().expect("object of captures");
    assert_eq!(obj.len(), csv.len());
    for (name, cap) in obj {
        let pkts = cap["packets"].as_array().expect("packets");
        let rows = &csv[name];
        assert_eq!(pkts.len(), rows.len(), "{name}");
        for (j, c) in pkts.iter().zip(rows) {
            assert_eq!(j["seq"].as_u64(), Some(u64::from(c.seq)), "{name}");
            assert_eq!(j["ts"].as_u64(), Some(u64::from(c.ts)), "{name}");
            assert_eq!(j["payload_hex"].as_str().map(hex), Some(c.payload.clone()));
        }
    }
}

// ---------------------------------------------------------------------------------------
// Sender → receiver round trips.

/// A datagram on the simulated wire.
#[derive(Clone)]
struct Datagram {
    bytes: Vec<u8>,
    sent_ms: u64,
}

/// What the sending side put on the wire.
struct Sent {
    wire: Vec<Datagram>,
    started: Vec<(usize, char)>,
    ended: Vec<(usize, char, u32)>,
}

/// Run the media task's send side for `ticks` frames of 20 ms: telephone-events from `dtmf`,
/// and an audio frame (payload type `audio_pt`) whenever the sender does not suppress it.
fn send(dtmf: &mut DtmfSender, rate: u32, audio_pt: u8, ticks: usize) -> Sent {
    let frame = rate / 50;
    let mut rtp = RtpSender::new(0x5eed, 65_000, u32::MAX - 5 * frame, audio_pt, frame);
    let mut buf = Vec::new();
    let mut sent = Sent {
        wire: Vec::new(),
        started: Vec::new(),
        ended: Vec::new(),
    };
    for i in 0..ticks {
        let now = 20 * i as u64;
        let t = dtmf.tick(rtp.next_ts());
        for p in t.packets() {
            rtp.packetise_with(
                EVENT_PT,
                p.marker,
                p.timestamp,
                &p.payload.to_bytes(),
                &mut buf,
            );
            sent.wire.push(Datagram {
                bytes: buf.clone(),
                sent_ms: now,
            });
        }
        if let Some(d) = t.started {
            sent.started.push((i, d));
        }
        if let Some(e) = t.ended {
            sent.ended.push((i, e.digit, e.duration_ms));
        }
        if t.suppress_audio {
            rtp.skip();
        } else {
            rtp.packetise(&vec![0xd5; frame as usize], &mut buf);
            sent.wire.push(Datagram {
                bytes: buf.clone(),
                sent_ms: now,
            });
        }
    }
    sent
}

/// A seeded network: each datagram is lost with `loss`, doubled with `dup`, and delayed by
/// 10 ms plus up to `jitter_ms`; arrival order follows the delays.
fn network(
    wire: &[Datagram],
    seed: u64,
    loss: f64,
    dup: f64,
    jitter_ms: u64,
) -> Vec<(u64, Vec<u8>)> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut out = Vec::new();
    for d in wire {
        if rng.gen_bool(loss) {
            continue;
        }
        let copies = if rng.gen_bool(dup) { 2 } else { 1 };
        for _ in 0..copies {
            let delay = 10 + rng.gen_range(0..=jitter_ms);
            out.push((d.sent_ms + delay, d.bytes.clone()));
        }
    }
    out.sort_by_key(|(t, _)| *t);
    out
}

/// The receive side: RTP validation, then telephone-events to the DTMF receiver.
fn receive_wire(arrivals: &[(u64, Vec<u8>)], rate: u32, audio_pt: u8) -> Vec<DtmfRxEvent> {
    let mut rtp = RtpReceiver::new(&[audio_pt, EVENT_PT]);
    let mut dtmf = DtmfReceiver::new(rate);
    let mut events = Vec::new();
    let mut last = 0;
    for (t, bytes) in arrivals {
        dtmf.on_timeout(*t);
        let p = rtp.receive(bytes).expect("valid RTP");
        if p.pt == EVENT_PT {
            dtmf.on_packet(*t, p.seq, p.ts, p.marker, p.payload)
                .expect("valid event");
        }
        events.extend(std::iter::from_fn(|| dtmf.poll_event()));
        last = *t;
    }
    dtmf.on_timeout(last + 60_000);
    events.extend(std::iter::from_fn(|| dtmf.poll_event()));
    events
}

fn digits(events: &[DtmfRxEvent]) -> String {
    detections(events).iter().map(|d| d.digit).collect()
}

const DIGITS: &str = "159#*0D";

#[test]
fn round_trip_8k_clean() {
    let mut s = DtmfSender::new(8000, 20);
    assert_eq!(s.enqueue(DIGITS, DtmfTiming::default()), Ok(7));
    let sent = send(&mut s, 8000, 0, 300);
    assert!(s.is_idle());
    // One tone every 100 ms + 500 ms gap = 30 frames.
    let expected_starts: Vec<(usize, char)> = DIGITS
        .chars()
        .enumerate()
        .map(|(i, d)| (30 * i, d))
        .collect();
    assert_eq!(sent.started, expected_starts);
    assert_eq!(
        sent.ended,
        DIGITS
            .chars()
            .enumerate()
            .map(|(i, d)| (30 * i + 4, d, 100))
            .collect::<Vec<_>>()
    );

    let arrivals = network(&sent.wire, 0, 0.0, 0.0, 0);
    let ev = receive_wire(&arrivals, 8000, 0);
    let d = detections(&ev);
    assert_eq!(digits(&ev), DIGITS);
    assert!(d
        .iter()
        .all(|d| d.duration_ms == 100 && d.ended_by == DtmfEndReason::EndBit));
    assert_eq!(starts(&ev).into_iter().collect::<String>(), DIGITS);
}

/// The wire of a clean run holds one sequence space, the right packets per event, and no
/// audio inside an event's time span.
#[test]
fn wire_format_8k() {
    let mut s = DtmfSender::new(8000, 20);
    s.enqueue(DIGITS, DtmfTiming::default()).unwrap();
    let sent = send(&mut s, 8000, 0, 300);
    let mut rtp = RtpReceiver::new(&[0, EVENT_PT]);
    let mut seqs = Vec::new();
    let mut events: BTreeMap<u32, Vec<(bool, EventPayload)>> = BTreeMap::new();
    let mut audio = Vec::new();
    for d in &sent.wire {
        let p = rtp.receive(&d.bytes).unwrap();
        seqs.push(p.seq);
        if p.pt == EVENT_PT {
            events
                .entry(p.ts.wrapping_add(1 << 20)) // order across the wrap of the timestamp
                .or_default()
                .push((p.marker, EventPayload::parse(p.payload).unwrap()));
        } else {
            audio.push((p.ts, p.marker));
        }
    }
    assert!(seqs.windows(2).all(|w| w[1] == w[0].wrapping_add(1)));
    assert_eq!(events.len(), 7);
    for ((ts, pkts), digit) in events.iter().zip(DIGITS.chars()) {
        let ts = ts.wrapping_sub(1 << 20);
        let durs: Vec<(bool, bool, u16)> =
            pkts.iter().map(|(m, e)| (*m, e.end, e.duration)).collect();
        assert_eq!(
            durs,
            vec![
                (true, false, 160),
                (false, false, 320),
                (false, false, 480),
                (false, false, 640),
                (false, true, 800),
                (false, true, 800),
                (false, true, 800),
            ]
        );
        assert!(pkts.iter().all(|(_, e)| e.digit() == Some(digit)));
        // No audio frame starts inside [ts, ts + 800); the first one after is marked.
        assert!(audio
            .iter()
            .all(|(a, _)| a.wrapping_sub(ts) >= 800 || a.wrapping_sub(ts) > u32::MAX / 2));
        let after = audio
            .iter()
            .find(|(a, _)| a.wrapping_sub(ts) == 800)
            .expect("audio resumes right after the tone");
        assert!(after.1, "first audio after a tone starts a talkspurt");
    }
}

#[test]
fn round_trip_8k_loss_duplication_reordering() {
    for seed in 0..64 {
        let mut s = DtmfSender::new(8000, 20);
        s.enqueue(DIGITS, DtmfTiming::default()).unwrap();
        let sent = send(&mut s, 8000, 0, 300);
        let arrivals = network(&sent.wire, seed, 0.15, 0.15, 60);
        let ev = receive_wire(&arrivals, 8000, 0);
        assert_eq!(digits(&ev), DIGITS, "seed {seed}");
        assert_eq!(
            starts(&ev).into_iter().collect::<String>(),
            DIGITS,
            "seed {seed}"
        );
        assert!(
            detections(&ev).iter().all(|d| d.duration_ms <= 100),
            "seed {seed}"
        );
    }
}

/// Tones 40 ms apart and up to 100 ms of jitter: packets of one digit arrive after the next
/// digit's, and still each press is reported once, in order.
#[test]
fn round_trip_tight_gaps_cross_event_reordering() {
    let timing = DtmfTiming {
        duration_ms: 100,
        gap_ms: 0,
        pause_ms: 2000,
    };
    let mut crossed = 0;
    for seed in 0..64 {
        let mut s = DtmfSender::new(8000, 20);
        s.enqueue(DIGITS, timing).unwrap();
        let sent = send(&mut s, 8000, 0, 100);
        assert!(s.is_idle());
        let arrivals = network(&sent.wire, 1000 + seed, 0.1, 0.1, 100);
        let ev = receive_wire(&arrivals, 8000, 0);
        assert_eq!(digits(&ev), DIGITS, "seed {seed}");
        crossed += detections(&ev)
            .iter()
            .filter(|d| d.ended_by == DtmfEndReason::NextEvent)
            .count();
    }
    assert!(crossed > 0, "the jitter should make some events overlap");
}

#[test]
fn round_trip_48k() {
    let mut s = DtmfSender::new(48_000, 20);
    s.enqueue(DIGITS, DtmfTiming::default()).unwrap();
    let sent = send(&mut s, 48_000, 111, 300);
    // Durations count 48 kHz ticks: 960 per frame, 4800 at the end.
    let mut rtp = RtpReceiver::new(&[111, EVENT_PT]);
    let ends: Vec<u16> = sent
        .wire
        .iter()
        .filter_map(|d| {
            let p = rtp.receive(&d.bytes).ok()?;
            (p.pt == EVENT_PT).then(|| EventPayload::parse(p.payload).ok())?
        })
        .filter(|e| e.end)
        .map(|e| e.duration)
        .collect();
    assert_eq!(ends, vec![4800; 21]);

    let ev = receive_wire(&network(&sent.wire, 7, 0.0, 0.0, 0), 48_000, 111);
    assert_eq!(digits(&ev), DIGITS);
    assert!(detections(&ev).iter().all(|d| d.duration_ms == 100));
    for seed in 0..32 {
        let arrivals = network(&sent.wire, 2000 + seed, 0.15, 0.15, 60);
        assert_eq!(
            digits(&receive_wire(&arrivals, 48_000, 111)),
            DIGITS,
            "seed {seed}"
        );
    }
}

#[test]
fn pause_between_digits() {
    let mut s = DtmfSender::new(8000, 20);
    s.enqueue("1,2", DtmfTiming::default()).unwrap();
    let sent = send(&mut s, 8000, 0, 200);
    // '1' at 0, 500 ms gap (25 frames), 2 s pause (100 frames), '2' at frame 130.
    assert_eq!(sent.started, vec![(0, '1'), (130, '2')]);
    let ev = receive_wire(&network(&sent.wire, 0, 0.0, 0.0, 0), 8000, 0);
    assert_eq!(digits(&ev), "12");
}

/// A 10 s tone: segments of 0xFFFF (§2.5.1.3), one marker, each segment's last packet three
/// times without E, three E packets for the last segment, and one detection of 10 s.
fn long_event(rate: u32, audio_pt: u8) {
    let timing = DtmfTiming {
        duration_ms: 10_000,
        ..DtmfTiming::default()
    };
    let mut s = DtmfSender::new(rate, 20);
    s.enqueue("0", timing).unwrap();
    let sent = send(&mut s, rate, audio_pt, 520);
    assert!(s.is_idle());
    assert_eq!(sent.ended, vec![(499, '0', 10_000)]);

    let total = u64::from(rate) * 10;
    let full_segments = (total - 1) / 0xFFFF; // segments closed at 0xFFFF
    let last_dur = total - full_segments * 0xFFFF;

    let mut rtp = RtpReceiver::new(&[audio_pt, EVENT_PT]);
    let mut pkts = Vec::new();
    let mut audio_during = 0;
    let mut start_ts = None;
    for d in &sent.wire {
        let p = rtp.receive(&d.bytes).unwrap();
        if p.pt == EVENT_PT {
            let e = EventPayload::parse(p.payload).unwrap();
            start_ts.get_or_insert(p.ts);
            pkts.push((p.marker, p.ts, e));
        } else if d.sent_ms < 10_000 {
            audio_during += 1;
        }
    }
    assert_eq!(audio_during, 0, "audio suppressed for the whole tone");
    let start = start_ts.unwrap();
    assert_eq!(pkts.iter().filter(|p| p.0).count(), 1);
    assert!(pkts[0].0);
    for k in 0..full_segments {
        let seg_ts = start.wrapping_add((k * 0xFFFF) as u32);
        let closing: Vec<_> = pkts
            .iter()
            .filter(|p| p.1 == seg_ts && p.2.duration == 0xFFFF)
            .collect();
        assert_eq!(closing.len(), 3, "segment {k}");
        assert!(closing.iter().all(|p| !p.2.end));
        // Durations grow within the segment and never pass 0xFFFF.
        let durs: Vec<u16> = pkts
            .iter()
            .filter(|p| p.1 == seg_ts)
            .map(|p| p.2.duration)
            .collect();
        assert!(durs.windows(2).all(|w| w[0] <= w[1]), "segment {k}");
    }
    let last_ts = start.wrapping_add((full_segments * 0xFFFF) as u32);
    let ends: Vec<_> = pkts.iter().filter(|p| p.2.end).collect();
    assert_eq!(ends.len(), 3);
    assert!(ends
        .iter()
        .all(|p| p.1 == last_ts && u64::from(p.2.duration) == last_dur));
    assert_eq!(
        pkts.iter()
            .map(|p| p.1)
            .collect::<std::collections::BTreeSet<_>>()
            .len() as u64,
        full_segments + 1
    );

    let ev = receive_wire(&network(&sent.wire, 0, 0.0, 0.0, 0), rate, audio_pt);
    assert_eq!(
        detections(&ev),
        vec![DtmfDetected {
            digit: '0',
            duration_ms: 10_000,
            timestamp: start,
            ended_by: DtmfEndReason::EndBit
        }]
    );
    assert_eq!(ev.len(), 2);
    for seed in 0..16 {
        let ev = receive_wire(
            &network(&sent.wire, 3000 + seed, 0.1, 0.1, 60),
            rate,
            audio_pt,
        );
        let d = detections(&ev);
        assert_eq!(d.len(), 1, "seed {seed}: {d:?}");
        assert_eq!(d[0].digit, '0');
        assert!(d[0].duration_ms > 9_000, "seed {seed}: {d:?}");
    }
}

#[test]
fn ten_second_event_8k_splits_once() {
    long_event(8000, 0);
}

#[test]
fn ten_second_event_48k_splits_seven_times() {
    long_event(48_000, 111);
}

/// `small` is `big` with some items left out (order kept).
fn is_subsequence(small: &str, big: &str) -> bool {
    let mut it = big.chars();
    small.chars().all(|c| it.any(|b| b == c))
}

/// Random digit strings, tone lengths, gaps and rates. Duplication and up to 60 ms of
/// reordering lose nothing: exactly the digits sent, in order. With loss on top, no press is
/// ever reported twice or out of order (some may be missing when every packet of one is lost
/// or overtaken).
#[test]
fn random_sequences_round_trip() {
    const SET: &[u8] = b"0123456789*#ABCD";
    let mut rng = SmallRng::seed_from_u64(4733);
    for case in 0..48u64 {
        let n = rng.gen_range(1..=10);
        let mut typed = String::new();
        for _ in 0..n {
            if rng.gen_bool(0.1) {
                typed.push(',');
            }
            typed.push(char::from(SET[rng.gen_range(0..SET.len())]));
        }
        let timing = DtmfTiming {
            duration_ms: rng.gen_range(40..=300),
            gap_ms: rng.gen_range(0..=300),
            pause_ms: rng.gen_range(0..=400),
        };
        let (rate, audio_pt) = if rng.gen_bool(0.5) {
            (8000, 0)
        } else {
            (48_000, 111)
        };
        let mut s = DtmfSender::new(rate, 20);
        assert_eq!(s.enqueue(&typed, timing), Ok(n));
        let ticks = typed.len() * 40 + 10;
        let sent = send(&mut s, rate, audio_pt, ticks);
        assert!(s.is_idle(), "case {case}");
        let expected: String = typed.chars().filter(|&c| c != ',').collect();
        assert_eq!(sent.ended.iter().map(|e| e.1).collect::<String>(), expected);

        let clean = receive_wire(&network(&sent.wire, case, 0.0, 0.2, 60), rate, audio_pt);
        assert_eq!(
            digits(&clean),
            expected,
            "case {case}: {typed:?} {timing:?} at {rate}"
        );
        assert!(detections(&clean)
            .iter()
            .all(|d| d.duration_ms == timing.duration_ms));

        let lossy = receive_wire(&network(&sent.wire, case, 0.2, 0.2, 60), rate, audio_pt);
        let got = digits(&lossy);
        assert!(
            is_subsequence(&got, &expected),
            "case {case}: sent {expected:?}, got {got:?}"
        );
        assert_eq!(starts(&lossy).into_iter().collect::<String>(), got);
    }
}
