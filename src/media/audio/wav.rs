//! WAV file ends (RIFF/WAVE, read and written with `hound`).
//!
//! A source file is loaded whole, its first channel kept and converted once to the rate the
//! media task asked for, then played in a loop. A sink file is mono 16-bit PCM at the
//! rate asked for; [`AudioSink::finish`] writes the final header sizes.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

use super::{wav_read_error, wav_write_error, AudioError, AudioSink, AudioSource};
use crate::media::resample::resample_buffer;

fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file or directory".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

fn hound_reason(e: &hound::Error) -> String {
    match e {
        hound::Error::IoError(io) if io.kind() == io::ErrorKind::UnexpectedEof => {
            "file is truncated or not a WAV file".into()
        }
        hound::Error::IoError(io) => io_reason(io),
        hound::Error::FormatError(what) => format!("not a valid WAV file ({what})"),
        hound::Error::Unsupported => {
            "unsupported WAV encoding (use PCM 8/16/24/32-bit or 32-bit float)".into()
        }
        other => other.to_string(),
    }
}

/// Decode the first channel of `reader` into `i16`. A read error after some samples (a
/// truncated recording) keeps what was read; one before any sample is an error.
fn first_channel<R: io::Read>(
    mut reader: hound::WavReader<R>,
    path: &Path,
) -> Result<(Vec<i16>, u32), AudioError> {
    let spec = reader.spec();
    let channels = spec.channels.max(1) as usize;
    let bits = spec.bits_per_sample;
    let mut out = Vec::with_capacity(reader.duration() as usize);
    fn collect<T, I: Iterator<Item = Result<T, hound::Error>>>(
        it: I,
        channels: usize,
        out: &mut Vec<i16>,
        conv: impl Fn(T) -> i16,
    ) -> Result<(), hound::Error> {
        for s in it.step_by(channels) {
            match s {
                Ok(v) => out.push(conv(v)),
                Err(e) if out.is_empty() => return Err(e),
                Err(_) => break,
            }
        }
        Ok(())
    }
    let res = match (spec.sample_format, bits) {
        (hound::SampleFormat::Int, 1..=8) => {
            collect(reader.samples::<i8>(), channels, &mut out, |v| {
                (v as i16) << 8
            })
        }
        (hound::SampleFormat::Int, 9..=16) => {
            collect(reader.samples::<i16>(), channels, &mut out, |v| {
                v << (16 - bits)
            })
        }
        (hound::SampleFormat::Int, 17..=32) => {
            collect(reader.samples::<i32>(), channels, &mut out, |v| {
                (v >> (bits - 16)) as i16
            })
        }
        (hound::SampleFormat::Float, 32) => {
            collect(reader.samples::<f32>(), channels, &mut out, |v| {
                (v * 32768.0).round().clamp(-32768.0, 32767.0) as i16
            })
        }
        _ => Err(hound::Error::Unsupported),
    };
    res.map_err(|e| wav_read_error(path, hound_reason(&e)))?;
    Ok((out, spec.sample_rate))
}

/// Read a whole WAV file: first channel as `i16`, and its rate.
pub fn read_all(path: &Path) -> Result<(Vec<i16>, u32), AudioError> {
    let reader =
        hound::WavReader::open(path).map_err(|e| wav_read_error(path, hound_reason(&e)))?;
    first_channel(reader, path)
}

/// Sample rates a source file may have (telephony's 8 kHz down to 1 kHz is allowed for
/// odd test files; anything else is surely a broken header).
pub const FILE_RATES: std::ops::RangeInclusive<u32> = 1_000..=384_000;

fn check_file_rate(path: &Path, rate: u32) -> Result<(), AudioError> {
    if FILE_RATES.contains(&rate) {
        Ok(())
    } else {
        Err(wav_read_error(
            path,
            format!("its sample rate of {rate} Hz is not supported (1000 to 384000 Hz)"),
        ))
    }
}

