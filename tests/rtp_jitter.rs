//! Sans-IO tests for `media::rtp` and `media::jitter` on virtual time (STYLE.md §8 P10):
//! packetise/parse round trips across the sequence wrap, rejection of garbage, SSRC
//! changes, and jitter-buffer order and statistics under reordering, duplication, loss,
//! late arrival, underrun, resync and drift. No sleeps, no sockets.

use std::time::{Duration, Instant};

use sipline::media::jitter::{
    JitterBuffer, JitterConfig, JitterStats, Pop, PushOutcome, DRAIN_AFTER, SHRINK_AFTER,
};
use sipline::media::rtp::{Ignored, RtpReceiver, RtpSender};

// ---------------------------------------------------------------- RTP

#[test]
fn packetise_parse_round_trip_across_seq_and_ts_wrap() {
    let mut tx = RtpSender::new(0xdead_beef, 65534, u32::MAX - 200, 0, 160);
    let mut rx = RtpReceiver::new(&[0, 101]);
    let mut buf = Vec::new();
    let mut got = Vec::new();
    for i in 0..4u8 {
        let payload = [i; 160];
        tx.packetise(&payload, &mut buf);
        assert_eq!(buf.len(), 12 + 160);
        let p = rx.receive(&buf).expect("valid packet");
        assert_eq!(p.payload, &payload[..]);
        assert_eq!(p.ssrc, 0xdead_beef);
        assert_eq!(p.pt, 0);
        got.push((p.seq, p.ts, p.marker, p.new_source));
    }
    assert_eq!(
        got,
        vec![
            (65534, u32::MAX - 200, true, true),
            (65535, u32::MAX - 40, false, false),
            (0, 119, false, false),
            (1, 279, false, false),
        ]
    );
    // Two frames of silence: the timestamp moves on, the sequence does not, and the next
    // packet starts a talkspurt (RFC 3551 §4.1).
    tx.skip();
    tx.skip();
    tx.packetise(&[9; 160], &mut buf);
    let p = rx.receive(&buf).unwrap();
    assert_eq!((p.seq, p.ts, p.marker), (2, 279 + 3 * 160, true));
    assert_eq!(tx.counts(), (5, 5 * 160));
    assert_eq!(rx.stats().accepted, 5);
}

#[test]
fn telephone_events_share_the_sequence_but_not_the_audio_clock() {
    let mut tx = RtpSender::new(5, 10, 1000, 0, 160);
    let mut rx = RtpReceiver::new(&[0, 101]);
    let mut buf = Vec::new();
    tx.packetise(&[0; 160], &mut buf); // seq 10, ts 1000, marked
    let start = tx.next_ts();
    for (i, m) in [true, false, false].into_iter().enumerate() {
        tx.packetise_with(101, m, start, &[1, 0, 0, i as u8], &mut buf);
        let p = rx.receive(&buf).unwrap();
        assert_eq!(
            (p.pt, p.seq, p.ts, p.marker),
            (101, 11 + i as u16, start, m)
        );
        tx.skip(); // the event's 20 ms pass on the audio clock
    }
    tx.packetise(&[0; 160], &mut buf);
    let p = rx.receive(&buf).unwrap();
    // Audio resumes after three frames of events: a new talkspurt.
    assert_eq!((p.pt, p.seq, p.ts, p.marker), (0, 14, 1000 + 4 * 160, true));
    assert_eq!(tx.counts().0, 5);
}

#[test]
fn opus_sized_frames_and_format_change() {
    let mut tx = RtpSender::new(7, 100, 0, 111, 960);
    let mut rx = RtpReceiver::new(&[111]);
    let mut buf = Vec::new();
    tx.packetise(&[1, 2, 3], &mut buf);
    tx.packetise(&[4, 5], &mut buf);
    let p = rx.receive(&buf).unwrap();
    assert_eq!(
        (p.seq, p.ts, p.marker, p.payload),
        (101, 960, false, &[4u8, 5][..])
    );
    tx.set_format(0, 160);
    tx.packetise(&[0; 160], &mut buf);
    assert_eq!(rx.receive(&buf), Err(Ignored::UnknownPt(0)));
    rx.set_payload_types(&[0]);
    let p = rx.receive(&buf).unwrap();
    assert_eq!((p.pt, p.seq, p.ts, p.marker), (0, 102, 1920, true));
}

