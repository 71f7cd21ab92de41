//! The `--json` event schema as documented in `docs/events.md`, read back from that page so
//! that the documentation and the program cannot drift apart unnoticed.
//!
//! The page has one `### \`NAME\`` heading per event (and `### every event` for the fields
//! every line carries), each followed by a table whose rows are
//! `| \`field\` | TYPE | meaning |`. TYPE is `integer` (optionally `integer LO-HI`),
//! `number`, `string`, `address` (`IP:PORT`), `list of strings` or ``one of `a`, `b` ``. [`Schema::check`]
//! takes one parsed JSON line and says whether it has exactly the documented fields with
//! the documented types.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;

use serde_json::Value;

/// The documented schema, as it sits in the repository (for tests and tools).
pub const EVENTS_DOC: &str = include_str!("../../docs/events.md");

/// A field's documented type.
#[derive(Clone, PartialEq, Debug)]
pub enum FieldType {
    /// A JSON number without a fraction, within an inclusive range when given.
    Integer(Option<(u64, u64)>),
    /// Any JSON number.
    Number,
    /// A JSON `true` or `false`.
    Boolean,
    /// Any string.
    String,
    /// A string that parses as `IP:PORT`.
    Address,
    /// One of these strings.
    OneOf(Vec<String>),
    /// A JSON array of strings.
    Strings,
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldType::Integer(None) => f.write_str("integer"),
            FieldType::Integer(Some((lo, hi))) => write!(f, "integer {lo}-{hi}"),
            FieldType::Number => f.write_str("number"),
            FieldType::Boolean => f.write_str("boolean"),
            FieldType::String => f.write_str("string"),
            FieldType::Address => f.write_str("address"),
            FieldType::OneOf(values) => write!(f, "one of {}", values.join(", ")),
            FieldType::Strings => f.write_str("list of strings"),
        }
    }
}

impl FieldType {
    fn parse(text: &str) -> Result<FieldType, String> {
        let text = text.trim();
        if let Some(rest) = text.strip_prefix("one of ") {
            let values: Vec<String> = rest
                .split(',')
                .map(|v| v.trim().trim_matches('`').to_string())
                .filter(|v| !v.is_empty())
                .collect();
            if values.is_empty() {
                return Err(format!("'{text}' lists no values"));
            }
            return Ok(FieldType::OneOf(values));
        }
        match text {
            "integer" => return Ok(FieldType::Integer(None)),
            "number" => return Ok(FieldType::Number),
            "boolean" => return Ok(FieldType::Boolean),
            "string" => return Ok(FieldType::String),
            "address" => return Ok(FieldType::Address),
            "list of strings" => return Ok(FieldType::Strings),
            _ => {}
        }
        if let Some(range) = text.strip_prefix("integer ") {
            let bounds = range
                .split_once('-')
                .and_then(|(lo, hi)| Some((lo.trim().parse().ok()?, hi.trim().parse().ok()?)));
            if let Some((lo, hi)) = bounds {
                return Ok(FieldType::Integer(Some((lo, hi))));
            }
        }
        Err(format!(
            "unknown type '{text}' (expected integer [LO-HI], number, boolean, string, address or one of `a`, `b`)"
        ))
    }

    /// Why `value` is not of this type, if it is not.
    fn mismatch(&self, value: &Value) -> Option<String> {
        let ok = match self {
            FieldType::Integer(range) => match value.as_u64() {
                Some(n) => range.is_none_or(|(lo, hi)| (lo..=hi).contains(&n)),
                None => value.as_i64().is_some() && range.is_none(),
            },
            FieldType::Number => value.is_number(),
            FieldType::Boolean => value.is_boolean(),
            FieldType::String => value.is_string(),
            FieldType::Address => value
                .as_str()
                .is_some_and(|s| s.parse::<SocketAddr>().is_ok()),
            FieldType::OneOf(values) => value
                .as_str()
                .is_some_and(|s| values.iter().any(|v| v == s)),
            FieldType::Strings => value
                .as_array()
                .is_some_and(|a| a.iter().all(Value::is_string)),
        };
        (!ok).then(|| format!("{value} is not {self}"))
    }
}

/// The pseudo-event name the `### every call event` table is read into.
const CALL_COMMON: &str = "every call event";

/// One documented field.
#[derive(Clone, PartialEq, Debug)]
pub struct Field {
    /// The JSON key.
    pub name: String,
    /// Its type.
    pub ty: FieldType,
}

