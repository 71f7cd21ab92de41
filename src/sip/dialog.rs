//! Dialogs (RFC 3261 §12): the peer-to-peer relationship an INVITE creates.
//!
//! A dialog is identified by Call-ID, local tag and remote tag (§12), keeps the CSeq
//! counters, the remote target (the peer's Contact) and the route set (Record-Route,
//! reversed for the UAC, §12.1.2), and builds in-dialog requests (§12.2.1.1).

use super::msg::{Headers, Method, NameAddr, ParseError, Request, Response, SipMessage, Uri};

/// Dialog identifier (§12): Call-ID plus both tags, from our point of view.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct DialogId {
    /// Call-ID.
    pub call_id: String,
    /// Our tag (From-tag for a UAC, To-tag for a UAS).
    pub local_tag: String,
    /// The peer's tag.
    pub remote_tag: String,
}

impl DialogId {
    /// The id of the dialog an incoming in-dialog request belongs to (§12.2.2): local tag =
    /// its To-tag, remote tag = its From-tag.
    pub fn of_incoming_request(req: &Request) -> Option<DialogId> {
        Some(DialogId {
            call_id: req.call_id().ok()?.to_string(),
            local_tag: req.to_hdr().ok()?.tag()?.to_string(),
            remote_tag: req.from_hdr().ok()?.tag()?.to_string(),
        })
    }

    /// The id of the dialog a response to our request belongs to: local tag = From-tag,
    /// remote tag = To-tag.
    pub fn of_response(resp: &Response) -> Option<DialogId> {
        Some(DialogId {
            call_id: resp.call_id().ok()?.to_string(),
            local_tag: resp.from_hdr().ok()?.tag()?.to_string(),
            remote_tag: resp.to_hdr().ok()?.tag()?.to_string(),
        })
    }
}

/// Dialog state (§12.1).
#[derive(Clone, Debug)]
pub struct Dialog {
    /// Identifier.
    pub id: DialogId,
    /// Our CSeq counter (§12.2.1.1).
    pub local_seq: u32,
    /// The peer's last CSeq, if any (§12.2.2).
    pub remote_seq: Option<u32>,
    /// Our URI with our tag (From of our requests).
    pub local: NameAddr,
    /// The peer's URI with its tag (To of our requests).
    pub remote: NameAddr,
    /// The peer's Contact URI (§12.1.1, §12.1.2).
    pub remote_target: Uri,
    /// Route set, in the order our requests list it.
    pub route_set: Vec<NameAddr>,
    /// False while early (created by a 1xx), true once confirmed by a 2xx.
    pub confirmed: bool,
}

/// Why a dialog could not be made from a message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DialogError {
    /// A header the dialog needs is malformed or missing.
    #[error("{0}")]
    Parse(#[from] ParseError),
    /// The response carries no To-tag (§12.1.2 needs one).
    #[error("response without To-tag")]
    MissingToTag,
    /// No Contact to use as the remote target.
    #[error("no Contact")]
    MissingContact,
}

impl Dialog {
    /// UAC side (§12.1.2): from our INVITE and a 1xx/2xx response with a To-tag.
    pub fn from_uac(invite: &Request, resp: &Response) -> Result<Dialog, DialogError> {
        let remote = resp.to_hdr()?;
        let remote_tag = remote.tag().ok_or(DialogError::MissingToTag)?.to_string();
        let local = invite.from_hdr()?;
        let local_tag = local.tag().unwrap_or_default().to_string();
        // The remote target is the Contact of the response; a 1xx may lack one, then we
        // keep the Request-URI until the 2xx brings it.
        let remote_target = resp
            .contacts()?
            .into_iter()
            .next()
            .map(|c| c.uri)
            .unwrap_or_else(|| invite.uri.clone());
        let mut route_set = resp.record_routes()?;
        route_set.reverse();
        Ok(Dialog {
            id: DialogId {
                call_id: invite.call_id()?.to_string(),
                local_tag,
                remote_tag,
            },
            local_seq: invite.cseq()?.seq,
            remote_seq: None,
            local,
            remote,
            remote_target,
            route_set,
            confirmed: (200..300).contains(&resp.code),
        })
    }

