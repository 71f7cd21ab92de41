//! Audio ends: where the microphone samples come from and where the far end's audio goes.
//!
//! Sources: the system default input (cpal), a WAV file, a generated tone, silence.
//! Sinks: the system default output (cpal), a WAV file, or nothing (`null`).
//! File, tone, silence and null ends are paced by the media task's own 20 ms clock; device
//! ends exchange frames with cpal's real-time callback through lock-free SPSC rings (rtrb),
//! and that callback never blocks, locks, allocates or logs (ARCHITECTURE.md rule 7).

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

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
