//! Audio ends: where the microphone samples come from and where the far end's audio goes.
//!
//! Sources: the system default input (cpal), a WAV file, a generated tone, silence, or the
//! call's own received audio sent back after a delay ([`echo`]).
//! Sinks: the system default output (cpal), a WAV file, or nothing (`null`).
//! File, tone, silence and null ends are paced by the media task's own 20 ms clock; device
//! ends exchange frames with cpal's real-time callback through lock-free SPSC rings (rtrb),
//! and that callback never blocks, locks, allocates or logs (ARCHITECTURE.md rule 7).
//!
//! Every end works in 20 ms frames of mono `i16` at the end's own [`AudioSource::rate`] /
//! [`AudioSink::rate`]: generated and file ends take the `preferred_rate` the media task asks
//! for (normally the codec's PCM rate), device ends take it when the device supports it and
//! otherwise the device's own rate, so the media task resamples when `rate()` differs.

pub mod device;
pub mod echo;
mod quiet;
pub mod tone;
pub mod wav;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Where microphone samples come from, one 20 ms frame at a time.
pub trait AudioSource: Send {
    /// Sample rate of the frames this source gives.
    fn rate(&self) -> u32;
    /// Fill exactly `out.len()` (== `rate() / 50`) samples; never blocks (a device source
    /// that has nothing yet gives silence and counts an underrun).
    fn read_frame(&mut self, out: &mut [i16]);
    /// Frames that could not be served in time (device ends; 0 for the others).
    fn underruns(&self) -> u64 {
        0
    }
}

/// Where the far end's audio goes, one 20 ms frame at a time.
pub trait AudioSink: Send {
    /// Sample rate this sink expects.
    fn rate(&self) -> u32;
    /// Take one frame (`rate() / 50` samples); never blocks.
    fn write_frame(&mut self, pcm: &[i16]);
    /// Flush and close (writes the WAV header; stops a device). Writes after it are ignored.
    fn finish(&mut self) -> Result<(), AudioError>;
    /// Frames the device had to fill with silence, or frames dropped because it lagged
    /// (device ends; 0 for the others).
    fn underruns(&self) -> u64 {
        0
    }
}

/// An audio end could not be opened or written. `Display` is one line meant for the user.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AudioError {
    /// `--audio-in default` but there is no usable input device.
    #[error("no audio input device found; use --audio-in FILE.wav, --audio-in tone:440 or --audio-in silence")]
    NoInputDevice,
    /// `--audio-out default` but there is no usable output device.
    #[error("no audio output device found; use --audio-out FILE.wav or --audio-out null")]
    NoOutputDevice,
    /// Neither default device exists (the usual case on a server or in CI).
    #[error("no audio devices found; use --audio-in FILE.wav, tone:440 or silence and --audio-out FILE.wav or null")]
    NoDevices,
    /// The input device exists but could not be started.
    #[error("cannot use the audio input device: {reason}; use --audio-in FILE.wav, --audio-in tone:440 or --audio-in silence")]
    InputDevice {
        /// What the audio system said.
        reason: String,
    },
    /// The output device exists but could not be started.
    #[error("cannot use the audio output device: {reason}; use --audio-out FILE.wav or --audio-out null")]
    OutputDevice {
        /// What the audio system said.
        reason: String,
    },
    /// A WAV file to play could not be opened or decoded.
    #[error("cannot read audio file '{}': {reason}", path.display())]
    ReadWav {
        /// The file.
        path: PathBuf,
        /// Why (missing, not a WAV file, unsupported format, no samples).
        reason: String,
    },
    /// A WAV file to record could not be created or written.
    #[error("cannot write audio file '{}': {reason}", path.display())]
    WriteWav {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A sample rate we cannot work with (20 ms frames need a multiple of 50 Hz).
    #[error("audio sample rate {0} Hz is not supported (it must be a positive multiple of 50 Hz)")]
    BadRate(u32),
}

