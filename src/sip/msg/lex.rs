//! Lexical helpers shared by the header, URI and message parsers (RFC 3261 §25.1): comma
//! lists (§7.3.1), character classes, a byte cursor, numbers and quoted strings.

/// Split a header value at top-level commas (not inside quotes or `<>`), trimmed (§7.3.1).
/// Empty elements (`a,,b`) are dropped.
pub(crate) fn split_comma_list(value: &str) -> Vec<&str> {
    comma_elements(value).collect()
}

/// The elements of a comma list, as [`split_comma_list`] gives them, without allocating.
pub(crate) fn comma_elements(value: &str) -> CommaElements<'_> {
    CommaElements { rest: Some(value) }
}

/// Iterator behind [`comma_elements`].
pub(crate) struct CommaElements<'a> {
    rest: Option<&'a str>,
}

impl<'a> Iterator for CommaElements<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        loop {
            let value = self.rest?;
            let bytes = value.as_bytes();
            let mut in_quote = false;
            let mut escaped = false;
            let mut in_angle = false;
            let mut end = None;
            let mut i = 0;
            while i < bytes.len() {
                let b = bytes[i];
                if in_quote {
                    if escaped {
                        escaped = false;
                    } else if b == b'\\' {
                        escaped = true;
                    } else if b == b'"' {
                        in_quote = false;
                    }
                } else {
                    match b {
                        b'"' => in_quote = true,
                        b'<' => in_angle = true,
                        b'>' => in_angle = false,
                        b',' if !in_angle => {
                            end = Some(i);
                            break;
                        }
                        _ => {}
                    }
                }
                i += 1;
            }
            // Commas are ASCII, so both slices are on char boundaries.
            let element = match end {
                Some(i) => {
                    self.rest = value.get(i + 1..);
                    value.get(..i).unwrap_or("")
                }
                None => {
                    self.rest = None;
                    value
                }
            };
            let element = trim_lws(element);
            if !element.is_empty() {
                return Some(element);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Lexical helpers shared by the header, URI and message parsers (§25.1).

pub(crate) const C_TOKEN: u8 = 1;
pub(crate) const C_HOST: u8 = 2;
pub(crate) const C_VALUE: u8 = 4;
pub(crate) const C_URI: u8 = 8;
pub(crate) const C_LWS: u8 = 16;

/// Character classes of every byte, computed at compile time (one lookup per byte, which
/// also keeps debug builds fast).
pub(crate) static CLASS: [u8; 256] = build_classes();

pub(crate) const fn build_classes() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        let mut c = 0;
        // token (§25.1): alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~"
        if b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
            )
        {
            c |= C_TOKEN | C_VALUE;
        }
        // hostname / IPv4address characters (underscore tolerated, as seen in the wild).
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_') {
            c |= C_HOST;
        }
        // gen-value = token / host / quoted-string: host adds IPv6 characters.
        if matches!(b, b':' | b'[' | b']') {
            c |= C_VALUE;
        }
        // Visible ASCII except `<`, `>`, `"`: anything a URI may hold.
        if b >= 0x21 && b < 0x7f && !matches!(b, b'<' | b'>' | b'"') {
            c |= C_URI;
        }
        if matches!(b, b' ' | b'\t' | b'\r' | b'\n') {
            c |= C_LWS;
        }
        t[i] = c;
        i += 1;
    }
    t
}

/// `token` characters (§25.1): alphanum and `-.!%*_+`'~`.
#[inline(always)]
pub(crate) fn is_token_char(b: u8) -> bool {
    CLASS[b as usize] & C_TOKEN != 0
}

/// A non-empty token.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && all_bytes(s, C_TOKEN)
}

/// Every byte of `s` is in class `class`.
pub(crate) fn all_bytes(s: &str, class: u8) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if CLASS[b[i] as usize] & class == 0 {
            return false;
        }
        i += 1;
    }
    true
}

/// Every byte may appear in a URI: visible ASCII except `<`, `>`, `"`.
pub(crate) fn is_uri_text(s: &str) -> bool {
    all_bytes(s, C_URI)
}

/// Linear white space inside a value (after unfolding, CR and LF only appear in values set
/// through the API; they are treated as white space too).
#[inline(always)]
pub(crate) fn is_lws(b: u8) -> bool {
    CLASS[b as usize] & C_LWS != 0
}

/// Trim LWS at both ends.
/// Position of the first byte `b` in `s`: a plain forward loop, cheaper than `str::find`'s
/// memchr set-up on the short pieces of a SIP head.
#[inline]
pub(crate) fn find_byte(s: &str, b: u8) -> Option<usize> {
    s.as_bytes().iter().position(|&c| c == b)
}

/// Position of the first byte `b` in `s`, eight bytes at a time (for the long scans: line
/// ends across a whole head). A byte equal to `b` becomes zero after the XOR; the classic
/// "has a zero byte" test flags it, and the lowest flag is the first match (borrows only
/// run upwards, so they can flag bytes after a true zero, never before it).
pub(crate) fn find_byte_in(s: &[u8], b: u8) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let pattern = LO * u64::from(b);
    let mut chunks = s.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8])) ^ pattern;
        let found = word.wrapping_sub(LO) & !word & HI;
        if found != 0 {
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&c| c == b)
        .map(|i| at + i)
}

/// `s` split around the first ASCII byte `b`, like `str::split_once`.
#[inline]
pub(crate) fn split_byte(s: &str, b: u8) -> Option<(&str, &str)> {
    let i = find_byte(s, b)?;
    // `b` is ASCII, so both sides are on char boundaries.
    Some((s.get(..i)?, s.get(i + 1..)?))
}

