//! The client side of digest authentication as a sans-IO state machine (the shape of ezk's
//! `ClientAuthenticator`, STYLE.md §4 item 2): it never sends, never waits, never reads a
//! clock and never draws random numbers; the cnonce comes from the engine's seeded RNG.
//!
//! RFC 3261 §22.2 (401, `WWW-Authenticate` → `Authorization`), §22.3 (407,
//! `Proxy-Authenticate` → `Proxy-Authorization`, one set of credentials per realm when several
//! proxies challenge), §22.1 (credentials are reused for later requests in the same realm);
//! RFC 7616 §3.3 (`stale`), §3.4 (nonce count); RFC 8760 §2.4 (several challenges for one
//! realm: one per algorithm).

use super::challenge::{parse_challenges, parse_raw, Challenge};
use super::credentials::Credentials;
use super::digest::{authorization_value, DigestInput};
use super::error::AuthError;
use crate::sip::msg::{Request, Response};

/// Which pair of headers a challenge came in (RFC 3261 §22.2 vs §22.3).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum ChallengeKind {
    /// 401 with `WWW-Authenticate`, answered with `Authorization` (a registrar or UAS).
    Www,
    /// 407 with `Proxy-Authenticate`, answered with `Proxy-Authorization` (a proxy).
    Proxy,
}

impl ChallengeKind {
    /// The kind for a status code: 401 → `Www`, 407 → `Proxy`, otherwise `None`.
    pub fn for_status(code: u16) -> Option<ChallengeKind> {
        match code {
            401 => Some(ChallengeKind::Www),
            407 => Some(ChallengeKind::Proxy),
            _ => None,
        }
    }

    /// The header carrying the challenge.
    pub fn challenge_header(self) -> &'static str {
        match self {
            ChallengeKind::Www => "WWW-Authenticate",
            ChallengeKind::Proxy => "Proxy-Authenticate",
        }
    }

    /// The header carrying the credentials.
    pub fn authorization_header(self) -> &'static str {
        match self {
            ChallengeKind::Www => "Authorization",
            ChallengeKind::Proxy => "Proxy-Authorization",
        }
    }
}

/// What the caller should do after a 401/407.
#[derive(Clone, PartialEq, Eq, Debug)]
#[must_use]
pub enum AuthDecision {
    /// New challenges were cached: build the request again (new CSeq, new branch, RFC 3261
    /// §22.2), call [`DigestClient::authorize`] on it and send it.
    Retry,
    /// Every challenged realm answered credentials we had used successfully before with a new
    /// nonce (`stale=true`, RFC 7616 §3.3, or a plain nonce expiry): the password was right,
    /// only the nonce expired. Retry as for `Retry`, without telling the user.
    RetryStale,
    /// Do not retry; report this to the user.
    Fail(AuthFailure),
}

/// Why authentication cannot succeed. The user (or the account configuration) is the one to
/// act; none of these carry a password.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthFailure {
    /// The server challenged again a request that carried our credentials for this realm,
    /// without `stale=true` (or with the very nonce we used): wrong username or password.
    /// RFC 3261 §22.1: "A UAC MUST NOT re-attempt requests with the credentials that have
    /// just been rejected (though the request may be retried if the nonce was stale)".
    #[error("credentials rejected for realm {realm:?}")]
    Rejected {
        /// The realm whose credentials were refused.
        realm: String,
    },
    /// No configured credentials may be used for this realm.
    #[error("no credentials for realm {realm:?}")]
    NoCredentials {
        /// The realm that was challenged.
        realm: String,
    },
}

/// One realm's current challenge and its nonce count.
#[derive(Clone, Debug)]
struct CachedChallenge {
    kind: ChallengeKind,
    challenge: Challenge,
    /// Index into `DigestClient::credentials`.
    credentials: usize,
    /// Requests already authorized with `challenge.nonce` (the last `nc` sent).
    nc: u32,
}

/// Credentials the request carried for one realm, read back from its headers.
struct Sent {
    realm: String,
    nonce: String,
    nc: Option<u32>,
}

