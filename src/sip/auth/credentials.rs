//! Account credentials for digest authentication (RFC 3261 §22.1: the realm names the
//! protection domain a username/password pair belongs to).

use std::fmt;

/// A username and password, optionally restricted to one realm.
///
/// `Debug` is implemented by hand and prints `password: "***"`; no error of this module
/// carries the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    username: String,
    password: String,
    realm: Option<String>,
}

impl Credentials {
    /// Credentials usable for any realm.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Credentials {
            username: username.into(),
            password: password.into(),
            realm: None,
        }
    }

    /// Restrict these credentials to one realm (compared exactly, RFC 7616 §3.3).
    pub fn with_realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = Some(realm.into());
        self
    }

    /// The username (the `username` of RFC 7616 §3.4; usually the AOR's user part).
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The realm restriction, if any.
    pub fn realm(&self) -> Option<&str> {
        self.realm.as_deref()
    }

    /// The password, for the digest computation only.
    pub(crate) fn password(&self) -> &str {
        &self.password
    }

    /// Whether these credentials may answer a challenge for `realm`.
    pub fn matches_realm(&self, realm: &str) -> bool {
        self.realm.as_deref().is_none_or(|r| r == realm)
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"***")
            .field("realm", &self.realm)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_masks_password() {
        let c = Credentials::new("alice", "hunter2").with_realm("asterisk");
        let s = format!("{c:?} {c:#?}");
        assert!(!s.contains("hunter2"), "{s}");
        assert!(s.contains(r#"password: "***""#), "{s}");
    }

    #[test]
    fn realm_restriction() {
        let any = Credentials::new("a", "p");
        let one = Credentials::new("a", "p").with_realm("r1");
        assert!(any.matches_realm("r2"));
        assert!(one.matches_realm("r1"));
        assert!(!one.matches_realm("r2"));
    }
}