/// The pieces of `s` between the ASCII byte `b`, like `str::split`.
pub(crate) fn split_bytes(s: &str, b: u8) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let r = rest?;
        match split_byte(r, b) {
            Some((piece, tail)) => {
                rest = Some(tail);
                Some(piece)
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

pub(crate) fn trim_lws(s: &str) -> &str {
    let b = s.as_bytes();
    let mut start = 0;
    let mut end = b.len();
    while start < end && is_lws(b[start]) {
        start += 1;
    }
    while end > start && is_lws(b[end - 1]) {
        end -= 1;
    }
    // LWS bytes are ASCII, so both ends are char boundaries.
    s.get(start..end).unwrap_or("")
}

/// A byte cursor over a `&str`. Every position it stops at is either the end or just before
/// an ASCII byte it matched on, so slices are always on char boundaries; slicing still goes
/// through `get` so no input can make it panic.
pub(crate) struct Cursor<'a> {
    pub(crate) s: &'a str,
    pub(crate) pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(s: &'a str) -> Self {
        Cursor { s, pos: 0 }
    }
    pub(crate) fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }
    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }
    pub(crate) fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    /// Skip LWS; true when something was skipped.
    pub(crate) fn skip_ws(&mut self) -> bool {
        let start = self.pos;
        let b = self.s.as_bytes();
        while self.pos < b.len() && is_lws(b[self.pos]) {
            self.pos += 1;
        }
        self.pos > start
    }
    /// The longest run of bytes in character class `class` (classes hold ASCII only).
    #[inline]
    pub(crate) fn take_class(&mut self, class: u8) -> &'a str {
        let start = self.pos;
        let b = self.s.as_bytes();
        while self.pos < b.len() && CLASS[b[self.pos] as usize] & class != 0 {
            self.pos += 1;
        }
        self.s.get(start..self.pos).unwrap_or("")
    }
    /// The longest run of ASCII bytes matching `f` (which must reject non-ASCII bytes).
    pub(crate) fn take_while(&mut self, f: impl Fn(u8) -> bool) -> &'a str {
        let start = self.pos;
        let b = self.s.as_bytes();
        while self.pos < b.len() && b[self.pos].is_ascii() && f(b[self.pos]) {
            self.pos += 1;
        }
        self.s.get(start..self.pos).unwrap_or("")
    }
    /// Everything not consumed yet.
    pub(crate) fn rest(&self) -> &'a str {
        self.s.get(self.pos..).unwrap_or("")
    }
    /// A quoted-string at the cursor, returned with its quotes and escapes as on the wire;
    /// None (cursor unchanged) when there is none, it is unterminated, or it holds a raw
    /// control character or an escaped CR/LF.
    pub(crate) fn quoted(&mut self) -> Option<&'a str> {
        let bytes = self.s.as_bytes();
        if bytes.get(self.pos) != Some(&b'"') {
            return None;
        }
        let mut i = self.pos + 1;
        while let Some(&b) = bytes.get(i) {
            match b {
                // quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F); non-ASCII tolerated.
                b'\\' => match bytes.get(i + 1) {
                    None | Some(b'\r') | Some(b'\n') => return None,
                    Some(_) => i += 2,
                },
                // qdtext has no control characters but HT (§25.1).
                0..=0x08 | 0x0a..=0x1f | 0x7f => return None,
                b'"' => {
                    let raw = self.s.get(self.pos..=i)?;
                    self.pos = i + 1;
                    return Some(raw);
                }
                _ => i += 1,
            }
        }
        None
    }
    /// host = hostname / IPv4address / IPv6reference (§25.1); brackets kept.
    pub(crate) fn host(&mut self) -> Option<&'a str> {
        if self.peek() == Some(b'[') {
            let start = self.pos;
            self.pos += 1;
            let inner = self.take_while(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
            if inner.is_empty() || !self.eat(b']') {
                self.pos = start;
                return None;
            }
            self.s.get(start..self.pos)
        } else {
            let h = self.take_class(C_HOST);
            (!h.is_empty()).then_some(h)
        }
    }
    /// port = 1*DIGIT, at most 65535.
    pub(crate) fn port(&mut self) -> Option<u16> {
        let digits = self.take_while(|b| b.is_ascii_digit());
        parse_u32(digits).and_then(|p| u16::try_from(p).ok())
    }
}

/// 1*DIGIT as u32 (leading zeros allowed); None when empty, non-digit or too large.
pub(crate) fn parse_u32(s: &str) -> Option<u32> {
    if s.is_empty() {
        return None;
    }
    let mut v: u32 = 0;
    for b in s.bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u32::from(b - b'0'))?;
    }
    Some(v)
}

/// Remove quoted-pair escapes from the inside of a quoted-string (§25.1).
pub(crate) fn unescape_quoted(inner: &str) -> String {
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_byte_in_agrees_with_a_plain_search() {
        // Every length around the 8-byte word size, the match at every place, with bytes
        // just above and below LF (and high bytes, where borrows start) around it.
        for len in 0..40 {
            for fill in [b'a', 0x09, 0x0b, 0x80, 0xff, 0x00] {
                let base = vec![fill; len];
                assert_eq!(find_byte_in(&base, b'\n'), None, "{len} {fill:#x}");
                for at in 0..len {
                    let mut v = base.clone();
                    v[at] = b'\n';
                    if at + 1 < len {
                        v[at + 1] = b'\n';
                    }
                    assert_eq!(find_byte_in(&v, b'\n'), Some(at), "{len} {fill:#x} {at}");
                }
            }
        }
        assert_eq!(find_byte_in(b"\x01\x0a\x0a", b'\n'), Some(1));
    }
}
