//! The events a script has not yet waited for, and how a `wait` matches them.

use std::collections::VecDeque;

use crate::api::{CallHandle, DtmfMode, Event};
use crate::cli::commands::WaitSpec;
use crate::cli::render;

/// How many recent events a timeout message shows.
const RECENT: usize = 3;
/// Unconsumed events kept at most (the oldest are dropped beyond this).
const MAX_PENDING: usize = 10_000;

/// Events received and not yet taken by a `wait`, oldest first.
#[derive(Default, Debug)]
pub struct EventQueue {
    pending: VecDeque<Event>,
    recent: VecDeque<Event>,
}

impl EventQueue {
    /// An empty queue.
    pub fn new() -> Self {
        EventQueue::default()
    }

    /// Record an event as it arrives.
    pub fn push(&mut self, event: Event) {
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(event.clone());
        if self.pending.len() == MAX_PENDING {
            self.pending.pop_front();
        }
        self.pending.push_back(event);
    }

    /// Remove and return the oldest unconsumed event named `name` (of `call`, if given).
    pub fn take(&mut self, name: &str, call: Option<CallHandle>) -> Option<Event> {
        self.take_where(|e| e.name() == name && (call.is_none() || e.call() == call))
    }

    /// Remove and return the oldest unconsumed event that `fits`.
    pub fn take_where(&mut self, fits: impl Fn(&Event) -> bool) -> Option<Event> {
        let i = self.pending.iter().position(fits)?;
        self.pending.remove(i)
    }

    /// Remove and return the oldest unconsumed event a `wait` without DIGITS asks for.
    pub fn take_for(&mut self, spec: &WaitSpec) -> Option<Event> {
        self.take_where(|e| {
            e.name() == spec.event
                && (spec.call.is_none() || e.call() == spec.call)
                && (spec.account.is_none() || account_of(e) == spec.account.as_deref())
        })
    }

    /// How far the unconsumed `dtmf` events go toward spelling `want` (upper case, not
    /// empty): those of `call`, else of the call of the oldest `dtmf` event, oldest first.
    /// When they spell it, they are consumed ([`DtmfMatch::Done`]); a digit that does not
    /// fit is consumed with those before it ([`DtmfMatch::Wrong`]); otherwise nothing is.
    pub fn match_dtmf(&mut self, want: &str, call: Option<CallHandle>) -> DtmfMatch {
        let want: Vec<char> = want.chars().collect();
        let mut call = call;
        let mut used = Vec::new();
        let mut got = String::new();
        for (i, event) in self.pending.iter().enumerate() {
            let Event::Dtmf {
                call: from,
                digit,
                method,
                ..
            } = event
            else {
                continue;
            };
            if call.is_some_and(|c| c != *from) {
                continue;
            }
            call = Some(*from);
            used.push(i);
            let expected = want[got.chars().count()];
            if !digit.eq_ignore_ascii_case(&expected.to_string()) {
                let wrong = DtmfMatch::Wrong {
                    call: *from,
                    got: got.clone(),
                    digit: digit.clone(),
                    method: *method,
                    expected,
                };
                self.remove_all(&used);
                return wrong;
            }
            got.push(expected);
            if got.chars().count() == want.len() {
                return DtmfMatch::Done(self.remove_all(&used));
            }
        }
        DtmfMatch::Partial { call, got }
    }

    /// Remove the pending events at these (ascending) positions; returns them in order.
    fn remove_all(&mut self, positions: &[usize]) -> Vec<Event> {
        let mut out: Vec<Event> = positions
            .iter()
            .rev()
            .filter_map(|&i| self.pending.remove(i))
            .collect();
        out.reverse();
        out
    }

    /// Events not yet consumed, oldest first.
    pub fn pending(&self) -> impl Iterator<Item = &Event> {
        self.pending.iter()
    }

    /// The last few events received (consumed or not), e.g. `progress 1 180 Ringing,
    /// accepted 1 200`, or `none`.
    pub fn recent_summary(&self) -> String {
        if self.recent.is_empty() {
            return "none".into();
        }
        self.recent
            .iter()
            .map(render::brief)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The account a registration event is about.
pub fn account_of(event: &Event) -> Option<&str> {
    match event {
        Event::Registered { account, .. }
        | Event::RegistrationFailed { account, .. }
        | Event::Unregistered { account } => Some(account),
        _ => None,
    }
}

/// Where `wait dtmf [N] DIGITS` stands ([`EventQueue::match_dtmf`]).
#[derive(Clone, PartialEq, Debug)]
pub enum DtmfMatch {
    /// The digits are spelled: these `dtmf` events, now consumed.
    Done(Vec<Event>),
    /// The first digits fit (`got`, of `call` once one is known); more must come.
    Partial {
        /// The call the digits come from, once known.
        call: Option<CallHandle>,
        /// The digits that fit so far.
        got: String,
    },
    /// A digit arrived that does not fit.
    Wrong {
        /// The call.
        call: CallHandle,
        /// The digits that fit before it.
        got: String,
        /// The digit that arrived.
        digit: String,
        /// How it came.
        method: DtmfMode,
        /// The digit that was due.
        expected: char,
    },
}
