//! Header field values (RFC 3261 §7.3): text that reads like a `&str`, stored either as a
//! slice of the received head, shared by every header of one parsed message, or as owned
//! text (built locally, unfolded, or changed after parsing).
//!
//! Sharing the head is what keeps parsing to one allocation for all header values instead
//! of one per header line; a clone of a message shares the head too (a reference count).

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// One header field's value: behaves as `str` (through `Deref`), compares by text.
#[derive(Clone)]
pub struct HeaderValue(Repr);

#[derive(Clone)]
enum Repr {
    /// `head[start..end]`; both ends are char boundaries (checked when made).
    Shared {
        head: Arc<str>,
        start: u32,
        end: u32,
    },
    Owned(String),
}

impl HeaderValue {
    /// `head[range]` without copying, or an owned copy when the range is not a valid slice
    /// of `head` (not on char boundaries, or beyond `u32`).
    pub(crate) fn shared(head: &Arc<str>, start: usize, end: usize) -> HeaderValue {
        match (
            u32::try_from(start),
            u32::try_from(end),
            head.get(start..end),
        ) {
            (Ok(s), Ok(e), Some(_)) => HeaderValue(Repr::Shared {
                head: head.clone(),
                start: s,
                end: e,
            }),
            _ => HeaderValue(Repr::Owned(String::new())),
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Shared { head, start, end } => {
                head.get(*start as usize..*end as usize).unwrap_or("")
            }
            Repr::Owned(s) => s,
        }
    }

    /// The text as an owned `String` to change in place (copies a shared slice once).
    pub fn make_mut(&mut self) -> &mut String {
        if let Repr::Shared { .. } = self.0 {
            self.0 = Repr::Owned(self.as_str().to_string());
        }
        match &mut self.0 {
            Repr::Owned(s) => s,
            // invariant: a shared value was made owned just above.
            Repr::Shared { .. } => unreachable!("made owned above"),
        }
    }

    /// Append text (§7.3.1 unfolding joins continuation lines this way).
    pub fn push_str(&mut self, s: &str) {
        self.make_mut().push_str(s);
    }
}

impl Deref for HeaderValue {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for HeaderValue {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl From<String> for HeaderValue {
    fn from(s: String) -> Self {
        HeaderValue(Repr::Owned(s))
    }
}

impl From<&str> for HeaderValue {
    fn from(s: &str) -> Self {
        HeaderValue(Repr::Owned(s.to_string()))
    }
}

impl From<&String> for HeaderValue {
    fn from(s: &String) -> Self {
        HeaderValue(Repr::Owned(s.clone()))
    }
}

impl PartialEq for HeaderValue {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for HeaderValue {}

impl PartialEq<str> for HeaderValue {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for HeaderValue {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for HeaderValue {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl fmt::Debug for HeaderValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for HeaderValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_slices_read_compare_and_change_like_strings() {
        let head: Arc<str> = Arc::from("Via: a\r\nTo: <sip:b@c>\r\n");
        let to = HeaderValue::shared(&head, 12, 21);
        assert_eq!(to, "<sip:b@c>");
        assert_eq!(to, HeaderValue::from("<sip:b@c>"));
        assert_eq!(format!("{to} {to:?}"), "<sip:b@c> \"<sip:b@c>\"");
        let mut changed = to.clone();
        changed.push_str(";tag=1");
        assert_eq!(changed, "<sip:b@c>;tag=1");
        assert_eq!(to, "<sip:b@c>", "the head is not changed through a clone");
    }

    #[test]
    fn a_range_off_char_boundaries_or_outside_is_empty_not_a_panic() {
        let head: Arc<str> = Arc::from("é");
        assert_eq!(HeaderValue::shared(&head, 0, 1), "");
        assert_eq!(HeaderValue::shared(&head, 0, 9), "");
        assert_eq!(HeaderValue::shared(&head, 0, 2), "é");
    }
}
