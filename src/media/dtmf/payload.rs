//! The telephone-event payload, RFC 4733 §2.3, and the DTMF event codes of §3.2.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     event     |E|R| volume    |          duration             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! * event (§2.3.1): 0–255; DTMF uses 0–15 (§3.2).
//! * E (§2.3.2): the end of the event (or of its last segment).
//! * R (§2.3.3): reserved; written as zero, ignored when read.
//! * volume (§2.3.4): the power level for DTMF, 0 to -63 dBm0 with the sign dropped (6 bits).
//! * duration (§2.3.5): time since the event (segment) began, in timestamp units, 16 bits.
//!
//! A packet may carry several event blocks back to back (§2.5.1.5); [`EventPayload::blocks`]
//! walks them. Nothing here panics on input bytes.

use std::fmt;

/// Octets in one event block.
pub const EVENT_BLOCK_LEN: usize = 4;

/// One telephone-event block (RFC 4733 §2.3).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct EventPayload {
    /// Event code (§2.3.1); DTMF digits are 0–15 (§3.2).
    pub event: u8,
    /// The E ("end") bit (§2.3.2).
    pub end: bool,
    /// Volume (§2.3.4), 0..=63: for DTMF, the power level in -dBm0.
    pub volume: u8,
    /// Duration (§2.3.5) in timestamp units of the telephone-event clock.
    pub duration: u16,
}

/// Why a payload could not be read.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum PayloadError {
    /// Fewer than the four octets of one event block (the peer sent garbage).
    #[error("telephone-event payload of {0} octets, need 4")]
    Short(usize),
}

impl EventPayload {
    /// Read the first event block of `bytes`; octets after it are not looked at.
    pub fn parse(bytes: &[u8]) -> Result<Self, PayloadError> {
        match bytes {
            [event, flags, d0, d1, ..] => Ok(EventPayload {
                event: *event,
                end: flags & 0x80 != 0,
                // R (0x40) is ignored on receipt (§2.3.3).
                volume: flags & 0x3f,
                duration: u16::from_be_bytes([*d0, *d1]),
            }),
            _ => Err(PayloadError::Short(bytes.len())),
        }
    }

    /// Every whole event block of `bytes` in order (§2.5.1.5); a trailing partial block is
    /// left out. Fails only when not even one block fits.
    pub fn blocks(bytes: &[u8]) -> Result<impl Iterator<Item = EventPayload> + '_, PayloadError> {
        if bytes.len() < EVENT_BLOCK_LEN {
            return Err(PayloadError::Short(bytes.len()));
        }
        Ok(bytes
            .chunks_exact(EVENT_BLOCK_LEN)
            .filter_map(|c| EventPayload::parse(c).ok()))
    }

    /// The four octets on the wire. R is zero (§2.3.3); volume is masked to six bits.
    pub fn to_bytes(&self) -> [u8; EVENT_BLOCK_LEN] {
        let d = self.duration.to_be_bytes();
        [
            self.event,
            (u8::from(self.end) << 7) | (self.volume & 0x3f),
            d[0],
            d[1],
        ]
    }

    /// Append the four octets to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_bytes());
    }

    /// The DTMF digit this block carries, if its event is one (§3.2).
    pub fn digit(&self) -> Option<char> {
        event_to_digit(self.event)
    }
}

impl fmt::Display for EventPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.digit() {
            Some(d) => write!(f, "event {d}")?,
            None => write!(f, "event #{}", self.event)?,
        }
        write!(
            f,
            " dur {} vol -{} dBm0{}",
            self.duration,
            self.volume,
            if self.end { " end" } else { "" }
        )
    }
}

/// DTMF digit → event code (RFC 4733 §3.2): `0`–`9` → 0–9, `*` → 10, `#` → 11,
/// `A`–`D` → 12–15 (lower case accepted). Anything else, `,` included, is `None`.
pub fn digit_to_event(c: char) -> Option<u8> {
    match c {
        '0'..='9' => Some(c as u8 - b'0'),
        '*' => Some(10),
        '#' => Some(11),
        'A'..='D' => Some(c as u8 - b'A' + 12),
        'a'..='d' => Some(c as u8 - b'a' + 12),
        _ => None,
    }
}

/// Event code → DTMF digit (RFC 4733 §3.2), upper case for A–D; `None` above 15.
pub fn event_to_digit(event: u8) -> Option<char> {
    match event {
        0..=9 => Some(char::from(b'0' + event)),
        10 => Some('*'),
        11 => Some('#'),
        12..=15 => Some(char::from(b'A' + event - 12)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_sipp_end_packet() {
        // dtmf_2833_0.pcap, packet 7: event 0, E=1, volume 10, duration 2240.
        let p = EventPayload::parse(&[0x00, 0x8a, 0x08, 0xc0]).unwrap();
        assert_eq!(
            p,
            EventPayload {
                event: 0,
                end: true,
                volume: 10,
                duration: 2240
            }
        );
        assert_eq!(p.digit(), Some('0'));
        assert_eq!(p.to_bytes(), [0x00, 0x8a, 0x08, 0xc0]);
    }

    #[test]
    fn r_bit_ignored_and_never_written() {
        let p = EventPayload::parse(&[11, 0x40 | 0x3f, 0xff, 0xff]).unwrap();
        assert_eq!((p.end, p.volume, p.duration), (false, 63, 0xffff));
        assert_eq!(p.digit(), Some('#'));
        assert_eq!(p.to_bytes()[1], 0x3f);
        let loud = EventPayload {
            event: 1,
            end: true,
            volume: 0xff,
            duration: 1,
        };
        assert_eq!(loud.to_bytes()[1], 0x80 | 0x3f);
    }

    #[test]
    fn short_payloads_are_errors() {
        for n in 0..4 {
            let b = vec![0u8; n];
            assert_eq!(EventPayload::parse(&b), Err(PayloadError::Short(n)));
            assert!(EventPayload::blocks(&b).is_err());
        }
    }

    #[test]
    fn blocks_walk_whole_blocks_only() {
        let mut b = Vec::new();
        for e in [1u8, 2, 3] {
            EventPayload {
                event: e,
                end: true,
                volume: 10,
                duration: 800,
            }
            .write(&mut b);
        }
        b.extend_from_slice(&[9, 9]);
        let events: Vec<u8> = EventPayload::blocks(&b).unwrap().map(|p| p.event).collect();
        assert_eq!(events, vec![1, 2, 3]);
    }

    #[test]
    fn every_byte_pattern_round_trips_without_r() {
        for flags in 0..=255u8 {
            let b = [7, flags, 0x12, 0x34];
            let p = EventPayload::parse(&b).unwrap();
            assert_eq!(p.to_bytes(), [7, flags & !0x40, 0x12, 0x34]);
        }
    }

    #[test]
    fn digit_mapping_both_ways() {
        let digits = "0123456789*#ABCD";
        for (code, c) in digits.chars().enumerate() {
            assert_eq!(digit_to_event(c), Some(code as u8));
            assert_eq!(event_to_digit(code as u8), Some(c));
        }
        assert_eq!(digit_to_event('b'), Some(13));
        for c in [',', 'E', 'e', ' ', 'p', 'R', '+'] {
            assert_eq!(digit_to_event(c), None, "{c:?}");
        }
        for e in 16..=255u8 {
            assert_eq!(event_to_digit(e), None);
        }
    }
}
