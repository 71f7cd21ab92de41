//! Printing messages to wire bytes (RFC 3261 §7): CRLF line ends, one header per line,
//! Content-Length always written and always equal to the body length.

use super::{Request, Response};

/// Wire bytes of a request.
pub(crate) fn request_to_bytes(req: &Request) -> Vec<u8> {
    let _ = req;
    todo!("sip::msg::print::request_to_bytes")
}

/// Wire bytes of a response.
pub(crate) fn response_to_bytes(resp: &Response) -> Vec<u8> {
    let _ = resp;
    todo!("sip::msg::print::response_to_bytes")
}
