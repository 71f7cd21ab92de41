//! Front-end call policies from the command line, carried out with ordinary commands:
//!
//! * `--auto-answer[=DELAY]`: every incoming call is accepted DELAY after it arrives
//!   (unless it was accepted, rejected or canceled meanwhile).
//! * `--duration DUR`: every call is hung up DUR after it is answered.
//! * `--echo-dtmf`: every DTMF digit a call receives is sent back on it at once, by the
//!   method it came (what the built-in echo test line does).
//!
//! The policy only watches events and says which commands are due when; the REPL and the
//! script runner send them like typed commands, so the engine sees nothing new.

use std::time::Duration;

use tokio::time::Instant;

use crate::api::{CallHandle, Command, DtmfMode, Event};
use crate::cli::duration::format_duration;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Accept,
    Hangup,
    /// Send this digit back, by this method.
    Dtmf(char, DtmfMode),
}

/// What the flags asked for, and the commands it has scheduled.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    auto_answer: Option<Duration>,
    duration: Option<Duration>,
    echo_dtmf: bool,
    pending: Vec<(Instant, CallHandle, Kind)>,
}

/// A command that is due, with a line for the user saying why it is sent.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Due {
    /// What to send.
    pub command: Command,
    /// Why, for people (e.g. `[1] hanging up: --duration 10s`).
    pub note: String,
}

impl Policy {
    /// A policy from `--auto-answer` and `--duration`.
    pub fn new(auto_answer: Option<Duration>, duration: Option<Duration>) -> Policy {
        Policy {
            auto_answer,
            duration,
            echo_dtmf: false,
            pending: Vec::new(),
        }
    }

    /// Also send every DTMF digit received back on its call (`--echo-dtmf`).
    pub fn with_echo_dtmf(mut self, on: bool) -> Policy {
        self.echo_dtmf = on;
        self
    }

    /// `--duration`, if given.
    pub fn duration(&self) -> Option<Duration> {
        self.duration
    }

    /// Follow one event that arrived at `now`.
    pub fn observe(&mut self, event: &Event, now: Instant) {
        match event {
            Event::Incoming { call, .. } => {
                if let Some(delay) = self.auto_answer {
                    self.pending.push((now + delay, *call, Kind::Accept));
                }
            }
            Event::Accepted { call, .. } => {
                self.pending.retain(|p| p.1 != *call);
                if let Some(d) = self.duration {
                    self.pending.push((now + d, *call, Kind::Hangup));
                }
            }
            Event::Dtmf {
                call,
                digit,
                method,
                ..
            } if self.echo_dtmf => {
                if let Some(d) = digit.chars().next() {
                    self.pending.push((now, *call, Kind::Dtmf(d, *method)));
                }
            }
            Event::Rejected { call, .. }
            | Event::Failed { call, .. }
            | Event::Canceled { call, .. }
            | Event::Terminated { call, .. } => self.pending.retain(|p| p.1 != *call),
            _ => {}
        }
    }

    /// When the next command is due.
    pub fn deadline(&self) -> Option<Instant> {
        self.pending.iter().map(|p| p.0).min()
    }

    /// The commands due at `now`, oldest first; they are forgotten once returned.
    pub fn due(&mut self, now: Instant) -> Vec<Due> {
        let mut due: Vec<(Instant, CallHandle, Kind)> = Vec::new();
        self.pending.retain(|p| {
            if p.0 <= now {
                due.push(*p);
                false
            } else {
                true
            }
        });
        due.sort_by_key(|p| (p.0, p.1));
        due.into_iter()
            .map(|(_, call, kind)| match kind {
                Kind::Accept => Due {
                    command: Command::Accept { call: Some(call) },
                    note: format!(
                        "[{call}] answering: --auto-answer{}",
                        match self.auto_answer {
                            Some(d) if !d.is_zero() => format!("={}", format_duration(d)),
                            _ => String::new(),
                        }
                    ),
                },
                Kind::Dtmf(digit, mode) => Due {
                    command: Command::SendDtmf {
                        call: Some(call),
                        digits: digit.to_string(),
                        mode,
                        duration_ms: None,
                        gap_ms: None,
                    },
                    note: format!("[{call}] sending back DTMF {digit}: --echo-dtmf"),
                },
                Kind::Hangup => Due {
                    command: Command::Hangup { call: Some(call) },
                    note: format!(
                        "[{call}] hanging up: --duration {}",
                        format_duration(self.duration.unwrap_or_default())
                    ),
                },
            })
            .collect()
    }
}

