//! The config file's accounts: `$XDG_CONFIG_HOME/sipline/config.toml` (else
//! `~/.config/sipline/config.toml`, or `--config FILE`), and ad-hoc accounts from flags.
//!
//! ```toml
//! [[account]]
//! name = "office"                      # optional; default: the AOR's user
//! aor = "sip:alice@pbx.example.com"
//! display_name = "Alice"
//! username = "alice"                   # digest user, default: the AOR's user
//! password_env = "SIPLINE_PASSWORD"    # or password = "…", or password_command = "pass sip/alice"
//! registrar = "sip:192.0.2.10"         # default: sip: + the AOR's host
//! outbound_proxy = "sip:192.0.2.10"    # optional
//! transport = "udp"                    # udp | tcp | tls, for registrar and proxy
//! register = true
//! expires = 600
//! keepalive = 30                       # CRLF keep-alive every 30 s while registered
//! outbound = true                      # RFC 5626: reg-id, +sip.instance, ;ob in dialogs
//! codecs = ["pcmu", "opus"]            # this account's codecs, in preference order
//! dtmf_mode = "rfc4733"                # auto | rfc4733 | info
//! dtmf_duration = 100                  # ms per tone (SIP.js default 100)
//! dtmf_gap = 500                       # ms after each tone (SIP.js default 500)
//! answer_mode = "manual"               # manual | auto (accept at once) | reject (486 at once)
//! follow_redirects = true              # false: a 3xx ends the call with `redirected`
//! refer = "ask"                        # a REFER on this account's calls: ask | accept | reject
//! ```
//!
//! Passwords never appear in error messages or `Debug` output.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

use crate::sip::account::{AccountConfig, AnswerMode, Secret};
use crate::sip::msg::{Param, Uri};

/// Why the accounts could not be loaded. Each says which file and account.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not valid TOML for sipline.
    #[error("{path}: {message}")]
    Syntax {
        /// The file.
        path: String,
        /// What the TOML parser said.
        message: String,
    },
    /// A URI field does not parse.
    #[error("account '{account}': {field} '{value}' is not a SIP URI (expected e.g. sip:alice@192.0.2.10)")]
    BadUri {
        /// The account.
        account: String,
        /// Which field.
        field: &'static str,
        /// The value given.
        value: String,
    },
    /// `transport` is not udp, tcp or tls.
    #[error("account '{account}': transport '{value}' is not one of udp, tcp, tls")]
    BadTransport {
        /// The account.
        account: String,
        /// The value given.
        value: String,
    },
    /// The password could not be obtained.
    #[error("account '{account}': {reason}")]
    Password {
        /// The account.
        account: String,
        /// What went wrong (never the password).
        reason: String,
    },
    /// Another field has a value sipline cannot use.
    #[error("account '{account}': {message}")]
    Invalid {
        /// The account.
        account: String,
        /// What is wrong and what is expected.
        message: String,
    },
    /// Two accounts share a name.
    #[error("two accounts are named '{0}'; names must be unique")]
    Duplicate(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileContents {
    #[serde(default)]
    account: Vec<AccountEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountEntry {
    name: Option<String>,
    aor: String,
    display_name: Option<String>,
    username: Option<String>,
    password: Option<String>,
    password_env: Option<String>,
    password_command: Option<String>,
    registrar: Option<String>,
    outbound_proxy: Option<String>,
    transport: Option<String>,
    register: Option<bool>,
    expires: Option<u32>,
    keepalive: Option<u32>,
    outbound: Option<bool>,
    instance_id: Option<String>,
    codecs: Option<Vec<String>>,
    dtmf_mode: Option<String>,
    dtmf_duration: Option<u32>,
    dtmf_gap: Option<u32>,
    answer_mode: Option<String>,
    follow_redirects: Option<bool>,
    refer: Option<String>,
}

/// Where the config file is looked for when `--config` is not given.
pub fn default_path() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_CONFIG_HOME").map(PathBuf::from) {
        Some(p) if p.is_absolute() => p,
        _ => PathBuf::from(std::env::var_os("HOME")?).join(".config"),
    };
    Some(base.join("sipline").join("config.toml"))
}