#[test]
fn receiver_rejects_bad_version_unknown_pt_rtcp_and_truncation() {
    let mut tx = RtpSender::new(1, 0, 0, 8, 160);
    let mut good = Vec::new();
    tx.packetise(&[0x55; 160], &mut good);
    let mut rx = RtpReceiver::new(&[0]);
    assert_eq!(rx.receive(&good), Err(Ignored::UnknownPt(8)));

    let mut rx = RtpReceiver::new(&[8]);
    let mut v1 = good.clone();
    v1[0] = (v1[0] & 0x3f) | 0x40; // version 1
    assert_eq!(rx.receive(&v1), Err(Ignored::Malformed));
    assert_eq!(rx.receive(&good[..11]), Err(Ignored::Malformed));
    assert_eq!(rx.receive(&[]), Err(Ignored::Malformed));
    let mut csrc = good[..16].to_vec();
    csrc[0] |= 0x0f; // 15 CSRCs claimed, 1 present
    assert_eq!(rx.receive(&csrc), Err(Ignored::Malformed));
    let mut pad = good.clone();
    pad[0] |= 0x20;
    *pad.last_mut().unwrap() = 0; // padding count 0 is invalid
    assert_eq!(rx.receive(&pad), Err(Ignored::Malformed));
    *pad.last_mut().unwrap() = 200; // more padding than payload
    assert_eq!(rx.receive(&pad), Err(Ignored::Malformed));
    let mut ext = good[..14].to_vec();
    ext[0] |= 0x10; // extension header announced but cut
    assert_eq!(rx.receive(&ext), Err(Ignored::Malformed));
    // An RTCP receiver report (PT 201) muxed onto the RTP port.
    let rr = [0x80, 201, 0, 1, 0, 0, 0, 1];
    assert_eq!(rx.receive(&rr), Err(Ignored::Rtcp));

    let p = rx.receive(&good).unwrap();
    assert_eq!((p.pt, p.payload.len()), (8, 160));
    let s = rx.stats();
    assert_eq!(
        (s.accepted, s.malformed, s.rtcp, s.unknown_pt),
        (1, 7, 1, 0)
    );
}

#[test]
fn garbage_never_panics() {
    // A fixed xorshift stream of datagrams, many shaped like RTP headers.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut rx = RtpReceiver::new(&[0, 8, 101, 111]);
    let mut jb = JitterBuffer::new(JitterConfig::default());
    let t0 = Instant::now();
    let mut buf = [0u8; 80];
    for i in 0..20_000u32 {
        let len = (next() % 80) as usize;
        for b in buf.iter_mut().take(len) {
            *b = next() as u8;
        }
        if i % 2 == 0 && len > 0 {
            buf[0] = 0x80 | (buf[0] & 0x3f);
        }
        if i % 4 == 0 && len > 1 {
            buf[1] = (buf[1] & 0x80) | [0u8, 8, 101, 111][(i as usize / 4) % 4];
        }
        let now = t0 + Duration::from_millis(u64::from(i));
        if let Ok(p) = rx.receive(&buf[..len]) {
            jb.push(now, p.seq, p.ts, p.payload);
        }
        let _ = jb.pop(now);
    }
    let s = rx.stats();
    assert!(s.accepted > 0 && s.malformed > 0);
}

#[test]
fn new_ssrc_takes_over_after_two_packets_in_sequence() {
    let mut a = RtpSender::new(0xaaaa, 10, 0, 0, 160);
    let mut b = RtpSender::new(0xbbbb, 500, 0, 0, 160);
    let mut rx = RtpReceiver::new(&[0]);
    let mut buf = Vec::new();
    let mut step = |s: &mut RtpSender, rx: &mut RtpReceiver| {
        s.packetise(&[0; 160], &mut buf);
        rx.receive(&buf).map(|p| (p.ssrc, p.seq, p.new_source))
    };
    assert_eq!(step(&mut a, &mut rx), Ok((0xaaaa, 10, true)));
    assert_eq!(step(&mut b, &mut rx), Err(Ignored::OtherSsrc(0xbbbb)));
    assert_eq!(step(&mut a, &mut rx), Ok((0xaaaa, 11, false)));
    assert_eq!(step(&mut b, &mut rx), Ok((0xbbbb, 501, true)));
    assert_eq!(step(&mut a, &mut rx), Err(Ignored::OtherSsrc(0xaaaa)));
    assert_eq!(step(&mut b, &mut rx), Ok((0xbbbb, 502, false)));
    assert_eq!(rx.ssrc(), Some(0xbbbb));
    let s = rx.stats();
    assert_eq!((s.accepted, s.other_ssrc, s.source_changes), (4, 2, 1));
    rx.reset_source();
    assert_eq!(step(&mut a, &mut rx), Ok((0xaaaa, 13, true)));
}

