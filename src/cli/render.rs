//! Events as text: human lines, or one JSON object per line (`--json`).
//!
//! Human lines, one per event:
//!
//! ```text
//! [1] calling sip:100@127.0.0.1:5070
//! [1] progress 180 Ringing
//! [1] accepted 200
//! [1] rejected 486 Busy Here
//! [1] failed: timeout
//! [1] canceled by local
//! [2] incoming call from "Bob" <sip:bob@example.com> — accept 2 / reject 2
//! [1] media PCMU/8000 ⇄ 127.0.0.1:40000
//! [1] terminated by remote (bye)
//! error: no call fits 'accept' (there are no calls)
//! ```
//!
//! JSON: the serde form of [`Event`] with a `ts` field (Unix seconds, microsecond
//! precision) in front, e.g. `{"ts":1763755200.123456,"event":"progress","call":1,
//! "code":180,"reason":"Ringing"}`.
//! Every event's fields are documented in `docs/events.md`, and [`crate::cli::schema`]
//! checks the program against that page.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::api::{Event, Party};

/// How events are printed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Format {
    /// One readable line per event.
    Human,
    /// One JSON object per event per line (NDJSON).
    Json,
}

fn party(p: Party) -> &'static str {
    match p {
        Party::Local => "local",
        Party::Remote => "remote",
    }
}

/// One readable line for an event (no trailing newline).
pub fn human(event: &Event) -> String {
    match event {
        Event::Calling { call, to, .. } => format!("[{call}] calling {to}"),
        Event::Progress {
            call,
            code,
            reason,
            reliable,
        } => {
            let line = format!("[{call}] progress {code} {reason}");
            let line = line.trim_end();
            if *reliable {
                format!("{line} (reliable)")
            } else {
                line.to_string()
            }
        }
        Event::Accepted { call, code } => format!("[{call}] accepted {code}"),
        Event::Rejected { call, code, reason } => format!("[{call}] rejected {code} {reason}")
            .trim_end()
            .to_string(),
        Event::Failed { call, cause } => format!("[{call}] failed: {}", cause.as_str()),
        Event::Canceled { call, by } => format!("[{call}] canceled by {}", party(*by)),
        Event::Incoming { call, from, .. } => format!(
            "[{call}] incoming call from {} — accept {call} / reject {call}",
            without_header_params(from)
        ),
        Event::Media {
            call,
            codec,
            remote,
        } => format!("[{call}] media {codec} ⇄ {remote}"),
        Event::Terminated {
            call,
            by,
            cause,
            duration_ms,
        } => format!(
            "[{call}] terminated by {} ({cause}) after {}",
            party(*by),
            crate::cli::calls::clock(std::time::Duration::from_millis(*duration_ms))
        ),
        Event::Referred {
            call,
            refer_to,
            replaces,
            ..
        } => format!(
            "[{call}] referred to {refer_to}{} — refer-accept {call} / refer-reject {call}",
            if *replaces { " (attended)" } else { "" }
        ),
        Event::ReferInviteSent { call, new_call } => {
            format!("[{call}] transfer: calling as call {new_call}")
        }
        Event::ReferProgress { call, code, reason } => {
            format!("[{call}] transfer progress {code} {reason}")
                .trim_end()
                .to_string()
        }
        Event::ReferAccepted { call } => format!("[{call}] transfer accepted"),
        Event::ReferFailed { call, code, reason } => {
            format!("[{call}] transfer failed: {code} {reason}")
        }
        Event::Response {
            call,
            method,
            code,
            reason,
        } => {
            let status = if *code == 0 {
                format!("no response ({reason})")
            } else {
                format!("{code} {reason}").trim_end().to_string()
            };
            match call {
                Some(call) => format!("[{call}] {method} answered: {status}"),
                None => format!("{method} answered: {status}"),
            }
        }
        Event::Redirected {
            call,
            code,
            contacts,
        } => format!("[{call}] redirected {code}: {}", contacts.join(", ")),
        Event::ReferRejected { call, code, reason } => {
            format!("[{call}] transfer rejected by the target: {code} {reason}")
        }
        Event::Held { call, by } => format!("[{call}] held by {}", party(*by)),
        Event::Resumed { call, by } => format!("[{call}] resumed by {}", party(*by)),
        Event::Dtmf {
            call,
            digit,
            duration_ms,
            method,
        } => format!(
            "[{call}] dtmf {digit} ({duration_ms} ms, {})",
            method.as_str()
        ),
        Event::DtmfSent {
            call,
            digit,
            method,
        } => format!("[{call}] dtmf sent {digit} ({})", method.as_str()),
        Event::Registered { account, expires } => {
            format!("[{account}] registered (expires in {expires}s)")
        }
        Event::RegistrationFailed {
            account,
            code,
            reason,
            retry_in,
        } => {
            let code = if *code == 0 {
                String::new()
            } else {
                format!("{code} ")
            };
            let retry = if *retry_in == 0 {
                String::new()
            } else {
                format!(", retrying in {retry_in}s")
            };
            format!("[{account}] registration failed: {code}{reason}{retry}")
        }
        Event::Unregistered { account } => format!("[{account}] unregistered"),
        Event::Stats {
            call,
            sent_packets,
            received_packets,
            lost,
            late,
            jitter_ms,
            level_dbfs,
        } => format!(
            "[{call}] stats: sent {sent_packets} packets, received {received_packets}, \
             lost {lost}, late {late}, jitter {jitter_ms} ms, level {level_dbfs} dBFS"
        ),
        Event::AudioChecked {
            call,
            check,
            passed,
            percent,
            level_dbfs,
            window_ms,
            heard_ms,
        } => {
            let cut = if heard_ms < window_ms {
                format!(", media stopped after {heard_ms} of {window_ms} ms")
            } else {
                String::new()
            };
            format!(
                "[{call}] audio {check}: {} ({percent}% of blocks, level {level_dbfs} dBFS{cut})",
                if *passed { "ok" } else { "FAILED" }
            )
        }
        Event::CommandError { message } => format!("error: {message}"),
    }
}

