//! Answering a 401/407 to a request we sent (RFC 3261 §22.2; a proxy may challenge
//! requests inside a dialog too, §22.3): once, as a new request (a higher CSeq, a new
//! branch) carrying the account's credentials. Used for the out-of-dialog REFER and PRACK.

use crate::sip::auth::AuthDecision;
use crate::sip::engine::Engine;
use crate::sip::msg::{Request, Response};
use crate::sip::transport::Target;

/// A request sent with an account's identity, kept until its final response.
pub(crate) struct SentRequest {
    pub(crate) request: Request,
    pub(crate) dest: Target,
    pub(crate) account: usize,
    /// This is already the retry with credentials: a second challenge is final.
    pub(crate) challenged: bool,
}

impl Engine {
    /// The retry for `sent` after the challenge `resp`, ready to send; None when it is not
    /// a challenge, was retried already, or the account's credentials cannot answer it.
    pub(crate) fn answer_challenge(
        &mut self,
        sent: &SentRequest,
        resp: &Response,
    ) -> Option<SentRequest> {
        if !matches!(resp.code, 401 | 407) || sent.challenged {
            return None;
        }
        let a = self.accounts.get_mut(sent.account)?;
        if !matches!(
            a.auth.handle_challenge(&sent.request, resp),
            Ok(AuthDecision::Retry | AuthDecision::RetryStale)
        ) {
            return None;
        }
        let mut retry = self.retry_copy(&sent.request, &sent.dest);
        self.authorize_for(sent.account, &mut retry);
        Some(SentRequest {
            request: retry,
            dest: sent.dest,
            account: sent.account,
            challenged: true,
        })
    }
}
