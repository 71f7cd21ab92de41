//! Audio ends end to end: generated and file sources, WAV sinks, resampling, codecs, and
//! the error a user gets when the default devices are missing.

use std::path::PathBuf;
use std::process::Command;

use sipline::media::analysis::{read_wav, rms_dbfs, tone_fraction};
use sipline::media::audio::{check_ends, open_sink, open_source, AudioInSpec, AudioOutSpec};
use sipline::media::codec::{new_decoder, new_encoder, CodecKind};
use sipline::media::resample::Resampler;

fn tmp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("sipline-ends-{}-{name}", std::process::id()))
}

fn corpora() -> PathBuf {
    match std::env::var_os("SIPLINE_SHARED") {
        Some(shared) => PathBuf::from(shared).join("corpora"),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora"),
    }
}

/// `frames` 20 ms frames from a source.
fn pull(spec: &AudioInSpec, rate: u32, frames: usize) -> Vec<i16> {
    let mut src = open_source(spec, rate).unwrap();
    assert_eq!(src.rate(), rate);
    let mut frame = vec![0i16; (rate / 50) as usize];
    let mut all = Vec::new();
    for _ in 0..frames {
        src.read_frame(&mut frame);
        all.extend_from_slice(&frame);
    }
    all
}

#[test]
fn tone_source_to_wav_sink_keeps_the_tone() {
    for rate in [8_000, 16_000, 48_000] {
        let path = tmp(&format!("tone{rate}.wav"));
        let mut src = open_source(&AudioInSpec::Tone(440.0), rate).unwrap();
        let mut sink = open_sink(&AudioOutSpec::Wav(path.clone()), rate).unwrap();
        assert_eq!(sink.rate(), rate);
        let mut frame = vec![0i16; (rate / 50) as usize];
        for _ in 0..50 {
            src.read_frame(&mut frame);
            sink.write_frame(&frame);
        }
        sink.finish().unwrap();
        let (samples, got_rate) = read_wav(&path).unwrap();
        assert_eq!((got_rate, samples.len()), (rate, rate as usize));
        let f = tone_fraction(&samples, rate, 440.0);
        assert!(f > 0.9, "{rate} Hz: {f}");
        assert!(tone_fraction(&samples, rate, 1000.0) < 0.01);
        let level = rms_dbfs(&samples);
        assert!((level + 13.0).abs() < 0.5, "{level}");
        std::fs::remove_file(&path).unwrap();
    }
}

#[test]
fn silence_and_null() {
    let s = pull(&AudioInSpec::Silence, 8000, 10);
    assert!(s.iter().all(|&x| x == 0));
    let mut sink = open_sink(&AudioOutSpec::Null, 8000).unwrap();
    sink.write_frame(&s[..160]);
    sink.finish().unwrap();
    check_ends(&AudioInSpec::Silence, &AudioOutSpec::Null).unwrap();
    check_ends(
        &AudioInSpec::Tone(440.0),
        &AudioOutSpec::Wav(tmp("never-created.wav")),
    )
    .unwrap();
    assert!(!tmp("never-created.wav").exists());
}

#[test]
fn resampling_48k_to_8k_and_back_keeps_440_hz() {
    let tone = pull(&AudioInSpec::Tone(440.0), 48_000, 100);
    let mut down = Resampler::new(48_000, 8_000).unwrap();
    let mut up = Resampler::new(8_000, 48_000).unwrap();
    let (mut narrow, mut wide) = (Vec::new(), Vec::new());
    let (mut all_narrow, mut all_wide) = (Vec::new(), Vec::new());
    for frame in tone.chunks(960) {
        down.process(frame, &mut narrow);
        assert_eq!(narrow.len(), 160);
        all_narrow.extend_from_slice(&narrow);
        up.process(&narrow, &mut wide);
        assert_eq!(wide.len(), 960);
        all_wide.extend_from_slice(&wide);
    }
    // Skip the first frame (the fixed 10 ms delay of each stage starts from silence).
    let f8 = tone_fraction(&all_narrow[160..], 8_000, 440.0);
    let f48 = tone_fraction(&all_wide[960..], 48_000, 440.0);
    assert!(f8 > 0.98 && f48 > 0.98, "{f8} {f48}");
    let loss = rms_dbfs(&tone) - rms_dbfs(&all_wide[1920..]);
    assert!(loss.abs() < 0.5, "level changed by {loss} dB");
    assert_eq!(down.delay() + up.delay(), 80 + 480);
}