/// Check that `path` is a WAV file we can play (header only, plus "has samples").
pub fn check_readable(path: &Path) -> Result<(), AudioError> {
    let reader =
        hound::WavReader::open(path).map_err(|e| wav_read_error(path, hound_reason(&e)))?;
    let spec = reader.spec();
    let ok_format = matches!(
        (spec.sample_format, spec.bits_per_sample),
        (hound::SampleFormat::Int, 1..=32) | (hound::SampleFormat::Float, 32)
    );
    if !ok_format {
        return Err(wav_read_error(
            path,
            hound_reason(&hound::Error::Unsupported),
        ));
    }
    check_file_rate(path, spec.sample_rate)?;
    if reader.duration() == 0 {
        return Err(wav_read_error(path, "it holds no audio"));
    }
    Ok(())
}

/// Check that a WAV file can be created at `path`, without truncating an existing file and
/// without leaving a new one behind.
pub fn check_writable(path: &Path) -> Result<(), AudioError> {
    if path.is_dir() {
        return Err(wav_write_error(path, "it is a directory"));
    }
    if path.exists() {
        OpenOptions::new()
            .append(true)
            .open(path)
            .map(drop)
            .map_err(|e| wav_write_error(path, io_reason(&e)))
    } else {
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| wav_write_error(path, io_reason(&e)))?;
        // Best effort: the probe file is empty either way.
        let _ = std::fs::remove_file(path);
        Ok(())
    }
}

/// Plays a WAV file in a loop (`--audio-in FILE.wav`).
pub struct WavSource {
    samples: Vec<i16>,
    pos: usize,
    rate: u32,
    file_rate: u32,
}

impl WavSource {
    /// Load `path` and convert it to `rate` (no conversion when the file is at `rate`).
    pub fn open(path: &Path, rate: u32) -> Result<Self, AudioError> {
        let (samples, file_rate) = read_all(path)?;
        if samples.is_empty() {
            return Err(wav_read_error(path, "it holds no audio"));
        }
        check_file_rate(path, file_rate)?;
        let samples =
            resample_buffer(&samples, file_rate, rate).map_err(|e| wav_read_error(path, e))?;
        if samples.is_empty() {
            return Err(wav_read_error(path, "it is too short"));
        }
        Ok(WavSource {
            samples,
            pos: 0,
            rate,
            file_rate,
        })
    }

    /// The rate the file was recorded at (before conversion).
    pub fn file_rate(&self) -> u32 {
        self.file_rate
    }

    /// Length of one loop, in samples at [`AudioSource::rate`].
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Never true: an empty file is refused at open.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }
}

impl AudioSource for WavSource {
    fn rate(&self) -> u32 {
        self.rate
    }

    fn read_frame(&mut self, out: &mut [i16]) {
        let mut filled = 0;
        while filled < out.len() {
            let n = (out.len() - filled).min(self.samples.len() - self.pos);
            out[filled..filled + n].copy_from_slice(&self.samples[self.pos..self.pos + n]);
            filled += n;
            self.pos += n;
            if self.pos == self.samples.len() {
                self.pos = 0;
            }
        }
    }
}

/// Records to a mono 16-bit WAV file (`--audio-out FILE.wav`).
pub struct WavSink {
    path: PathBuf,
    rate: u32,
    writer: Option<hound::WavWriter<BufWriter<File>>>,
    /// The first write error, reported by `finish`.
    error: Option<String>,
}

impl WavSink {
    /// Create (or truncate) `path` for mono 16-bit PCM at `rate`.
    pub fn create(path: &Path, rate: u32) -> Result<Self, AudioError> {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        if path.is_dir() {
            return Err(wav_write_error(path, "it is a directory"));
        }
        let writer = hound::WavWriter::create(path, spec)
            .map_err(|e| wav_write_error(path, hound_reason(&e)))?;
        Ok(WavSink {
            path: path.to_path_buf(),
            rate,
            writer: Some(writer),
            error: None,
        })
    }
}

impl AudioSink for WavSink {
    fn rate(&self) -> u32 {
        self.rate
    }

    fn write_frame(&mut self, pcm: &[i16]) {
        let Some(w) = self.writer.as_mut() else {
            return;
        };
        for &s in pcm {
            if let Err(e) = w.write_sample(s) {
                self.error = Some(hound_reason(&e));
                // Stop writing; finish reports it. hound finalises what it has on drop.
                self.writer = None;
                return;
            }
        }
    }

