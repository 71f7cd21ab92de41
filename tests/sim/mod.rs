//! A simulated network of sans-IO engines on virtual time (STYLE.md §8 P1, P2, P4).
//!
//! Each user agent is a real [`Engine`]; datagrams between them go through a seeded
//! network with latency, loss and duplication. Time moves only when the harness moves it,
//! so a 32-second Timer B runs in about a millisecond. No sockets are opened.

#![allow(dead_code)]

pub mod digest;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use sipline::api::{CallHandle, Command, Event};
use sipline::media::codec::CodecKind;
use sipline::media::{MediaCtl, MediaReport};
use sipline::sip::timers::TimerValues;
use sipline::sip::transport::Protocol;
use sipline::sip::{Engine, EngineConfig, Input, Output, Receive};

/// One simulated user agent and everything it did.
pub struct Ua {
    pub name: &'static str,
    pub engine: Engine,
    pub addr: SocketAddr,
    /// Events with the virtual time since the epoch.
    pub events: Vec<(Duration, Event)>,
    /// Media instructions, in order.
    pub media: Vec<MediaCtl>,
    /// Every datagram this UA sent: (time, destination, bytes).
    pub sent: Vec<(Duration, SocketAddr, Vec<u8>)>,
    /// Media reports to feed back (RTP ports "bound" at once).
    reports: VecDeque<MediaReport>,
    next_rtp: u16,
}

/// A datagram on the wire.
struct InFlight {
    at: Instant,
    to: SocketAddr,
    from: SocketAddr,
    bytes: Vec<u8>,
    proto: Protocol,
}

/// The network.
pub struct Net {
    pub uas: Vec<Ua>,
    pub epoch: Instant,
    pub now: Instant,
    pub latency: Duration,
    /// Probability that a datagram is lost.
    pub loss: f64,
    /// Probability that a datagram is delivered twice.
    pub duplicate: f64,
    /// Datagrams sent to addresses that are not a UA: (time, from, to, bytes).
    pub stray: Vec<(Duration, SocketAddr, SocketAddr, Vec<u8>)>,
    wire: Vec<InFlight>,
    rng: SmallRng,
    /// Rules holding datagrams back: (sender index, start of the message text).
    hold_rules: Vec<(usize, String, String)>,
    held: Vec<InFlight>,
    /// Scripted servers at addresses that are not UAs (e.g. a registrar for timeline
    /// tests): each datagram to the address goes in, the replies go back to its sender.
    responders: Vec<(SocketAddr, Responder)>,
}

/// A scripted server: the bytes of one request in, the replies out.
pub type Responder = Box<dyn FnMut(&[u8]) -> Vec<Vec<u8>>>;

/// The names of the UAs, in order: alice = 0, bob = 1, carol = 2.
pub const NAMES: [&str; 3] = ["alice", "bob", "carol"];

impl Net {
    /// `n` UAs at 127.0.0.1:5061, :5062, … with the given seed for engines and network.
    pub fn new(n: usize, seed: u64) -> Net {
        Self::with_codecs(n, seed, vec![CodecKind::Pcmu, CodecKind::Opus])
    }

    /// Like `new`, with a codec list for every UA.
    pub fn with_codecs(n: usize, seed: u64, codecs: Vec<CodecKind>) -> Net {
        Self::build(n, seed, codecs, |_| Vec::new())
    }

    /// Like `new`, with accounts for UA `i` from `accounts(i)`.
    pub fn with_accounts(
        n: usize,
        seed: u64,
        accounts: impl Fn(usize) -> Vec<sipline::sip::account::AccountConfig>,
    ) -> Net {
        Self::build(n, seed, vec![CodecKind::Pcmu, CodecKind::Opus], accounts)
    }

    fn build(
        n: usize,
        seed: u64,
        codecs: Vec<CodecKind>,
        accounts: impl Fn(usize) -> Vec<sipline::sip::account::AccountConfig>,
    ) -> Net {
        let epoch = Instant::now();
        let uas = (0..n)
            .map(|i| {
                let addr: SocketAddr = format!("127.0.0.1:{}", 5061 + i).parse().unwrap();
                Ua {
                    name: NAMES[i],
                    engine: Engine::new(
                        EngineConfig {
                            local: addr,
                            advertise: None,
                            user: NAMES[i].to_string(),
                            codecs: codecs.clone(),
                            seed: seed.wrapping_mul(31).wrapping_add(i as u64),
                            timers: TimerValues::default(),
                            accounts: accounts(i),
                        },
                        epoch,
                    ),
                    addr,
                    events: Vec::new(),
                    media: Vec::new(),
                    sent: Vec::new(),
                    reports: VecDeque::new(),
                    next_rtp: 40_000 + 1000 * i as u16,
                }
            })
            .collect();
        Net {
            uas,
            epoch,
            now: epoch,
            latency: Duration::from_millis(10),
            loss: 0.0,
            duplicate: 0.0,
            stray: Vec::new(),
            wire: Vec::new(),
            rng: SmallRng::seed_from_u64(seed),
            hold_rules: Vec::new(),
            held: Vec::new(),
            responders: Vec::new(),
        }
    }

