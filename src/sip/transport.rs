//! Transport-layer rules that do not need a socket (RFC 3261 §18, RFC 3581).
//!
//! - §18.2.1: a server stamps `received` (and fills `rport`, RFC 3581 §4) on the top Via.
//! - §18.2.2: responses go to `received`/`rport` when present, else to the sent-by.
//! - Request targets: the Request-URI (or first loose Route) host and port, IP literals only
//!   for now (RFC 3263 resolution is a driver job to come).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use super::msg::{Request, SipMessage, Uri, Via};

/// Default SIP port for UDP/TCP (§19.1.2).
pub const DEFAULT_PORT: u16 = 5060;

/// Parse a host as an IP address: IPv4, bracketed IPv6, or `localhost`.
pub fn host_ip(host: &str) -> Option<IpAddr> {
    if host.eq_ignore_ascii_case("localhost") {
        return Some(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    bare.parse().ok()
}

/// Where a request for `uri` is sent (§8.1.2 with IP-literal hosts; `maddr` honoured).
pub fn uri_destination(uri: &Uri) -> Option<SocketAddr> {
    let host = match uri.param("maddr") {
        Some(Some(maddr)) => maddr,
        _ => uri.host.as_str(),
    };
    let ip = host_ip(host)?;
    Some(SocketAddr::new(ip, uri.port.unwrap_or(DEFAULT_PORT)))
}

/// §18.2.1 + RFC 3581 §4: record where a request really came from in its top Via.
/// Returns the request with the top Via rewritten (other Vias untouched).
pub fn stamp_received(req: &mut Request, source: SocketAddr) {
    let Ok(mut via) = req.top_via() else { return };
    let sent_by_ip = host_ip(&via.host);
    let mut changed = false;
    if sent_by_ip != Some(source.ip()) {
        via.set_param("received", Some(source.ip().to_string()));
        changed = true;
    }
    if let Some(None) = via.rport() {
        via.set_param("rport", Some(source.port().to_string()));
        // RFC 3581 §4: received is added whenever rport is filled.
        via.set_param("received", Some(source.ip().to_string()));
        changed = true;
    }
    if changed {
        replace_top_via(req, &via);
    }
}

/// Replace the first Via element (which may be one item of a comma list) with `via`.
pub fn replace_top_via(msg: &mut impl SipMessage, via: &Via) {
    let headers = msg.headers_mut();
    if let Some(h) = headers
        .0
        .iter_mut()
        .find(|h| h.name.eq_ignore_ascii_case("Via"))
    {
        let rest: Vec<String> = super::msg::Headers(vec![h.clone()])
            .get_split("Via")
            .into_iter()
            .skip(1)
            .map(str::to_string)
            .collect();
        let mut value = via.to_string();
        for r in rest {
            value.push_str(", ");
            value.push_str(&r);
        }
        h.value = value;
    }
}

/// §18.2.2 (unreliable, unicast): where a response to a request with this top Via goes.
pub fn response_destination(via: &Via) -> Option<SocketAddr> {
    let ip = match via.received() {
        Some(r) => host_ip(r)?,
        None => host_ip(&via.host)?,
    };
    let port = match via.rport() {
        Some(Some(p)) => p,
        _ => via.port.unwrap_or(DEFAULT_PORT),
    };
    Some(SocketAddr::new(ip, port))
}

/// Host text for an IP in a URI or Via (IPv6 in brackets, §19.1.1).
pub fn ip_host(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}