    fn finish(&mut self) -> Result<(), AudioError> {
        if let Some(w) = self.writer.take() {
            if let Err(e) = w.finalize() {
                self.error.get_or_insert(hound_reason(&e));
            }
        }
        match self.error.take() {
            Some(reason) => Err(wav_write_error(&self.path, reason)),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("sipline-wav-{}-{name}", std::process::id()))
    }

    #[test]
    fn sink_then_read_back() {
        let p = tmp("rt.wav");
        let mut s = WavSink::create(&p, 16_000).unwrap();
        let frame: Vec<i16> = (0..320).map(|i| i as i16 * 10 - 1600).collect();
        s.write_frame(&frame);
        s.write_frame(&frame);
        s.finish().unwrap();
        s.write_frame(&frame); // ignored after finish
        s.finish().unwrap();
        let (got, rate) = read_all(&p).unwrap();
        assert_eq!(rate, 16_000);
        assert_eq!(got.len(), 640);
        assert_eq!(&got[..320], &frame[..]);
        std::fs::remove_file(&p).unwrap();
    }

    #[test]
    fn stereo_24bit_first_channel() {
        let p = tmp("st.wav");
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 8000,
            bits_per_sample: 24,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(&p, spec).unwrap();
        for i in 0..100i32 {
            w.write_sample(i * 256).unwrap();
            w.write_sample(-1_000_000).unwrap();
        }
        w.finalize().unwrap();
        let (got, rate) = read_all(&p).unwrap();
        assert_eq!(rate, 8000);
        assert_eq!(got, (0..100).map(|i| i as i16).collect::<Vec<_>>());
        std::fs::remove_file(&p).unwrap();
    }

    #[test]
    fn source_loops_and_converts() {
        let p = tmp("loop.wav");
        let mut s = WavSink::create(&p, 8000).unwrap();
        let frame: Vec<i16> = (0..100).collect();
        s.write_frame(&frame);
        s.finish().unwrap();
        let mut src = WavSource::open(&p, 8000).unwrap();
        let mut out = [0i16; 160];
        src.read_frame(&mut out);
        assert_eq!(&out[..100], &frame[..]);
        assert_eq!(&out[100..], &frame[..60]);
        src.read_frame(&mut out);
        assert_eq!(out[0], 60);
        let src = WavSource::open(&p, 16_000).unwrap();
        assert_eq!(
            (src.rate(), src.file_rate(), src.len()),
            (16_000, 8000, 200)
        );
        std::fs::remove_file(&p).unwrap();
    }

    #[test]
    fn clear_errors() {
        let missing = tmp("missing.wav");
        let e = WavSource::open(&missing, 8000).err().unwrap().to_string();
        assert!(
            e.starts_with("cannot read audio file '") && e.ends_with("no such file or directory"),
            "{e}"
        );
        assert!(check_readable(&missing).is_err());
        let junk = tmp("junk.wav");
        std::fs::write(&junk, b"this is not a wav file at all, not even close").unwrap();
        let e = WavSource::open(&junk, 8000).err().unwrap().to_string();
        assert!(e.contains("not a valid WAV file"), "{e}");
        std::fs::remove_file(&junk).unwrap();
        let empty = tmp("empty.wav");
        WavSink::create(&empty, 8000).unwrap().finish().unwrap();
        let e = WavSource::open(&empty, 8000).err().unwrap().to_string();
        assert!(e.ends_with("it holds no audio"), "{e}");
        assert!(check_readable(&empty).is_err());
        std::fs::remove_file(&empty).unwrap();
        let e = WavSink::create(Path::new("/nonexistent-dir/x.wav"), 8000)
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.starts_with("cannot write audio file '/nonexistent-dir/x.wav'"),
            "{e}"
        );
        assert!(check_writable(Path::new("/nonexistent-dir/x.wav")).is_err());
        assert!(check_writable(&std::env::temp_dir()).is_err());
        let fresh = tmp("fresh.wav");
        check_writable(&fresh).unwrap();
        assert!(!fresh.exists());
    }
}
