//! Digest authentication for SIP, client side, sans-IO.
//!
//! - RFC 3261 §22 <https://www.rfc-editor.org/rfc/rfc3261#section-22>: 401/407 challenges,
//!   `Authorization` / `Proxy-Authorization`, credentials per realm, digest-uri = Request-URI.
//! - RFC 2617 <https://www.rfc-editor.org/rfc/rfc2617#section-3> and RFC 7616
//!   <https://www.rfc-editor.org/rfc/rfc7616#section-3>: the Digest scheme (MD5, SHA-256,
//!   SHA-512-256, their `-sess` forms, `qop`, `nc`, `cnonce`, `stale`, `userhash`).
//! - RFC 8760 <https://www.rfc-editor.org/rfc/rfc8760#section-2>: SHA-256 / SHA-512-256 in
//!   SIP, one challenge per algorithm, skipping unsupported ones.
//!
//! Parts: [`challenge`] parses challenges, [`digest`] computes responses and builds the
//! header value, [`credentials`] holds a username and password (never printed), and
//! [`DigestClient`] is the state machine the engine drives:
//!
//! ```text
//! send:   client.authorize(&mut req, &cnonce_from_engine_rng)   // no-op until challenged
//! 401/407: match client.handle_challenge(&sent_req, &resp)? {
//!            Retry | RetryStale => rebuild req (CSeq+1, new branch), authorize, send
//!            Fail(reason)       => RegistrationFailed / call failed with `reason`
//!          }
//! ```
//!
//! The module reads no clock and draws no random numbers; the caller supplies the cnonce.
//! Passwords never appear in `Debug` output or error messages; [`redact_authorization`]
//! masks the `response=` of a credentials header for traces.

pub mod challenge;
mod client;
pub mod credentials;
pub mod digest;
mod error;

pub use challenge::{parse_challenges, Algorithm, Challenge, Qop};
pub use client::{AuthDecision, AuthFailure, ChallengeKind, DigestClient};
pub use credentials::Credentials;
pub use digest::{authorization_value, format_nc, hash_hex, redact_authorization, DigestInput};
pub use error::{AuthError, ChallengeError};