/// Every documented event and its fields.
#[derive(Clone, PartialEq, Debug, Default)]
pub struct Schema {
    /// Fields on every line (`ts`, `event`).
    pub common: Vec<Field>,
    /// Fields of every event of a call placed or received (its identities): checked when
    /// present, since the number of an out-of-dialog REFER is not such a call.
    pub call_common: Vec<Field>,
    /// Event name → its own fields, in documented order.
    pub events: BTreeMap<String, Vec<Field>>,
}

impl Schema {
    /// Read the schema from the page's text.
    pub fn parse(doc: &str) -> Result<Schema, String> {
        let mut schema = Schema::default();
        // Which table the rows belong to: None = common, Some(name) = an event
        // (CALL_COMMON for the call events' table).
        let mut current: Option<Option<String>> = None;
        for (i, line) in doc.lines().enumerate() {
            let at = |m: String| format!("docs/events.md line {}: {m}", i + 1);
            let line = line.trim();
            if let Some(heading) = line.strip_prefix("### ") {
                let heading = heading.trim();
                if heading == "every event" {
                    current = Some(None);
                } else if heading == "every call event" {
                    current = Some(Some(CALL_COMMON.to_string()));
                } else if let Some(name) =
                    heading.strip_prefix('`').and_then(|h| h.strip_suffix('`'))
                {
                    if schema.events.contains_key(name) {
                        return Err(at(format!("event `{name}` is documented twice")));
                    }
                    schema.events.insert(name.to_string(), Vec::new());
                    current = Some(Some(name.to_string()));
                } else {
                    current = None;
                }
                continue;
            }
            if line.starts_with('#') {
                current = None;
                continue;
            }
            let Some(row) = line.strip_prefix("| `") else {
                continue;
            };
            let Some(table) = &current else {
                return Err(at("a field row outside an event section".into()));
            };
            let cells: Vec<&str> = row.split(" | ").collect();
            let (Some(name), Some(ty)) = (cells.first(), cells.get(1)) else {
                return Err(at(format!("'{line}' is not | `field` | type | meaning |")));
            };
            let name = name.trim().trim_end_matches('`').to_string();
            let ty = FieldType::parse(ty).map_err(at)?;
            let fields = match table {
                None => &mut schema.common,
                Some(t) if t == CALL_COMMON => &mut schema.call_common,
                // invariant: `table` names an event inserted when its heading was read.
                Some(event) => schema
                    .events
                    .get_mut(event)
                    .expect("inserted at its heading"),
            };
            if fields.iter().any(|f| f.name == name) {
                return Err(at(format!("field `{name}` is listed twice")));
            }
            fields.push(Field { name, ty });
        }
        if schema.common.is_empty() {
            return Err("docs/events.md: no `### every event` table".into());
        }
        if let Some((name, _)) = schema.events.iter().find(|(_, f)| f.is_empty()) {
            return Err(format!("docs/events.md: event `{name}` has no field table"));
        }
        Ok(schema)
    }

    /// The schema in `docs/events.md` as compiled in.
    pub fn documented() -> Schema {
        // invariant: the compiled-in page parses (checked by the tests below).
        Schema::parse(EVENTS_DOC).expect("docs/events.md parses")
    }

