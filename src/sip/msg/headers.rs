//! The header fields of one message, in wire order (RFC 3261 §7.3).
//!
//! Names are canonical (compact forms expanded, §7.3.3; known names in their registered
//! case). Values are unfolded (§7.3.1) and trimmed, and all live in one text buffer: for a
//! parsed message that buffer is the received head itself, so parsing allocates once for
//! every value together instead of once per header line, and a value is a range of it.
//! Values added or changed later are appended to the same buffer.

use std::borrow::Cow;
use std::fmt;

use super::header;

/// One header line: its canonical name and where its value is in the text buffer.
#[derive(Clone)]
struct Field {
    name: Cow<'static, str>,
    start: usize,
    end: usize,
}

/// Header fields in wire order. Name lookups are case-insensitive and accept compact forms.
#[derive(Clone, Default)]
pub struct Headers {
    /// Every value's text (and, for a parsed message, the rest of the head around them).
    text: String,
    fields: Vec<Field>,
}

impl Headers {
    /// The canonical long name for `name` (`i` → `Call-ID`, `via` → `Via`, unknown kept).
    pub fn canonical_name(name: &str) -> String {
        header::canonical_name(name)
    }

    /// Empty fields whose values will be ranges of `text` (the parser's head).
    pub(crate) fn over_text(text: String, capacity: usize) -> Headers {
        Headers {
            text,
            fields: Vec::with_capacity(capacity),
        }
    }

    /// Append a line whose value is `text[start..end]` (a range of the buffer given to
    /// [`Headers::over_text`]; a range off char boundaries reads as empty).
    pub(crate) fn push_range(&mut self, name: Cow<'static, str>, start: usize, end: usize) {
        self.fields.push(Field { name, start, end });
    }

    /// §7.3.1 unfolding: join `more` to the last line's value with one SP.
    pub(crate) fn continue_last(&mut self, more: &str) {
        let Some(last) = self.fields.last() else {
            return;
        };
        let (start, end) = (last.start, last.end);
        let mut value = self.text.get(start..end).unwrap_or("").to_string();
        if !value.is_empty() {
            value.push(' ');
        }
        value.push_str(more);
        let range = self.append_text(&value);
        if let Some(last) = self.fields.last_mut() {
            (last.start, last.end) = range;
        }
    }

    /// Copy `value` to the end of the buffer; its range.
    fn append_text(&mut self, value: &str) -> (usize, usize) {
        let start = self.text.len();
        self.text.push_str(value);
        (start, self.text.len())
    }

    fn value_of(&self, f: &Field) -> &str {
        self.text.get(f.start..f.end).unwrap_or("")
    }

