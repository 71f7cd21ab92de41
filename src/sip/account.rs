//! Accounts: the address-of-record a user is reached at, and how to register it
//! (RFC 3261 §10) and authenticate for it (§22).

use std::fmt;

use super::msg::Uri;

/// A password (or other secret). Never printed: `Debug` and `Display` show `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wrap a secret.
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    /// The secret itself, for the digest computation only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// What happens to an incoming call to an account (`answer_mode` in the config file).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum AnswerMode {
    /// The user answers (`accept`, `reject`, …).
    #[default]
    Manual,
    /// Accepted (200 with our SDP) as soon as it is announced.
    Auto,
    /// Refused at once with [`AUTO_REJECT_CODE`].
    Reject,
}

/// The status `answer_mode = "reject"` answers with: 486 Busy Here, as baresip rejects an
/// incoming call (a proxy may then forward on busy; 603 would forbid other devices).
pub const AUTO_REJECT_CODE: u16 = 486;

/// What to do with a REFER that comes on one of the account's calls (`refer = …`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ReferPolicy {
    /// Emit `referred` and wait for `refer-accept` / `refer-reject` (rejected with 480
    /// when nobody decides within 20 s).
    #[default]
    Ask,
    /// Follow it at once, as `refer-accept` would.
    Accept,
    /// Refuse it at once with 603 Decline.
    Reject,
}

/// One account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountConfig {
    /// Name the user picks it by (`--account NAME`), unique.
    pub name: String,
    /// Address-of-record, e.g. `sip:alice@pbx.example.com` (§10.2, To of REGISTER).
    pub aor: Uri,
    /// Display name for From.
    pub display_name: Option<String>,
    /// Digest username, when it differs from the AOR user.
    pub auth_username: Option<String>,
    /// Digest password.
    pub password: Option<Secret>,
    /// Registrar URI (§10.2: default `sip:` + the AOR's host).
    pub registrar: Option<Uri>,
    /// Outbound proxy: every request of this account is sent there with a pre-loaded
    /// Route (§8.1.2).
    pub outbound_proxy: Option<Uri>,
    /// Register at start.
    pub register: bool,
    /// Requested registration lifetime in seconds (Expires, §10.2.1.1).
    pub expires: u32,
    /// Send a CRLFCRLF keep-alive to the registrar this often while registered (RFC 5626
    /// §4.4.1), keeping NAT bindings and stream connections open.
    pub keepalive: Option<u32>,
    /// Use SIP Outbound (RFC 5626): REGISTER with `+sip.instance` and `reg-id` and
    /// `Supported: outbound` (§4.2), `;ob` in the Contact of our dialogs (§4.3).
    pub outbound: bool,
    /// The instance ID (`urn:uuid:…`, RFC 5626 §4.1); None derives a stable one from the AOR.
    pub instance_id: Option<String>,
    /// Codecs for this account's calls, in preference order (else `--codecs`).
    pub codecs: Option<Vec<crate::media::codec::CodecKind>>,
    /// How `dtmf` sends on this account's calls when no mode is given (else auto).
    pub dtmf_mode: Option<crate::api::DtmfMode>,
    /// Tone length for `dtmf` on this account's calls, in ms (else 100).
    pub dtmf_duration_ms: Option<u32>,
    /// Pause after each tone, in ms (else 500).
    pub dtmf_gap_ms: Option<u32>,
    /// What happens to incoming calls to this account.
    pub answer_mode: AnswerMode,
    /// Follow a 3xx to its Contacts (else the call ends with a `redirected` event).
    pub follow_redirects: bool,
    /// What to do with a REFER on this account's calls (default: ask the user).
    pub refer: ReferPolicy,
}

impl AccountConfig {
    /// An account for `aor` with defaults: no password, register off, 3600 s.
    pub fn new(name: &str, aor: Uri) -> AccountConfig {
        AccountConfig {
            name: name.to_string(),
            aor,
            display_name: None,
            auth_username: None,
            password: None,
            registrar: None,
            outbound_proxy: None,
            register: false,
            expires: 3600,
            keepalive: None,
            outbound: false,
            instance_id: None,
            codecs: None,
            dtmf_mode: None,
            dtmf_duration_ms: None,
            dtmf_gap_ms: None,
            answer_mode: AnswerMode::Manual,
            follow_redirects: true,
            refer: ReferPolicy::Ask,
        }
    }

    /// The `+sip.instance` URN (RFC 5626 §4.1): the configured one, else a name-based UUID
    /// (version 5 layout, RFC 4122 §4.3) of the AOR, so it stays the same across restarts.
    pub fn instance_urn(&self) -> String {
        if let Some(id) = &self.instance_id {
            return id.clone();
        }
        use sha2::{Digest, Sha256};
        let hash = Sha256::digest(format!("sipline instance {}", self.aor).as_bytes());
        let mut b = [0u8; 16];
        b.copy_from_slice(&hash[..16]);
        b[6] = (b[6] & 0x0f) | 0x50;
        b[8] = (b[8] & 0x3f) | 0x80;
        let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
        format!(
            "urn:uuid:{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        )
    }

    /// The registrar's URI: the configured one, else `sip:` + the AOR's host and port.
    pub fn registrar_uri(&self) -> Uri {
        self.registrar.clone().unwrap_or_else(|| {
            let mut u = Uri::sip(None, &self.aor.host, self.aor.port);
            u.scheme = self.aor.scheme.clone();
            u
        })
    }

    /// The digest username: the configured one, else the AOR's user part.
    pub fn username(&self) -> &str {
        self.auth_username
            .as_deref()
            .or(self.aor.user.as_deref())
            .unwrap_or("")
    }
}