// ---------------------------------------------------------------- jitter buffer

const TICK: Duration = Duration::from_millis(20);

fn payload_of(seq: u16) -> [u8; 2] {
    seq.to_be_bytes()
}

/// One tick of virtual time: push `arrivals` (sequence numbers, timestamps derived), then
/// pop once. Returns what the pop gave, as text, after checking the payload matches.
fn tick(
    jb: &mut JitterBuffer,
    t0: Instant,
    k: u32,
    arrivals: &[u16],
) -> (Vec<PushOutcome>, String) {
    let now = t0 + TICK * k;
    let outs = arrivals
        .iter()
        .map(|&s| jb.push(now, s, u32::from(s).wrapping_mul(160), &payload_of(s)))
        .collect();
    let popped = match jb.pop(now) {
        Pop::Frame(f) => {
            assert_eq!(f.payload, &payload_of(f.seq)[..]);
            assert_eq!(f.ts, u32::from(f.seq).wrapping_mul(160));
            format!("{}", f.seq)
        }
        Pop::Lost { seq } => format!("lost{seq}"),
        Pop::Empty => "-".to_string(),
    };
    (outs, popped)
}

fn run(jb: &mut JitterBuffer, t0: Instant, schedule: &[&[u16]]) -> Vec<String> {
    schedule
        .iter()
        .enumerate()
        .map(|(k, arr)| tick(jb, t0, k as u32, arr).1)
        .collect()
}

#[test]
fn in_order_stream_plays_after_60ms_prefetch() {
    let mut jb = JitterBuffer::new(JitterConfig::default());
    let t0 = Instant::now();
    let sched: Vec<Vec<u16>> = (0..10u16).map(|k| vec![100 + k]).collect();
    let sched: Vec<&[u16]> = sched.iter().map(|v| v.as_slice()).collect();
    let out = run(&mut jb, t0, &sched);
    assert_eq!(
        out,
        ["-", "-", "100", "101", "102", "103", "104", "105", "106", "107"]
    );
    let s = jb.stats();
    assert_eq!(
        s,
        JitterStats {
            received: 10,
            played: 8,
            depth: 2,
            target: 3,
            jitter: 0,
            ..JitterStats::default()
        }
    );
}

#[test]
fn reordering_duplicates_loss_and_late_packets() {
    let mut jb = JitterBuffer::new(JitterConfig::default());
    let t0 = Instant::now();
    let mut outs = Vec::new();
    let mut pops = Vec::new();
    let sched: [&[u16]; 12] = [
        &[10],     // 0  buffering
        &[12],     // 1  reordered: 11 not here yet
        &[11],     // 2  three buffered → play 10
        &[11, 13], // 3  duplicate 11
        &[15],     // 4  14 is missing
        &[16],     // 5
        &[17],     // 6  14 given up
        &[14, 18], // 7  14 arrives late
        &[19],     // 8
        &[],       // 9
        &[],       // 10
        &[],       // 11
    ];
    for (k, arr) in sched.iter().enumerate() {
        let (o, p) = tick(&mut jb, t0, k as u32, arr);
        if p == "lost14" {
            // The packet after the lost one is there for FEC recovery, and stays buffered.
            assert_eq!(jb.peek(15), Some(&payload_of(15)[..]));
            assert_eq!(jb.peek(14), None);
        }
        outs.extend(o);
        pops.push(p);
    }
    assert_eq!(
        pops,
        ["-", "-", "10", "11", "12", "13", "lost14", "15", "16", "17", "18", "19"]
    );
    use PushOutcome::*;
    assert_eq!(
        outs,
        [Stored, Stored, Stored, Duplicate, Stored, Stored, Stored, Stored, Late, Stored, Stored]
    );
    let s = jb.stats();
    assert_eq!(
        (
            s.received,
            s.played,
            s.lost,
            s.late,
            s.duplicates,
            s.dropped,
            s.underruns
        ),
        (11, 9, 1, 1, 1, 0, 0)
    );
    assert_eq!((s.depth, s.target), (0, 3));
    // Dry now: the next pop is an underrun, and the target grows by one frame.
    assert_eq!(tick(&mut jb, t0, 12, &[]).1, "-");
    let s = jb.stats();
    assert_eq!((s.underruns, s.target), (1, 4));
}