    /// Check one event line: a JSON object whose `event` is documented, with exactly the
    /// common fields plus that event's fields, each of its documented type.
    pub fn check(&self, value: &Value) -> Result<(), String> {
        let Some(obj) = value.as_object() else {
            return Err(format!("{value} is not a JSON object"));
        };
        let Some(name) = obj.get("event").and_then(Value::as_str) else {
            return Err(format!("{value} has no string `event` field"));
        };
        let Some(own) = self.events.get(name) else {
            return Err(format!(
                "event `{name}` is not documented in docs/events.md"
            ));
        };
        let mut problems = Vec::new();
        for field in &self.call_common {
            if let Some(why) = obj.get(&field.name).and_then(|v| field.ty.mismatch(v)) {
                problems.push(format!("`{}`: {why}", field.name));
            }
        }
        let known = |key: &String| {
            self.common
                .iter()
                .chain(own)
                .chain(&self.call_common)
                .any(|f| &f.name == key)
        };
        for field in self.common.iter().chain(own) {
            match obj.get(&field.name) {
                None => problems.push(format!("missing `{}`", field.name)),
                Some(v) => {
                    if let Some(why) = field.ty.mismatch(v) {
                        problems.push(format!("`{}`: {why}", field.name));
                    }
                }
            }
        }
        for key in obj.keys() {
            if !known(key) {
                problems.push(format!("undocumented field `{key}`"));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(format!("`{name}` event {value}: {}", problems.join("; ")))
        }
    }

    /// Parse one NDJSON line and [`Schema::check`] it.
    pub fn check_line(&self, line: &str) -> Result<(), String> {
        let value: Value =
            serde_json::from_str(line).map_err(|e| format!("not JSON ({e}): {line:?}"))?;
        self.check(&value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{CallHandle, Event, FailureCause, Party};
    use crate::cli::render::json;
    use serde_json::json;

    /// One of every event kind. The match makes adding an `Event` variant without a sample
    /// (and so without checking it against the page) a compile error in this test.
    fn one_of_each() -> Vec<Event> {
        let c = CallHandle(1);
        let samples = vec![
            Event::Calling {
                call: c,
                to: "sip:100@127.0.0.1:5070".into(),
                from: "sip:sipline@127.0.0.1".into(),
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
                cause: FailureCause::BadTarget,
            },
            Event::Canceled {
                call: c,
                by: Party::Remote,
            },
            Event::Incoming {
                call: CallHandle(u32::MAX),
                from: "\"Bob\" <sip:bob@example.com>".into(),
                to: "<sip:sipline@127.0.0.1>".into(),
            },
            Event::Media {
                call: c,
                codec: "PCMU/8000".into(),
                remote: "[::1]:40000".parse().unwrap(),
            },
            Event::Terminated {
                call: c,
                by: Party::Local,
                cause: "hangup".into(),
                duration_ms: 5_000,
            },
            Event::Referred {
                call: c,
                refer_to: "sip:carol@127.0.0.1:5063".into(),
                referred_by: "<sip:alice@127.0.0.1>".into(),
                replaces: false,
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
            Event::Redirected {
                call: c,
                code: 302,
                contacts: vec!["sip:bob@127.0.0.1:5062".into()],
            },
            Event::Response {
                call: Some(c),
                method: "INFO".into(),
                code: 200,
                reason: "OK".into(),
            },
            Event::Held {
                call: c,
                by: Party::Local,
            },
            Event::Resumed {
                call: c,
                by: Party::Remote,
            },
            Event::Dtmf {
                call: c,
                digit: "5".into(),
                duration_ms: 160,
                method: crate::api::DtmfMode::Info,
            },
            Event::DtmfSent {
                call: c,
                digit: "#".into(),
                method: crate::api::DtmfMode::Rfc4733,
            },
            Event::Registered {
                account: "alice".into(),
                expires: 600,
            },
            Event::RegistrationFailed {
                account: "alice".into(),
                code: 0,
                reason: "timeout".into(),
                retry_in: 45,
            },
            Event::Unregistered {
                account: "alice".into(),
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
                check: "tone:1000".into(),
                passed: true,
                percent: 98,
                level_dbfs: -12,
                window_ms: 2000,
                heard_ms: 2000,
            },
            Event::CommandError {
                message: "reject: 7 is not a call (calls: 1, 2)".into(),
            },
        ];
        for e in &samples {
            match e {
                Event::Calling { .. }
                | Event::Progress { .. }
                | Event::Accepted { .. }
                | Event::Rejected { .. }
                | Event::Failed { .. }
                | Event::Canceled { .. }
                | Event::Incoming { .. }
                | Event::Media { .. }
                | Event::Terminated { .. }
                | Event::Referred { .. }
                | Event::ReferInviteSent { .. }
                | Event::ReferProgress { .. }
                | Event::ReferAccepted { .. }
                | Event::ReferFailed { .. }
                | Event::Response { .. }
                | Event::Redirected { .. }
                | Event::ReferRejected { .. }
                | Event::Held { .. }
                | Event::Resumed { .. }
                | Event::Dtmf { .. }
                | Event::DtmfSent { .. }
                | Event::Registered { .. }
                | Event::RegistrationFailed { .. }
                | Event::Unregistered { .. }
                | Event::Stats { .. }
                | Event::AudioChecked { .. }
                | Event::CommandError { .. } => {}
            }
        }
        samples
    }

    #[test]
    fn the_page_parses() {
        let s = Schema::documented();
        let names: Vec<&str> = s.common.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["ts", "event"]);
        let call_names: Vec<&str> = s.call_common.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(call_names, ["local_identity", "remote_identity"]);
        assert!(!s.events.contains_key("every call event"));
        // The identities are checked when present, and may be absent.
        let ok = json!({"ts": 1.0, "event": "accepted", "call": 1, "code": 200,
            "local_identity": "<sip:a@b>", "remote_identity": "<sip:c@d>"});
        assert_eq!(s.check(&ok), Ok(()));
        let bad = json!({"ts": 1.0, "event": "accepted", "call": 1, "code": 200,
            "local_identity": 7});
        assert!(s.check(&bad).unwrap_err().contains("`local_identity`"));
        assert_eq!(s.events.len(), 27, "{:?}", s.events.keys());
        assert_eq!(
            s.events["failed"][1].ty,
            FieldType::OneOf(vec![
                "timeout".into(),
                "transport".into(),
                "media".into(),
                "bad-target".into(),
                "auth".into()
            ])
        );
        assert_eq!(
            s.events["progress"][1].ty,
            FieldType::Integer(Some((101, 199)))
        );
    }

    #[test]
    fn every_event_kind_matches_the_page() {
        let schema = Schema::documented();
        let samples = one_of_each();
        let mut names: Vec<&str> = samples.iter().map(Event::name).collect();
        for event in &samples {
            let line = json(event, 1_763_755_200.5);
            schema
                .check_line(&line)
                .unwrap_or_else(|e| panic!("{line}: {e}"));
        }
        // …and the page documents no event the program does not have.
        names.sort_unstable();
        let documented: Vec<&str> = schema.events.keys().map(String::as_str).collect();
        assert_eq!(names, documented);
    }

    #[test]
    fn every_enum_value_is_documented() {
        let schema = Schema::documented();
        for cause in [
            FailureCause::Timeout,
            FailureCause::Transport,
            FailureCause::Media,
            FailureCause::BadTarget,
        ] {
            let e = Event::Failed {
                call: CallHandle(2),
                cause,
            };
            schema.check_line(&json(&e, 0.0)).unwrap();
        }
        for by in [Party::Local, Party::Remote] {
            for e in [
                Event::Canceled {
                    call: CallHandle(2),
                    by,
                },
                Event::Terminated {
                    call: CallHandle(2),
                    by,
                    cause: "bye".into(),
                    duration_ms: 5_000,
                },
            ] {
                schema.check_line(&json(&e, 0.0)).unwrap();
            }
        }
    }

    #[test]
    fn mismatches_are_named() {
        let s = Schema::documented();
        let err = |v: Value| s.check(&v).unwrap_err();
        assert_eq!(
            err(json!({"ts": 1.0, "event": "accepted", "call": 1})),
            r#"`accepted` event {"call":1,"event":"accepted","ts":1.0}: missing `code`"#
        );
        assert!(
            err(json!({"ts": 1.0, "event": "accepted", "call": 1, "code": 200, "x": 1}))
                .ends_with("undocumented field `x`")
        );
        assert!(
            err(json!({"ts": 1.0, "event": "progress", "call": 1, "code": 200, "reason": "", "reliable": false}))
                .ends_with("`code`: 200 is not integer 101-199")
        );
        assert!(
            err(json!({"ts": 1.0, "event": "canceled", "call": 1, "by": "me"}))
                .ends_with("`by`: \"me\" is not one of local, remote")
        );
        assert!(err(
            json!({"ts": 1.0, "event": "media", "call": 1, "codec": "x", "remote": "nowhere"})
        )
        .ends_with("`remote`: \"nowhere\" is not address"));
        assert!(
            err(json!({"ts": "now", "event": "command-error", "message": "m"}))
                .ends_with("`ts`: \"now\" is not number")
        );
        assert_eq!(
            err(json!({"ts": 1.0, "event": "teleported"})),
            "event `teleported` is not documented in docs/events.md"
        );
        assert!(s
            .check_line("[1]")
            .unwrap_err()
            .contains("not a JSON object"));
        assert!(s.check_line("{").unwrap_err().starts_with("not JSON"));
    }

    #[test]
    fn bad_pages_are_refused() {
        let good = "### every event\n| `ts` | number | t |\n### `x`\n| `call` | integer | c |\n";
        assert!(Schema::parse(good).is_ok());
        assert!(Schema::parse("### `x`\n| `call` | integer | c |\n")
            .unwrap_err()
            .contains("no `### every event` table"));
        assert!(
            Schema::parse(&format!("{good}| `call` | string | again |\n"))
                .unwrap_err()
                .contains("field `call` is listed twice")
        );
        assert!(Schema::parse(&format!("{good}### `y`\ntext\n"))
            .unwrap_err()
            .contains("event `y` has no field table"));
        assert!(Schema::parse(&format!("{good}| `n` | float | n |\n"))
            .unwrap_err()
            .contains("unknown type 'float'"));
        assert!(
            Schema::parse(&format!("{good}## Other\n| `n` | number | n |\n"))
                .unwrap_err()
                .contains("outside an event section")
        );
    }
}