/// Client-side digest authentication for one account: its credentials, the challenges it has
/// seen (one per realm and header kind), and a nonce count per nonce.
///
/// Use: send a request through [`authorize`](Self::authorize) (a no-op until a challenge has
/// been cached); on a 401/407 call [`handle_challenge`](Self::handle_challenge) and act on the
/// [`AuthDecision`]. Later requests in the same realm authenticate at the first try with the
/// cached nonce and an incremented `nc` (RFC 3261 §22.1, RFC 7616 §3.4).
///
/// `Debug` prints no password (see [`Credentials`]).
#[derive(Clone, Debug, Default)]
pub struct DigestClient {
    credentials: Vec<Credentials>,
    cache: Vec<CachedChallenge>,
}

impl DigestClient {
    /// A client with these credentials, tried in order: the first whose realm restriction
    /// matches a challenge's realm is used, else the first without a restriction.
    pub fn new(credentials: Vec<Credentials>) -> Self {
        DigestClient {
            credentials,
            cache: Vec::new(),
        }
    }

    /// Add credentials (tried after the existing ones).
    pub fn add_credentials(&mut self, credentials: Credentials) {
        self.credentials.push(credentials);
    }

    /// Forget every cached challenge (e.g. after unregistering or a change of server).
    pub fn forget_challenges(&mut self) {
        self.cache.clear();
    }