    /// Every line as (name, value), in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.fields.iter().map(|f| (&*f.name, self.value_of(f)))
    }

    /// The value of line `index`.
    pub fn value_at(&self, index: usize) -> Option<&str> {
        self.fields.get(index).map(|f| self.value_of(f))
    }

    /// How many header lines.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// No header lines at all.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Value of the first header with this name.
    pub fn get(&self, name: &str) -> Option<&str> {
        let canon = header::known_name(name).unwrap_or(name);
        self.fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(canon))
            .map(|f| self.value_of(f))
    }

    /// Values of every header line with this name, in order (comma lists not split).
    pub fn get_all<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> + 'a {
        let canon = header::canonical_cow(name);
        self.fields
            .iter()
            .filter(move |f| f.name.eq_ignore_ascii_case(&canon))
            .map(|f| self.value_of(f))
    }

    /// Append a header line.
    pub fn push(&mut self, name: &str, value: impl AsRef<str>) {
        let (start, end) = self.append_text(value.as_ref());
        self.fields.push(Field {
            name: header::canonical_cow(name),
            start,
            end,
        });
    }

    /// Insert a header line at `index` (0 = first; past the end appends), e.g. a new top
    /// Via (§8.1.1.7).
    pub fn insert(&mut self, index: usize, name: &str, value: impl AsRef<str>) {
        let (start, end) = self.append_text(value.as_ref());
        let field = Field {
            name: header::canonical_cow(name),
            start,
            end,
        };
        self.fields.insert(index.min(self.fields.len()), field);
    }

    /// Replace every line with this name by one line with `value` (at the first one's place,
    /// or at the end).
    pub fn set(&mut self, name: &str, value: impl AsRef<str>) {
        let canon = header::canonical_cow(name);
        match self
            .fields
            .iter()
            .position(|f| f.name.eq_ignore_ascii_case(&canon))
        {
            Some(i) => {
                self.set_at(i, value);
                let mut j = 0;
                self.fields.retain(|f| {
                    let keep = j <= i || !f.name.eq_ignore_ascii_case(&canon);
                    j += 1;
                    keep
                });
            }
            None => self.push(&canon, value),
        }
    }

    /// Give line `index` a new value (nothing happens past the end).
    pub fn set_at(&mut self, index: usize, value: impl AsRef<str>) {
        if index < self.fields.len() {
            let range = self.append_text(value.as_ref());
            if let Some(f) = self.fields.get_mut(index) {
                (f.start, f.end) = range;
            }
        }
    }

    /// Where the first line with this name is.
    pub fn position(&self, name: &str) -> Option<usize> {
        let canon = header::known_name(name).unwrap_or(name);
        self.fields
            .iter()
            .position(|f| f.name.eq_ignore_ascii_case(canon))
    }

    /// Remove every line with this name.
    pub fn remove(&mut self, name: &str) {
        let canon = header::known_name(name).unwrap_or(name);
        self.fields.retain(|f| !f.name.eq_ignore_ascii_case(canon));
    }

    /// Keep only the lines for which `keep(name, value)` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &str) -> bool) {
        let text = &self.text;
        self.fields
            .retain(|f| keep(&f.name, text.get(f.start..f.end).unwrap_or("")));
    }

    /// Every element of every line with this name, comma lists split (§7.3.1), quoted
    /// strings and `<...>` respected.
    pub fn get_split<'a>(&'a self, name: &str) -> Vec<&'a str> {
        self.get_all(name)
            .flat_map(header::split_comma_list)
            .collect()
    }
}

/// Equal when the same lines, names and values, are in the same order (where the text
/// sits in the buffer does not matter).
impl PartialEq for Headers {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Headers {}

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_ranges_of_one_buffer_and_changes_append_to_it() {
        let head = "Via: a\r\nto: <sip:b@c>\r\n".to_string();
        let mut h = Headers::over_text(head, 4);
        h.push_range(Cow::Borrowed("Via"), 5, 6);
        h.push_range(Cow::Borrowed("To"), 12, 21);
        assert_eq!(h.get("t"), Some("<sip:b@c>"));
        h.continue_last(";tag=1");
        assert_eq!(h.get("To"), Some("<sip:b@c> ;tag=1"));
        h.insert(0, "v", "top");
        h.set("Max-Forwards", "70");
        h.set_at(1, "b");
        assert_eq!(
            h.iter().collect::<Vec<_>>(),
            [
                ("Via", "top"),
                ("Via", "b"),
                ("To", "<sip:b@c> ;tag=1"),
                ("Max-Forwards", "70")
            ]
        );
        let mut built = Headers::default();
        for (n, v) in h.iter() {
            built.push(n, v);
        }
        assert_eq!(built, h, "equal by content, not by buffer layout");
        h.retain(|n, v| n != "Via" || v == "b");
        assert_eq!(h.get_all("Via").collect::<Vec<_>>(), ["b"]);
        assert_eq!(h.position("max-forwards"), Some(2));
    }

    #[test]
    fn a_range_off_char_boundaries_or_outside_reads_as_empty() {
        let mut h = Headers::over_text("é".to_string(), 2);
        h.push_range(Cow::Borrowed("Subject"), 0, 1);
        h.push_range(Cow::Borrowed("Subject"), 0, 9);
        assert_eq!(h.get_all("Subject").collect::<Vec<_>>(), ["", ""]);
    }
}
