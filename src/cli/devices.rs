//! `sipline devices`: the audio devices `--audio-in default` / `--audio-out default` would
//! use, and the others the system offers.
//!
//! The default devices are probed first through the audio module (with the audio system's
//! own stderr chatter silenced). When neither exists, as on servers and CI machines, the
//! answer is one clear line and exit status 0: that is a normal machine for sipline, which
//! then runs calls from files, tones or silence.

use cpal::traits::{DeviceTrait, HostTrait};

use crate::media::audio::device;

/// The line printed when there is no sound card.
pub const NO_DEVICES: &str = "no audio devices found; calls still work with --audio-in \
                              FILE.wav, tone:440 or silence and --audio-out FILE.wav or null";

/// What `sipline devices` prints, one line per entry.
pub fn report() -> Vec<String> {
    let has_input = device::probe_input().is_ok();
    let has_output = device::probe_output().is_ok();
    if !has_input && !has_output {
        return vec![NO_DEVICES.to_string()];
    }
    let host = cpal::default_host();
    let mut lines = vec![format!("audio system: {}", host.id().name())];
    let default_in = host.default_input_device().and_then(|d| d.name().ok());
    let default_out = host.default_output_device().and_then(|d| d.name().ok());
    let inputs = host
        .input_devices()
        .map(|ds| ds.filter_map(|d| d.name().ok()).collect())
        .unwrap_or_default();
    let outputs = host
        .output_devices()
        .map(|ds| ds.filter_map(|d| d.name().ok()).collect())
        .unwrap_or_default();
    lines.extend(section("input", has_input, default_in.as_deref(), inputs));
    lines.extend(section(
        "output",
        has_output,
        default_out.as_deref(),
        outputs,
    ));
    lines
}

/// `input devices:` and one line per device, the default marked; or `no input device`.
fn section(kind: &str, usable: bool, default: Option<&str>, names: Vec<String>) -> Vec<String> {
    if !usable || names.is_empty() {
        return vec![format!("no {kind} device")];
    }
    let mut lines = vec![format!("{kind} devices:")];
    for name in names {
        let mark = if Some(name.as_str()) == default {
            "  (default)"
        } else {
            ""
        };
        lines.push(format!("  {name}{mark}"));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections() {
        assert_eq!(
            section("input", true, Some("b"), vec!["a".into(), "b".into()]),
            ["input devices:", "  a", "  b  (default)"]
        );
        assert_eq!(
            section("output", false, None, vec!["a".into()]),
            ["no output device"]
        );
        assert_eq!(section("input", true, None, vec![]), ["no input device"]);
    }
}
