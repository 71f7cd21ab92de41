//! Script lines: parsing and checking them before anything is sent.

use std::fmt;

use crate::cli::commands::{parse_line, Action, Mode};

/// One checked script line.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ScriptLine {
    /// 1-based line number (or the position of the `-e`).
    pub number: usize,
    /// The line as written, trimmed.
    pub text: String,
    /// What it does.
    pub action: Action,
}

/// A script line that does not parse: a usage error (exit 2).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct BadLine {
    /// 1-based line number.
    pub number: usize,
    /// The line, trimmed.
    pub text: String,
    /// What is wrong and what is expected.
    pub message: String,
}

impl fmt::Display for BadLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "script line {}: {}: {}",
            self.number, self.text, self.message
        )
    }
}

impl std::error::Error for BadLine {}

/// Parse one script line; `Ok(None)` for blanks and comments.
pub fn parse_script_line(number: usize, text: &str) -> Result<Option<ScriptLine>, BadLine> {
    match parse_line(text, Mode::Script) {
        Ok(None) => Ok(None),
        Ok(Some(action)) => Ok(Some(ScriptLine {
            number,
            text: text.trim().to_string(),
            action,
        })),
        Err(e) => Err(BadLine {
            number,
            text: text.trim().to_string(),
            message: e.to_string(),
        }),
    }
}

/// Check a whole script (file or `-e` list) before anything is sent.
pub fn parse_script<'a>(
    lines: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<ScriptLine>, BadLine> {
    let mut out = Vec::new();
    for (i, text) in lines.into_iter().enumerate() {
        if let Some(line) = parse_script_line(i + 1, text)? {
            out.push(line);
        }
    }
    Ok(out)
}