#[test]
fn sequence_wraparound_with_reordering() {
    let mut jb = JitterBuffer::new(JitterConfig::default());
    let t0 = Instant::now();
    let sched: [&[u16]; 9] = [
        &[65533],
        &[65535],
        &[65534],
        &[1],
        &[0],
        &[2],
        &[3],
        &[],
        &[],
    ];
    let out = run(&mut jb, t0, &sched);
    assert_eq!(
        out,
        ["-", "-", "65533", "65534", "65535", "0", "1", "2", "3"]
    );
    let s = jb.stats();
    assert_eq!((s.played, s.lost, s.late, s.duplicates), (7, 0, 0, 0));
}

#[test]
fn lone_packet_plays_after_waiting_target_frames() {
    let mut jb = JitterBuffer::new(JitterConfig::default());
    let t0 = Instant::now();
    let out = run(&mut jb, t0, &[&[7], &[], &[], &[], &[]]);
    assert_eq!(out, ["-", "-", "-", "7", "-"]);
    let s = jb.stats();
    assert_eq!((s.played, s.underruns, s.target), (1, 1, 4));
}

#[test]
fn underrun_rebuffers_deeper_and_counts_the_gap_as_lost() {
    let mut jb = JitterBuffer::new(JitterConfig::default());
    let t0 = Instant::now();
    // 0..=5 arrive on time; 6, 7, 8 are lost in a burst; 9.. arrive on time again.
    let mut sched: Vec<Vec<u16>> = Vec::new();
    for k in 0..20u16 {
        sched.push(if (6..=8).contains(&k) {
            vec![]
        } else {
            vec![k]
        });
    }
    let sched: Vec<&[u16]> = sched.iter().map(|v| v.as_slice()).collect();
    let out = run(&mut jb, t0, &sched);
    // Playout 2 frames behind: 4 and 5 still play during the burst, then buffer is dry
    // at tick 8 (underrun, target 4). 9..=12 arrive at ticks 9..=12; playout resumes at
    // tick 12, skipping 6..=8 as lost.
    assert_eq!(
        out,
        [
            "-", "-", "0", "1", "2", "3", "4", "5", "-", "-", "-", "-", "9", "10", "11", "12",
            "13", "14", "15", "16"
        ]
    );
    let s = jb.stats();
    assert_eq!(
        (s.received, s.played, s.lost, s.underruns, s.target, s.depth),
        (17, 14, 3, 1, 4, 3)
    );
}

#[test]
fn burst_after_stall_is_trimmed_to_target() {
    let mut jb = JitterBuffer::new(JitterConfig::default());
    let t0 = Instant::now();
    // On time, then a 100 ms stall, then the five delayed packets at once.
    let sched: [&[u16]; 12] = [
        &[0],
        &[1],
        &[2],
        &[3],
        &[],
        &[],
        &[],
        &[],
        &[4, 5, 6, 7, 8, 9],
        &[10],
        &[11],
        &[12],
    ];
    let out = run(&mut jb, t0, &sched);
    // Dry at tick 6 (underrun → target 4); at tick 8 six frames are buffered, two over the
    // target, so 4 and 5 are dropped and playout resumes at 6.
    assert_eq!(
        out,
        ["-", "-", "0", "1", "2", "3", "-", "-", "6", "7", "8", "9"]
    );
    let s = jb.stats();
    assert_eq!(
        (s.played, s.dropped, s.lost, s.underruns, s.target, s.depth),
        (8, 2, 0, 1, 4, 3)
    );
}

