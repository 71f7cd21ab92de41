//! The fields a UA puts in the requests it builds (RFC 3261 §8.1.1): tags (§19.3),
//! branches with the magic cookie (§8.1.1.7), Call-IDs (§8.1.1.4), our Via with rport
//! (§18.2.1, RFC 3581) and Contact (§8.1.1.8), and where an in-dialog request goes
//! (§12.2.1.1).

use std::net::IpAddr;

use rand::rngs::SmallRng;
use rand::Rng;

use crate::sip::engine::Engine;
use crate::sip::msg;
use crate::sip::transport::{self, ip_host, Protocol, Target};
use crate::sip::txn::MAGIC_COOKIE;

impl Engine {
    /// `len` random hex digits from the engine's seeded RNG.
    pub(crate) fn random_hex(&mut self, len: usize) -> String {
        hex(&mut self.rng, len)
    }

    /// A fresh tag (§19.3: at least 32 bits of randomness).
    pub(crate) fn new_tag(&mut self) -> String {
        self.random_hex(10)
    }

    /// A fresh RFC 3261 branch (§8.1.1.7).
    pub(crate) fn new_branch(&mut self) -> String {
        format!("{MAGIC_COOKIE}{}", self.random_hex(16))
    }

    /// A fresh Call-ID (§8.1.1.4).
    pub(crate) fn new_call_id(&mut self) -> String {
        self.random_hex(24)
    }

    /// A 63-bit random number (SDP session ids).
    pub(crate) fn random_u63(&mut self) -> u64 {
        self.rng.gen::<u64>() >> 1
    }

    /// The IP we are reachable at for a peer at `peer` (Via, Contact, SDP).
    pub(crate) fn local_ip_for(&self, peer: IpAddr) -> IpAddr {
        let bound = self.cfg.local.ip();
        if !bound.is_unspecified() {
            return bound;
        }
        if peer.is_loopback() {
            return peer;
        }
        self.cfg.advertise.unwrap_or(bound)
    }

    /// Our Via for a request to `target` with a fresh branch, asking for rport (RFC 3581).
    pub(crate) fn via_for(&mut self, target: &Target) -> String {
        let branch = self.new_branch();
        format!(
            "SIP/2.0/{} {}:{};branch={branch};rport",
            target.proto.via_token(),
            ip_host(self.local_ip_for(target.addr.ip())),
            self.cfg.local.port()
        )
    }

    /// Our Contact for a peer reached through `target` (§8.1.1.8), naming the transport
    /// when it is not UDP so the peer's in-dialog requests come back the same way.
    pub(crate) fn contact_for(&self, target: &Target) -> String {
        self.contact_with_user(&self.cfg.user, target)
    }

    /// Like `contact_for`, with another user part (an account's).
    pub(crate) fn contact_with_user(&self, user: &str, target: &Target) -> String {
        let transport = match target.proto {
            Protocol::Udp => "",
            Protocol::Tcp => ";transport=tcp",
            Protocol::Tls => ";transport=tls",
        };
        format!(
            "<sip:{user}@{}:{}{transport}>",
            ip_host(self.local_ip_for(target.addr.ip())),
            self.cfg.local.port()
        )
    }

    /// Where an in-dialog request to `hop` goes for a call whose peer is `peer`: the hop's
    /// address, its `transport=` (else the call's protocol), and the call's connection when
    /// it is the same peer (RFC 5923-style reuse).
    pub(crate) fn hop_target(&self, hop: &msg::Uri, peer: Target) -> Target {
        let addr = transport::uri_destination(hop).unwrap_or(peer.addr);
        let proto = match hop.param("transport") {
            Some(Some(_)) => transport::uri_protocol(hop),
            _ if hop.scheme == msg::Scheme::Sips => Protocol::Tls,
            _ => peer.proto,
        };
        let flow = if proto == peer.proto && addr == peer.addr {
            peer.flow
        } else {
            None
        };
        Target { proto, addr, flow }
    }
}

/// `len` random lowercase hex digits.
fn hex(rng: &mut SmallRng, len: usize) -> String {
    const HEX: &[u8] = b"0123456789abcdef";
    (0..len)
        .map(|_| HEX[rng.gen_range(0..16)] as char)
        .collect()
}
