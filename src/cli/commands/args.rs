//! The words of a command line and the small value parsers the commands share
//! (call numbers, DTMF digit strings).

use crate::api::CallHandle;

/// The words of one line, with access to the raw rest of the line (for reasons and echo).
pub struct Args<'a> {
    pub(super) line: &'a str,
    pub(super) pos: usize,
    pub(super) usage: &'static str,
}

impl<'a> Args<'a> {
    pub(super) fn new(line: &'a str) -> Self {
        Args {
            line,
            pos: 0,
            usage: "",
        }
    }

    fn skip_space(&mut self) {
        let rest = &self.line[self.pos..];
        self.pos += rest.len() - rest.trim_start().len();
    }

    /// The next word, consuming it.
    pub(super) fn next(&mut self) -> Option<&'a str> {
        let word = self.peek()?;
        self.pos += word.len();
        Some(word)
    }

    /// The next word, not consuming it.
    pub(super) fn peek(&mut self) -> Option<&'a str> {
        self.skip_space();
        let rest = &self.line[self.pos..];
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        (end > 0).then(|| &rest[..end])
    }

    /// The next value: a word, or text in single or double quotes (quotes removed).
    pub(super) fn next_value(&mut self) -> Option<&'a str> {
        self.skip_space();
        let rest = &self.line[self.pos..];
        let Some(quote) = rest.chars().next().filter(|c| *c == '\'' || *c == '"') else {
            return self.next();
        };
        match rest[1..].find(quote) {
            Some(end) => {
                self.pos += end + 2;
                Some(&rest[1..=end])
            }
            None => self.next(),
        }
    }

    /// Everything not yet consumed, trimmed.
    pub(super) fn rest(&mut self) -> &'a str {
        let rest = self.line[self.pos..].trim();
        self.pos = self.line.len();
        rest
    }

    /// Error when anything is left.
    pub(super) fn finish(&mut self) -> Result<(), String> {
        match self.next() {
            None => Ok(()),
            Some(extra) => Err(format!("unexpected '{extra}' (expected {})", self.usage)),
        }
    }

    /// An optional trailing call number, then nothing.
    pub(super) fn opt_call_only(&mut self) -> Result<Option<CallHandle>, String> {
        let call = match self.next() {
            None => None,
            Some(word) => Some(parse_call(word).ok_or_else(|| {
                format!("'{word}' is not a call number (expected {})", self.usage)
            })?),
        };
        self.finish()?;
        Ok(call)
    }
}

/// The value of `-H`/`--header`: `Name: value`, shared by every command that takes it.
pub(super) fn parse_header(args: &mut Args<'_>) -> Result<(String, String), String> {
    let Some(value) = args.next_value() else {
        return Err("-H needs a header, e.g. -H 'X-Case: 7'".into());
    };
    let Some((name, v)) = value.split_once(':') else {
        return Err(format!(
            "-H '{value}' is not a header (expected -H 'Name: value')"
        ));
    };
    let name = name.trim();
    if name.is_empty() || name.contains(char::is_whitespace) {
        return Err(format!("-H '{value}': '{name}' is not a header name"));
    }
    if name.eq_ignore_ascii_case("Content-Length") || name.eq_ignore_ascii_case("l") {
        return Err(format!(
            "-H '{value}': Content-Length is computed; it cannot be given"
        ));
    }
    Ok((name.to_string(), v.trim().to_string()))
}

pub(super) fn is_number(word: &str) -> bool {
    !word.is_empty() && word.bytes().all(|b| b.is_ascii_digit())
}

/// A call number: 1, 2, … (leading zeros allowed).
pub(super) fn parse_call(word: &str) -> Option<CallHandle> {
    if !is_number(word) {
        return None;
    }
    word.parse::<u32>().ok().filter(|&n| n >= 1).map(CallHandle)
}

/// The DTMF keys a digit string may hold, as users are told: `0-9 * # A-D ,` (`,` is a
/// pause). For `dtmf [N] DIGITS` (`wait dtmf` uses [`DTMF_WAIT_KEYS`]).
///
/// [`DTMF_WAIT_KEYS`]: super::DTMF_WAIT_KEYS
pub const DTMF_KEYS: &str = "0-9 * # A-D ,";

/// Check a string character by character: the first character `allowed` refuses gives
/// `'x' is not a NOUN (EXPECTED)`; the command name is put in front by [`ParseError`].
///
/// [`ParseError`]: super::ParseError
pub fn check_chars(
    text: &str,
    allowed: impl Fn(char) -> bool,
    noun: &str,
    expected: &str,
) -> Result<(), String> {
    if text.is_empty() {
        return Err(format!("missing {noun}s (expected {expected})"));
    }
    match text.chars().find(|&c| !allowed(c)) {
        None => Ok(()),
        Some(c) => Err(format!("'{c}' is not a {noun} ({expected})")),
    }
}

/// A DTMF digit string, `a-d` taken as `A-D`: `123#`, `*9,,1`.
pub fn parse_dtmf(text: &str) -> Result<String, String> {
    check_chars(
        text,
        |c| c.is_ascii_digit() || "*#,ABCDabcd".contains(c),
        "DTMF digit",
        DTMF_KEYS,
    )?;
    Ok(text.to_ascii_uppercase())
}