    /// The realms with a cached challenge, by kind, in the order they were first seen.
    pub fn cached_realms(&self) -> impl Iterator<Item = (ChallengeKind, &str)> + '_ {
        self.cache
            .iter()
            .map(|c| (c.kind, c.challenge.realm.as_str()))
    }

    /// Handle a 401 or 407 to `request` (the request exactly as it was sent, so that the
    /// credentials it carried can be compared with the new challenge).
    ///
    /// For every realm challenged, one challenge is chosen. RFC 8760 §2.4 has servers send one
    /// challenge per algorithm, most preferred first, and UACs use the topmost they support; we
    /// choose the strongest supported one instead (SHA-512-256 > SHA-256 > MD5, ties keep the
    /// topmost), which differs only when a server lists a weaker algorithm above a stronger one
    /// and cannot be downgraded by reordering. Challenges we cannot use are skipped (RFC 7616
    /// §3.3: an algorithm that is not understood means the challenge is ignored).
    ///
    /// Decision per realm, then combined (any `Fail` wins; `RetryStale` only if every realm
    /// is a silent retry):
    /// - the request carried no credentials for the realm → `Retry`;
    /// - it carried credentials with the nonce now challenged again → `Fail(Rejected)`;
    /// - it carried credentials with a nonce at its first use (`nc=00000001`, i.e. the retry
    ///   right after a challenge) → `Fail(Rejected)`, whether or not `stale=true`: the
    ///   credentials were refused (Asterisk answers a wrong password with a fresh nonce), or
    ///   the server calls its own new nonce stale; either way retrying would loop;
    /// - it carried credentials with a nonce already used before (`nc` > 1: it had been
    ///   accepted) and a new nonce comes back → `RetryStale`. With `stale=true` this is RFC
    ///   7616 §3.3; without it, it is how some servers expire nonces, and the next attempt is
    ///   at `nc=00000001`, so a refusal then ends in `Fail`. No loop is possible.
    ///
    /// Without qop the request carries no `nc`; the count kept in the cache for that nonce is
    /// used, and a nonce the cache no longer knows counts as first use.
    ///
    /// Errors: `NotAChallenge` for another status code (caller misuse), `MissingChallenge`
    /// and `NoUsableChallenge` when the server offers nothing we can answer.
    pub fn handle_challenge(
        &mut self,
        request: &Request,
        response: &Response,
    ) -> Result<AuthDecision, AuthError> {
        let kind = ChallengeKind::for_status(response.code).ok_or(AuthError::NotAChallenge {
            code: response.code,
        })?;
        let header = kind.challenge_header();

        let mut any_header = false;
        let mut skipped = Vec::new();
        // The chosen challenge per realm, in order of first appearance.
        let mut chosen: Vec<Challenge> = Vec::new();
        for line in response.headers.get_all(header) {
            any_header = true;
            for parsed in parse_challenges(line) {
                match parsed {
                    Err(e) => skipped.push(e),
                    Ok(c) => match chosen.iter_mut().find(|x| x.realm == c.realm) {
                        Some(x) if c.algorithm.strength() > x.algorithm.strength() => *x = c,
                        Some(_) => {}
                        None => chosen.push(c),
                    },
                }
            }
        }
        if !any_header {
            return Err(AuthError::MissingChallenge {
                code: response.code,
                header,
            });
        }
        if chosen.is_empty() {
            return Err(AuthError::NoUsableChallenge(skipped));
        }

        let sent = sent_credentials(request, kind);

        // Decide first; the cache is only updated when we retry.
        let mut all_stale = true;
        let mut plan: Vec<(Challenge, usize)> = Vec::with_capacity(chosen.len());
        for c in chosen {
            let Some(cred) = self.credentials_for(&c.realm) else {
                return Ok(AuthDecision::Fail(AuthFailure::NoCredentials {
                    realm: c.realm,
                }));
            };
            match sent.iter().find(|s| s.realm == c.realm) {
                None => all_stale = false,
                Some(s) => {
                    let uses = s.nc.unwrap_or_else(|| {
                        self.cached(kind, &c.realm)
                            .filter(|e| e.challenge.nonce == s.nonce)
                            .map_or(1, |e| e.nc)
                    });
                    // RFC 7616 §3.3: stale=true says the credentials were right and only the
                    // nonce expired, so retry with the new nonce even at its first use —
                    // once: a stale answer to a stale retry is a refusal (no loop).
                    let stale_retry = c.stale
                        && !self
                            .cached(kind, &c.realm)
                            .is_some_and(|e| e.challenge.stale && e.nc <= 1);
                    if c.nonce == s.nonce || (uses <= 1 && !stale_retry) {
                        return Ok(AuthDecision::Fail(AuthFailure::Rejected { realm: c.realm }));
                    }
                }
            }
            plan.push((c, cred));
        }

        for (challenge, credentials) in plan {
            let pos = self
                .cache
                .iter()
                .position(|e| e.kind == kind && e.challenge.realm == challenge.realm);
            let nc = match pos {
                // Same nonce again (e.g. a request sent before the first challenge was
                // cached): keep counting so no nc is reused with it.
                Some(i) if self.cache[i].challenge.nonce == challenge.nonce => self.cache[i].nc,
                _ => 0,
            };
            let entry = CachedChallenge {
                kind,
                challenge,
                credentials,
                nc,
            };
            match pos {
                Some(i) => self.cache[i] = entry,
                None => self.cache.push(entry),
            }
        }
        Ok(if all_stale {
            AuthDecision::RetryStale
        } else {
            AuthDecision::Retry
        })
    }

    /// Add credentials for every cached realm to `request`, replacing any it already carries
    /// for those realms: `Authorization` for 401 realms, `Proxy-Authorization` for 407 realms.
    /// Each call increments the nonce count of each nonce used (RFC 7616 §3.4: a new `nc` per
    /// request with the same nonce). `cnonce` must be fresh for each call; it comes from the
    /// engine's RNG. A no-op when nothing is cached.
    ///
    /// The digest-uri is the Request-URI as printed (RFC 3261 §22.4), so call this after the
    /// Request-URI is final. CANCEL and the ACK of a non-2xx are built from the INVITE by the
    /// transaction layer and should not be passed here.
    pub fn authorize(&mut self, request: &mut Request, cnonce: &str) {
        if self.cache.is_empty() {
            return;
        }
        let uri = request.uri.to_string();
        let method = request.method.as_str().to_string();

        // Drop credentials the request already carries for realms we are about to answer.
        let cache = &self.cache;
        request.headers.retain(|name, value| {
            !cache.iter().any(|e| {
                name.eq_ignore_ascii_case(e.kind.authorization_header())
                    && realms_in(value).any(|r| r == e.challenge.realm)
            })
        });

        for entry in &mut self.cache {
            let Some(cred) = self.credentials.get(entry.credentials) else {
                // invariant: `credentials` only grows, so a cached index stays valid.
                continue;
            };
            entry.nc = entry.nc.saturating_add(1);
            let c = &entry.challenge;
            let input = DigestInput {
                algorithm: c.algorithm,
                username: cred.username(),
                realm: &c.realm,
                password: cred.password(),
                nonce: &c.nonce,
                cnonce,
                nc: entry.nc,
                qop: c.chosen_qop(),
                method: &method,
                uri: &uri,
                body: &request.body,
            };
            let value = authorization_value(c, &input);
            request
                .headers
                .push(entry.kind.authorization_header(), value);
        }
    }

    fn credentials_for(&self, realm: &str) -> Option<usize> {
        self.credentials
            .iter()
            .position(|c| c.realm() == Some(realm))
            .or_else(|| self.credentials.iter().position(|c| c.realm().is_none()))
    }

    fn cached(&self, kind: ChallengeKind, realm: &str) -> Option<&CachedChallenge> {
        self.cache
            .iter()
            .find(|e| e.kind == kind && e.challenge.realm == realm)
    }
}

