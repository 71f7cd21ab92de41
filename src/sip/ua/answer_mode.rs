//! An account's `answer_mode`: incoming calls to it are accepted or refused at once,
//! without the user (`manual`, the default, leaves them to `accept`/`reject`).

use super::CallState;
use crate::api::CallHandle;
use crate::sip::account::{AnswerMode, AUTO_REJECT_CODE};
use crate::sip::engine::Engine;

impl Engine {
    /// A call was just announced (`incoming`): apply its account's answer mode.
    pub(crate) fn apply_answer_mode(&mut self, h: CallHandle) {
        let Some(call) = self.calls.get(&h) else {
            return;
        };
        if call.state != CallState::Incoming {
            return;
        }
        let mode = call
            .account
            .and_then(|i| self.accounts.get(i))
            .map(|a| a.cfg.answer_mode)
            .unwrap_or_default();
        match mode {
            AnswerMode::Manual => {}
            AnswerMode::Auto => self.accept_incoming(h, 200, None),
            AnswerMode::Reject => self.reject_incoming(h, AUTO_REJECT_CODE, None),
        }
    }
}
