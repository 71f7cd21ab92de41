//! The front-end's view of the calls, built only from the events it has seen, for the
//! `sessions` command (the engine has no query for this; events are the whole story).

use std::collections::BTreeMap;

use crate::api::{CallHandle, Direction, Event};
use crate::cli::render::without_header_params;

/// One live call as the events describe it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CallInfo {
    /// Who placed the call.
    pub direction: Direction,
    /// The other side: the Request-URI we called, or the caller's From.
    pub peer: String,
    /// `calling`, `incoming`, `progress 180 Ringing`, `established`.
    pub state: String,
    /// `opus/48000/2 ⇄ 127.0.0.1:40000` once media is up.
    pub media: Option<String>,
}

/// Live calls by number; a call leaves the table when it is rejected, fails, is canceled
/// or terminated.
#[derive(Clone, Default, Debug)]
pub struct CallTable {
    calls: BTreeMap<CallHandle, CallInfo>,
}

impl CallTable {
    /// No calls.
    pub fn new() -> Self {
        CallTable::default()
    }

    /// Follow one event.
    pub fn update(&mut self, event: &Event) {
        match event {
            Event::Calling { call, to, .. } => {
                self.calls.insert(
                    *call,
                    CallInfo {
                        direction: Direction::Outgoing,
                        peer: to.clone(),
                        state: "calling".into(),
                        media: None,
                    },
                );
            }
            Event::Incoming { call, from, .. } => {
                self.calls.insert(
                    *call,
                    CallInfo {
                        direction: Direction::Incoming,
                        peer: without_header_params(from).to_string(),
                        state: "incoming".into(),
                        media: None,
                    },
                );
            }
            Event::Progress { call, code, reason } => {
                if let Some(c) = self.calls.get_mut(call) {
                    c.state = format!("progress {code} {reason}").trim_end().to_string();
                }
            }
            Event::Accepted { call, .. } => {
                if let Some(c) = self.calls.get_mut(call) {
                    c.state = "established".into();
                }
            }
            Event::Media {
                call,
                codec,
                remote,
            } => {
                if let Some(c) = self.calls.get_mut(call) {
                    c.media = Some(format!("{codec} ⇄ {remote}"));
                }
            }
            Event::Rejected { call, .. }
            | Event::Failed { call, .. }
            | Event::Canceled { call, .. }
            | Event::Terminated { call, .. } => {
                self.calls.remove(call);
            }
            Event::Dtmf { .. }
            | Event::DtmfSent { .. }
            | Event::Registered { .. }
            | Event::RegistrationFailed { .. }
            | Event::Unregistered { .. }
            | Event::CommandError { .. } => {}
        }
    }

    /// The live calls, by number.
    pub fn calls(&self) -> impl Iterator<Item = (&CallHandle, &CallInfo)> {
        self.calls.iter()
    }

    /// One line per call, or `no calls`.
    pub fn render(&self) -> String {
        if self.calls.is_empty() {
            return "no calls".into();
        }
        self.calls
            .iter()
            .map(|(n, c)| {
                let (dir, prep) = match c.direction {
                    Direction::Outgoing => ("outgoing", "to"),
                    Direction::Incoming => ("incoming", "from"),
                };
                let mut line = format!("[{n}] {dir} {prep} {}: {}", c.peer, c.state);
                if let Some(m) = &c.media {
                    line.push_str(&format!(", media {m}"));
                }
                line
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Party;

    #[test]
    fn follows_calls_through_their_events() {
        let mut t = CallTable::new();
        assert_eq!(t.render(), "no calls");
        let one = CallHandle(1);
        let two = CallHandle(2);
        t.update(&Event::Calling {
            call: one,
            to: "sip:100@127.0.0.1:5070".into(),
            from: "sip:sipline@127.0.0.1".into(),
        });
        t.update(&Event::Incoming {
            call: two,
            from: "\"Bob\" <sip:bob@example.com>;tag=b1".into(),
            to: "<sip:sipline@127.0.0.1>".into(),
        });
        t.update(&Event::Progress {
            call: one,
            code: 180,
            reason: "Ringing".into(),
        });
        assert_eq!(
            t.render(),
            "[1] outgoing to sip:100@127.0.0.1:5070: progress 180 Ringing\n\
             [2] incoming from \"Bob\" <sip:bob@example.com>: incoming"
        );
        t.update(&Event::Accepted {
            call: one,
            code: 200,
        });
        t.update(&Event::Media {
            call: one,
            codec: "PCMU/8000".into(),
            remote: "127.0.0.1:40000".parse().unwrap(),
        });
        t.update(&Event::Canceled {
            call: two,
            by: Party::Remote,
        });
        assert_eq!(
            t.render(),
            "[1] outgoing to sip:100@127.0.0.1:5070: established, media PCMU/8000 ⇄ 127.0.0.1:40000"
        );
        t.update(&Event::Terminated {
            call: one,
            by: Party::Local,
            cause: "bye".into(),
        });
        assert_eq!(t.render(), "no calls");
        // Events for calls it never saw start are ignored.
        t.update(&Event::Accepted {
            call: CallHandle(9),
            code: 200,
        });
        assert_eq!(t.calls().count(), 0);
    }
}
