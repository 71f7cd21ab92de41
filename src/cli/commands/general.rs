//! Commands about the softphone rather than one call: help, sessions, status,
//! registrations, register, unregister and quit.

use crate::api::Command;

use super::{resolve, Action, Args, Mode};

pub(super) fn parse_help(args: &mut Args<'_>) -> Result<Action, String> {
    let topic = match args.next() {
        None => None,
        Some(word) => Some(
            resolve(word, Mode::Script)
                .map_err(|_| format!("no command '{word}' (try 'help' for the list)"))?
                .name,
        ),
    };
    args.finish()?;
    Ok(Action::Help(topic))
}

pub(super) fn parse_sessions(args: &mut Args<'_>) -> Result<Action, String> {
    args.finish()?;
    Ok(Action::Sessions)
}

pub(super) fn parse_status(args: &mut Args<'_>) -> Result<Action, String> {
    args.finish()?;
    Ok(Action::Status)
}

pub(super) fn parse_registrations(args: &mut Args<'_>) -> Result<Action, String> {
    args.finish()?;
    Ok(Action::Registrations)
}

pub(super) fn parse_quit(args: &mut Args<'_>) -> Result<Action, String> {
    args.finish()?;
    Ok(Action::Quit)
}

/// `[ACCOUNT]`, then nothing.
fn opt_account(args: &mut Args<'_>) -> Result<Option<String>, String> {
    let account = args.next().map(str::to_string);
    args.finish()?;
    Ok(account)
}

pub(super) fn parse_register(args: &mut Args<'_>) -> Result<Action, String> {
    let account = opt_account(args)?;
    Ok(Action::Send(Command::Register { account }))
}

pub(super) fn parse_unregister(args: &mut Args<'_>) -> Result<Action, String> {
    let account = opt_account(args)?;
    Ok(Action::Send(Command::Unregister { account }))
}
