//! The front-end's view of the accounts' registrations, built from the configured account
//! names and the `registered`, `registration-failed` and `unregistered` events (the engine
//! has no query for this), for `status` and for completing account names.

use std::time::{Duration, Instant};

use crate::api::Event;
use crate::cli::calls::{clock, CallTable};

/// What the events last said about one account.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum RegState {
    /// Configured, no registration event yet.
    NotRegistered,
    /// The registrar granted `expires` seconds.
    Registered {
        /// Seconds granted.
        expires: u32,
    },
    /// A REGISTER failed.
    Failed {
        /// Final status code, 0 when none came.
        code: u16,
        /// Reason phrase or `timeout`, `transport`, `auth failed`.
        reason: String,
        /// Seconds to the next attempt, 0 when none.
        retry_in: u32,
    },
    /// The binding was removed.
    Unregistered,
}

/// One account's line in `status`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct RegInfo {
    /// Account name.
    pub account: String,
    /// Its state.
    pub state: RegState,
    /// When that state was reported.
    pub since: Instant,
}

/// Accounts in order: the configured ones first (the first is the default), then any
/// other name an event brought.
#[derive(Clone, Default, Debug)]
pub struct Registrations {
    accounts: Vec<RegInfo>,
}

impl Registrations {
    /// The configured accounts, none registered yet.
    pub fn new<S: Into<String>>(configured: impl IntoIterator<Item = S>) -> Self {
        let now = Instant::now();
        Registrations {
            accounts: configured
                .into_iter()
                .map(|name| RegInfo {
                    account: name.into(),
                    state: RegState::NotRegistered,
                    since: now,
                })
                .collect(),
        }
    }

    /// Follow one event, arrived now.
    pub fn update(&mut self, event: &Event) {
        self.update_at(event, Instant::now());
    }

    /// Follow one event that arrived at `now`; other events are ignored.
    pub fn update_at(&mut self, event: &Event, now: Instant) {
        let (account, state) = match event {
            Event::Registered { account, expires } => {
                (account, RegState::Registered { expires: *expires })
            }
            Event::RegistrationFailed {
                account,
                code,
                reason,
                retry_in,
            } => (
                account,
                RegState::Failed {
                    code: *code,
                    reason: reason.clone(),
                    retry_in: *retry_in,
                },
            ),
            Event::Unregistered { account } => (account, RegState::Unregistered),
            _ => return,
        };
        match self.accounts.iter_mut().find(|a| &a.account == account) {
            Some(a) => {
                a.state = state;
                a.since = now;
            }
            None => self.accounts.push(RegInfo {
                account: account.clone(),
                state,
                since: now,
            }),
        }
    }

    /// Account names, the default first.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.accounts.iter().map(|a| a.account.as_str())
    }

    /// Every account and its state.
    pub fn accounts(&self) -> &[RegInfo] {
        &self.accounts
    }

    /// The registrations part of `status` at `now`.
    pub fn status(&self, now: Instant) -> String {
        if self.accounts.is_empty() {
            return "registrations: none (no account: see --domain or --config)".into();
        }
        let mut out = format!("registrations: {}", self.accounts.len());
        for a in &self.accounts {
            let age = now.saturating_duration_since(a.since);
            let left = |secs: u32| Duration::from_secs(u64::from(secs)).checked_sub(age);
            let what = match &a.state {
                RegState::NotRegistered => "not registered".to_string(),
                RegState::Registered { expires } => match left(*expires) {
                    Some(d) if !d.is_zero() => format!("registered, expires in {}", clock(d)),
                    _ => "registered, expired (no refresh reported)".to_string(),
                },
                RegState::Failed {
                    code,
                    reason,
                    retry_in,
                } => {
                    let code = if *code == 0 {
                        String::new()
                    } else {
                        format!("{code} ")
                    };
                    let retry = match (*retry_in, left(*retry_in)) {
                        (0, _) => ", no retry".to_string(),
                        (_, Some(d)) if !d.is_zero() => format!(", retrying in {}", clock(d)),
                        _ => ", retrying now".to_string(),
                    };
                    format!("failed: {code}{reason}{retry}")
                }
                RegState::Unregistered => "unregistered".to_string(),
            };
            out.push_str(&format!("\n  {}: {what}", a.account));
        }
        out
    }
}

/// The `status` text: registrations, then calls.
pub fn status(calls: &CallTable, registrations: &Registrations, now: Instant) -> String {
    format!("{}\n{}", registrations.status(now), calls.status(now))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn follows_registration_events() {
        let t0 = Instant::now();
        let mut r = Registrations::new(["alice", "office"]);
        assert_eq!(r.names().collect::<Vec<_>>(), ["alice", "office"]);
        assert_eq!(
            r.status(t0 + secs(5)),
            "registrations: 2\n  alice: not registered\n  office: not registered"
        );
        r.update_at(
            &Event::Registered {
                account: "alice".into(),
                expires: 600,
            },
            t0,
        );
        r.update_at(
            &Event::RegistrationFailed {
                account: "office".into(),
                code: 403,
                reason: "Forbidden".into(),
                retry_in: 45,
            },
            t0,
        );
        r.update_at(
            &Event::RegistrationFailed {
                account: "other".into(),
                code: 0,
                reason: "timeout".into(),
                retry_in: 0,
            },
            t0,
        );
        assert_eq!(
            r.status(t0 + secs(10)),
            "registrations: 3\n  alice: registered, expires in 9:50\n  \
             office: failed: 403 Forbidden, retrying in 0:35\n  \
             other: failed: timeout, no retry"
        );
        assert_eq!(
            r.status(t0 + secs(700)),
            "registrations: 3\n  alice: registered, expired (no refresh reported)\n  \
             office: failed: 403 Forbidden, retrying now\n  \
             other: failed: timeout, no retry"
        );
        r.update_at(
            &Event::Unregistered {
                account: "alice".into(),
            },
            t0 + secs(20),
        );
        assert!(r
            .status(t0 + secs(21))
            .contains("\n  alice: unregistered\n"));
        // Call events change nothing.
        r.update(&Event::Accepted {
            call: crate::api::CallHandle(1),
            code: 200,
        });
        assert_eq!(r.accounts().len(), 3);
    }

    #[test]
    fn status_without_accounts() {
        let now = Instant::now();
        assert_eq!(
            status(&CallTable::new(), &Registrations::default(), now),
            "registrations: none (no account: see --domain or --config)\ncalls: none"
        );
    }
}
