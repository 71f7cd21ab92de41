//! The front-end's view of the calls, built only from the events it has seen, for the
//! `sessions` and `status` commands and for completing call numbers (the engine has no
//! query for this; events are the whole story).

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::api::{CallHandle, Direction, Event};
use crate::cli::render::without_header_params;

/// One live call as the events describe it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CallInfo {
    /// Who placed the call.
    pub direction: Direction,
    /// The other side: the Request-URI we called, or the caller's From.
    pub peer: String,
    /// Our side: the From we sent, or the To we were called at.
    pub local: String,
    /// When its first event arrived, on the wall clock (for `sessions`).
    pub since: SystemTime,
    /// `calling`, `incoming`, `progress 180 Ringing`, `established`.
    pub state: String,
    /// `opus/48000/2 ⇄ 127.0.0.1:40000` once media is up.
    pub media: Option<String>,
    /// When its first event arrived.
    pub started: Instant,
    /// When it was answered.
    pub answered: Option<Instant>,
}

/// Which calls a command can name, for completing its call number.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CallFilter {
    /// Incoming calls not answered yet (accept, reject, progress).
    Unanswered,
    /// Outgoing calls not answered yet (cancel).
    Ringing,
    /// Any live call (hangup).
    Any,
    /// Answered calls (dtmf).
    Answered,
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

    /// Follow one event, arrived now.
    pub fn update(&mut self, event: &Event) {
        self.update_at(event, Instant::now());
    }

    /// Follow one event that arrived at `now`.
    pub fn update_at(&mut self, event: &Event, now: Instant) {
        match event {
            Event::Calling { call, to, from } => {
                self.calls.insert(
                    *call,
                    CallInfo {
                        direction: Direction::Outgoing,
                        peer: to.clone(),
                        local: without_header_params(from).to_string(),
                        since: SystemTime::now(),
                        state: "calling".into(),
                        media: None,
                        started: now,
                        answered: None,
                    },
                );
            }
            Event::Incoming { call, from, to } => {
                self.calls.insert(
                    *call,
                    CallInfo {
                        direction: Direction::Incoming,
                        peer: without_header_params(from).to_string(),
                        local: without_header_params(to).to_string(),
                        since: SystemTime::now(),
                        state: "incoming".into(),
                        media: None,
                        started: now,
                        answered: None,
                    },
                );
            }
            Event::Progress {
                call, code, reason, ..
            } => {
                if let Some(c) = self.calls.get_mut(call) {
                    c.state = format!("progress {code} {reason}").trim_end().to_string();
                }
            }
            Event::Accepted { call, .. } => {
                if let Some(c) = self.calls.get_mut(call) {
                    c.state = "established".into();
                    c.answered = Some(now);
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
            | Event::Redirected { call, .. }
            | Event::Terminated { call, .. } => {
                self.calls.remove(call);
            }
            Event::Response { .. }
            | Event::Referred { .. }
            | Event::ReferInviteSent { .. }
            | Event::ReferProgress { .. }
            | Event::ReferAccepted { .. }
            | Event::ReferFailed { .. }
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

    /// The live calls, by number.
    pub fn calls(&self) -> impl Iterator<Item = (&CallHandle, &CallInfo)> {
        self.calls.iter()
    }

    /// Numbers of the live calls a command can name, with a short description of each.
    pub fn candidates(&self, filter: CallFilter) -> Vec<(CallHandle, String)> {
        self.calls
            .iter()
            .filter(|(_, c)| match filter {
                CallFilter::Any => true,
                CallFilter::Unanswered => {
                    c.direction == Direction::Incoming && c.answered.is_none()
                }
                CallFilter::Ringing => c.direction == Direction::Outgoing && c.answered.is_none(),
                CallFilter::Answered => c.answered.is_some(),
            })
            .map(|(n, c)| {
                let (dir, prep) = match c.direction {
                    Direction::Outgoing => ("outgoing", "to"),
                    Direction::Incoming => ("incoming", "from"),
                };
                (*n, format!("{dir} {prep} {}", c.peer))
            })
            .collect()
    }

    /// The calls part of `status` at `now`: each call with its state and how long it has
    /// been in it (talk time once answered). See [`crate::cli::registrations::status`].
    pub fn status(&self, now: Instant) -> String {
        if self.calls.is_empty() {
            return "calls: none".into();
        }
        let mut out = format!("calls: {}", self.calls.len());
        for (n, c) in &self.calls {
            let (dir, prep) = match c.direction {
                Direction::Outgoing => ("outgoing", "to"),
                Direction::Incoming => ("incoming", "from"),
            };
            let time = match c.answered {
                Some(at) => format!("talking {}", clock(now.saturating_duration_since(at))),
                None => format!("for {}", clock(now.saturating_duration_since(c.started))),
            };
            out.push_str(&format!(
                "\n  [{n}] {dir} {prep} {}: {} {time}",
                c.peer, c.state
            ));
            if let Some(m) = &c.media {
                out.push_str(&format!(", media {m}"));
            }
        }
        out
    }

    /// Some call has media up (so `status` also asks for its `stats`).
    pub fn has_media(&self) -> bool {
        self.calls.values().any(|c| c.media.is_some())
    }

    /// One line per call (`sessions`), or `no calls`.
    pub fn render(&self) -> String {
        self.render_at(Instant::now())
    }

    /// One line per call at `now`: number, direction, both identities, state, start time
    /// (UTC) and how long it has rung or talked, and the media once up.
    pub fn render_at(&self, now: Instant) -> String {
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
                let time = match c.answered {
                    Some(at) => format!("talking {}", clock(now.saturating_duration_since(at))),
                    None => format!("for {}", clock(now.saturating_duration_since(c.started))),
                };
                let mut line = format!(
                    "[{n}] {dir} {prep} {} as {}: {}, since {} UTC, {time}",
                    c.peer,
                    c.local,
                    c.state,
                    utc_time_of_day(c.since)
                );
                if let Some(m) = &c.media {
                    line.push_str(&format!(", media {m}"));
                }
                line
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// `HH:MM:SS` of `t` in UTC.
fn utc_time_of_day(t: SystemTime) -> String {
    let s = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) % 86_400;
    format!("{:02}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60)
}

/// `0:07`, `12:34`, `1:02:03`.
pub fn clock(d: Duration) -> String {
    let s = d.as_secs();
    match s / 3600 {
        0 => format!("{}:{:02}", s / 60, s % 60),
        h => format!("{h}:{:02}:{:02}", s % 3600 / 60, s % 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Party;

    /// `sessions` lines with the start time taken out (it is the wall clock's).
    fn lines(t: &CallTable, now: Instant) -> String {
        let mut out = t.render_at(now);
        for c in t.calls.values() {
            out = out.replace(
                &format!("since {} UTC", utc_time_of_day(c.since)),
                "since T",
            );
        }
        out
    }

    #[test]
    fn utc_time_of_day_counts_from_midnight() {
        let at = |s: u64| UNIX_EPOCH + Duration::from_secs(s);
        assert_eq!(utc_time_of_day(at(0)), "00:00:00");
        assert_eq!(utc_time_of_day(at(86_400 * 3 + 3_723)), "01:02:03");
        assert_eq!(utc_time_of_day(at(86_399)), "23:59:59");
    }

    #[test]
    fn follows_calls_through_their_events() {
        let t0 = Instant::now();
        let mut t = CallTable::new();
        assert_eq!(t.render(), "no calls");
        let one = CallHandle(1);
        let two = CallHandle(2);
        t.update_at(
            &Event::Calling {
                call: one,
                to: "sip:100@127.0.0.1:5070".into(),
                from: "<sip:sipline@127.0.0.1>;tag=a1".into(),
            },
            t0,
        );
        t.update_at(
            &Event::Incoming {
                call: two,
                from: "\"Bob\" <sip:bob@example.com>;tag=b1".into(),
                to: "<sip:sipline@127.0.0.1>".into(),
            },
            t0 + Duration::from_secs(2),
        );
        t.update(&Event::Progress {
            call: one,
            code: 180,
            reason: "Ringing".into(),
            reliable: false,
        });
        assert_eq!(
            lines(&t, t0 + Duration::from_secs(5)),
            "[1] outgoing to sip:100@127.0.0.1:5070 as <sip:sipline@127.0.0.1>: progress 180 \
             Ringing, since T, for 0:05\n\
             [2] incoming from \"Bob\" <sip:bob@example.com> as <sip:sipline@127.0.0.1>: \
             incoming, since T, for 0:03"
        );
        t.update_at(
            &Event::Accepted {
                call: one,
                code: 200,
            },
            t0 + Duration::from_secs(6),
        );
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
            lines(&t, t0 + Duration::from_secs(79)),
            "[1] outgoing to sip:100@127.0.0.1:5070 as <sip:sipline@127.0.0.1>: established, \
             since T, talking 1:13, media PCMU/8000 ⇄ 127.0.0.1:40000"
        );
        t.update(&Event::Terminated {
            call: one,
            by: Party::Local,
            cause: "bye".into(),
            duration_ms: 5_000,
        });
        assert_eq!(t.render(), "no calls");
        assert_eq!(t.candidates(CallFilter::Any), []);
        // Events for calls it never saw start are ignored.
        t.update(&Event::Accepted {
            call: CallHandle(9),
            code: 200,
        });
        assert_eq!(t.calls().count(), 0);
    }
}

#[cfg(test)]
mod status_tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn status_shows_states_and_times() {
        let t0 = Instant::now();
        let mut t = CallTable::new();
        assert_eq!(t.status(t0), "calls: none");
        t.update_at(
            &Event::Calling {
                call: CallHandle(1),
                to: "sip:100@127.0.0.1:5070".into(),
                from: "sip:me@127.0.0.1".into(),
            },
            t0,
        );
        t.update_at(
            &Event::Incoming {
                call: CallHandle(2),
                from: "\"Bob\" <sip:bob@127.0.0.1>".into(),
                to: "<sip:me@127.0.0.1>".into(),
            },
            t0 + secs(1),
        );
        t.update_at(
            &Event::Accepted {
                call: CallHandle(1),
                code: 200,
            },
            t0 + secs(2),
        );
        t.update_at(
            &Event::Media {
                call: CallHandle(1),
                codec: "PCMU/8000".into(),
                remote: "127.0.0.1:40000".parse().unwrap(),
            },
            t0 + secs(2),
        );
        assert_eq!(
            t.status(t0 + secs(75)),
            "calls: 2\n  \
             [1] outgoing to sip:100@127.0.0.1:5070: established talking 1:13, media PCMU/8000 ⇄ 127.0.0.1:40000\n  \
             [2] incoming from \"Bob\" <sip:bob@127.0.0.1>: incoming for 1:14"
        );
        assert_eq!(
            t.candidates(CallFilter::Unanswered),
            [(
                CallHandle(2),
                "incoming from \"Bob\" <sip:bob@127.0.0.1>".to_string()
            )]
        );
        assert_eq!(t.candidates(CallFilter::Ringing), []);
        assert_eq!(t.candidates(CallFilter::Any).len(), 2);
        assert_eq!(
            t.candidates(CallFilter::Answered),
            [(
                CallHandle(1),
                "outgoing to sip:100@127.0.0.1:5070".to_string()
            )]
        );
    }

    #[test]
    fn clock_format() {
        assert_eq!(clock(secs(0)), "0:00");
        assert_eq!(clock(secs(7)), "0:07");
        assert_eq!(clock(secs(754)), "12:34");
        assert_eq!(clock(secs(3723)), "1:02:03");
    }
}
