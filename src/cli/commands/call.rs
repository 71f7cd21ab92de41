//! Call control commands: invite, accept, cancel, hangup, the responses (reply, reject,
//! progress, redirect), refer, hold, dtmf and stats.

use crate::api::ReferOptions;
use crate::api::{CallHandle, Command, DtmfMode, InviteOptions, ResponseOptions, TestLine};
use crate::cli::duration::parse_duration;

use super::args::{is_number, parse_call, parse_dtmf, parse_header, Args};
use super::Action;

pub(super) fn parse_invite(args: &mut Args<'_>) -> Result<Action, String> {
    let mut target = None;
    let mut options = InviteOptions::default();
    while let Some(word) = args.peek() {
        match word {
            "--no-sdp" => {
                args.next();
                options.no_sdp = true;
            }
            "--anonymous" => {
                args.next();
                options.anonymous = true;
            }
            "--no-follow" => {
                args.next();
                options.no_follow = true;
            }
            "--account" => {
                args.next();
                let Some(name) = args.next() else {
                    return Err("--account needs a name (expected --account NAME)".into());
                };
                options.account = Some(name.to_string());
            }
            "-H" | "--header" => {
                args.next();
                options.headers.push(parse_header(args)?);
            }
            w if w.starts_with('-') => {
                return Err(format!("unknown option '{w}' (expected {})", args.usage));
            }
            w => {
                args.next();
                if target.replace(w).is_some() {
                    return Err(format!(
                        "unexpected '{w}' after the target (expected {})",
                        args.usage
                    ));
                }
            }
        }
    }
    let Some(target) = target else {
        return Err(format!(
            "missing target (expected {}, e.g. invite sip:100@127.0.0.1:5070 or invite echo)",
            args.usage
        ));
    };
    // The bare words `echo` and `tone` are the built-in test line (any URI, even
    // sip:echo@host, is dialled as written).
    if let Some(line) = TestLine::from_word(target) {
        return Ok(Action::Send(Command::InviteTestLine { line, options }));
    }
    let target = match uri_scheme(target) {
        Some(scheme) if scheme.eq_ignore_ascii_case("sip") || scheme.eq_ignore_ascii_case("sips") => {
            target.to_string()
        }
        Some(scheme) => {
            return Err(format!(
                "'{target}' is a {scheme}: URI; only sip: and sips: can be called (expected e.g. invite sip:100@127.0.0.1:5070)"
            ))
        }
        // A bare number or user (no @, dot or colon) goes as typed: the engine calls it at
        // the account's domain. Anything address-like gets sip:.
        None if !target.contains(['@', '.', ':']) => target.to_string(),
        None => format!("sip:{target}"),
    };
    if options == InviteOptions::default() {
        Ok(Action::Send(Command::Invite { target }))
    } else {
        Ok(Action::Send(Command::InviteWith { target, options }))
    }
}

/// The scheme of `text` if it starts with one (`sip`, `tel`, `http`), telling a scheme
/// from `host:port` by what follows the colon (a port starts with a digit).
fn uri_scheme(text: &str) -> Option<&str> {
    let (head, rest) = text.split_once(':')?;
    let mut chars = head.chars();
    let scheme_like = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    let port_follows = rest.starts_with(|c: char| c.is_ascii_digit());
    let is_sip = head.eq_ignore_ascii_case("sip") || head.eq_ignore_ascii_case("sips");
    (scheme_like && (is_sip || !port_follows)).then_some(head)
}

/// Take a response command's options (`-H 'Name: value'`, `--body TEXT`,
/// `--content-type TYPE`, anywhere on the line) out of its words; the other words, as a
/// line for the command's own parser, and the options.
fn split_response_options(args: &mut Args<'_>) -> Result<(String, ResponseOptions), String> {
    // The other words keep their spacing (a reason phrase is sent as typed).
    let mut rest = String::new();
    let mut kept_from = args.pos;
    let mut options = ResponseOptions::default();
    loop {
        let before = args.pos;
        let Some(word) = args.next() else {
            break;
        };
        if matches!(word, "-H" | "--header" | "--body" | "--content-type") {
            rest.push_str(&args.line[kept_from..before]);
        }
        match word {
            "-H" | "--header" => options.headers.push(parse_header(args)?),
            "--body" => {
                let Some(v) = args.next_value() else {
                    return Err("--body needs a text, e.g. --body 'hello'".into());
                };
                options.body = Some(v.to_string());
            }
            "--content-type" => {
                let Some(v) = args.next_value().filter(|v| v.contains('/')) else {
                    return Err(
                        "--content-type needs a type/subtype, e.g. --content-type text/plain"
                            .into(),
                    );
                };
                options.content_type = Some(v.to_string());
            }
            _ => continue,
        }
        kept_from = args.pos;
    }
    rest.push_str(&args.line[kept_from..]);
    if options.content_type.is_some() && options.body.is_none() {
        return Err("--content-type needs a --body".into());
    }
    Ok((rest, options))
}

