//! Tests of script mode, and the fake engine and events they share.

use super::*;
use crate::api::Party;
use crate::api::{CallHandle, Command, DtmfMode, Event};
use crate::cli::commands::{Action, WaitSpec};
use crate::cli::output::Captured;
use crate::cli::output::Output;
use crate::cli::render::Format;
use tokio::sync::mpsc;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::time::Instant;

mod lines;
mod queue;
mod runner;
mod sources;
mod waits;

fn progress(call: u32) -> Event {
    Event::Progress {
        call: CallHandle(call),
        code: 180,
        reason: "Ringing".into(),
        reliable: false,
    }
}

fn accepted(call: u32) -> Event {
    Event::Accepted {
        call: CallHandle(call),
        code: 200,
    }
}

fn terminated(call: u32) -> Event {
    Event::Terminated {
        call: CallHandle(call),
        by: Party::Remote,
        cause: "bye".into(),
        duration_ms: 5_000,
    }
}

fn dtmf(call: u32, digit: &str) -> Event {
    Event::Dtmf {
        call: CallHandle(call),
        digit: digit.into(),
        duration_ms: 100,
        method: DtmfMode::Rfc4733,
    }
}

fn registered(account: &str) -> Event {
    Event::Registered {
        account: account.into(),
        expires: 600,
    }
}

/// A scripted fake engine: answers each command with canned events.
struct Fake {
    commands: UnboundedSender<Command>,
    events: UnboundedReceiver<Event>,
    log: tokio::task::JoinHandle<Vec<Command>>,
}

/// Spawns an engine stand-in: `respond` maps each command to events it sends back.
/// Shutdown ends it (closing the event channel) after the respond's events.
fn fake(respond: impl Fn(&Command) -> Vec<Event> + Send + 'static) -> Fake {
    let (ctx, mut crx) = mpsc::unbounded_channel::<Command>();
    let (etx, erx) = mpsc::unbounded_channel();
    let log = tokio::spawn(async move {
        let mut seen = Vec::new();
        while let Some(cmd) = crx.recv().await {
            for ev in respond(&cmd) {
                let _ = etx.send(ev);
            }
            let stop = cmd == Command::Shutdown;
            seen.push(cmd);
            if stop {
                break;
            }
        }
        seen
    });
    Fake {
        commands: ctx,
        events: erx,
        log,
    }
}

async fn run_script(
    fake: &mut Fake,
    script: &str,
    timeout: Option<Duration>,
) -> (u8, Captured, Captured) {
    let lines = parse_script(script.lines()).expect("script parses");
    let (mut out, stdout, stderr) = Output::capture(Format::Human);
    let code = run(
        Source::Parsed(lines),
        &fake.commands,
        &mut fake.events,
        &mut out,
        Options {
            timeout,
            ..Options::default()
        },
    )
    .await;
    (code, stdout, stderr)
}

fn invite_answers(cmd: &Command) -> Vec<Event> {
    match cmd {
        Command::Invite { target } => vec![
            Event::Calling {
                call: CallHandle(1),
                to: target.clone(),
                from: "<sip:sipline@127.0.0.1>".into(),
            },
            progress(1),
            accepted(1),
        ],
        Command::Hangup { call } => vec![Event::Terminated {
            call: call.unwrap_or(CallHandle(1)),
            by: Party::Local,
            cause: "bye".into(),
            duration_ms: 5_000,
        }],
        _ => vec![],
    }
}
