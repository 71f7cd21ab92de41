//! `expect-audio [N] tone:HZ|silence|speech [--for DUR]` (scripts only): check what call N
//! receives over the next DUR (default 2s).
//!
//! The line becomes [`Command::ExpectAudio`]; the driver has the call's media task judge
//! every 20 ms block it receives ([`crate::media::analysis::AudioAnalyzer`]) and answers
//! with [`Event::AudioChecked`]. The script runner fails the script when that event says
//! the check did not hold ([`failure`]).
//!
//! * `tone:HZ` holds when at least 70% of the blocks hold the tone (most of a block's
//!   energy at HZ, in a block above -60 dBFS).
//! * `silence` holds when every block stays below -50 dBFS.
//! * `speech` (or `audio`) holds when at least 50% of the blocks are above -40 dBFS.

use std::time::Duration;

use crate::api::{AudioCheck, CallHandle, Command, Event};
use crate::cli::duration::{format_duration, parse_duration, DURATION_EXAMPLES};

/// How long `expect-audio` listens without `--for`.
pub const DEFAULT_FOR: Duration = Duration::from_secs(2);

/// How long past the window the script waits for the verdict.
pub const VERDICT_GRACE: Duration = Duration::from_secs(5);

/// Shortest window: one 20 ms block.
const MIN_FOR: Duration = Duration::from_millis(20);

/// Longest window.
const MAX_FOR: Duration = Duration::from_secs(3600);

/// Tone frequencies accepted, in Hz.
const TONE_HZ: (u32, u32) = (20, 20_000);

/// The forms of CHECK, for messages.
const CHECKS: &str = "tone:HZ, silence or speech";

/// Parse the words after `expect-audio`. `usage` is the command's usage line, for messages;
/// errors are one line without the command name (the caller puts it in front).
pub fn parse(words: &[&str], usage: &str) -> Result<Command, String> {
    let mut call: Option<CallHandle> = None;
    let mut check: Option<AudioCheck> = None;
    let mut duration = DEFAULT_FOR;
    let mut i = 0;
    while i < words.len() {
        let word = words[i];
        i += 1;
        if let Some(value) = word.strip_prefix("--for") {
            let value = match value.strip_prefix('=') {
                Some(v) => v,
                None if value.is_empty() => {
                    let Some(v) = words.get(i) else {
                        return Err(format!("--for needs a duration ({DURATION_EXAMPLES})"));
                    };
                    i += 1;
                    v
                }
                None => return Err(format!("unknown option '{word}' (expected {usage})")),
            };
            duration = parse_for(value)?;
        } else if word.starts_with('-') {
            return Err(format!("unknown option '{word}' (expected {usage})"));
        } else if check.is_none() && call.is_none() && word.bytes().all(|b| b.is_ascii_digit()) {
            call = Some(
                word.parse::<u32>()
                    .ok()
                    .filter(|&n| n >= 1)
                    .map(CallHandle)
                    .ok_or_else(|| format!("'{word}' is not a call number (expected {usage})"))?,
            );
        } else if check.is_none() {
            check = Some(parse_check(word)?);
        } else {
            return Err(format!("unexpected '{word}' (expected {usage})"));
        }
    }
    let Some(check) = check else {
        return Err(format!("missing check (expected {usage})"));
    };
    Ok(Command::ExpectAudio {
        call,
        check,
        // invariant: parse_for caps the window at an hour, far below u32::MAX ms.
        duration_ms: duration.as_millis() as u32,
    })
}

/// `tone:HZ`, `silence`, `speech` or `audio` (case-insensitive).
pub fn parse_check(word: &str) -> Result<AudioCheck, String> {
    let lower = word.to_ascii_lowercase();
    if let Some(hz) = lower.strip_prefix("tone:") {
        let (lo, hi) = TONE_HZ;
        return hz
            .parse::<u32>()
            .ok()
            .filter(|hz| (lo..=hi).contains(hz))
            .map(AudioCheck::Tone)
            .ok_or_else(|| {
                format!("'{word}' is not a tone (expected tone:HZ, HZ {lo}-{hi}, e.g. tone:1000)")
            });
    }
    match lower.as_str() {
        "silence" => Ok(AudioCheck::Silence),
        "speech" | "audio" => Ok(AudioCheck::Speech),
        "tone" => Err(format!(
            "'{word}' needs a frequency (expected tone:HZ, e.g. tone:1000)"
        )),
        _ => Err(format!("'{word}' is not a check (expected {CHECKS})")),
    }
}