fn check_rate(rate: u32) -> Result<(), AudioError> {
    if rate == 0 || rate % 50 != 0 || rate > 384_000 {
        return Err(AudioError::BadRate(rate));
    }
    Ok(())
}

/// Open the source `spec` names. Tone, silence and WAV sources run at `preferred_rate` (a WAV
/// file at another rate is converted once, when loaded); a device source at
/// `preferred_rate` if the device can, else at the device's rate.
pub fn open_source(
    spec: &AudioInSpec,
    preferred_rate: u32,
) -> Result<Box<dyn AudioSource>, AudioError> {
    check_rate(preferred_rate)?;
    Ok(match spec {
        AudioInSpec::Tone(hz) => Box::new(tone::ToneSource::new(*hz, preferred_rate)),
        AudioInSpec::Silence => Box::new(tone::SilenceSource::new(preferred_rate)),
        AudioInSpec::Wav(path) => Box::new(wav::WavSource::open(path, preferred_rate)?),
        AudioInSpec::Device => Box::new(device::DeviceSource::open(preferred_rate)?),
        // Alone, an echo source has nothing to send back: [`open_ends`] joins it to a sink.
        AudioInSpec::Echo => Box::new(tone::SilenceSource::new(preferred_rate)),
    })
}

/// Open both ends of a call at `preferred_rate`. `--audio-in echo` joins the source to the
/// sink through an [`echo`] delay line (the sink still passes what it hears to `output`);
/// other sources are opened as by [`open_source`].
#[allow(clippy::type_complexity)] // the two results, as open_source and open_sink give them
pub fn open_ends(
    input: &AudioInSpec,
    output: &AudioOutSpec,
    preferred_rate: u32,
) -> (
    Result<Box<dyn AudioSource>, AudioError>,
    Result<Box<dyn AudioSink>, AudioError>,
) {
    if *input != AudioInSpec::Echo {
        return (
            open_source(input, preferred_rate),
            open_sink(output, preferred_rate),
        );
    }
    if let Err(e) = check_rate(preferred_rate) {
        return (Err(AudioError::BadRate(preferred_rate)), Err(e));
    }
    let (src, sink) = echo::echo_pair(preferred_rate, echo::ECHO_DELAY_MS);
    let sink: Box<dyn AudioSink> = match output {
        AudioOutSpec::Null => Box::new(sink),
        // The delay line runs at `preferred_rate`; an end that cannot (a device at its own
        // rate) or cannot be opened is left out rather than losing the echo.
        other => match open_sink(other, preferred_rate) {
            Ok(inner) if inner.rate() == preferred_rate => Box::new(sink.with_inner(inner)),
            Ok(_) | Err(_) => Box::new(sink),
        },
    };
    (Ok(Box::new(src)), Ok(sink))
}

/// Open the sink `spec` names: null and WAV sinks at `preferred_rate` (WAV: mono 16-bit); a
/// device sink at `preferred_rate` if the device can, else at the device's rate.
pub fn open_sink(
    spec: &AudioOutSpec,
    preferred_rate: u32,
) -> Result<Box<dyn AudioSink>, AudioError> {
    check_rate(preferred_rate)?;
    Ok(match spec {
        AudioOutSpec::Null => Box::new(tone::NullSink::new(preferred_rate)),
        AudioOutSpec::Wav(path) => Box::new(wav::WavSink::create(path, preferred_rate)?),
        AudioOutSpec::Device => Box::new(device::DeviceSink::open(preferred_rate)?),
    })
}