/// Read the accounts of a config file.
pub fn load(path: &Path) -> Result<Vec<AccountConfig>, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text, &path.display().to_string())
}

/// Parse config text (`source` names it in errors).
pub fn parse(text: &str, source: &str) -> Result<Vec<AccountConfig>, ConfigError> {
    let file: FileContents = toml::from_str(text).map_err(|e| ConfigError::Syntax {
        path: source.to_string(),
        message: e.message().to_string(),
    })?;
    let mut out: Vec<AccountConfig> = Vec::new();
    for entry in file.account {
        let account = entry_to_account(entry)?;
        if out.iter().any(|a| a.name == account.name) {
            return Err(ConfigError::Duplicate(account.name));
        }
        out.push(account);
    }
    Ok(out)
}

/// The pieces of an ad-hoc account given as flags (`--user`, `--domain`, `--password`, …).
#[derive(Clone, Debug, Default)]
pub struct AdHoc {
    /// User part of the AOR.
    pub user: String,
    /// Domain (host[:port]) of the AOR.
    pub domain: String,
    /// Password (from `--password` or `SIPLINE_PASSWORD`).
    pub password: Option<Secret>,
    /// Registrar URI.
    pub registrar: Option<String>,
    /// Outbound proxy URI.
    pub outbound_proxy: Option<String>,
    /// udp | tcp | tls.
    pub transport: Option<String>,
    /// Register at start.
    pub register: bool,
    /// Registration lifetime.
    pub expires: Option<u32>,
}

impl AdHoc {
    /// The account these flags describe.
    pub fn into_account(self) -> Result<AccountConfig, ConfigError> {
        entry_to_account_with_password(
            AccountEntry {
                name: Some(self.user.clone()),
                aor: format!("sip:{}@{}", self.user, self.domain),
                display_name: None,
                username: None,
                password: None,
                password_env: None,
                password_command: None,
                registrar: self.registrar,
                outbound_proxy: self.outbound_proxy,
                transport: self.transport,
                register: Some(self.register),
                expires: self.expires,
                keepalive: None,
                outbound: None,
                instance_id: None,
                codecs: None,
                dtmf_mode: None,
                answer_mode: None,
                follow_redirects: None,
                dtmf_duration: None,
                dtmf_gap: None,
                refer: None,
            },
            self.password,
        )
    }
}

fn entry_to_account(entry: AccountEntry) -> Result<AccountConfig, ConfigError> {
    entry_to_account_with_password(entry, None)
}

