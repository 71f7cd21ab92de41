//! The header fields every request and response must carry (RFC 3261 §8.1.1, §8.2):
//! noted by the parser's header loop as it meets them, checked once the head is read.

use super::super::header::{
    comma_elements, cseq_parts, find_byte_in, is_lws, is_valid_name_addr, is_valid_via, parse_u32,
};
use super::super::{Headers, Method};
use super::ParseErrorKind;

/// Where the lines with one name are among all header lines.
#[derive(Default)]
pub(super) struct Lines {
    /// How many.
    pub(super) count: usize,
    /// Index of the first.
    pub(super) first: usize,
    /// Index of the second, if any (a second From, To, … is an error, §7.3.1).
    second: Option<usize>,
}

impl Lines {
    fn note(&mut self, index: usize) {
        match self.count {
            0 => self.first = index,
            1 => self.second = Some(index),
            _ => {}
        }
        self.count += 1;
    }
}

/// The lines of the required (and Content-Length, Max-Forwards) headers, by name.
#[derive(Default)]
pub(super) struct Required {
    via: Lines,
    from: Lines,
    to: Lines,
    call_id: Lines,
    cseq: Lines,
    max_forwards: Lines,
    pub(super) content_length: Lines,
}

impl Required {
    /// Header line `index` has the canonical name `name`.
    pub(super) fn note(&mut self, name: &str, index: usize) {
        let lines = match name {
            "Via" => &mut self.via,
            "From" => &mut self.from,
            "To" => &mut self.to,
            "Call-ID" => &mut self.call_id,
            "CSeq" => &mut self.cseq,
            "Max-Forwards" => &mut self.max_forwards,
            "Content-Length" => &mut self.content_length,
            _ => return,
        };
        lines.note(index);
    }

    /// §8.1.1 / §8.2: Via, From, To, Call-ID and CSeq present, each single-valued one
    /// exactly once, each parsing; a request's CSeq method equals its method; Max-Forwards
    /// is 1*DIGIT when present. When several are wrong, the one on the earliest line is
    /// reported for a bad Via or a repeated header, then the rest in the order above.
    pub(super) fn check(
        &self,
        headers: &Headers,
        method: Option<&Method>,
    ) -> Result<(), ParseErrorKind> {
        let mut earliest: Option<(usize, &'static str)> = None;
        let mut consider = |index: usize, name: &'static str| {
            if earliest.is_none_or(|(i, _)| index < i) {
                earliest = Some((index, name));
            }
        };
        match self.via.count {
            0 => {}
            1 => {
                if !is_valid_via_line(headers.value_at(self.via.first).unwrap_or("")) {
                    consider(self.via.first, "Via");
                }
            }
            _ => {
                if let Some(i) = headers
                    .iter()
                    .enumerate()
                    .position(|(_, (n, v))| n == "Via" && !is_valid_via_line(v))
                {
                    consider(i, "Via");
                }
            }
        }
        for (lines, name) in [
            (&self.from, "From"),
            (&self.to, "To"),
            (&self.call_id, "Call-ID"),
            (&self.cseq, "CSeq"),
            (&self.max_forwards, "Max-Forwards"),
        ] {
            if let Some(i) = lines.second {
                consider(i, name);
            }
        }
        if let Some((_, name)) = earliest {
            return Err(ParseErrorKind::BadHeader(name));
        }
        if self.via.count == 0 {
            return Err(ParseErrorKind::MissingHeader("Via"));
        }
        let value = |lines: &Lines, name: &'static str| match lines.count {
            0 => Err(ParseErrorKind::MissingHeader(name)),
            _ => Ok(headers.value_at(lines.first).unwrap_or("")),
        };
        if !is_valid_name_addr(value(&self.from, "From")?) {
            return Err(ParseErrorKind::BadHeader("From"));
        }
        if !is_valid_name_addr(value(&self.to, "To")?) {
            return Err(ParseErrorKind::BadHeader("To"));
        }
        let call_id = value(&self.call_id, "Call-ID")?;
        if call_id.is_empty() || call_id.bytes().any(is_lws) {
            return Err(ParseErrorKind::BadHeader("Call-ID"));
        }
        let cseq = value(&self.cseq, "CSeq")?;
        let (_, cseq_method) = cseq_parts(cseq).ok_or(ParseErrorKind::BadHeader("CSeq"))?;
        if method.is_some_and(|m| m.as_str() != cseq_method) {
            return Err(ParseErrorKind::BadHeader("CSeq"));
        }
        if self.max_forwards.count > 0 {
            parse_u32(value(&self.max_forwards, "Max-Forwards")?)
                .ok_or(ParseErrorKind::BadHeader("Max-Forwards"))?;
        }
        Ok(())
    }
}

/// One Via line: a comma list of valid via-parms, at least one (§20.42, §7.3.1). Without a
/// comma (the usual case) the line is the one element, with no comma-list scan.
fn is_valid_via_line(v: &str) -> bool {
    if find_byte_in(v.as_bytes(), b',').is_none() {
        return is_valid_via(v);
    }
    let mut any = false;
    for element in comma_elements(v) {
        if !is_valid_via(element) {
            return false;
        }
        any = true;
    }
    any
}