    /// Serve `addr` with a scripted responder.
    pub fn serve(&mut self, addr: SocketAddr, responder: Responder) {
        self.responders.push((addr, responder));
    }

    /// Hold back every datagram UA `from` sends whose text starts with `prefix` (e.g.
    /// `"SIP/2.0 200"`, `"ACK"`) until [`release`](Net::release) (STYLE.md §8 P6).
    pub fn hold(&mut self, from: usize, prefix: &str) {
        self.hold_if(from, prefix, "");
    }

    /// Like `hold`, for datagrams that also contain `contains` (e.g. `"CSeq: 1 INVITE"`).
    pub fn hold_if(&mut self, from: usize, prefix: &str, contains: &str) {
        self.hold_rules
            .push((from, prefix.to_string(), contains.to_string()));
    }

    /// Stop holding and put everything held on the wire now, in the order it was sent.
    pub fn release(&mut self) {
        self.hold_rules.clear();
        let now = self.now;
        for mut d in std::mem::take(&mut self.held) {
            d.at = now + self.latency;
            self.wire.push(d);
        }
    }

    /// Drop, instead of holding, everything held so far (lost for good).
    pub fn discard_held(&mut self) -> usize {
        std::mem::take(&mut self.held).len()
    }

    /// Virtual time since the start.
    pub fn elapsed(&self) -> Duration {
        self.now - self.epoch
    }

    /// Give UA `i` a command (one mutation, then drain).
    pub fn command(&mut self, i: usize, cmd: Command) {
        let now = self.now;
        self.uas[i].engine.handle_input(now, Input::Command(cmd));
        self.drain(i);
    }

    /// Deliver raw bytes to UA `i` now, as if sent from `from`.
    pub fn inject(&mut self, i: usize, from: SocketAddr, bytes: &[u8]) {
        let now = self.now;
        self.uas[i]
            .engine
            .handle_input(now, Input::Receive(Receive::udp(from, bytes.to_vec())));
        self.drain(i);
    }

    fn drain(&mut self, i: usize) {
        loop {
            while let Some(out) = self.uas[i].engine.poll_output() {
                let since = self.now - self.epoch;
                match out {
                    Output::Transmit(t) => {
                        let from = self.uas[i].addr;
                        self.uas[i]
                            .sent
                            .push((since, t.destination, t.contents.clone()));
                        let proto = t.proto;
                        let held = self.hold_rules.iter().any(|(who, prefix, contains)| {
                            *who == i
                                && t.contents.starts_with(prefix.as_bytes())
                                && String::from_utf8_lossy(&t.contents).contains(contains.as_str())
                        });
                        if held {
                            self.held.push(InFlight {
                                at: self.now,
                                to: t.destination,
                                from,
                                bytes: t.contents,
                                proto,
                            });
                        } else {
                            self.put_on_wire(from, t.destination, t.contents, proto);
                        }
                    }
                    Output::Media(ctl) => {
                        if let MediaCtl::Open { call } = &ctl {
                            let ua = &mut self.uas[i];
                            let local: SocketAddr =
                                format!("127.0.0.1:{}", ua.next_rtp).parse().unwrap();
                            ua.next_rtp += 2;
                            ua.reports
                                .push_back(MediaReport::Opened { call: *call, local });
                        }
                        self.uas[i].media.push(ctl);
                    }
                    Output::Event(e) => self.uas[i].events.push((since, e)),
                }
            }
            // Feed media reports one mutation at a time, draining after each.
            match self.uas[i].reports.pop_front() {
                Some(r) => {
                    let now = self.now;
                    self.uas[i].engine.handle_input(now, Input::Media(r));
                }
                None => break,
            }
        }
    }

    fn put_on_wire(&mut self, from: SocketAddr, to: SocketAddr, bytes: Vec<u8>, proto: Protocol) {
        // Streams neither lose nor duplicate (what TCP guarantees).
        if proto.is_reliable() {
            self.wire.push(InFlight {
                at: self.now + self.latency,
                to,
                from,
                bytes,
                proto,
            });
            return;
        }
        if self.loss > 0.0 && self.rng.gen_bool(self.loss) {
            return;
        }
        let copies = if self.duplicate > 0.0 && self.rng.gen_bool(self.duplicate) {
            2
        } else {
            1
        };
        for c in 0..copies {
            let jitter = Duration::from_micros(self.rng.gen_range(0..1000) + c * 3000);
            self.wire.push(InFlight {
                at: self.now + self.latency + jitter,
                to,
                from,
                bytes: bytes.clone(),
                proto,
            });
        }
    }