/// Sleep until an optional instant (forever when None).
pub async fn until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Party;

    const C1: CallHandle = CallHandle(1);
    const C2: CallHandle = CallHandle(2);

    fn incoming(call: CallHandle) -> Event {
        Event::Incoming {
            call,
            from: "<sip:a@127.0.0.1>".into(),
            to: "<sip:b@127.0.0.1>".into(),
        }
    }

    fn cmds(due: Vec<Due>) -> Vec<Command> {
        due.into_iter().map(|d| d.command).collect()
    }

    #[test]
    fn echo_dtmf_sends_each_digit_back_at_once_by_its_method() {
        let t = Instant::now();
        let dtmf = |call, digit: &str, method| Event::Dtmf {
            call,
            digit: digit.into(),
            duration_ms: 100,
            method,
        };
        let mut off = Policy::new(None, None);
        off.observe(&dtmf(C1, "5", DtmfMode::Rfc4733), t);
        assert_eq!(off.deadline(), None);
        let mut p = Policy::new(None, None).with_echo_dtmf(true);
        p.observe(&dtmf(C1, "5", DtmfMode::Rfc4733), t);
        p.observe(&dtmf(C2, "#", DtmfMode::Info), t);
        assert_eq!(p.deadline(), Some(t));
        let send = |call, digit: &str, mode| Command::SendDtmf {
            call: Some(call),
            digits: digit.into(),
            mode,
            duration_ms: None,
            gap_ms: None,
        };
        assert_eq!(
            cmds(p.due(t)),
            [
                send(C1, "5", DtmfMode::Rfc4733),
                send(C2, "#", DtmfMode::Info)
            ]
        );
        assert_eq!(p.deadline(), None);
    }

    #[test]
    fn no_flags_no_commands() {
        let t = Instant::now();
        let mut p = Policy::new(None, None);
        p.observe(&incoming(C1), t);
        p.observe(
            &Event::Accepted {
                call: C1,
                code: 200,
            },
            t,
        );
        assert_eq!(p.deadline(), None);
        assert!(p.due(t + Duration::from_secs(3600)).is_empty());
    }

    #[test]
    fn auto_answer_after_delay() {
        let t = Instant::now();
        let mut p = Policy::new(Some(Duration::from_secs(2)), None);
        p.observe(&incoming(C1), t);
        p.observe(&incoming(C2), t + Duration::from_secs(1));
        assert_eq!(p.deadline(), Some(t + Duration::from_secs(2)));
        assert!(p.due(t + Duration::from_millis(1999)).is_empty());
        let due = p.due(t + Duration::from_secs(2));
        assert_eq!(due[0].note, "[1] answering: --auto-answer=2s");
        assert_eq!(cmds(due), [Command::Accept { call: Some(C1) }]);
        // Call 2 is canceled by its caller before its turn: nothing is sent for it.
        p.observe(
            &Event::Canceled {
                call: C2,
                by: Party::Remote,
            },
            t + Duration::from_millis(2500),
        );
        assert_eq!(p.deadline(), None);
    }

    #[test]
    fn auto_answer_now_and_manual_accept_wins() {
        let t = Instant::now();
        let mut p = Policy::new(Some(Duration::ZERO), None);
        p.observe(&incoming(C1), t);
        let due = p.due(t);
        assert_eq!(due[0].note, "[1] answering: --auto-answer");
        let mut p = Policy::new(Some(Duration::from_secs(5)), None);
        p.observe(&incoming(C1), t);
        p.observe(
            &Event::Accepted {
                call: C1,
                code: 200,
            },
            t,
        );
        assert_eq!(p.deadline(), None, "accepted by hand: no second accept");
    }

    #[test]
    fn duration_hangs_up_after_answer() {
        let t = Instant::now();
        let mut p = Policy::new(None, Some(Duration::from_secs(10)));
        p.observe(
            &Event::Calling {
                call: C1,
                to: "sip:b@127.0.0.1".into(),
                from: "sip:a@127.0.0.1".into(),
            },
            t,
        );
        assert_eq!(p.deadline(), None, "the clock starts at the answer");
        p.observe(
            &Event::Accepted {
                call: C1,
                code: 200,
            },
            t + Duration::from_secs(3),
        );
        assert_eq!(p.deadline(), Some(t + Duration::from_secs(13)));
        let due = p.due(t + Duration::from_secs(13));
        assert_eq!(due[0].note, "[1] hanging up: --duration 10s");
        assert_eq!(cmds(due), [Command::Hangup { call: Some(C1) }]);
        // The peer hanging up first cancels the plan.
        p.observe(
            &Event::Accepted {
                call: C2,
                code: 200,
            },
            t,
        );
        p.observe(
            &Event::Terminated {
                call: C2,
                by: Party::Remote,
                cause: "bye".into(),
                duration_ms: 5_000,
            },
            t,
        );
        assert_eq!(p.deadline(), None);
    }

    #[test]
    fn both_policies_chain() {
        let t = Instant::now();
        let mut p = Policy::new(Some(Duration::ZERO), Some(Duration::from_secs(1)));
        p.observe(&incoming(C1), t);
        assert_eq!(cmds(p.due(t)), [Command::Accept { call: Some(C1) }]);
        p.observe(
            &Event::Accepted {
                call: C1,
                code: 200,
            },
            t,
        );
        assert_eq!(
            cmds(p.due(t + Duration::from_secs(1))),
            [Command::Hangup { call: Some(C1) }]
        );
    }
}