#[test]
fn far_off_packet_resyncs_only_when_followed() {
    let mut jb = JitterBuffer::new(JitterConfig::default());
    let t0 = Instant::now();
    let out = run(&mut jb, t0, &[&[1000], &[1001], &[1002], &[1003]]);
    assert_eq!(out, ["-", "-", "1000", "1001"]);
    // A stray packet far behind: dropped, not late, buffer untouched.
    let (o, p) = tick(&mut jb, t0, 4, &[5, 1004]);
    assert_eq!(
        (o, p.as_str()),
        (vec![PushOutcome::Dropped, PushOutcome::Stored], "1002")
    );
    // The sender really restarted at 40: 40 is dropped, 41 follows it and resyncs.
    let (o, p) = tick(&mut jb, t0, 5, &[40, 41]);
    assert_eq!(
        (o, p.as_str()),
        (vec![PushOutcome::Dropped, PushOutcome::Resync], "-")
    );
    let out = run_from(&mut jb, t0, 6, &[&[42], &[43], &[44]]);
    assert_eq!(out, ["-", "41", "42"]);
    let s = jb.stats();
    // Dropped: 5, 40, and 1003 + 1004 flushed by the resync.
    assert_eq!((s.dropped, s.resyncs, s.late, s.played), (4, 1, 0, 5));
}

fn run_from(jb: &mut JitterBuffer, t0: Instant, k0: u32, schedule: &[&[u16]]) -> Vec<String> {
    schedule
        .iter()
        .enumerate()
        .map(|(k, arr)| tick(jb, t0, k0 + k as u32, arr).1)
        .collect()
}

#[test]
fn fast_sender_is_drained_and_target_shrinks_when_calm() {
    let mut jb = JitterBuffer::new(JitterConfig::default());
    let t0 = Instant::now();
    // One packet per tick, except tick 5 brings two: the buffer is one frame deeper than
    // it needs from then on.
    let mut seq = 0u16;
    let mut played = Vec::new();
    for k in 0..(SHRINK_AFTER + 2 * DRAIN_AFTER + 10) {
        let n = if k == 5 { 2 } else { 1 };
        let arr: Vec<u16> = (0..n).map(|i| seq + i).collect();
        seq += n;
        let (_, p) = tick(&mut jb, t0, k, &arr);
        if let Ok(s) = p.parse::<u16>() {
            played.push(s);
        }
    }
    let s = jb.stats();
    // The extra frame was dropped after DRAIN_AFTER pops at depth ≥ target; after
    // SHRINK_AFTER frames the target went from 3 to 2, which made the buffer one frame too
    // deep again, so a second frame was dropped DRAIN_AFTER pops later.
    assert_eq!((s.dropped, s.lost, s.underruns, s.target), (2, 0, 0, 2));
    let gaps: Vec<u16> = played
        .windows(2)
        .filter(|w| w[1] != w[0] + 1)
        .map(|w| w[0] + 1)
        .collect();
    assert_eq!(gaps.len(), 2);
    // The pop of 3 at tick 5 is the first with the buffer deep; the DRAIN_AFTER-th such
    // pop (of 3 + DRAIN_AFTER - 1) drops the frame after it.
    assert_eq!(gaps[0], 3 + DRAIN_AFTER as u16);
    assert_eq!(s.depth, 1);
}

#[test]
fn reset_starts_a_new_stream() {
    let mut jb = JitterBuffer::new(JitterConfig::default());
    let t0 = Instant::now();
    run(&mut jb, t0, &[&[1], &[2], &[3], &[4]]);
    jb.reset();
    assert!(!jb.is_playing());
    let out = run_from(&mut jb, t0, 4, &[&[9000], &[9001], &[9002]]);
    assert_eq!(out, ["-", "-", "9000"]);
    let s = jb.stats();
    assert_eq!((s.dropped, s.played, s.late), (2, 3, 0));
}

#[test]
fn interarrival_jitter_follows_rfc3550_a8() {
    let mut jb = JitterBuffer::new(JitterConfig::default());
    let t0 = Instant::now();
    // Every other packet arrives 10 ms (80 ticks at 8 kHz) late: |D| = 80 each time after
    // the first, so J converges towards 80.
    for k in 0..200u32 {
        let late = if k % 2 == 1 {
            Duration::from_millis(10)
        } else {
            Duration::ZERO
        };
        let now = t0 + TICK * k + late;
        jb.push(now, k as u16, k * 160, &[0]);
        let _ = jb.pop(t0 + TICK * k + Duration::from_millis(15));
    }
    let j = jb.stats().jitter;
    assert!((78..=80).contains(&j), "jitter {j}");
}

