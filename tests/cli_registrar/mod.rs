//! A fake registrar for the front-end's process tests: a thread on 127.0.0.1 that answers
//! every REGISTER at once with the status `decide` picks from the AOR's user (echoing the
//! Contact and Expires asked for on a 2xx) and keeps the requests. Just enough SIP for
//! sipline's REGISTER: Via, From, To (tagged here), Call-ID and CSeq copied back.

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// The running registrar; stops when dropped.
pub struct FakeRegistrar {
    /// Where it listens (UDP).
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FakeRegistrar {
    /// Answers every REGISTER with `code reason`.
    #[allow(dead_code)]
    pub fn start(code: u16, reason: &'static str) -> FakeRegistrar {
        FakeRegistrar::deciding(move |_| (code, reason))
    }

    /// Answers each REGISTER with what `decide` says for the user of its To URI.
    pub fn deciding(decide: impl Fn(&str) -> (u16, &'static str) + Send + 'static) -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind the fake registrar");
        socket
            .set_read_timeout(Some(Duration::from_millis(50)))
            .expect("set a read timeout");
        let addr = socket.local_addr().expect("registrar address");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (kept, stopped) = (seen.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut buf = [0u8; 65_535];
            while !stopped.load(Ordering::SeqCst) {
                let Ok((n, from)) = socket.recv_from(&mut buf) else {
                    continue;
                };
                let request = String::from_utf8_lossy(&buf[..n]).into_owned();
                if !request.starts_with("REGISTER ") {
                    continue;
                }
                let (code, reason) = decide(&to_user(&request));
                let answer = answer(&request, code, reason);
                kept.lock().unwrap().push(request);
                let _ = socket.send_to(answer.as_bytes(), from);
            }
        });
        FakeRegistrar {
            addr,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    /// The Expires header of each REGISTER received, in order.
    #[allow(dead_code)]
    pub fn expires_seen(&self) -> Vec<String> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter_map(|r| header(r, "expires"))
            .collect()
    }
}

impl Drop for FakeRegistrar {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The value of the first header `name` (lower case) of a message.
fn header(message: &str, name: &str) -> Option<String> {
    message
        .split("\r\n")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .find_map(|l| {
            let (n, v) = l.split_once(':')?;
            (n.trim().eq_ignore_ascii_case(name)).then(|| v.trim().to_string())
        })
}

/// The user part of the To URI (`<sip:alice@…>` → `alice`).
fn to_user(request: &str) -> String {
    let to = header(request, "to").unwrap_or_default();
    let after = to.split_once("sip:").map(|(_, r)| r).unwrap_or("");
    after.split('@').next().unwrap_or("").to_string()
}

/// The response to one REGISTER.
fn answer(request: &str, code: u16, reason: &str) -> String {
    let mut out = format!("SIP/2.0 {code} {reason}\r\n");
    for line in request.split("\r\n").skip(1).take_while(|l| !l.is_empty()) {
        let name = line
            .split(':')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match name.as_str() {
            "via" | "from" | "call-id" | "cseq" => out.push_str(&format!("{line}\r\n")),
            "to" => out.push_str(&format!("{line};tag=registrar\r\n")),
            "contact" | "expires" if code < 300 => out.push_str(&format!("{line}\r\n")),
            _ => {}
        }
    }
    out.push_str("Content-Length: 0\r\n\r\n");
    out
}
