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
    const MAX: usize = 32;
    if b.is_empty() || b.len() > MAX {
        return None;
    }
    let mut buf = [0u8; MAX];
    for (d, s) in buf.iter_mut().zip(b) {
        *d = s.to_ascii_lowercase();
    }
    let lower = std::str::from_utf8(buf.get(..b.len())?).ok()?;
    Some(match lower {
        "via" => "Via",
        "from" => "From",
        "to" => "To",
        "call-id" => "Call-ID",
        "cseq" => "CSeq",
        "contact" => "Contact",
        "max-forwards" => "Max-Forwards",
        "content-length" => "Content-Length",
        "content-type" => "Content-Type",
        "route" => "Route",
        "record-route" => "Record-Route",
        "accept" => "Accept",
        "accept-encoding" => "Accept-Encoding",
        "accept-language" => "Accept-Language",
        "alert-info" => "Alert-Info",
        "allow" => "Allow",
        "authentication-info" => "Authentication-Info",
        "authorization" => "Authorization",
        "call-info" => "Call-Info",
        "content-disposition" => "Content-Disposition",
        "content-encoding" => "Content-Encoding",
        "content-language" => "Content-Language",
        "date" => "Date",
        "error-info" => "Error-Info",
        "expires" => "Expires",
        "in-reply-to" => "In-Reply-To",
        "mime-version" => "MIME-Version",
        "min-expires" => "Min-Expires",
        "organization" => "Organization",
        "priority" => "Priority",
        "proxy-authenticate" => "Proxy-Authenticate",
        "proxy-authorization" => "Proxy-Authorization",
        "proxy-require" => "Proxy-Require",
        "reply-to" => "Reply-To",
        "require" => "Require",
        "retry-after" => "Retry-After",
        "server" => "Server",
        "subject" => "Subject",
        "supported" => "Supported",
        "timestamp" => "Timestamp",
        "unsupported" => "Unsupported",
        "user-agent" => "User-Agent",
        "warning" => "Warning",
        "www-authenticate" => "WWW-Authenticate",
        "rseq" => "RSeq",
        "rack" => "RAck",
        "event" => "Event",
        "allow-events" => "Allow-Events",
        "subscription-state" => "Subscription-State",
        "refer-to" => "Refer-To",
        "referred-by" => "Referred-By",
        "refer-sub" => "Refer-Sub",
        "replaces" => "Replaces",
        "session-expires" => "Session-Expires",
        "min-se" => "Min-SE",
        "identity" => "Identity",
        "identity-info" => "Identity-Info",
        "accept-contact" => "Accept-Contact",
        "reject-contact" => "Reject-Contact",
        "request-disposition" => "Request-Disposition",
        "path" => "Path",
        "service-route" => "Service-Route",
        "privacy" => "Privacy",
        "reason" => "Reason",
        "p-asserted-identity" => "P-Asserted-Identity",
        "p-preferred-identity" => "P-Preferred-Identity",
        "sip-etag" => "SIP-ETag",
        "sip-if-match" => "SIP-If-Match",
        "target-dialog" => "Target-Dialog",
        "history-info" => "History-Info",
        "diversion" => "Diversion",
        "security-client" => "Security-Client",
        "security-server" => "Security-Server",
        "security-verify" => "Security-Verify",
        "user-to-user" => "User-to-User",
        "recv-info" => "Recv-Info",
        "info-package" => "Info-Package",
        _ => return None,
    })
}