#[test]
fn codecs_keep_the_tone() {
    for kind in CodecKind::ALL {
        let rate = kind.pcm_rate();
        let tone = pull(&AudioInSpec::Tone(440.0), rate, 100);
        let mut enc = new_encoder(kind).unwrap();
        let mut dec = new_decoder(kind).unwrap();
        let (mut payload, mut pcm, mut out) = (Vec::new(), Vec::new(), Vec::new());
        let mut bytes = 0;
        for (i, frame) in tone.chunks(kind.frame_samples()).enumerate() {
            payload.clear();
            enc.encode(frame, &mut payload).unwrap();
            bytes += payload.len();
            // Lose every 10th packet: concealment must keep the frame clock and the tone.
            let n = if i % 10 == 9 {
                dec.conceal(&mut pcm).unwrap()
            } else {
                dec.decode(&payload, &mut pcm).unwrap()
            };
            assert_eq!(n, kind.frame_samples(), "{kind}");
            assert_eq!(pcm.len(), n);
            out.extend_from_slice(&pcm);
        }
        let f = tone_fraction(&out[kind.frame_samples() * 2..], rate, 440.0);
        assert!(f > 0.9, "{kind}: tone fraction {f}");
        let kbps = bytes as f64 * 8.0 / 2.0 / 1000.0;
        if kind == CodecKind::Opus {
            assert!(kbps < 64.0, "opus at {kbps} kbit/s");
        } else {
            assert_eq!(kbps, 64.0);
        }
    }
}

#[test]
fn wav_source_at_16k_loops_and_converts() {
    // Half a second of 1 kHz at 16 kHz, recorded through our own sink.
    let path = tmp("src16k.wav");
    let mut sink = open_sink(&AudioOutSpec::Wav(path.clone()), 16_000).unwrap();
    let tone = pull(&AudioInSpec::Tone(1000.0), 16_000, 25);
    for f in tone.chunks(320) {
        sink.write_frame(f);
    }
    sink.finish().unwrap();
    check_ends(&AudioInSpec::Wav(path.clone()), &AudioOutSpec::Null).unwrap();

    // Same rate: 2 s played = 4 loops, sample-exact.
    let played = pull(&AudioInSpec::Wav(path.clone()), 16_000, 100);
    for loop_ in played.chunks(8000) {
        assert_eq!(loop_, &tone[..]);
    }
    // At 8 kHz and 48 kHz it is converted on load and still 1 kHz.
    for rate in [8_000, 48_000] {
        let played = pull(&AudioInSpec::Wav(path.clone()), rate, 100);
        let f = tone_fraction(&played, rate, 1000.0);
        assert!(f > 0.9, "{rate}: {f}");
    }
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn reference_speech_files_open_at_any_codec_rate() {
    for (file, rate) in [("audio/ref16k.wav", 16_000), ("audio/ref8k.wav", 8_000)] {
        let path = corpora().join(file);
        let (samples, got) = read_wav(&path).unwrap();
        assert_eq!(got, rate);
        for want in [8_000, 48_000] {
            let n =
                (samples.len() as u64 * want as u64 / rate as u64) as usize / (want as usize / 50);
            let played = pull(&AudioInSpec::Wav(path.clone()), want, n);
            let diff = rms_dbfs(&played) - rms_dbfs(&samples);
            assert!(diff.abs() < 1.0, "{file} at {want}: level moved {diff} dB");
        }
    }
}

#[test]
fn file_errors_are_one_clear_line() {
    let missing = tmp("missing.wav");
    let e = check_ends(&AudioInSpec::Wav(missing.clone()), &AudioOutSpec::Null)
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        format!(
            "cannot read audio file '{}': no such file or directory",
            missing.display()
        )
    );
    let e = open_source(&AudioInSpec::Wav(missing), 8000)
        .err()
        .unwrap()
        .to_string();
    assert!(e.ends_with("no such file or directory"));
    let bad_out = PathBuf::from("/nonexistent-sipline-dir/out.wav");
    let e = check_ends(&AudioInSpec::Silence, &AudioOutSpec::Wav(bad_out.clone()))
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "cannot write audio file '/nonexistent-sipline-dir/out.wav': no such file or directory"
    );
    assert!(open_sink(&AudioOutSpec::Wav(bad_out), 8000).is_err());
    let e = open_source(&AudioInSpec::Silence, 11_025)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("11025 Hz is not supported"), "{e}");
}

