//! Tone WAVs for peers, WAV reading, tone assertions.

use std::path::Path;

use super::*;

/// Writes a mono 16-bit WAV holding a sine of `hz` at half scale for `seconds`.
pub fn write_tone_wav(path: &Path, hz: f64, rate: u32, seconds: f64) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).expect("create tone WAV");
    let n = (f64::from(rate) * seconds) as usize;
    for i in 0..n {
        let t = i as f64 / f64::from(rate);
        let s = (2.0 * std::f64::consts::PI * hz * t).sin() * 16384.0;
        w.write_sample(s as i16).expect("write tone sample");
    }
    w.finalize().expect("finalize tone WAV");
}

/// Reads any 16-bit PCM WAV (baresip's sndfile dumps are 48 kHz stereo for Opus) and mixes
/// it down to mono: (samples, rate).
pub fn read_wav_mono(path: &Path) -> (Vec<i16>, u32) {
    let mut r =
        hound::WavReader::open(path).unwrap_or_else(|e| panic!("open WAV {}: {e}", path.display()));
    let spec = r.spec();
    assert_eq!(
        (spec.bits_per_sample, spec.sample_format),
        (16, hound::SampleFormat::Int),
        "{}: expected 16-bit PCM",
        path.display()
    );
    let ch = usize::from(spec.channels.max(1));
    let all: Vec<i16> = r.samples::<i16>().map_while(Result::ok).collect();
    let mono = all
        .chunks(ch)
        .map(|frame| (frame.iter().map(|&s| i32::from(s)).sum::<i32>() / frame.len() as i32) as i16)
        .collect();
    (mono, spec.sample_rate)
}

/// Asserts that `samples` hold a `hz` tone in more than `min` of the time; the message
/// names `what` and gives the fraction measured.
pub fn assert_tone(what: &str, samples: &[i16], rate: u32, hz: f64, min: f64) {
    assert!(
        !samples.is_empty(),
        "{what}: the recording is empty (rate {rate})"
    );
    // `as _`: the analysis API's exact numeric types are its own business.
    let frac = tone_fraction(samples, rate as _, hz as _) as f64;
    eprintln!(
        "{what}: {hz} Hz in {:.0}% of {:.2} s",
        frac * 100.0,
        samples.len() as f64 / f64::from(rate)
    );
    assert!(
        frac > min,
        "{what}: a {hz} Hz tone in only {:.1}% of {:.2} s at {rate} Hz (want > {:.0}%)",
        frac * 100.0,
        samples.len() as f64 / f64::from(rate),
        min * 100.0
    );
}
