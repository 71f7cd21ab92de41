//! Script-only commands: wait (for events, registrations and DTMF), expect-audio, sleep
//! and echo.

use std::time::Duration;

use crate::cli::duration::{parse_duration, DURATION_EXAMPLES};

use super::args::{check_chars, is_number, parse_call, Args};
use super::{Action, WaitSpec, ACCOUNT_EVENTS, DEFAULT_WAIT, WAIT_EVENTS};

pub(super) fn parse_wait(args: &mut Args<'_>) -> Result<Action, String> {
    let Some(word) = args.next() else {
        return Err(format!(
            "missing event (expected {}, EVENT one of {})",
            args.usage,
            WAIT_EVENTS.join(", ")
        ));
    };
    let lower = word.to_ascii_lowercase();
    let Some(event) = WAIT_EVENTS.iter().copied().find(|e| *e == lower) else {
        return Err(format!(
            "'{word}' is not an event (expected one of {})",
            WAIT_EVENTS.join(", ")
        ));
    };
    if ACCOUNT_EVENTS.contains(&event) {
        return parse_wait_account(args, event);
    }
    if event == "dtmf" {
        return parse_wait_dtmf(args);
    }
    let mut call = None;
    let mut timeout = DEFAULT_WAIT;
    if let Some(word) = args.next() {
        if is_number(word) {
            call = Some(parse_call(word).ok_or_else(|| {
                format!("'{word}' is not a call number (expected {})", args.usage)
            })?);
            if let Some(word) = args.next() {
                timeout = parse_duration(word)?;
            }
        } else {
            timeout = parse_duration(word).map_err(|_| {
                format!(
                    "'{word}' is not a call number or a duration (expected {}, TIMEOUT {DURATION_EXAMPLES})",
                    args.usage
                )
            })?;
        }
    }
    args.finish()?;
    Ok(Action::Wait(WaitSpec::new(event, call, timeout)))
}

/// A duration with a unit (`10s`), or None for any other word.
fn as_duration(word: &str) -> Option<Duration> {
    parse_duration(word).ok()
}

/// `wait registered|registration-failed|unregistered [ACCOUNT] [TIMEOUT]`: one word that
/// is not a duration is the account.
fn parse_wait_account(args: &mut Args<'_>, event: &'static str) -> Result<Action, String> {
    let usage = format!("wait {event} [ACCOUNT] [TIMEOUT]");
    let mut spec = WaitSpec::new(event, None, DEFAULT_WAIT);
    if let Some(word) = args.next() {
        match as_duration(word) {
            Some(d) => spec.timeout = d,
            None => {
                spec.account = Some(word.to_string());
                if let Some(word) = args.next() {
                    spec.timeout = parse_duration(word)?;
                }
            }
        }
    }
    if let Some(extra) = args.next() {
        return Err(format!("unexpected '{extra}' (expected {usage})"));
    }
    Ok(Action::Wait(spec))
}

/// `wait dtmf [N] [DIGITS] [TIMEOUT]`: a trailing duration is the timeout; a lone word
/// before it is DIGITS, two are N and DIGITS.
fn parse_wait_dtmf(args: &mut Args<'_>) -> Result<Action, String> {
    const USAGE: &str = "wait dtmf [N] [DIGITS] [TIMEOUT]";
    let mut words: Vec<&str> = std::iter::from_fn(|| args.next()).collect();
    let mut spec = WaitSpec::new("dtmf", None, DEFAULT_WAIT);
    if let Some(d) = words.last().copied().and_then(as_duration) {
        spec.timeout = d;
        words.pop();
    }
    match words.as_slice() {
        [] => {}
        [digits] => {
            spec.digits = Some(parse_wait_digits(digits).map_err(|e| {
                if digits.starts_with(|c: char| c.is_ascii_digit() || "*#ABCDabcd".contains(c)) {
                    e
                } else {
                    format!(
                        "'{digits}' is not DTMF digits or a duration (expected {USAGE}, DIGITS {DTMF_WAIT_KEYS}, TIMEOUT {DURATION_EXAMPLES})"
                    )
                }
            })?);
        }
        [n, digits] => {
            spec.call = Some(
                parse_call(n)
                    .ok_or_else(|| format!("'{n}' is not a call number (expected {USAGE})"))?,
            );
            spec.digits = Some(parse_wait_digits(digits)?);
        }
        [_, _, extra, ..] => return Err(format!("unexpected '{extra}' (expected {USAGE})")),
    }
    Ok(Action::Wait(spec))
}

/// The keys that can arrive (no `,`: a pause is never received).
pub const DTMF_WAIT_KEYS: &str = "0-9 * # A-D";

/// Digits to wait for: like [`parse_dtmf`] without the `,` pause.
pub fn parse_wait_digits(text: &str) -> Result<String, String> {
    if text.contains(',') {
        return Err(format!(
            "',' is a pause when sending; it never arrives (expected {DTMF_WAIT_KEYS})"
        ));
    }
    check_chars(
        text,
        |c| c.is_ascii_digit() || "*#ABCDabcd".contains(c),
        "DTMF digit",
        DTMF_WAIT_KEYS,
    )?;
    Ok(text.to_ascii_uppercase())
}

pub(super) fn parse_expect_audio(args: &mut Args<'_>) -> Result<Action, String> {
    let words: Vec<&str> = std::iter::from_fn(|| args.next()).collect();
    crate::cli::expect_audio::parse(&words, args.usage).map(Action::Send)
}

pub(super) fn parse_sleep(args: &mut Args<'_>) -> Result<Action, String> {
    let Some(word) = args.next() else {
        return Err(format!(
            "missing duration (expected {}, {DURATION_EXAMPLES})",
            args.usage
        ));
    };
    let d = parse_duration(word)?;
    args.finish()?;
    Ok(Action::Sleep(d))
}

pub(super) fn parse_echo(args: &mut Args<'_>) -> Result<Action, String> {
    Ok(Action::Echo(args.rest().to_string()))
}
