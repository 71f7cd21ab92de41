//! Header names: compact forms (RFC 3261 §7.3.3) and registered spellings of the names
//! we know, so lookups are case-insensitive and printing is canonical.

/// Canonical long name for a header name: compact forms expanded (§7.3.3), known names in
/// their registered case (`call-id` → `Call-ID`, `v` → `Via`), unknown names kept as given.
pub(crate) fn canonical_name(name: &str) -> String {
    match known_name(name) {
        Some(canon) => canon.to_string(),
        None => name.to_string(),
    }
}

/// [`canonical_name`] without allocating for known names.
pub(crate) fn canonical_cow(name: &str) -> std::borrow::Cow<'static, str> {
    match known_name(name) {
        Some(canon) => std::borrow::Cow::Borrowed(canon),
        None => std::borrow::Cow::Owned(name.to_string()),
    }
}

/// The registered spelling of a well-known header name (compact forms expanded), or None
/// for names we do not know. Case-insensitive; no allocation.
pub(crate) fn known_name(name: &str) -> Option<&'static str> {
    let b = name.as_bytes();
    if b.len() == 1 {
        // RFC 3261 §7.3.3 and the IANA compact-form registry.
        return Some(match b[0].to_ascii_lowercase() {
            b'i' => "Call-ID",
            b'm' => "Contact",
            b'e' => "Content-Encoding",
            b'l' => "Content-Length",
            b'c' => "Content-Type",
            b'f' => "From",
            b's' => "Subject",
            b'k' => "Supported",
            b't' => "To",
            b'v' => "Via",
            b'o' => "Event",
            b'r' => "Refer-To",
            b'b' => "Referred-By",
            b'x' => "Session-Expires",
            b'u' => "Allow-Events",
            b'a' => "Accept-Contact",
            b'j' => "Reject-Contact",
            b'd' => "Request-Disposition",
            b'y' => "Identity",
            b'n' => "Identity-Info",
            _ => return None,
        });
    }
    if b.is_empty() {
        return None;
    }
    // Bucket by length and first letter, then compare case-insensitively: no copy, and at
    // most two candidates per bucket.
    let cands: &[&'static str] = match (b.len(), b[0] | 0x20) {
        (2, b't') => &["To"],
        (3, b'v') => &["Via"],
        (4, b'c') => &["CSeq"],
        (4, b'd') => &["Date"],
        (4, b'f') => &["From"],
        (4, b'p') => &["Path"],
        (4, b'r') => &["RSeq", "RAck"],
        (5, b'a') => &["Allow"],
        (5, b'e') => &["Event"],
        (5, b'r') => &["Route"],
        (6, b'a') => &["Accept"],
        (6, b'm') => &["Min-SE"],
        (6, b'r') => &["Reason"],
        (6, b's') => &["Server"],
        (7, b'c') => &["Call-ID", "Contact"],
        (7, b'e') => &["Expires"],
        (7, b'p') => &["Privacy"],
        (7, b'r') => &["Require"],
        (7, b's') => &["Subject"],
        (7, b'w') => &["Warning"],
        (8, b'i') => &["Identity"],
        (8, b'p') => &["Priority"],
        (8, b'r') => &["Reply-To", "Refer-To", "Replaces"],
        (8, b's') => &["SIP-ETag"],
        (9, b'c') => &["Call-Info"],
        (9, b'd') => &["Diversion"],
        (9, b'r') => &["Refer-Sub", "Recv-Info"],
        (9, b's') => &["Supported"],
        (9, b't') => &["Timestamp"],
        (10, b'a') => &["Alert-Info"],
        (10, b'e') => &["Error-Info"],
        (10, b'u') => &["User-Agent"],
        (11, b'i') => &["In-Reply-To"],
        (11, b'm') => &["Min-Expires"],
        (11, b'r') => &["Retry-After", "Referred-By"],
        (11, b'u') => &["Unsupported"],
        (12, b'a') => &["Allow-Events"],
        (12, b'c') => &["Content-Type"],
        (12, b'h') => &["History-Info"],
        (12, b'i') => &["Info-Package"],
        (12, b'm') => &["Max-Forwards", "MIME-Version"],
        (12, b'o') => &["Organization"],
        (12, b'r') => &["Record-Route"],
        (12, b's') => &["SIP-If-Match"],
        (12, b'u') => &["User-to-User"],
        (13, b'a') => &["Authorization"],
        (13, b'i') => &["Identity-Info"],
        (13, b'p') => &["Proxy-Require"],
        (13, b's') => &["Service-Route"],
        (13, b't') => &["Target-Dialog"],
        (14, b'a') => &["Accept-Contact"],
        (14, b'c') => &["Content-Length"],
        (14, b'r') => &["Reject-Contact"],
        (15, b'a') => &["Accept-Encoding", "Accept-Language"],
        (15, b's') => &[
            "Session-Expires",
            "Security-Client",
            "Security-Server",
            "Security-Verify",
        ],
        (16, b'c') => &["Content-Encoding", "Content-Language"],
        (16, b'w') => &["WWW-Authenticate"],
        (18, b'p') => &["Proxy-Authenticate"],
        (18, b's') => &["Subscription-State"],
        (19, b'a') => &["Authentication-Info"],
        (19, b'c') => &["Content-Disposition"],
        (19, b'p') => &["Proxy-Authorization", "P-Asserted-Identity"],
        (19, b'r') => &["Request-Disposition"],
        (20, b'p') => &["P-Preferred-Identity"],
        _ => return None,
    };
    // Names mostly arrive in their registered case: try an exact match first.
    cands
        .iter()
        .copied()
        .find(|c| c.as_bytes() == b)
        .or_else(|| {
            cands
                .iter()
                .copied()
                .find(|c| c.as_bytes().eq_ignore_ascii_case(b))
        })
}