/// A response command with its options: `parse` reads the other words.
fn with_response_options(
    args: &mut Args<'_>,
    parse: fn(&mut Args<'_>) -> Result<Command, String>,
) -> Result<Action, String> {
    let (line, options) = split_response_options(args)?;
    let mut inner = Args::new(&line);
    inner.usage = args.usage;
    let command = parse(&mut inner)?;
    if options == ResponseOptions::default() {
        return Ok(Action::Send(command));
    }
    if options.body.is_some() {
        let code = match &command {
            Command::Accept { .. } => Some(200),
            Command::Reply { code, .. } => Some(*code),
            _ => None,
        };
        if let Some(code) = code.filter(|c| (200..300).contains(c)) {
            return Err(format!(
                "a {code} carries our SDP answer; --body cannot go with it"
            ));
        }
    }
    Ok(Action::Send(Command::RespondWith {
        command: Box::new(command),
        options,
    }))
}

/// `request [N] <METHOD> [options]` in a call, or `request <METHOD> <URI> [options]`.
pub(super) fn parse_request(args: &mut Args<'_>) -> Result<Action, String> {
    let usage = args.usage;
    let (line, options) = split_response_options(args)?;
    let mut words: Vec<&str> = line.split_whitespace().collect();
    let mut account = None;
    if let Some(i) = words.iter().position(|w| *w == "--account") {
        let Some(name) = words.get(i + 1).filter(|n| !n.starts_with('-')) else {
            return Err(format!(
                "--account needs an account name (expected {usage})"
            ));
        };
        account = Some(name.to_string());
        words.drain(i..=i + 1);
    }
    let method_of = |w: &str| {
        if w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-.!%*_+`'~".contains(c))
        {
            Ok(w.to_ascii_uppercase())
        } else {
            Err(format!("'{w}' is not a method name (expected {usage})"))
        }
    };
    let (call, method, target) = match words.as_slice() {
        [] => {
            return Err(format!(
                "missing method (expected {usage}, e.g. request INFO)"
            ))
        }
        [n, m] if is_number(n) => (
            Some(
                parse_call(n)
                    .ok_or_else(|| format!("'{n}' is not a call number (expected {usage})"))?,
            ),
            method_of(m)?,
            None,
        ),
        [m] => (None, method_of(m)?, None),
        [m, uri] => (None, method_of(m)?, Some(uri.to_string())),
        [_, _, extra, ..] => return Err(format!("unexpected '{extra}' (expected {usage})")),
    };
    if let Some(t) = &target {
        if let Some(scheme) = uri_scheme(t)
            .filter(|s| !s.eq_ignore_ascii_case("sip") && !s.eq_ignore_ascii_case("sips"))
        {
            return Err(format!(
                "'{t}' is a {scheme}: URI; only sip: and sips: can be sent to"
            ));
        }
    }
    if account.is_some() && target.is_none() {
        return Err(format!(
            "--account is for a request out of dialog; in a call the call's account sends it (expected {usage})"
        ));
    }
    Ok(Action::Send(Command::Request {
        call,
        target,
        account,
        method,
        options,
    }))
}

pub(super) fn parse_accept(args: &mut Args<'_>) -> Result<Action, String> {
    with_response_options(args, |args| {
        let call = args.opt_call_only()?;
        Ok(Command::Accept { call })
    })
}

pub(super) fn parse_preaccept(args: &mut Args<'_>) -> Result<Action, String> {
    let call = args.opt_call_only()?;
    Ok(Action::Send(Command::PreAccept { call }))
}

pub(super) fn parse_cancel(args: &mut Args<'_>) -> Result<Action, String> {
    let mut call = None;
    let mut reason = None;
    while let Some(word) = args.next() {
        if word == "--reason" || word.starts_with("--reason=") {
            let value = match word.strip_prefix("--reason=") {
                Some(v) => Some(v),
                None => args.next_value(),
            };
            let Some(value) = value else {
                return Err(format!("--reason needs a value ({REASON_FORM})"));
            };
            check_reason(value)?;
            reason = Some(value.to_string());
        } else if word.starts_with('-') {
            return Err(format!("unknown option '{word}' (expected {})", args.usage));
        } else if call.is_none() {
            call = Some(parse_call(word).ok_or_else(|| {
                format!("'{word}' is not a call number (expected {})", args.usage)
            })?);
        } else {
            return Err(format!("unexpected '{word}' (expected {})", args.usage));
        }
    }
    Ok(Action::Send(Command::Cancel { call, reason }))
}

/// The form of a Reason header value, for error lines.
const REASON_FORM: &str = "expected --reason 'SIP;cause=NUMBER[;text=\"…\"]'";

/// RFC 3326 §2: `protocol *(;param)`, the protocol a token (`SIP`, `Q.850`), with a
/// numeric `cause` and a quoted `text`.
fn check_reason(value: &str) -> Result<(), String> {
    let fail = |why: String| Err(format!("--reason '{value}': {why} ({REASON_FORM})"));
    let is_token = |t: &str| {
        !t.is_empty()
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-.!%*_+`'~".contains(c))
    };
    let mut params = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    for (i, c) in value.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ';' if !quoted => {
                params.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if quoted {
        return fail("a quote is not closed".into());
    }
    params.push(&value[start..]);
    let protocol = params[0].trim();
    if !is_token(protocol) {
        return fail(format!(
            "'{protocol}' is not a protocol name such as SIP or Q.850"
        ));
    }
    let mut cause = false;
    for param in &params[1..] {
        let (name, v) = match param.split_once('=') {
            Some((n, v)) => (n.trim(), Some(v.trim())),
            None => (param.trim(), None),
        };
        if !is_token(name) {
            return fail(format!("'{param}' is not a parameter"));
        }
        match (name.to_ascii_lowercase().as_str(), v) {
            ("cause", Some(v)) if is_number(v) && v.len() <= 5 => cause = true,
            ("cause", _) => return fail("cause must be a number".into()),
            ("text", Some(v)) if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') => {}
            ("text", _) => return fail("text must be in double quotes".into()),
            (_, Some(v)) if !(is_token(v) || v.starts_with('"') && v.ends_with('"')) => {
                return fail(format!("'{param}' is not a parameter"));
            }
            _ => {}
        }
    }
    if !cause {
        return fail("the cause is missing".into());
    }
    Ok(())
}

pub(super) fn parse_bye(args: &mut Args<'_>) -> Result<Action, String> {
    let call = args.opt_call_only()?;
    Ok(Action::Send(Command::Bye { call }))
}

pub(super) fn parse_hangup(args: &mut Args<'_>) -> Result<Action, String> {
    let call = args.opt_call_only()?;
    Ok(Action::Send(Command::Hangup { call }))
}

/// `[N] [CODE [REASON…]]` with CODE in `range`, `default` when absent.
fn parse_response(
    args: &mut Args<'_>,
    range: (u16, u16),
    default: u16,
) -> Result<(Option<CallHandle>, u16, Option<String>), String> {
    let (lo, hi) = range;
    let first = args.peek();
    let second = {
        // Look two words ahead without consuming.
        let save = args.pos;
        args.next();
        let w = args.peek();
        args.pos = save;
        w
    };
    let mut call = None;
    if let Some(first) = first {
        let n_then_code =
            is_number(first) && second.is_some_and(|w| w.starts_with(|c: char| c.is_ascii_digit()));
        let lone_small = is_number(first) && first.parse::<u32>().is_ok_and(|n| n < 100);
        if n_then_code || lone_small {
            args.next();
            call = Some(parse_call(first).ok_or_else(|| {
                format!("'{first}' is not a call number (expected {})", args.usage)
            })?);
        } else if !first.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(format!(
                "'{first}' is not a call number or status code (expected {})",
                args.usage
            ));
        }
    }
    let code = match args.next() {
        None => default,
        Some(word) => {
            if !(word.len() == 3 && is_number(word)) {
                return Err(format!(
                    "'{word}' is not a status code (expected {lo}-{hi})"
                ));
            }
            // invariant: three ASCII digits always parse as a u16.
            let code: u16 = word.parse().expect("three digits");
            if !(lo..=hi).contains(&code) {
                return Err(format!(
                    "{code} is out of range (expected a status code {lo}-{hi})"
                ));
            }
            code
        }
    };
    let reason = Some(args.rest())
        .filter(|r| !r.is_empty())
        .map(str::to_string);
    Ok((call, code, reason))
}

pub(super) fn parse_reply(args: &mut Args<'_>) -> Result<Action, String> {
    with_response_options(args, |args| {
        let (call, code, reason) = parse_response(args, (100, 699), 0)?;
        if code == 0 {
            return Err(format!(
                "a status code is required (expected {})",
                args.usage
            ));
        }
        Ok(Command::Reply { call, code, reason })
    })
}

pub(super) fn parse_redirect(args: &mut Args<'_>) -> Result<Action, String> {
    with_response_options(args, parse_redirect_words)
}

fn parse_redirect_words(args: &mut Args<'_>) -> Result<Command, String> {
    let mut call = None;
    let mut targets = Vec::new();
    let mut code = 302;
    while let Some(word) = args.next() {
        if let Some(v) = word.strip_prefix("--code") {
            let value = match v.strip_prefix('=') {
                Some(v) => v,
                None => args.next().unwrap_or(""),
            };
            code = match value.parse::<u16>() {
                Ok(c) if (300..=399).contains(&c) => c,
                _ => {
                    return Err(format!(
                        "--code '{value}' is not a redirection code (expected 300-399)"
                    ))
                }
            };
        } else if targets.is_empty() && call.is_none() && parse_call(word).is_some() {
            call = parse_call(word);
        } else {
            targets.push(word.to_string());
        }
    }
    if targets.is_empty() {
        return Err(format!("missing target (expected {})", args.usage));
    }
    Ok(Command::Redirect {
        call,
        targets,
        code,
    })
}

pub(super) fn parse_refer(args: &mut Args<'_>) -> Result<Action, String> {
    let mut call = None;
    let mut target = None;
    let mut replace = None;
    let mut to = None;
    let mut options = ReferOptions::default();
    while let Some(word) = args.next() {
        if word == "--no-sub" {
            options.no_sub = true;
        } else if word == "--hold" {
            options.hold = true;
        } else if word == "--to" {
            let Some(r) = args.next() else {
                return Err(format!("--to needs a URI (expected {})", args.usage));
            };
            to = Some(r.to_string());
        } else if word == "--replace" {
            let Some(m) = args.next().and_then(parse_call) else {
                return Err(format!(
                    "--replace needs a call number (expected {})",
                    args.usage
                ));
            };
            replace = Some(m);
        } else if target.is_none() && call.is_none() && parse_call(word).is_some() {
            call = parse_call(word);
        } else if target.is_none() {
            target = Some(word.to_string());
        } else {
            return Err(format!("unexpected '{word}' (expected {})", args.usage));
        }
    }
    if let Some(recipient) = to {
        // Out of dialog: no call; a lone number is the target (an extension).
        let target = match (target, call) {
            (Some(t), None) => t,
            (None, Some(n)) => n.to_string(),
            (None, None) => return Err(format!("missing target (expected {})", args.usage)),
            (Some(_), Some(n)) => {
                return Err(format!(
                    "--to sends the REFER outside any call; call {n} does not fit (expected {})",
                    args.usage
                ))
            }
        };
        if replace.is_some() || options.hold {
            return Err(format!(
                "--to cannot go with --replace or --hold, which need a call (expected {})",
                args.usage
            ));
        }
        return Ok(Action::Send(Command::ReferOutOfDialog {
            recipient,
            target,
            options,
        }));
    }
    if target.is_none() && replace.is_none() {
        return Err(format!("missing target (expected {})", args.usage));
    }
    Ok(Action::Send(Command::Refer {
        call,
        target: target.unwrap_or_default(),
        replace,
        options,
    }))
}

pub(super) fn parse_refer_accept(args: &mut Args<'_>) -> Result<Action, String> {
    let call = args.opt_call_only()?;
    Ok(Action::Send(Command::ReferAccept { call }))
}

pub(super) fn parse_refer_progress(args: &mut Args<'_>) -> Result<Action, String> {
    let call = args.opt_call_only()?;
    Ok(Action::Send(Command::ReferProgress { call }))
}

pub(super) fn parse_refer_reject(args: &mut Args<'_>) -> Result<Action, String> {
    let (call, code, _) = parse_response(args, (300, 699), 480)?;
    Ok(Action::Send(Command::ReferReject { call, code }))
}

pub(super) fn parse_stats(args: &mut Args<'_>) -> Result<Action, String> {
    let call = args.opt_call_only()?;
    Ok(Action::Send(Command::Stats { call }))
}

pub(super) fn parse_hold(args: &mut Args<'_>) -> Result<Action, String> {
    let call = args.opt_call_only()?;
    Ok(Action::Send(Command::Hold { call }))
}

pub(super) fn parse_unhold(args: &mut Args<'_>) -> Result<Action, String> {
    let call = args.opt_call_only()?;
    Ok(Action::Send(Command::Unhold { call }))
}

pub(super) fn parse_reject(args: &mut Args<'_>) -> Result<Action, String> {
    with_response_options(args, |args| {
        let (call, code, reason) = parse_response(args, (300, 699), 480)?;
        Ok(Command::Reject { call, code, reason })
    })
}

pub(super) fn parse_progress(args: &mut Args<'_>) -> Result<Action, String> {
    with_response_options(args, |args| {
        let (call, code, reason) = parse_response(args, (101, 199), 180)?;
        Ok(Command::Progress { call, code, reason })
    })
}

/// `--duration`/`--gap` of `dtmf`: milliseconds (`150`) or a duration (`150ms`, `1s`),
/// within `lo..=hi` ms.
fn parse_millis(option: &str, text: &str, lo: u32, hi: u32) -> Result<u32, String> {
    let ms = if is_number(text) {
        text.parse::<u64>().ok()
    } else {
        parse_duration(text)
            .ok()
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    };
    match ms {
        Some(ms) if (u64::from(lo)..=u64::from(hi)).contains(&ms) => {
            // invariant: ms <= hi, and hi is a u32.
            Ok(u32::try_from(ms).expect("within a u32 range"))
        }
        Some(_) => Err(format!(
            "{option} {text} is out of range (expected {lo}-{hi} ms)"
        )),
        None => Err(format!(
            "{option} '{text}' is not a time in milliseconds (e.g. {option} 150 or {option} 150ms)"
        )),
    }
}

/// Tone length limits for `dtmf --duration` (ms).
pub const DTMF_DURATION_MS: (u32, u32) = (20, 10_000);
/// Pause limits for `dtmf --gap` (ms).
pub const DTMF_GAP_MS: (u32, u32) = (0, 10_000);

pub(super) fn parse_dtmf_command(args: &mut Args<'_>) -> Result<Action, String> {
    let usage = args.usage;
    let mut positional: Vec<&str> = Vec::new();
    let mut mode = DtmfMode::Auto;
    let mut duration_ms = None;
    let mut gap_ms = None;
    while let Some(word) = args.next() {
        let Some(option) = word.strip_prefix("--") else {
            positional.push(word);
            continue;
        };
        let (name, inline) = match option.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (option, None),
        };
        let name = name.to_ascii_lowercase();
        let expected = match name.as_str() {
            "mode" => "auto, rfc4733 or info",
            "duration" => "a tone length in ms, e.g. --duration 150",
            "gap" => "a pause in ms, e.g. --gap 300",
            _ => return Err(format!("unknown option '{word}' (expected {usage})")),
        };
        let Some(value) = inline.or_else(|| args.next()) else {
            return Err(format!("--{name} needs a value ({expected})"));
        };
        match name.as_str() {
            "mode" => {
                mode = match value.to_ascii_lowercase().as_str() {
                    "auto" => DtmfMode::Auto,
                    "rfc4733" => DtmfMode::Rfc4733,
                    "info" => DtmfMode::Info,
                    _ => {
                        return Err(format!(
                            "--mode '{value}' is not one of auto, rfc4733, info"
                        ))
                    }
                }
            }
            "duration" => {
                let (lo, hi) = DTMF_DURATION_MS;
                duration_ms = Some(parse_millis("--duration", value, lo, hi)?);
            }
            _ => {
                let (lo, hi) = DTMF_GAP_MS;
                gap_ms = Some(parse_millis("--gap", value, lo, hi)?);
            }
        }
    }
    let (call, digits) = match positional.as_slice() {
        [] => return Err(format!("missing digits (expected {usage})")),
        [digits] => (None, parse_dtmf(digits)?),
        [n, digits] => (
            Some(
                parse_call(n)
                    .ok_or_else(|| format!("'{n}' is not a call number (expected {usage})"))?,
            ),
            parse_dtmf(digits)?,
        ),
        [_, _, extra, ..] => return Err(format!("unexpected '{extra}' (expected {usage})")),
    };
    Ok(Action::Send(Command::SendDtmf {
        call,
        digits,
        mode,
        duration_ms,
        gap_ms,
    }))
}
