//! The ad-hoc account of `--domain` and its flags, and the list of all accounts.

use crate::accounts::{self, AdHoc};
use crate::sip::account::AccountConfig;

use super::{bad, check_user, Cli, ConfigError};

/// The flags that only make sense for an ad-hoc account (with `--domain`), as given.
fn ad_hoc_flags_given(cli: &Cli) -> Option<&'static str> {
    [
        (
            cli.password.is_some() && !cli.password_from_env,
            "--password",
        ),
        (cli.auth_user.is_some(), "--auth-user"),
        (cli.registrar.is_some(), "--registrar"),
        (cli.outbound_proxy.is_some(), "--outbound-proxy"),
        (cli.register, "--register"),
        (cli.expires.is_some(), "--expires"),
        (cli.transport.is_some(), "--transport"),
    ]
    .into_iter()
    .find(|(given, _)| *given)
    .map(|(_, flag)| flag)
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`, roughly: the URI parser has the last word.
fn is_host_port(text: &str) -> bool {
    let port_ok = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if text.is_empty() || text.contains(|c: char| c.is_whitespace() || "@;?<>\"/".contains(c)) {
        return false;
    }
    if let Some(v6) = text.strip_prefix('[') {
        return match v6.split_once(']') {
            Some((_, "")) => true,
            Some((_, rest)) => rest.strip_prefix(':').is_some_and(port_ok),
            None => false,
        };
    }
    match text.split_once(':') {
        None => true,
        Some((host, port)) => !host.is_empty() && port_ok(port),
    }
}

/// The ad-hoc account of `--domain` and its flags, if any.
fn ad_hoc_account(cli: &Cli) -> Result<Option<AccountConfig>, ConfigError> {
    let Some(domain) = &cli.domain else {
        if let Some(flag) = ad_hoc_flags_given(cli) {
            return Err(bad(
                flag,
                "needs --domain (an ad-hoc account is --user NAME --domain HOST[:PORT])",
            ));
        }
        return Ok(None);
    };
    let user = check_user(&cli.user).map_err(|m| bad("--user", m))?;
    let domain = domain.trim();
    if !is_host_port(domain) {
        return Err(bad(
            "--domain",
            format!(
                "'{domain}' is not HOST[:PORT] (e.g. --domain pbx.example.com or 192.0.2.10:5070)"
            ),
        ));
    }
    let transport = match &cli.transport {
        None => None,
        Some(t) => {
            let lower = t.trim().to_ascii_lowercase();
            if !["udp", "tcp", "tls"].contains(&lower.as_str()) {
                return Err(bad(
                    "--transport",
                    format!("'{t}' is not one of udp, tcp, tls"),
                ));
            }
            Some(lower)
        }
    };
    let expires = match &cli.expires {
        None => None,
        Some(text) => Some(
            text.trim()
                .parse::<u32>()
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| {
                    bad(
                        "--expires",
                        format!("'{text}' is not a number of seconds above 0 (e.g. --expires 600)"),
                    )
                })?,
        ),
    };
    let auth_user = match &cli.auth_user {
        None => None,
        Some(name) => Some(check_user(name).map_err(|m| bad("--auth-user", m))?),
    };
    let ad_hoc = AdHoc {
        user,
        domain: domain.to_string(),
        password: cli.password.clone(),
        registrar: cli.registrar.clone(),
        outbound_proxy: cli.outbound_proxy.clone(),
        transport,
        register: cli.register,
        expires,
    };
    let mut account = ad_hoc.into_account().map_err(|e| match e {
        accounts::ConfigError::BadUri { field, value, .. } => {
            let flag = match field {
                "registrar" => "--registrar",
                "outbound_proxy" => "--outbound-proxy",
                _ => "--domain",
            };
            let value = if flag == "--domain" {
                domain.to_string()
            } else {
                value
            };
            let expected = if flag == "--domain" {
                "HOST[:PORT] (e.g. --domain pbx.example.com or 192.0.2.10:5070)"
            } else {
                "a SIP URI (e.g. sip:192.0.2.10:5060)"
            };
            bad(flag, format!("'{value}' is not {expected}"))
        }
        other => bad("", other.to_string()),
    })?;
    account.auth_username = auth_user;
    Ok(Some(account))
}

/// Every account: the ad-hoc one first, then the config file's (`--config`, else the
/// default file when it exists).
pub(super) fn accounts_of(
    cli: &Cli,
    default_config: Option<&std::path::Path>,
) -> Result<Vec<AccountConfig>, ConfigError> {
    let mut all: Vec<AccountConfig> = ad_hoc_account(cli)?.into_iter().collect();
    let file = match (&cli.config, default_config) {
        (Some(path), _) => Some(path.as_path()),
        (None, Some(path)) if path.exists() => Some(path),
        (None, _) => None,
    };
    if let Some(path) = file {
        for account in accounts::load(path).map_err(|e| bad("", e.to_string()))? {
            if all.iter().any(|a| a.name == account.name) {
                return Err(bad(
                    "--user",
                    format!(
                        "the ad-hoc account and an account in {} are both named '{}'; names must be unique",
                        path.display(),
                        account.name
                    ),
                ));
            }
            all.push(account);
        }
    }
    Ok(all)
}