    /// The next moment anything happens: a delivery or an engine deadline.
    fn next_time(&self) -> Option<Instant> {
        let wire = self.wire.iter().map(|d| d.at).min();
        let timers = self
            .uas
            .iter()
            .filter_map(|u| u.engine.poll_timeout())
            .min();
        [wire, timers].into_iter().flatten().min()
    }

    /// Advance to the next moment and handle everything due then. False when idle.
    pub fn step(&mut self) -> bool {
        let Some(t) = self.next_time() else {
            return false;
        };
        if t > self.now {
            self.now = t;
        }
        // Deliveries due now, in time order.
        let mut due: Vec<InFlight> = Vec::new();
        let mut i = 0;
        while i < self.wire.len() {
            if self.wire[i].at <= self.now {
                due.push(self.wire.swap_remove(i));
            } else {
                i += 1;
            }
        }
        due.sort_by_key(|d| d.at);
        for d in due {
            match self.uas.iter().position(|u| u.addr == d.to) {
                Some(k) => {
                    let now = self.now;
                    self.uas[k].engine.handle_input(
                        now,
                        Input::Receive(Receive {
                            source: d.from,
                            contents: d.bytes,
                            proto: d.proto,
                            flow: None,
                        }),
                    );
                    self.drain(k);
                }
                None => {
                    let since = self.now - self.epoch;
                    if let Some((_, r)) = self.responders.iter_mut().find(|(a, _)| *a == d.to) {
                        for reply in r(&d.bytes) {
                            self.wire.push(InFlight {
                                at: self.now + self.latency,
                                to: d.from,
                                from: d.to,
                                bytes: reply,
                                proto: d.proto,
                            });
                        }
                    }
                    self.stray.push((since, d.from, d.to, d.bytes));
                }
            }
        }
        for k in 0..self.uas.len() {
            if self.uas[k]
                .engine
                .poll_timeout()
                .is_some_and(|t| t <= self.now)
            {
                let now = self.now;
                self.uas[k].engine.handle_input(now, Input::Timeout);
                self.drain(k);
            }
        }
        true
    }

    /// Run for `d` of virtual time (or until idle).
    pub fn run_for(&mut self, d: Duration) {
        let end = self.now + d;
        while self.next_time().is_some_and(|t| t <= end) {
            self.step();
        }
        if self.now < end {
            self.now = end;
        }
    }

    /// Run until `pred` holds or `max` virtual time passed; true if it held.
    pub fn run_until(&mut self, max: Duration, mut pred: impl FnMut(&Net) -> bool) -> bool {
        let end = self.now + max;
        loop {
            if pred(self) {
                return true;
            }
            match self.next_time() {
                Some(t) if t <= end => {
                    self.step();
                }
                _ => return pred(self),
            }
        }
    }

    /// Run until UA `i` has an event named `name`; returns it.
    pub fn wait_event(&mut self, i: usize, name: &str, max: Duration) -> Option<Event> {
        let ok = self.run_until(max, |n| {
            n.uas[i].events.iter().any(|(_, e)| e.name() == name)
        });
        if !ok {
            return None;
        }
        self.uas[i]
            .events
            .iter()
            .find(|(_, e)| e.name() == name)
            .map(|(_, e)| e.clone())
    }

    /// The names of UA `i`'s events, in order.
    pub fn event_names(&self, i: usize) -> Vec<&'static str> {
        self.uas[i].events.iter().map(|(_, e)| e.name()).collect()
    }

    /// The SIP start lines UA `i` sent, in order ("INVITE", "SIP/2.0 200", …).
    pub fn sent_lines(&self, i: usize) -> Vec<String> {
        self.uas[i]
            .sent
            .iter()
            .map(|(_, _, b)| {
                let text = String::from_utf8_lossy(b);
                let line = text.lines().next().unwrap_or("").to_string();
                if line.starts_with("SIP/2.0") {
                    line.split_whitespace()
                        .take(2)
                        .collect::<Vec<_>>()
                        .join(" ")
                } else {
                    line.split_whitespace().next().unwrap_or("").to_string()
                }
            })
            .collect()
    }

    /// The call number UA `i` got in its first event of this name.
    pub fn call_of(&self, i: usize, name: &str) -> Option<CallHandle> {
        self.uas[i]
            .events
            .iter()
            .find(|(_, e)| e.name() == name)
            .and_then(|(_, e)| e.call())
    }

    /// The SIP URI of UA `i`.
    pub fn uri(&self, i: usize) -> String {
        format!("sip:{}@{}", self.uas[i].name, self.uas[i].addr)
    }
}