/// The ANSI colour (SGR parameters) for an event's kind: set-up in cyan, a call arriving in
/// bold yellow, answered and media in green, a call ending unanswered in red, an answered
/// call ending in magenta, the user's mistakes in bold red.
pub fn color_of(event: &Event) -> &'static str {
    match event {
        Event::Calling { .. } | Event::Progress { .. } => "36",
        Event::Incoming { .. } => "1;33",
        Event::Accepted { .. } | Event::Media { .. } => "32",
        Event::Rejected { .. } | Event::Failed { .. } | Event::Canceled { .. } => "31",
        Event::Terminated { .. } => "35",
        Event::Referred { .. } => "1;33",
        Event::ReferInviteSent { .. } | Event::ReferProgress { .. } => "36",
        Event::ReferAccepted { .. } => "32",
        Event::ReferFailed { .. } | Event::ReferRejected { .. } => "31",
        Event::Redirected { .. } => "31",
        Event::Response { code, .. } if (200..300).contains(code) => "32",
        Event::Response { .. } => "31",
        Event::Held { .. } | Event::Resumed { .. } => "33",
        Event::Dtmf { .. } | Event::DtmfSent { .. } => "36",
        Event::Registered { .. } => "32",
        Event::RegistrationFailed { .. } => "31",
        Event::Unregistered { .. } => "35",
        Event::Stats { .. } => "2",
        Event::AudioChecked { passed: true, .. } => "32",
        Event::AudioChecked { passed: false, .. } => "31",
        Event::CommandError { .. } => "1;31",
    }
}

/// [`human`] in the colour of its kind, reset at the end of the line.
pub fn colored(event: &Event) -> String {
    format!("\x1b[{}m{}\x1b[0m", color_of(event), human(event))
}

/// A From/To value without its header parameters (`;tag=…`), for people: after the
/// closing `>` of a name-addr, or after the first `;` of a bare addr-spec (RFC 3261 §20.10).
pub fn without_header_params(value: &str) -> &str {
    match value.rfind('>') {
        Some(i) => &value[..=i],
        None => value.split(';').next().unwrap_or(value).trim_end(),
    }
}