const CHILD_ENV: &str = "SIPLINE_AUDIO_ENDS_DEVICE_CHILD";

/// Runs only inside the child process started by `missing_devices_give_one_clear_line`.
#[test]
fn device_child() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    let report = |r: Result<(), sipline::media::audio::AudioError>| match r {
        Ok(()) => eprintln!("OK"),
        Err(e) => eprintln!("{e}"),
    };
    report(check_ends(&AudioInSpec::Device, &AudioOutSpec::Null));
    report(check_ends(&AudioInSpec::Silence, &AudioOutSpec::Device));
    report(check_ends(&AudioInSpec::Device, &AudioOutSpec::Device));
    report(open_source(&AudioInSpec::Device, 48_000).map(drop));
    report(open_sink(&AudioOutSpec::Device, 48_000).map(drop));
}

#[test]
fn missing_devices_give_one_clear_line() {
    // The child's stderr must hold exactly our lines: no ALSA chatter.
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "device_child", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .env_remove("SIPLINE_AUDIO_DEBUG")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    if lines.first() == Some(&"OK") {
        eprintln!("a default input device exists here; not checking the no-device message");
        return;
    }
    let no_in = "no audio input device found; use --audio-in FILE.wav, --audio-in tone:440 or --audio-in silence";
    let no_out = "no audio output device found; use --audio-out FILE.wav or --audio-out null";
    let neither = "no audio devices found; use --audio-in FILE.wav, tone:440 or silence and --audio-out FILE.wav or null";
    assert_eq!(
        lines,
        vec![no_in, no_out, neither, no_in, no_out],
        "child stderr:\n{stderr}"
    );
}

const NULL_CHILD_ENV: &str = "SIPLINE_AUDIO_ENDS_NULL_CHILD";

/// Runs only inside the child process started by `device_ends_run_on_alsa_null_plugin`.
#[test]
fn device_null_child() {
    if std::env::var_os(NULL_CHILD_ENV).is_none() {
        return;
    }
    if let Err(e) = check_ends(&AudioInSpec::Device, &AudioOutSpec::Device) {
        eprintln!("SKIP: {e}");
        return;
    }
    for rate in [8_000, 48_000] {
        let mut src = open_source(&AudioInSpec::Device, rate).unwrap();
        let mut sink = open_sink(&AudioOutSpec::Device, rate).unwrap();
        assert!(src.rate() % 50 == 0 && sink.rate() % 50 == 0);
        let mut frame = vec![7i16; (src.rate() / 50) as usize];
        let out = vec![1000i16; (sink.rate() / 50) as usize];
        for _ in 0..25 {
            std::thread::sleep(std::time::Duration::from_millis(2));
            src.read_frame(&mut frame);
            // The null plugin captures silence; before priming we give silence too.
            assert!(frame.iter().all(|&s| s == 0));
            sink.write_frame(&out);
        }
        sink.finish().unwrap();
        sink.write_frame(&out); // ignored after finish
        drop(src);
    }
    eprintln!("OK");
}

/// The device path (owner thread, rings, real-time callbacks, teardown) through alsa-lib's
/// `null` PCM, selected by a private `~/.asoundrc` in the child's HOME.
#[test]
fn device_ends_run_on_alsa_null_plugin() {
    let home = tmp("alsa-home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(home.join(".asoundrc"), "pcm.!default {\n  type null\n}\n").unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "device_null_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(NULL_CHILD_ENV, "1")
        .env("HOME", &home)
        .env_remove("SIPLINE_AUDIO_DEBUG")
        .output()
        .unwrap();
    std::fs::remove_dir_all(&home).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{out:?}");
    if stderr.starts_with("SKIP: ") {
        eprintln!("alsa-lib here does not honour ~/.asoundrc: {stderr}");
        return;
    }
    assert_eq!(stderr, "OK\n");
}