fn entry_to_account_with_password(
    entry: AccountEntry,
    password: Option<Secret>,
) -> Result<AccountConfig, ConfigError> {
    let label = entry.name.clone().unwrap_or_else(|| entry.aor.clone());
    let uri = |field: &'static str, value: &str| -> Result<Uri, ConfigError> {
        let text = if value.contains(':') && !value.starts_with("sip") {
            format!("sip:{value}")
        } else if value.starts_with("sip:") || value.starts_with("sips:") {
            value.to_string()
        } else {
            format!("sip:{value}")
        };
        Uri::parse(&text).map_err(|_| ConfigError::BadUri {
            account: label.clone(),
            field,
            value: value.to_string(),
        })
    };
    let aor = uri("aor", &entry.aor)?;
    let name = entry
        .name
        .clone()
        .or_else(|| aor.user.clone())
        .unwrap_or_else(|| entry.aor.clone());
    let transport = match entry.transport.as_deref().map(str::to_ascii_lowercase) {
        None => None,
        Some(t) if t == "udp" || t == "tcp" || t == "tls" => Some(t),
        Some(t) => {
            return Err(ConfigError::BadTransport {
                account: name,
                value: t,
            })
        }
    };
    let with_transport = |mut u: Uri| {
        if let Some(t) = &transport {
            if u.param("transport").is_none() && t != "udp" {
                u.params.push(Param {
                    name: "transport".into(),
                    value: Some(t.clone()),
                });
            }
        }
        u
    };
    let mut account = AccountConfig::new(&name, aor);
    account.display_name = entry.display_name.clone();
    account.auth_username = entry.username.clone();
    account.registrar = match &entry.registrar {
        Some(r) => Some(with_transport(uri("registrar", r)?)),
        None => transport
            .as_ref()
            .map(|_| with_transport(account.registrar_uri())),
    };
    account.outbound_proxy = match &entry.outbound_proxy {
        Some(p) => Some(with_transport(uri("outbound_proxy", p)?)),
        None => None,
    };
    account.register = entry.register.unwrap_or(false);
    if let Some(e) = entry.expires {
        account.expires = e;
    }
    account.keepalive = entry.keepalive;
    account.outbound = entry.outbound.unwrap_or(false);
    account.instance_id = entry.instance_id.clone();
    if let Some(list) = &entry.codecs {
        let mut codecs = Vec::new();
        for c in list {
            codecs.push(c.parse().map_err(|e: crate::media::codec::UnknownCodec| {
                ConfigError::Invalid {
                    account: account.name.clone(),
                    message: e.to_string(),
                }
            })?);
        }
        account.codecs = Some(codecs);
    }
    account.dtmf_duration_ms = entry.dtmf_duration;
    account.dtmf_gap_ms = entry.dtmf_gap;
    account.dtmf_mode = match entry.dtmf_mode.as_deref() {
        None => None,
        Some("auto") => Some(crate::api::DtmfMode::Auto),
        Some("rfc4733") => Some(crate::api::DtmfMode::Rfc4733),
        Some("info") => Some(crate::api::DtmfMode::Info),
        Some(other) => {
            return Err(ConfigError::Invalid {
                account: account.name.clone(),
                message: format!("dtmf_mode '{other}' is not one of auto, rfc4733, info"),
            })
        }
    };
    account.refer = match entry.refer.as_deref() {
        None | Some("ask") => crate::sip::account::ReferPolicy::Ask,
        Some("accept") => crate::sip::account::ReferPolicy::Accept,
        Some("reject") => crate::sip::account::ReferPolicy::Reject,
        Some(other) => {
            return Err(ConfigError::Invalid {
                account: account.name.clone(),
                message: format!("refer '{other}' is not one of ask, accept, reject"),
            })
        }
    };
    account.follow_redirects = entry.follow_redirects.unwrap_or(true);
    account.answer_mode = match entry.answer_mode.as_deref() {
        None | Some("manual") => AnswerMode::Manual,
        Some("auto") => AnswerMode::Auto,
        Some("reject") => AnswerMode::Reject,
        Some(other) => {
            return Err(ConfigError::Invalid {
                account: account.name.clone(),
                message: format!("answer_mode '{other}' is not one of manual, auto, reject"),
            })
        }
    };
    account.password = match password {
        Some(p) => Some(p),
        None => password_of(&name, &entry)?,
    };
    Ok(account)
}