/// A compact one-line summary for diagnostics: `progress 1 180 Ringing`.
pub fn brief(event: &Event) -> String {
    let name = event.name();
    let s = match event {
        Event::Calling { call, to, .. } => format!("{name} {call} {to}"),
        Event::Progress {
            call, code, reason, ..
        }
        | Event::Rejected { call, code, reason } => {
            format!("{name} {call} {code} {reason}")
        }
        Event::Accepted { call, code } => format!("{name} {call} {code}"),
        Event::Failed { call, cause } => format!("{name} {call} {}", cause.as_str()),
        Event::Canceled { call, by } => format!("{name} {call} {}", party(*by)),
        Event::Incoming { call, from, .. } => format!("{name} {call} {from}"),
        Event::Media {
            call,
            codec,
            remote,
        } => format!("{name} {call} {codec} {remote}"),
        Event::Terminated {
            call,
            by,
            cause,
            duration_ms,
        } => format!("{name} {call} {} {cause} {duration_ms}", party(*by)),
        Event::Referred { call, refer_to, .. } => format!("{name} {call} {refer_to}"),
        Event::ReferInviteSent { call, new_call } => format!("{name} {call} {new_call}"),
        Event::ReferProgress { call, code, reason }
        | Event::ReferFailed { call, code, reason }
        | Event::ReferRejected { call, code, reason } => {
            format!("{name} {call} {code} {reason}")
        }
        Event::ReferAccepted { call } => format!("{name} {call}"),
        Event::Redirected {
            call,
            code,
            contacts,
        } => format!("{name} {call} {code} {}", contacts.join(" ")),
        Event::Response {
            call,
            method,
            code,
            reason,
        } => format!(
            "{name} {} {method} {code} {reason}",
            call.map_or(0, |c| c.0)
        ),
        Event::Held { call, by } | Event::Resumed { call, by } => {
            format!("{name} {call} {}", party(*by))
        }
        Event::Dtmf {
            call,
            digit,
            method,
            ..
        } => format!("{name} {call} {digit} {}", method.as_str()),
        Event::DtmfSent { call, digit, .. } => format!("{name} {call} {digit}"),
        Event::Registered { account, expires } => format!("{name} {account} {expires}"),
        Event::RegistrationFailed {
            account,
            code,
            reason,
            ..
        } => match code {
            0 => format!("{name} {account} {reason}"),
            c => format!("{name} {account} {c} {reason}"),
        },
        Event::Unregistered { account } => format!("{name} {account}"),
        Event::Stats {
            call,
            sent_packets,
            received_packets,
            lost,
            late,
            jitter_ms,
            level_dbfs,
        } => format!(
            "{name} {call} {sent_packets} {received_packets} {lost} {late} {jitter_ms} {level_dbfs}"
        ),
        Event::AudioChecked {
            call,
            check,
            passed,
            percent,
            level_dbfs,
            window_ms,
            heard_ms,
        } => {
            format!("{name} {call} {check} {passed} {percent} {level_dbfs} {window_ms} {heard_ms}")
        }
        Event::CommandError { message } => format!("{name} {message}"),
    };
    s.trim_end().to_string()
}

/// Seconds since the Unix epoch, now.
pub fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// One JSON object (no trailing newline): `{"ts":…,"event":"…",…}`.
pub fn json(event: &Event, ts: f64) -> String {
    // invariant: Event holds only strings, numbers, bools and unit enums: it always
    // serializes, as an object (internally tagged).
    let body = serde_json::to_string(event).expect("events serialize");
    let rest = body
        .strip_prefix('{')
        .expect("an internally tagged enum serializes as an object");
    format!("{{\"ts\":{ts:.6},{rest}")
}

/// [`json`] with the call's two identities added (`local_identity`, `remote_identity`).
pub fn json_identified(event: &Event, ts: f64, local: &str, remote: &str) -> String {
    let line = json(event, ts);
    // invariant: `json` starts every line with `{"ts":`.
    let rest = line.strip_prefix('{').expect("a JSON object");
    // invariant: a string always serializes.
    let quote = |s: &str| serde_json::to_string(s).expect("strings serialize");
    format!(
        "{{\"local_identity\":{},\"remote_identity\":{},{rest}",
        quote(local),
        quote(remote)
    )
}