/// Called once at start-up: Ok if both ends can be opened; else the one clear user-facing
/// error. Probes devices without starting a stream, reads WAV input headers, and checks that
/// a WAV output can be created (without leaving a file behind or truncating an existing one).
pub fn check_ends(input: &AudioInSpec, output: &AudioOutSpec) -> Result<(), AudioError> {
    let in_res = match input {
        AudioInSpec::Device => device::probe_input(),
        AudioInSpec::Wav(path) => wav::check_readable(path),
        AudioInSpec::Tone(_) | AudioInSpec::Silence | AudioInSpec::Echo => Ok(()),
    };
    let out_res = match output {
        AudioOutSpec::Device => device::probe_output(),
        AudioOutSpec::Wav(path) => wav::check_writable(path),
        AudioOutSpec::Null => Ok(()),
    };
    match (in_res, out_res) {
        (Err(AudioError::NoInputDevice), Err(AudioError::NoOutputDevice)) => {
            Err(AudioError::NoDevices)
        }
        (Err(e), _) | (Ok(()), Err(e)) => Err(e),
        (Ok(()), Ok(())) => Ok(()),
    }
}

/// Shown in errors about `path`.
pub(crate) fn wav_read_error(path: &Path, reason: impl fmt::Display) -> AudioError {
    AudioError::ReadWav {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

/// Shown in errors about `path`.
pub(crate) fn wav_write_error(path: &Path, reason: impl fmt::Display) -> AudioError {
    AudioError::WriteWav {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

/// What `--audio-in` names.
#[derive(Clone, PartialEq, Debug)]
pub enum AudioInSpec {
    /// The system default input device (cpal). `default` or `device`.
    Device,
    /// A WAV file, played from its start (looped when it ends). Any path not matching the others.
    Wav(PathBuf),
    /// A sine tone: `tone:440`.
    Tone(f32),
    /// Digital silence: `silence`.
    Silence,
    /// What the call receives, sent back [`echo::ECHO_DELAY_MS`] later: `echo`.
    Echo,
}

/// What `--audio-out` names.
#[derive(Clone, PartialEq, Debug)]
pub enum AudioOutSpec {
    /// The system default output device (cpal). `default` or `device`.
    Device,
    /// Record to a WAV file (mono, 16-bit).
    Wav(PathBuf),
    /// Discard: `null`.
    Null,
}

/// A bad `--audio-in`/`--audio-out` value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadAudioSpec(pub String);

impl FromStr for AudioInSpec {
    type Err = BadAudioSpec;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "default" | "device" => Ok(AudioInSpec::Device),
            "silence" => Ok(AudioInSpec::Silence),
            "echo" => Ok(AudioInSpec::Echo),
            _ => {
                if let Some(hz) = s.strip_prefix("tone:") {
                    match hz.parse::<f32>() {
                        Ok(hz) if hz > 0.0 && hz < 24_000.0 => Ok(AudioInSpec::Tone(hz)),
                        _ => Err(BadAudioSpec(format!(
                            "'{s}' is not a tone: expected tone:HZ with HZ between 0 and 24000, e.g. tone:440"
                        ))),
                    }
                } else if s.is_empty() {
                    Err(BadAudioSpec(
                        "empty audio input: expected default, a WAV file, tone:HZ or silence"
                            .into(),
                    ))
                } else {
                    Ok(AudioInSpec::Wav(PathBuf::from(s)))
                }
            }
        }
    }
}

impl FromStr for AudioOutSpec {
    type Err = BadAudioSpec;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "default" | "device" => Ok(AudioOutSpec::Device),
            "null" => Ok(AudioOutSpec::Null),
            "" => Err(BadAudioSpec(
                "empty audio output: expected default, a WAV file path or null".into(),
            )),
            _ => Ok(AudioOutSpec::Wav(PathBuf::from(s))),
        }
    }
}

impl fmt::Display for AudioInSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AudioInSpec::Device => f.write_str("default"),
            AudioInSpec::Wav(p) => write!(f, "{}", p.display()),
            AudioInSpec::Tone(hz) => write!(f, "tone:{hz}"),
            AudioInSpec::Silence => f.write_str("silence"),
            AudioInSpec::Echo => f.write_str("echo"),
        }
    }
}

impl fmt::Display for AudioOutSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AudioOutSpec::Device => f.write_str("default"),
            AudioOutSpec::Wav(p) => write!(f, "{}", p.display()),
            AudioOutSpec::Null => f.write_str("null"),
        }
    }
}