    /// UAS side (§12.1.1): from the INVITE and the tag we put in our To.
    pub fn from_uas(invite: &Request, local_tag: &str) -> Result<Dialog, DialogError> {
        let remote = invite.from_hdr()?;
        let mut local = invite.to_hdr()?;
        local.set_tag(local_tag);
        // §8.1.1.8 makes Contact mandatory in INVITE; an RFC 2543 client may omit it, and
        // then the From URI is the only address we have (RFC 4475 §3.4).
        let remote_target = invite
            .contacts()?
            .into_iter()
            .next()
            .map(|c| c.uri)
            .unwrap_or_else(|| remote.uri.clone());
        Ok(Dialog {
            id: DialogId {
                call_id: invite.call_id()?.to_string(),
                local_tag: local_tag.to_string(),
                remote_tag: remote.tag().unwrap_or_default().to_string(),
            },
            local_seq: 0,
            remote_seq: Some(invite.cseq()?.seq),
            local,
            remote,
            remote_target,
            route_set: invite.record_routes()?,
            confirmed: false,
        })
    }

    /// Update from a later response of the same dialog (2xx after 1xx, §12.1.2 / §13.2.2.4):
    /// the remote target and, when confirming, the route set.
    pub fn update_from_response(&mut self, resp: &Response) {
        if let Some(contact) = resp.contacts().ok().and_then(|c| c.into_iter().next()) {
            self.remote_target = contact.uri;
        }
        if (200..300).contains(&resp.code) && !self.confirmed {
            if let Ok(mut rr) = resp.record_routes() {
                rr.reverse();
                self.route_set = rr;
            }
            self.confirmed = true;
        }
    }

    /// §12.2.2: accept a request's CSeq if it is higher than the last one. False means
    /// the request is out of order (answer 500).
    pub fn accept_remote_seq(&mut self, seq: u32) -> bool {
        match self.remote_seq {
            Some(last) if seq <= last => false,
            _ => {
                self.remote_seq = Some(seq);
                true
            }
        }
    }

    /// §12.2.1.1: a new in-dialog request (not ACK, not CANCEL) with Request-URI, Route,
    /// From, To, Call-ID and CSeq set; the caller adds Via, Max-Forwards and Contact.
    pub fn new_request(&mut self, method: Method) -> Request {
        self.local_seq = self.local_seq.wrapping_add(1);
        self.request_with_seq(method, self.local_seq)
    }

    /// §13.2.2.4: the ACK for a 2xx, with the INVITE's CSeq number.
    pub fn ack(&self, invite_seq: u32) -> Request {
        self.request_with_seq(Method::Ack, invite_seq)
    }

    fn request_with_seq(&self, method: Method, seq: u32) -> Request {
        let (uri, routes) = self.request_uri_and_routes();
        let mut headers = Headers::default();
        for r in routes {
            headers.push("Route", r.to_string());
        }
        headers.push("From", self.local.to_string());
        headers.push("To", self.remote.to_string());
        headers.push("Call-ID", self.id.call_id.clone());
        headers.push("CSeq", format!("{seq} {method}"));
        Request {
            method,
            uri,
            headers,
            body: Vec::new(),
        }
    }

    /// §12.2.1.1: loose routing when the first route has `lr`, strict routing otherwise.
    fn request_uri_and_routes(&self) -> (Uri, Vec<NameAddr>) {
        match self.route_set.first() {
            None => (self.remote_target.clone(), Vec::new()),
            Some(first) if first.uri.param("lr").is_some() => {
                (self.remote_target.clone(), self.route_set.clone())
            }
            Some(first) => {
                let mut routes: Vec<NameAddr> = self.route_set[1..].to_vec();
                routes.push(NameAddr::new(self.remote_target.clone()));
                (first.uri.clone(), routes)
            }
        }
    }

    /// The URI whose host and port the next in-dialog request goes to (§8.1.2): the first
    /// Route if any, else the Request-URI.
    pub fn next_hop(&self) -> Uri {
        match self.route_set.first() {
            Some(first) => first.uri.clone(),
            None => self.remote_target.clone(),
        }
    }
}
