//! G.711 bit-exactness against the ITU-T G.191 STL reference vectors and the full
//! encode/decode tables in `shared/corpora/g711/` (see its README.md).
//!
//! The corpora are found at `$SIPLINE_SHARED/corpora` or, by default, `../shared/corpora`
//! beside the package.

use std::path::PathBuf;

use sipline::media::codec::g711::{
    alaw_to_linear, linear_to_alaw, linear_to_ulaw, ulaw_to_linear, Law,
};
use sipline::media::codec::{new_decoder, new_encoder, CodecKind};

fn corpora() -> PathBuf {
    match std::env::var_os("SIPLINE_SHARED") {
        Some(shared) => PathBuf::from(shared).join("corpora"),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora"),
    }
}

fn read(rel: &str) -> Vec<u8> {
    let p = corpora().join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()))
}

/// An STL file: 65536 little-endian 16-bit words.
fn words(rel: &str) -> Vec<i16> {
    let b = read(rel);
    assert_eq!(b.len(), 131_072, "{rel}");
    b.chunks_exact(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect()
}

fn decode_csv(rel: &str) -> Vec<(u8, i16)> {
    let text = String::from_utf8(read(rel)).expect("csv is UTF-8");
    let rows: Vec<(u8, i16)> = text
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.trim().split(',').collect();
            (f[0].parse().expect("code"), f[2].parse().expect("linear16"))
        })
        .collect();
    assert_eq!(rows.len(), 256, "{rel}");
    rows
}

#[test]
fn stl_sweep_encode_ulaw() {
    let src = words("g711/itu-stl/sweep.src");
    let want = words("g711/itu-stl/sweep-r.u");
    let mismatches = src
        .iter()
        .zip(&want)
        .filter(|(&x, &c)| linear_to_ulaw(x) as i16 != c)
        .count();
    assert_eq!(mismatches, 0);
}

#[test]
fn stl_sweep_encode_alaw() {
    let src = words("g711/itu-stl/sweep.src");
    let want = words("g711/itu-stl/sweep-r.a");
    let mismatches = src
        .iter()
        .zip(&want)
        .filter(|(&x, &c)| linear_to_alaw(x) as i16 != c)
        .count();
    assert_eq!(mismatches, 0);
}

#[test]
fn stl_sweep_decode_and_round_trip() {
    for (law, codes, decoded, round) in [
        (
            Law::Mu,
            "g711/itu-stl/sweep-r.u",
            "g711/itu-stl/sweep-r.u-u",
            "g711/itu-stl/sweep-r.reu",
        ),
        (
            Law::A,
            "g711/itu-stl/sweep-r.a",
            "g711/itu-stl/sweep-r.a-a",
            "g711/itu-stl/sweep-r.rea",
        ),
    ] {
        let codes = words(codes);
        let decoded = words(decoded);
        let round = words(round);
        let src = words("g711/itu-stl/sweep.src");
        for i in 0..codes.len() {
            assert_eq!(
                law.decode_sample(codes[i] as u8),
                decoded[i],
                "{law:?} decode word {i}"
            );
            assert_eq!(
                law.decode_sample(law.encode_sample(src[i])),
                round[i],
                "{law:?} lili word {i}"
            );
        }
    }
}

#[test]
fn full_encode_tables() {
    for (rel, f) in [
        (
            "g711/tables/ulaw_encode_s16_-32768_to_32767.u8",
            linear_to_ulaw as fn(i16) -> u8,
        ),
        (
            "g711/tables/alaw_encode_s16_-32768_to_32767.u8",
            linear_to_alaw as fn(i16) -> u8,
        ),
    ] {
        let table = read(rel);
        assert_eq!(table.len(), 65_536);
        for (i, &want) in table.iter().enumerate() {
            let x = (i as i32 - 32_768) as i16;
            assert_eq!(f(x), want, "{rel}: input {x}");
        }
    }
}

#[test]
fn decode_tables() {
    for (code, lin) in decode_csv("g711/tables/ulaw_decode.csv") {
        assert_eq!(ulaw_to_linear(code), lin, "mu-law code {code:#04x}");
    }
    for (code, lin) in decode_csv("g711/tables/alaw_decode.csv") {
        assert_eq!(alaw_to_linear(code), lin, "A-law code {code:#04x}");
    }
}

#[test]
fn codec_objects_match_the_tables() {
    // The boxed Encoder/Decoder the media task uses give the same bytes as the table.
    let src = words("g711/itu-stl/sweep.src");
    for (kind, rel) in [
        (CodecKind::Pcmu, "g711/itu-stl/sweep-r.u"),
        (CodecKind::Pcma, "g711/itu-stl/sweep-r.a"),
    ] {
        let want = words(rel);
        let mut enc = new_encoder(kind).unwrap();
        let mut dec = new_decoder(kind).unwrap();
        let mut payload = Vec::new();
        let mut pcm = Vec::new();
        for (frame, want) in src.chunks(160).zip(want.chunks(160)) {
            payload.clear();
            enc.encode(frame, &mut payload).unwrap();
            assert!(payload.iter().zip(want).all(|(&b, &w)| b as i16 == w));
            assert_eq!(dec.decode(&payload, &mut pcm).unwrap(), frame.len());
        }
    }
}