/// A seeded netem-like network (STYLE.md §8 P10): 0–60 ms uniform delay (so reordering),
/// 3 % loss, 2 % duplication, the sequence crossing 65535 → 0. Virtual 20 ms ticks. Every
/// sequence number from the start of playout to the end is accounted for exactly once as
/// played, lost (concealed) or dropped, playout order is strictly increasing, and the
/// counters agree with what the pushes returned.
#[test]
fn netem_delay_loss_duplication() {
    let mut x: u64 = 0x0123_4567_89ab_cdef;
    let mut rnd = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let t0 = Instant::now();
    const FRAMES: u32 = 3000;
    let first_seq: u16 = 64_000;
    // (arrival in µs since t0, seq)
    let mut arrivals: Vec<(u64, u16)> = Vec::new();
    let mut net_lost = 0;
    for k in 0..FRAMES {
        let seq = first_seq.wrapping_add(k as u16);
        let sent = u64::from(k) * 20_000;
        if rnd() % 100 < 3 {
            net_lost += 1;
            continue;
        }
        arrivals.push((sent + rnd() % 60_000, seq));
        if rnd() % 100 < 2 {
            arrivals.push((sent + rnd() % 60_000, seq));
        }
    }
    arrivals.sort();

    let mut jb = JitterBuffer::new(JitterConfig::default());
    let (mut stored, mut dups, mut late, mut other) = (0u64, 0u64, 0u64, 0u64);
    let mut order: Vec<(u16, bool)> = Vec::new(); // (seq, played?) in playout order
    let mut empties_after_start = 0;
    let mut start_seq: Option<u16> = None;
    let mut min_before_start: Option<u16> = None;
    let mut next = 0;
    for tick in 0..(FRAMES + 20) {
        let now_us = u64::from(tick) * 20_000 + 10_000;
        while next < arrivals.len() && arrivals[next].0 <= now_us {
            let (at, seq) = arrivals[next];
            next += 1;
            let at = t0 + Duration::from_micros(at);
            match jb.push(at, seq, u32::from(seq).wrapping_mul(160), &payload_of(seq)) {
                PushOutcome::Stored => stored += 1,
                PushOutcome::Duplicate => dups += 1,
                PushOutcome::Late => late += 1,
                _ => other += 1,
            }
            if start_seq.is_none() {
                let m = min_before_start.get_or_insert(seq);
                if (seq.wrapping_sub(*m) as i16) < 0 {
                    *m = seq;
                }
            }
        }
        match jb.pop(t0 + Duration::from_micros(now_us)) {
            Pop::Frame(f) => {
                assert_eq!(f.payload, &payload_of(f.seq)[..]);
                start_seq.get_or_insert(f.seq);
                order.push((f.seq, true));
            }
            Pop::Lost { seq } => order.push((seq, false)),
            Pop::Empty if start_seq.is_some() => empties_after_start += 1,
            Pop::Empty => {}
        }
    }
    let s = jb.stats();
    assert_eq!(s.depth, 0, "drained");
    assert!(order
        .windows(2)
        .all(|w| (w[1].0.wrapping_sub(w[0].0) as i16) > 0));
    assert_eq!(s.received, arrivals.len() as u64);
    assert_eq!((s.duplicates, s.late, other), (dups, late, 0));
    assert_eq!(stored + dups + late, s.received);
    let played = order.iter().filter(|o| o.1).count() as u64;
    let lost_pops = order.len() as u64 - played;
    assert_eq!(s.played, played);
    let s0 = min_before_start.unwrap();
    let last = order.last().unwrap().0;
    let span = u64::from(last.wrapping_sub(s0)) + 1;
    assert_eq!(s.played + s.lost + s.dropped, span);
    assert_eq!(last, first_seq.wrapping_add(FRAMES as u16 - 1));
    eprintln!(
        "netem: sent {FRAMES}, net lost {net_lost}, {s:?}, Lost pops (PLC) {lost_pops}, \
         empty ticks after start {empties_after_start}"
    );
    // Pinned for this seed, so any change in the buffer's behaviour shows up here.
    assert_eq!(
        (
            s.played,
            s.lost,
            s.late,
            s.duplicates,
            s.dropped,
            s.underruns,
            s.target,
            lost_pops
        ),
        (2905, 91, 0, 56, 4, 3, 4, 89)
    );
}
