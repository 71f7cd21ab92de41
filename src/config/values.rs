//! Value parsers for flags: TARGET, `--listen`, `--codecs`, `--rtp-ports`, `--user`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use crate::api::Command;
use crate::cli::commands::{parse_line, Action, Mode};
use crate::media::codec::CodecKind;

use super::DEFAULT_SIP_PORT;

/// TARGET is checked like the argument of `invite` (no scheme → sip:, only sip:/sips:;
/// `echo` and `tone` are the built-in test line).
pub fn parse_target(text: &str) -> Result<Command, String> {
    if text.trim().is_empty() || text.split_whitespace().count() != 1 {
        return Err(format!(
            "'{text}' is not a URI (expected e.g. sip:100@127.0.0.1:5070)"
        ));
    }
    match parse_line(&format!("invite {text}"), Mode::Script) {
        Ok(Some(Action::Send(cmd @ (Command::Invite { .. } | Command::InviteTestLine { .. })))) => {
            Ok(cmd)
        }
        Ok(_) => unreachable!("invite parses to an invite"),
        Err(e) => Err(e.message),
    }
}

/// `IP:PORT`, `[V6]:PORT`, a bare `PORT` (on 0.0.0.0), a bare IP (port 5060), or
/// `localhost[:PORT]`.
pub fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    let expected = "(expected IP:PORT or PORT, e.g. 127.0.0.1:5070 or 5070)";
    let text = text.trim();
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse::<u16>()
            .map(|port| SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port))
            .map_err(|_| format!("port {text} is out of range (expected 0-65535)"));
    }
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, DEFAULT_SIP_PORT));
    }
    if let Some(rest) = text.strip_prefix("localhost") {
        let localhost = IpAddr::V4(Ipv4Addr::LOCALHOST);
        if rest.is_empty() {
            return Ok(SocketAddr::new(localhost, DEFAULT_SIP_PORT));
        }
        if let Some(port) = rest.strip_prefix(':') {
            if let Ok(port) = port.parse::<u16>() {
                return Ok(SocketAddr::new(localhost, port));
            }
        }
    }
    Err(format!("'{text}' is not an address {expected}"))
}

/// A comma-separated codec list, order kept, no repeats.
pub fn parse_codecs(text: &str) -> Result<Vec<CodecKind>, String> {
    let mut out = Vec::new();
    for part in text.split(',') {
        let part = part.trim();
        if part.is_empty() {
            return Err(format!(
                "empty entry in '{text}' (expected a comma-separated list of opus, pcmu, pcma)"
            ));
        }
        let kind: CodecKind = part.parse().map_err(|e| format!("{e}"))?;
        if out.contains(&kind) {
            return Err(format!("'{part}' is listed twice in '{text}'"));
        }
        out.push(kind);
    }
    Ok(out)
}

/// `LO-HI`, inclusive, with at least one even port for RTP.
pub fn parse_port_range(text: &str) -> Result<(u16, u16), String> {
    let expected = "(expected LO-HI, e.g. 10000-20000)";
    let Some((lo, hi)) = text.split_once('-') else {
        return Err(format!("'{text}' is not a port range {expected}"));
    };
    let port = |s: &str| s.trim().parse::<u16>().ok().filter(|&p| p > 0);
    let (Some(lo), Some(hi)) = (port(lo), port(hi)) else {
        return Err(format!(
            "'{text}' is not a port range {expected}, ports 1-65535"
        ));
    };
    if lo > hi {
        return Err(format!("'{text}': {lo} is above {hi} {expected}"));
    }
    if lo == hi && lo % 2 == 1 {
        return Err(format!(
            "'{text}' has no even port (RTP uses even ports) {expected}"
        ));
    }
    Ok((lo, hi))
}

/// A SIP user part: letters, digits and RFC 3261 unreserved/user-unreserved marks.
pub fn check_user(text: &str) -> Result<String, String> {
    const MARKS: &str = "-_.!~*'()&=+$,;?/%";
    if text.is_empty() {
        return Err("empty user name (expected e.g. --user alice)".into());
    }
    if let Some(c) = text
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || MARKS.contains(*c)))
    {
        return Err(format!(
            "'{text}' is not a SIP user name: '{c}' is not allowed (letters, digits and {MARKS})"
        ));
    }
    Ok(text.to_string())
}
