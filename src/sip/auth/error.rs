//! Errors of the digest authentication module, typed by who is at fault
//! (ARCHITECTURE.md rule 6). No variant carries a password; `Display` never prints one.

use thiserror::Error;

/// Why one challenge (one `WWW-Authenticate` / `Proxy-Authenticate` value) cannot be used.
///
/// Syntax variants mean the peer sent garbage; `Unsupported*` variants mean the peer offered
/// something valid that we do not implement (RFC 7616 §3.3: a challenge whose algorithm is
/// not understood is ignored, and another one used if there is one).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ChallengeError {
    /// The header value is empty.
    #[error("empty challenge")]
    Empty,
    /// A character that cannot start a token or parameter at this byte offset.
    #[error("unexpected character at byte {at}")]
    UnexpectedChar {
        /// Byte offset in the header value.
        at: usize,
    },
    /// A quoted-string is not closed.
    #[error("unterminated quoted string starting at byte {at}")]
    UnterminatedQuote {
        /// Byte offset of the opening quote.
        at: usize,
    },
    /// A control character (CR, LF, NUL, …) inside a value: refused so that nothing we echo
    /// back into `Authorization` can break the header (RFC 3261 §25.1 `qdtext` excludes CTLs).
    #[error("control character at byte {at}")]
    ControlChar {
        /// Byte offset in the header value.
        at: usize,
    },
    /// `name=` with nothing after it.
    #[error("parameter without a value at byte {at}")]
    MissingValue {
        /// Byte offset after the `=`.
        at: usize,
    },
    /// `name=value` before any scheme token.
    #[error("parameter before the authentication scheme")]
    ParamBeforeScheme,
    /// A parameter appears twice in one challenge (RFC 7616 §3.3: "MUST NOT appear more than once").
    #[error("parameter {0:?} appears more than once")]
    DuplicateParam(String),
    /// A parameter the scheme requires (`realm`, `nonce`) is absent.
    #[error("missing parameter {0}")]
    MissingParam(&'static str),
    /// A scheme other than Digest (e.g. Basic, which RFC 3261 §22.4 forbids).
    #[error("unsupported authentication scheme {0:?}")]
    UnsupportedScheme(String),
    /// An algorithm we do not implement (RFC 7616 §3.3: such a challenge is ignored).
    #[error("unsupported digest algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    /// A `qop` list with no option we implement.
    #[error("unsupported qop {0:?}")]
    UnsupportedQop(String),
}

/// Why [`DigestClient::handle_challenge`](super::DigestClient::handle_challenge) cannot act
/// on a response.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum AuthError {
    /// Caller misuse: only 401 and 407 carry challenges (RFC 3261 §22.2, §22.3).
    #[error("response {code} is not an authentication challenge")]
    NotAChallenge {
        /// The status code that was passed in.
        code: u16,
    },
    /// Peer broke the protocol: a 401 without `WWW-Authenticate` or a 407 without
    /// `Proxy-Authenticate` (RFC 3261 §20.44, §20.27).
    #[error("{code} response without any {header} header")]
    MissingChallenge {
        /// 401 or 407.
        code: u16,
        /// The header name that was expected.
        header: &'static str,
    },
    /// Every challenge was malformed or unsupported; the reasons, in header order.
    #[error("no usable challenge ({})", first_reason(.0))]
    NoUsableChallenge(Vec<ChallengeError>),
}

fn first_reason(reasons: &[ChallengeError]) -> String {
    match reasons.first() {
        Some(r) if reasons.len() > 1 => format!("{r}, and {} more", reasons.len() - 1),
        Some(r) => r.to_string(),
        None => "none offered".to_string(),
    }
}