fn parse_for(value: &str) -> Result<Duration, String> {
    let d = parse_duration(value).map_err(|e| format!("--for: {e}"))?;
    if d < MIN_FOR {
        return Err(format!(
            "--for {value} is too short (at least {})",
            format_duration(MIN_FOR)
        ));
    }
    if d > MAX_FOR {
        return Err(format!(
            "--for {value} is too long (at most {})",
            format_duration(MAX_FOR)
        ));
    }
    Ok(d)
}

/// How long a script waits for the verdict of `cmd` (its window plus [`VERDICT_GRACE`]).
pub fn verdict_timeout(duration_ms: u32) -> Duration {
    Duration::from_millis(u64::from(duration_ms)) + VERDICT_GRACE
}

/// What a failed verdict says, e.g. `call 1: tone:440 not heard: 0% of 20 ms blocks hold
/// it (needs 70%), level -12 dBFS`, or `call 1: media stopped after 1.2s of the 3s
/// window for tone:440 (…)`; None when it passed or is not an `audio-checked` event.
pub fn failure(event: &Event) -> Option<String> {
    let Event::AudioChecked {
        call,
        check,
        passed: false,
        percent,
        level_dbfs,
        window_ms,
        heard_ms,
    } = event
    else {
        return None;
    };
    if heard_ms < window_ms {
        let ms = |v: u32| format_duration(Duration::from_millis(u64::from(v)));
        return Some(format!(
            "call {call}: media stopped after {} of the {} window for {check} \
             ({percent}% of what was heard fit, level {level_dbfs} dBFS)",
            ms(*heard_ms),
            ms(*window_ms)
        ));
    }
    let what = if check.starts_with("tone:") {
        format!("{check} not heard: {percent}% of 20 ms blocks hold it (needs 70%)")
    } else if check == "silence" {
        format!("not silent: {percent}% of 20 ms blocks below -50 dBFS (needs 100%)")
    } else {
        format!("no {check}: {percent}% of 20 ms blocks above -40 dBFS (needs 50%)")
    };
    Some(format!("call {call}: {what}, level {level_dbfs} dBFS"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::commands::{parse_line, Action, Mode};

    fn ok(line: &str) -> Command {
        match parse_line(line, Mode::Script) {
            Ok(Some(Action::Send(c))) => c,
            other => panic!("{line:?} parsed as {other:?}"),
        }
    }

    fn err(line: &str) -> String {
        match parse_line(line, Mode::Script) {
            Err(e) => e.to_string(),
            Ok(a) => panic!("{line:?} parsed as {a:?}"),
        }
    }

    fn expect(call: Option<u32>, check: AudioCheck, duration_ms: u32) -> Command {
        Command::ExpectAudio {
            call: call.map(CallHandle),
            check,
            duration_ms,
        }
    }

    #[test]
    fn good_forms() {
        assert_eq!(
            ok("expect-audio tone:1000"),
            expect(None, AudioCheck::Tone(1000), 2000)
        );
        assert_eq!(
            ok("expect-audio 1 tone:440 --for 1s"),
            expect(Some(1), AudioCheck::Tone(440), 1000)
        );
        assert_eq!(
            ok("expect-audio 2 silence --for=500ms"),
            expect(Some(2), AudioCheck::Silence, 500)
        );
        assert_eq!(
            ok("EXPECT-AUDIO --for 1m30s SPEECH"),
            expect(None, AudioCheck::Speech, 90_000)
        );
        assert_eq!(
            ok("expect-audio 3 audio"),
            expect(Some(3), AudioCheck::Speech, 2000)
        );
    }

    #[test]
    fn bad_forms_say_what_is_wrong() {
        let usage = "expected expect-audio [N] tone:HZ|silence|speech [--for DUR]";
        assert_eq!(
            err("expect-audio"),
            format!("expect-audio: missing check ({usage})")
        );
        assert_eq!(
            err("expect-audio 1"),
            format!("expect-audio: missing check ({usage})")
        );
        assert_eq!(
            err("expect-audio tone:abc"),
            "expect-audio: 'tone:abc' is not a tone (expected tone:HZ, HZ 20-20000, e.g. tone:1000)"
        );
        assert_eq!(
            err("expect-audio tone:5"),
            "expect-audio: 'tone:5' is not a tone (expected tone:HZ, HZ 20-20000, e.g. tone:1000)"
        );
        assert_eq!(
            err("expect-audio 1 tone"),
            "expect-audio: 'tone' needs a frequency (expected tone:HZ, e.g. tone:1000)"
        );
        assert_eq!(
            err("expect-audio beep"),
            "expect-audio: 'beep' is not a check (expected tone:HZ, silence or speech)"
        );
        assert_eq!(
            err("expect-audio 0 silence"),
            format!("expect-audio: '0' is not a call number ({usage})")
        );
        assert_eq!(
            err("expect-audio silence --for soon"),
            "expect-audio: --for: 'soon' is not a duration (e.g. 10s, 500ms, 2m)"
        );
        assert_eq!(
            err("expect-audio silence --for 2"),
            "expect-audio: --for: '2' needs a unit (e.g. 10s, 500ms, 2m)"
        );
        assert_eq!(
            err("expect-audio silence --for"),
            "expect-audio: --for needs a duration (e.g. 10s, 500ms, 2m)"
        );
        assert_eq!(
            err("expect-audio silence --for 10ms"),
            "expect-audio: --for 10ms is too short (at least 20ms)"
        );
        assert_eq!(
            err("expect-audio silence --for 2h"),
            "expect-audio: --for 2h is too long (at most 1h)"
        );
        assert_eq!(
            err("expect-audio silence speech"),
            format!("expect-audio: unexpected 'speech' ({usage})")
        );
        assert_eq!(
            err("expect-audio silence --loud"),
            format!("expect-audio: unknown option '--loud' ({usage})")
        );
    }

    #[test]
    fn only_in_scripts() {
        assert_eq!(
            parse_line("expect-audio silence", Mode::Repl)
                .unwrap_err()
                .to_string(),
            "expect-audio: only in scripts (--script FILE, -e CMD or piped stdin)"
        );
    }

    #[test]
    fn failures_name_what_was_measured() {
        let ev = |check: &str, passed: bool| Event::AudioChecked {
            call: CallHandle(1),
            check: check.into(),
            passed,
            percent: 3,
            level_dbfs: -12,
            window_ms: 2000,
            heard_ms: 2000,
        };
        assert_eq!(failure(&ev("tone:440", true)), None);
        assert_eq!(
            failure(&ev("tone:440", false)).unwrap(),
            "call 1: tone:440 not heard: 3% of 20 ms blocks hold it (needs 70%), level -12 dBFS"
        );
        assert_eq!(
            failure(&ev("silence", false)).unwrap(),
            "call 1: not silent: 3% of 20 ms blocks below -50 dBFS (needs 100%), level -12 dBFS"
        );
        assert_eq!(
            failure(&ev("speech", false)).unwrap(),
            "call 1: no speech: 3% of 20 ms blocks above -40 dBFS (needs 50%), level -12 dBFS"
        );
        let cut = Event::AudioChecked {
            call: CallHandle(2),
            check: "tone:1000".into(),
            passed: false,
            percent: 95,
            level_dbfs: -9,
            window_ms: 3000,
            heard_ms: 1200,
        };
        assert_eq!(
            failure(&cut).unwrap(),
            "call 2: media stopped after 1.2s of the 3s window for tone:1000 (95% of what \
             was heard fit, level -9 dBFS)"
        );
        assert_eq!(
            verdict_timeout(1000),
            Duration::from_secs(6),
            "the window plus five seconds"
        );
    }
}
