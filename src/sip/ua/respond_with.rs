//! Extra headers and a body on the response of a response command (`-H`, `--body`,
//! `--content-type` on progress, accept, reject, reply, redirect).

use crate::api::{Command, ResponseOptions};
use crate::sip::engine::Engine;
use crate::sip::msg::Response;

impl Engine {
    /// Carry out a response command whose response also gets `options`. A 2xx carries our
    /// SDP, so a body there is refused before anything is sent.
    pub(crate) fn cmd_respond_with(&mut self, command: Command, options: ResponseOptions) {
        let (verb, code) = match &command {
            Command::Progress { code, .. } => ("progress", *code),
            Command::Accept { .. } => ("accept", 200),
            Command::Reject { code, .. } => ("reject", *code),
            Command::Reply { code, .. } => ("reply", *code),
            Command::Redirect { code, .. } => ("redirect", *code),
            _ => {
                self.command_error(
                    "-H/--body go with progress, accept, reject, reply or redirect only".into(),
                );
                return;
            }
        };
        if options.body.is_some() && (200..300).contains(&code) {
            self.command_error(format!(
                "{verb}: a {code} carries our SDP answer; --body cannot go with it"
            ));
            return;
        }
        self.response_options = Some(options);
        self.on_command(command);
        // A command refused before it built a response leaves nothing behind.
        self.response_options = None;
    }
}

/// Add the extras to a response: the headers as given, then the body and its type.
pub(super) fn apply(resp: &mut Response, options: ResponseOptions) {
    for (name, value) in options.headers {
        resp.headers.push(&name, value);
    }
    if let Some(body) = options.body {
        let ct = options.content_type.as_deref().unwrap_or("text/plain");
        resp.headers.set("Content-Type", ct);
        resp.body = body.into_bytes();
    }
}