/// The password from `password`, `password_env` or `password_command` (at most one).
fn password_of(account: &str, entry: &AccountEntry) -> Result<Option<Secret>, ConfigError> {
    let given = [
        entry.password.is_some(),
        entry.password_env.is_some(),
        entry.password_command.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if given > 1 {
        return Err(ConfigError::Password {
            account: account.to_string(),
            reason: "give only one of password, password_env and password_command".into(),
        });
    }
    if let Some(p) = &entry.password {
        return Ok(Some(Secret::new(p.clone())));
    }
    if let Some(var) = &entry.password_env {
        return match std::env::var(var) {
            Ok(v) => Ok(Some(Secret::new(v))),
            Err(_) => Err(ConfigError::Password {
                account: account.to_string(),
                reason: format!("password_env names {var}, which is not set"),
            }),
        };
    }
    if let Some(cmd) = &entry.password_command {
        let out = Command::new("sh")
            .arg("-c")
            .arg(cmd)
            .output()
            .map_err(|e| ConfigError::Password {
                account: account.to_string(),
                reason: format!("password_command could not run: {e}"),
            })?;
        if !out.status.success() {
            return Err(ConfigError::Password {
                account: account.to_string(),
                reason: format!("password_command exited with {}", out.status),
            });
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let first = text.lines().next().unwrap_or("").to_string();
        return Ok(Some(Secret::new(first)));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_account_parses() {
        let accounts = parse(
            r#"
            [[account]]
            name = "office"
            aor = "sip:alice@127.0.0.1:5070"
            display_name = "Alice"
            username = "alice-auth"
            password = "pw1"
            outbound_proxy = "127.0.0.1:5080"
            transport = "tcp"
            register = true
            expires = 600
            outbound = true
            instance_id = "urn:uuid:00000000-0000-5000-8000-000000000001"

            [[account]]
            aor = "sip:bob@127.0.0.1"
            "#,
            "test",
        )
        .unwrap();
        assert_eq!(accounts.len(), 2);
        let a = &accounts[0];
        assert_eq!(a.name, "office");
        assert_eq!(a.username(), "alice-auth");
        assert_eq!(a.password.as_ref().unwrap().expose(), "pw1");
        assert_eq!(
            a.outbound_proxy.as_ref().unwrap().to_string(),
            "sip:127.0.0.1:5080;transport=tcp"
        );
        assert_eq!(
            a.registrar_uri().to_string(),
            "sip:127.0.0.1:5070;transport=tcp"
        );
        assert!(a.register);
        assert_eq!(a.expires, 600);
        assert!(a.outbound);
        assert_eq!(
            a.instance_urn(),
            "urn:uuid:00000000-0000-5000-8000-000000000001"
        );
        assert_eq!(accounts[1].name, "bob");
        assert!(!accounts[1].register);
        assert!(!accounts[1].outbound);
        assert_eq!(accounts[1].registrar_uri().to_string(), "sip:127.0.0.1");
    }

    #[test]
    fn the_refer_policy_parses_and_defaults_to_ask() {
        use crate::sip::account::ReferPolicy;
        let text = |v: &str| format!("[[account]]\naor = \"sip:a@127.0.0.1\"\n{v}");
        let policy = |v: &str| parse(&text(v), "test").map(|a| a[0].refer);
        assert_eq!(policy("").unwrap(), ReferPolicy::Ask);
        assert_eq!(policy("refer = \"ask\"").unwrap(), ReferPolicy::Ask);
        assert_eq!(policy("refer = \"accept\"").unwrap(), ReferPolicy::Accept);
        assert_eq!(policy("refer = \"reject\"").unwrap(), ReferPolicy::Reject);
        assert_eq!(
            policy("refer = \"always\"").unwrap_err().to_string(),
            "account 'a': refer 'always' is not one of ask, accept, reject"
        );
    }

    #[test]
    fn passwords_from_env_and_command_and_never_in_errors() {
        std::env::set_var("SIPLINE_TEST_PW_1", "from-env");
        let a = parse(
            "[[account]]\naor = \"sip:a@127.0.0.1\"\npassword_env = \"SIPLINE_TEST_PW_1\"\n",
            "t",
        )
        .unwrap();
        assert_eq!(a[0].password.as_ref().unwrap().expose(), "from-env");
        let a = parse(
            "[[account]]\naor = \"sip:a@127.0.0.1\"\npassword_command = \"echo from-cmd\"\n",
            "t",
        )
        .unwrap();
        assert_eq!(a[0].password.as_ref().unwrap().expose(), "from-cmd");
        let e = parse(
            "[[account]]\naor = \"sip:a@127.0.0.1\"\npassword = \"hunter2\"\npassword_env = \"X\"\n",
            "t",
        )
        .unwrap_err();
        assert!(!e.to_string().contains("hunter2"));
        assert!(e.to_string().contains("only one of"), "{e}");
        let e = parse(
            "[[account]]\naor = \"sip:a@127.0.0.1\"\npassword_env = \"SIPLINE_TEST_UNSET_9\"\n",
            "t",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "account 'a': password_env names SIPLINE_TEST_UNSET_9, which is not set"
        );
    }

    #[test]
    fn mistakes_are_named() {
        let e = parse(
            "[[account]]\naor = \"sip:a@127.0.0.1\"\ntransport = \"sctp\"\n",
            "f",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "account 'a': transport 'sctp' is not one of udp, tcp, tls"
        );
        let e = parse("[[account]]\naor = \"sip:a@127.0.0.1\"\ncolour = 1\n", "f").unwrap_err();
        assert!(
            e.to_string().starts_with("f: unknown field `colour`"),
            "{e}"
        );
        let e = parse(
            "[[account]]\naor = \"sip:a@127.0.0.1\"\n[[account]]\naor = \"sip:a@127.0.0.2\"\n",
            "f",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "two accounts are named 'a'; names must be unique"
        );
    }

    #[test]
    fn per_account_codecs_and_dtmf_mode() {
        let a = parse(
            "[[account]]\naor = \"sip:a@127.0.0.1\"\ncodecs = [\"pcma\", \"opus\"]\ndtmf_mode = \"info\"\n",
            "t",
        )
        .unwrap();
        use crate::media::codec::CodecKind;
        assert_eq!(a[0].codecs, Some(vec![CodecKind::Pcma, CodecKind::Opus]));
        assert_eq!(a[0].dtmf_mode, Some(crate::api::DtmfMode::Info));
        let e = parse(
            "[[account]]\naor = \"sip:a@127.0.0.1\"\ncodecs = [\"g729\"]\n",
            "t",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "account 'a': unknown codec 'g729' (expected opus, pcmu or pcma)"
        );
    }

    #[test]
    fn answer_mode_per_account() {
        let a = parse(
            "[[account]]\naor = \"sip:a@127.0.0.1\"\nanswer_mode = \"auto\"\n\
             [[account]]\naor = \"sip:b@127.0.0.1\"\nanswer_mode = \"reject\"\n\
             [[account]]\naor = \"sip:c@127.0.0.1\"\nanswer_mode = \"manual\"\n\
             [[account]]\naor = \"sip:d@127.0.0.1\"\n",
            "t",
        )
        .unwrap();
        let modes: Vec<AnswerMode> = a.iter().map(|a| a.answer_mode).collect();
        assert_eq!(
            modes,
            [
                AnswerMode::Auto,
                AnswerMode::Reject,
                AnswerMode::Manual,
                AnswerMode::Manual
            ]
        );
        let f = parse(
            "[[account]]\naor = \"sip:a@127.0.0.1\"\nfollow_redirects = false\n\
             [[account]]\naor = \"sip:b@127.0.0.1\"\n",
            "t",
        )
        .unwrap();
        assert!(!f[0].follow_redirects);
        assert!(f[1].follow_redirects, "on by default");
        let e = parse(
            "[[account]]\naor = \"sip:a@127.0.0.1\"\nanswer_mode = \"busy\"\n",
            "t",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "account 'a': answer_mode 'busy' is not one of manual, auto, reject"
        );
    }

    #[test]
    fn ad_hoc_flags_make_an_account() {
        let a = AdHoc {
            user: "alice".into(),
            domain: "127.0.0.1:5070".into(),
            password: Some(Secret::new("pw")),
            register: true,
            ..AdHoc::default()
        }
        .into_account()
        .unwrap();
        assert_eq!(a.aor.to_string(), "sip:alice@127.0.0.1:5070");
        assert_eq!(a.name, "alice");
        assert!(a.register);
        assert!(!format!("{a:?}").contains("pw\""));
    }
}