/// The line for an event in the given format, stamped now.
pub fn line(event: &Event, format: Format) -> String {
    match format {
        Format::Human => human(event),
        Format::Json => json(event, unix_now()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{CallHandle, DtmfMode, FailureCause};
    use serde_json::{json, Value};

    fn all_events() -> Vec<Event> {
        let c = CallHandle(1);
        vec![
            Event::Calling {
                call: c,
                to: "sip:100@127.0.0.1:5070".into(),
                from: "<sip:sipline@127.0.0.1:5060>;tag=a".into(),
            },
            Event::Progress {
                call: c,
                code: 180,
                reason: "Ringing".into(),
                reliable: false,
            },
            Event::Accepted { call: c, code: 200 },
            Event::Rejected {
                call: c,
                code: 486,
                reason: "Busy Here".into(),
            },
            Event::Failed {
                call: c,
                cause: FailureCause::Timeout,
            },
            Event::Canceled {
                call: c,
                by: Party::Local,
            },
            Event::Incoming {
                call: CallHandle(2),
                from: "\"Bob\" <sip:bob@example.com>;tag=x".into(),
                to: "<sip:sipline@127.0.0.1>".into(),
            },
            Event::Media {
                call: c,
                codec: "PCMU/8000".into(),
                remote: "127.0.0.1:40000".parse().unwrap(),
            },
            Event::Terminated {
                call: c,
                by: Party::Remote,
                cause: "bye".into(),
                duration_ms: 73_000,
            },
            Event::Dtmf {
                call: c,
                digit: "5".into(),
                duration_ms: 160,
                method: DtmfMode::Rfc4733,
            },
            Event::DtmfSent {
                call: c,
                digit: "#".into(),
                method: DtmfMode::Info,
            },
            Event::Registered {
                account: "alice".into(),
                expires: 600,
            },
            Event::RegistrationFailed {
                account: "alice".into(),
                code: 403,
                reason: "Forbidden".into(),
                retry_in: 45,
            },
            Event::Unregistered {
                account: "alice".into(),
            },
            Event::Held {
                call: c,
                by: Party::Local,
            },
            Event::Resumed {
                call: c,
                by: Party::Remote,
            },
            Event::Referred {
                call: c,
                refer_to: "sip:carol@127.0.0.1:5063".into(),
                referred_by: "<sip:alice@127.0.0.1>".into(),
                replaces: true,
            },
            Event::ReferInviteSent {
                call: c,
                new_call: CallHandle(2),
            },
            Event::ReferProgress {
                call: c,
                code: 180,
                reason: "Ringing".into(),
            },
            Event::ReferAccepted { call: c },
            Event::ReferFailed {
                call: c,
                code: 603,
                reason: "Decline".into(),
            },
            Event::ReferRejected {
                call: c,
                code: 486,
                reason: "Busy Here".into(),
            },
            Event::Stats {
                call: c,
                sent_packets: 250,
                received_packets: 249,
                lost: 1,
                late: 0,
                jitter_ms: 2,
                level_dbfs: -23,
            },
            Event::AudioChecked {
                call: c,
                check: "tone:440".into(),
                passed: false,
                percent: 3,
                level_dbfs: -9,
                window_ms: 1000,
                heard_ms: 400,
            },
            Event::CommandError {
                message: "no call 7".into(),
            },
            Event::Response {
                call: None,
                method: "OPTIONS".into(),
                code: 200,
                reason: "OK".into(),
            },
            Event::Redirected {
                call: c,
                code: 302,
                contacts: vec![
                    "sip:bob@127.0.0.1:5062".into(),
                    "sip:bob@127.0.0.1:5063".into(),
                ],
            },
        ]
    }

    #[test]
    fn responses_name_their_call_or_none() {
        let in_call = Event::Response {
            call: Some(CallHandle(2)),
            method: "INFO".into(),
            code: 0,
            reason: "timeout".into(),
        };
        assert_eq!(human(&in_call), "[2] INFO answered: no response (timeout)");
        assert_eq!(brief(&in_call), "response 2 INFO 0 timeout");
        let line = json(&in_call, 1.0);
        assert!(line.contains("\"call\":2,"), "{line}");
    }

    #[test]
    fn human_lines() {
        let lines: Vec<String> = all_events().iter().map(human).collect();
        assert_eq!(
            lines,
            [
                "[1] calling sip:100@127.0.0.1:5070",
                "[1] progress 180 Ringing",
                "[1] accepted 200",
                "[1] rejected 486 Busy Here",
                "[1] failed: timeout",
                "[1] canceled by local",
                "[2] incoming call from \"Bob\" <sip:bob@example.com> — accept 2 / reject 2",
                "[1] media PCMU/8000 ⇄ 127.0.0.1:40000",
                "[1] terminated by remote (bye) after 1:13",
                "[1] dtmf 5 (160 ms, rfc4733)",
                "[1] dtmf sent # (info)",
                "[alice] registered (expires in 600s)",
                "[alice] registration failed: 403 Forbidden, retrying in 45s",
                "[alice] unregistered",
                "[1] held by local",
                "[1] resumed by remote",
                "[1] referred to sip:carol@127.0.0.1:5063 (attended) — refer-accept 1 / refer-reject 1",
                "[1] transfer: calling as call 2",
                "[1] transfer progress 180 Ringing",
                "[1] transfer accepted",
                "[1] transfer failed: 603 Decline",
                "[1] transfer rejected by the target: 486 Busy Here",
                "[1] stats: sent 250 packets, received 249, lost 1, late 0, jitter 2 ms, level -23 dBFS",
                "[1] audio tone:440: FAILED (3% of blocks, level -9 dBFS, media stopped after 400 of 1000 ms)",
                "error: no call 7",
                "OPTIONS answered: 200 OK",
                "[1] redirected 302: sip:bob@127.0.0.1:5062, sip:bob@127.0.0.1:5063",
            ]
        );
        let empty_reason = Event::Progress {
            call: CallHandle(3),
            code: 183,
            reason: String::new(),
            reliable: false,
        };
        assert_eq!(human(&empty_reason), "[3] progress 183");
        let reliable = Event::Progress {
            call: CallHandle(3),
            code: 183,
            reason: "Session Progress".into(),
            reliable: true,
        };
        assert_eq!(
            human(&reliable),
            "[3] progress 183 Session Progress (reliable)"
        );
    }

    #[test]
    fn header_params_are_hidden_from_people() {
        assert_eq!(
            without_header_params("\"A;b\" <sip:a@h;lr>;tag=1"),
            "\"A;b\" <sip:a@h;lr>"
        );
        assert_eq!(without_header_params("sip:a@h;tag=1"), "sip:a@h");
        assert_eq!(without_header_params("<sip:a@h>"), "<sip:a@h>");
        assert_eq!(without_header_params("sip:a@h"), "sip:a@h");
    }

    #[test]
    fn wait_accepts_every_call_event_name() {
        let names: Vec<&str> = all_events()
            .iter()
            .map(Event::name)
            // Not waitable: answers to commands.
            .filter(|n| !matches!(*n, "command-error" | "stats" | "audio-checked"))
            .collect();
        assert_eq!(names, crate::cli::commands::WAIT_EVENTS);
    }

    #[test]
    fn brief_lines() {
        let lines: Vec<String> = all_events().iter().map(brief).collect();
        assert_eq!(lines[1], "progress 1 180 Ringing");
        assert_eq!(lines[2], "accepted 1 200");
        assert_eq!(lines[8], "terminated 1 remote bye 73000");
        assert_eq!(lines[9], "dtmf 1 5 rfc4733");
        assert_eq!(lines[10], "dtmf-sent 1 #");
        assert_eq!(lines[11], "registered alice 600");
        assert_eq!(lines[12], "registration-failed alice 403 Forbidden");
        assert_eq!(lines[13], "unregistered alice");
        assert_eq!(lines[14], "held 1 local");
        assert_eq!(lines[15], "resumed 1 remote");
        assert_eq!(lines[16], "referred 1 sip:carol@127.0.0.1:5063");
        assert_eq!(lines[17], "refer-invite-sent 1 2");
        assert_eq!(lines[18], "refer-progress 1 180 Ringing");
        assert_eq!(lines[19], "refer-accepted 1");
        assert_eq!(lines[20], "refer-failed 1 603 Decline");
        assert_eq!(lines[21], "refer-rejected 1 486 Busy Here");
        assert_eq!(lines[22], "stats 1 250 249 1 0 2 -23");
        assert_eq!(lines[23], "audio-checked 1 tone:440 false 3 -9 1000 400");
        assert_eq!(lines[24], "command-error no call 7");
        assert_eq!(lines[25], "response 0 OPTIONS 200 OK");
        assert_eq!(
            lines[26],
            "redirected 1 302 sip:bob@127.0.0.1:5062 sip:bob@127.0.0.1:5063"
        );
    }

    #[test]
    fn json_schema_is_stable() {
        let want = [
            json!({"event": "calling", "call": 1, "to": "sip:100@127.0.0.1:5070", "from": "<sip:sipline@127.0.0.1:5060>;tag=a"}),
            json!({"event": "progress", "call": 1, "code": 180, "reason": "Ringing", "reliable": false}),
            json!({"event": "accepted", "call": 1, "code": 200}),
            json!({"event": "rejected", "call": 1, "code": 486, "reason": "Busy Here"}),
            json!({"event": "failed", "call": 1, "cause": "timeout"}),
            json!({"event": "canceled", "call": 1, "by": "local"}),
            json!({"event": "incoming", "call": 2, "from": "\"Bob\" <sip:bob@example.com>;tag=x", "to": "<sip:sipline@127.0.0.1>"}),
            json!({"event": "media", "call": 1, "codec": "PCMU/8000", "remote": "127.0.0.1:40000"}),
            json!({"event": "terminated", "call": 1, "by": "remote", "cause": "bye", "duration_ms": 73000}),
            json!({"event": "dtmf", "call": 1, "digit": "5", "duration_ms": 160, "method": "rfc4733"}),
            json!({"event": "dtmf-sent", "call": 1, "digit": "#", "method": "info"}),
            json!({"event": "registered", "account": "alice", "expires": 600}),
            json!({"event": "registration-failed", "account": "alice", "code": 403, "reason": "Forbidden", "retry_in": 45}),
            json!({"event": "unregistered", "account": "alice"}),
            json!({"event": "held", "call": 1, "by": "local"}),
            json!({"event": "resumed", "call": 1, "by": "remote"}),
            json!({"event": "referred", "call": 1, "refer_to": "sip:carol@127.0.0.1:5063", "referred_by": "<sip:alice@127.0.0.1>", "replaces": true}),
            json!({"event": "refer-invite-sent", "call": 1, "new_call": 2}),
            json!({"event": "refer-progress", "call": 1, "code": 180, "reason": "Ringing"}),
            json!({"event": "refer-accepted", "call": 1}),
            json!({"event": "refer-failed", "call": 1, "code": 603, "reason": "Decline"}),
            json!({"event": "refer-rejected", "call": 1, "code": 486, "reason": "Busy Here"}),
            json!({"event": "stats", "call": 1, "sent_packets": 250, "received_packets": 249, "lost": 1, "late": 0, "jitter_ms": 2, "level_dbfs": -23}),
            json!({"event": "audio-checked", "call": 1, "check": "tone:440", "passed": false, "percent": 3, "level_dbfs": -9, "window_ms": 1000, "heard_ms": 400}),
            json!({"event": "command-error", "message": "no call 7"}),
            json!({"event": "response", "call": 0, "method": "OPTIONS", "code": 200, "reason": "OK"}),
            json!({"event": "redirected", "call": 1, "code": 302, "contacts": ["sip:bob@127.0.0.1:5062", "sip:bob@127.0.0.1:5063"]}),
        ];
        assert_eq!(all_events().len(), want.len(), "one JSON line per event");
        for (event, want) in all_events().iter().zip(want) {
            let line = json(event, 1_763_755_200.25);
            assert!(
                line.starts_with("{\"ts\":1763755200.250000,\"event\":\""),
                "{line}"
            );
            assert!(!line.contains('\n'));
            let mut got: Value = serde_json::from_str(&line).unwrap();
            let ts = got.as_object_mut().unwrap().remove("ts").unwrap();
            assert_eq!(ts.as_f64(), Some(1_763_755_200.25));
            assert_eq!(got, want);
            assert_eq!(got["event"], event.name());
        }
    }

    #[test]
    fn json_failure_causes() {
        for (cause, name) in [
            (FailureCause::Timeout, "timeout"),
            (FailureCause::Transport, "transport"),
            (FailureCause::Media, "media"),
        ] {
            let line = json(
                &Event::Failed {
                    call: CallHandle(1),
                    cause,
                },
                0.0,
            );
            let v: Value = serde_json::from_str(&line).unwrap();
            assert_eq!(v["cause"], name);
            assert_eq!(cause.as_str(), name);
        }
    }

    #[test]
    fn timestamps_are_recent() {
        let line = line(
            &Event::Accepted {
                call: CallHandle(1),
                code: 200,
            },
            Format::Json,
        );
        let v: Value = serde_json::from_str(&line).unwrap();
        assert!(v["ts"].as_f64().unwrap() > 1.7e9);
    }
}