/// The Digest credentials `request` carries in the headers of `kind`.
fn sent_credentials(request: &Request, kind: ChallengeKind) -> Vec<Sent> {
    let mut out = Vec::new();
    for line in request.headers.get_all(kind.authorization_header()) {
        let Ok(raws) = parse_raw(line) else { continue };
        for raw in raws
            .iter()
            .filter(|r| r.scheme.eq_ignore_ascii_case("Digest"))
        {
            if let (Some(realm), Some(nonce)) = (raw.get("realm"), raw.get("nonce")) {
                out.push(Sent {
                    realm: realm.to_string(),
                    nonce: nonce.to_string(),
                    nc: raw.get("nc").and_then(|n| u32::from_str_radix(n, 16).ok()),
                });
            }
        }
    }
    out
}

/// The realms named in one credentials header value (empty when it does not parse).
fn realms_in(value: &str) -> impl Iterator<Item = String> {
    parse_raw(value)
        .map(|raws| {
            raws.iter()
                .filter_map(|r| r.get("realm").map(str::to_string))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
        .into_iter()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::msg::{Method, Uri};

    fn register() -> Request {
        let mut r = Request::new(Method::Register, Uri::sip(None, "pbx.example.com", None));
        r.headers.push("CSeq", "1 REGISTER");
        r
    }

    fn challenge(req: &Request, code: u16, value: &str) -> Response {
        let mut resp = req.make_response(code, None);
        let kind = ChallengeKind::for_status(code).unwrap();
        resp.headers.push(kind.challenge_header(), value);
        resp
    }

    #[test]
    fn retry_then_reject_same_nonce() {
        let mut client = DigestClient::new(vec![Credentials::new("alice", "pw")]);
        let mut req = register();
        client.authorize(&mut req, "c0");
        assert!(req.headers.get("Authorization").is_none());
        let resp = challenge(&req, 401, r#"Digest realm="r", nonce="n1", qop="auth""#);
        assert_eq!(
            client.handle_challenge(&req, &resp),
            Ok(AuthDecision::Retry)
        );
        let mut retry = register();
        client.authorize(&mut retry, "c1");
        assert!(retry
            .headers
            .get("Authorization")
            .unwrap()
            .contains("nc=00000001"));
        let again = challenge(&retry, 401, r#"Digest realm="r", nonce="n1", qop="auth""#);
        assert_eq!(
            client.handle_challenge(&retry, &again),
            Ok(AuthDecision::Fail(AuthFailure::Rejected {
                realm: "r".into()
            }))
        );
    }

    #[test]
    fn not_a_challenge() {
        let mut client = DigestClient::default();
        let req = register();
        let resp = req.make_response(200, None);
        assert_eq!(
            client.handle_challenge(&req, &resp),
            Err(AuthError::NotAChallenge { code: 200 })
        );
        let resp = req.make_response(407, None);
        assert_eq!(
            client.handle_challenge(&req, &resp),
            Err(AuthError::MissingChallenge {
                code: 407,
                header: "Proxy-Authenticate"
            })
        );
    }

    #[test]
    fn realms_in_parses_each_value() {
        let v: Vec<_> = realms_in(r#"Digest username="a", realm="x", nonce="n""#).collect();
        assert_eq!(v, vec!["x".to_string()]);
        assert_eq!(realms_in("Digest realm=\"").count(), 0);
    }
}
