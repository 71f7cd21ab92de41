//! The one seam between front-ends and the engine (ARCHITECTURE.md rule 3).
//!
//! Front-ends (REPL, stdin script, tests) send [`Command`]s and read [`Event`]s. A call is
//! named by a [`CallHandle`], a small integer shown to the user, never by its SIP Call-ID.
//! The vocabulary follows SIP.js: an incoming INVITE is a server context that can be
//! `progress`ed, `accept`ed or `reject`ed; an outgoing one is a client context that can be
//! `cancel`ed; an established session can be ended with `hangup` (SIP.js `terminate`).

use std::fmt;
use std::net::SocketAddr;

use serde::Serialize;

/// Engine-assigned call number, monotonic from 1. Not the SIP `Call-ID` header.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct CallHandle(pub u32);

impl fmt::Display for CallHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Which side created the call.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// We sent the INVITE (SIP.js Inviter / client context).
    Outgoing,
    /// We received the INVITE (SIP.js Invitation / server context).
    Incoming,
}

/// Who ended a call.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Party {
    /// We did (hangup, cancel, reject, shutdown).
    Local,
    /// The peer did (BYE, CANCEL, final non-2xx).
    Remote,
}

/// Why a call failed without a final response from the peer.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureCause {
    /// Timer B/F fired: no final response in 64*T1 (RFC 3261 §17.1.1.2).
    Timeout,
    /// The transport reported an error (RFC 3261 §8.1.3.1).
    Transport,
    /// The peer's SDP answer could not be used.
    Media,
    /// The target could not be resolved or parsed.
    BadTarget,
    /// A 401/407 challenge could not be answered (no or wrong credentials).
    Auth,
}

impl FailureCause {
    /// Lower-case name as printed and used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureCause::Timeout => "timeout",
            FailureCause::Transport => "transport",
            FailureCause::Media => "media",
            FailureCause::BadTarget => "bad-target",
            FailureCause::Auth => "auth",
        }
    }
}

/// How DTMF digits travel.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum DtmfMode {
    /// RFC 4733 when the peer's SDP has telephone-event, else SIP INFO.
    #[default]
    Auto,
    /// RFC 4733 telephone-events in the RTP stream.
    Rfc4733,
    /// SIP INFO with `application/dtmf-relay` (one request per digit).
    Info,
}

impl DtmfMode {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            DtmfMode::Auto => "auto",
            DtmfMode::Rfc4733 => "rfc4733",
            DtmfMode::Info => "info",
        }
    }
}

/// What `expect-audio` checks in the audio a call receives (judged per 20 ms block).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum AudioCheck {
    /// A steady tone at this frequency in Hz (Goertzel, the rule of `tone_fraction`).
    Tone(u32),
    /// Nothing above -50 dBFS.
    Silence,
    /// Something audible: blocks above -40 dBFS.
    Speech,
}

impl fmt::Display for AudioCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AudioCheck::Tone(hz) => write!(f, "tone:{hz}"),
            AudioCheck::Silence => f.write_str("silence"),
            AudioCheck::Speech => f.write_str("speech"),
        }
    }
}

/// A line of the built-in test service: `invite echo` and `invite tone` call a SIP UA that
/// the driver runs in the same process on 127.0.0.1 and that answers at once. A typed
/// target, so the engine never sees magic user names: the driver resolves it to the
/// service's address (`driver::test_line`).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TestLine {
    /// Sends back the audio it receives [`crate::media::audio::echo::ECHO_DELAY_MS`] later,
    /// and every DTMF digit it hears, by the method it came.
    Echo,
    /// Sends a [`TEST_TONE_HZ`] tone (and echoes DTMF like `Echo`).
    Tone,
}

/// Frequency of the `tone` test line's tone, in Hz: the usual test-tone frequency, and far
/// from the 440 Hz many scripts send, so a check cannot mistake one for the other.
pub const TEST_TONE_HZ: u32 = 1000;

impl TestLine {
    /// Its name, as typed (`echo`, `tone`) and used as the service's user part.
    pub fn as_str(self) -> &'static str {
        match self {
            TestLine::Echo => "echo",
            TestLine::Tone => "tone",
        }
    }

    /// The line a bare word names (`echo`, `tone`, any case); None for anything else.
    pub fn from_word(word: &str) -> Option<TestLine> {
        [TestLine::Echo, TestLine::Tone]
            .into_iter()
            .find(|l| word.eq_ignore_ascii_case(l.as_str()))
    }
}

/// Options of an outgoing INVITE beyond its target.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct InviteOptions {
    /// Late offer (RFC 3261 §13.2.1): no SDP in the INVITE; the peer offers in its 2xx and
    /// our answer goes in the ACK.
    pub no_sdp: bool,
    /// Hide our identity: anonymous From (RFC 3323 §4.1.1.3) and `Privacy: id` (RFC 3325).
    pub anonymous: bool,
    /// Extra header fields (`-H 'Name: value'`), added as given.
    pub headers: Vec<(String, String)>,
    /// The account to call from, by name (default: the first).
    pub account: Option<String>,
    /// Call from no account even when there are some: From `sip:USER@our address`, sent
    /// straight to the Request-URI's host (no outbound proxy). The built-in test line's calls.
    pub without_account: bool,
    /// Do not follow a 3xx to its Contacts: end the call with [`Event::Redirected`].
    pub no_follow: bool,
}

/// What a response command (or `request`) adds to its message (`-H`, `--body`,
/// `--content-type`).
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct ResponseOptions {
    /// Extra header fields (`-H 'Name: value'`), added as given.
    pub headers: Vec<(String, String)>,
    /// A body, sent with `content_type` (never on a 2xx, which carries our SDP).
    pub body: Option<String>,
    /// The body's Content-Type (default `text/plain`).
    pub content_type: Option<String>,
}

/// Options of a REFER beyond its target (`refer … --no-sub`).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct ReferOptions {
    /// RFC 4488: ask for no implicit subscription (`Refer-Sub: false`), so no NOTIFYs
    /// report the transferee's call; a 2xx that agrees ends our part at once.
    pub no_sub: bool,
    /// Put the call on hold first and send the REFER only once the hold's re-INVITE got
    /// its 2xx (at once when the call is already on hold).
    pub hold: bool,
}

/// A user request. The only way a front-end changes the engine.
///
/// `call: None` means "the one call this command fits"; the engine answers with
/// [`Event::CommandError`] when none or several fit.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum Command {
    /// Place a call: INVITE with an SDP offer (SIP.js `Inviter.invite`).
    Invite {
        /// `sip:` URI of the callee.
        target: String,
    },
    /// Place a call with options (late offer, anonymity, extra headers).
    InviteWith {
        /// `sip:` URI of the callee (or a user at the account's domain).
        target: String,
        /// What else to do.
        options: InviteOptions,
    },
    /// Answer an incoming INVITE with any status (SIP.js `reply`): 1xx progress, 2xx
    /// accept, 3xx-6xx reject.
    Reply {
        /// The call, or None for the only one that fits.
        call: Option<CallHandle>,
        /// 100..=699.
        code: u16,
        /// Reason phrase; the standard one when None.
        reason: Option<String>,
    },
    /// Redirect an incoming INVITE to other URIs (RFC 3261 §13.3.1.2): a 3xx with Contacts.
    Redirect {
        /// The call, or None for the only one that fits.
        call: Option<CallHandle>,
        /// Where the caller should try instead.
        targets: Vec<String>,
        /// 300..=399 (default 302).
        code: u16,
    },
    /// Send a provisional response to an incoming INVITE (SIP.js `progress`, default 180).
    Progress {
        /// The call, or None for the only one that fits.
        call: Option<CallHandle>,
        /// 101..=199.
        code: u16,
        /// Reason phrase; the standard one when None.
        reason: Option<String>,
    },
    /// A reliable 183 Session Progress with our SDP (RFC 3262 `100rel`), so early media
    /// flows before the answer; the caller acknowledges it with PRACK. Only for an INVITE
    /// with `Supported` or `Require: 100rel`; otherwise a command error and nothing sent.
    PreAccept {
        /// The call, or None for the only one that fits.
        call: Option<CallHandle>,
    },
    /// Answer an incoming INVITE (SIP.js `accept`, default 200).
    Accept {
        /// The call, or None for the only one that fits.
        call: Option<CallHandle>,
    },
    /// Refuse an incoming INVITE (SIP.js `reject`, default 480).
    Reject {
        /// The call, or None for the only one that fits.
        call: Option<CallHandle>,
        /// 300..=699.
        code: u16,
        /// Reason phrase; the standard one when None.
        reason: Option<String>,
    },
    /// A response command (`Progress`, `Accept`, `Reject`, `Reply`, `Redirect`) whose
    /// response also carries extra headers or a body.
    RespondWith {
        /// The response command.
        command: Box<Command>,
        /// What its response carries besides.
        options: ResponseOptions,
    },
    /// A request of any other method (SIP.js `sendRequest`): in call N's dialog, or out of
    /// any dialog to `target`. The final response comes back as [`Event::Response`].
    Request {
        /// The call whose dialog it goes in (None with no target: the only call that fits).
        call: Option<CallHandle>,
        /// Out of dialog: the Request-URI.
        target: Option<String>,
        /// Out of dialog: the account to send from, by name (None: the first).
        account: Option<String>,
        /// The method token, e.g. `INFO`, `MESSAGE`, `OPTIONS`.
        method: String,
        /// Extra headers and a body.
        options: ResponseOptions,
    },
    /// CANCEL an outgoing INVITE before its final response (SIP.js `cancel`).
    Cancel {
        /// The call, or None for the only one that fits.
        call: Option<CallHandle>,
        /// A Reason header value for the CANCEL (RFC 3326), e.g. `SIP;cause=200;text="Call
        /// completed elsewhere"`.
        reason: Option<String>,
    },
    /// End a confirmed call with BYE (RFC 3261 §15.1.1; SIP.js `bye`); refused in any
    /// other state.
    Bye {
        /// The call, or None for the only confirmed one.
        call: Option<CallHandle>,
    },
    /// End a call whatever its state (SIP.js `terminate`): CANCEL, reject, or BYE.
    Hangup {
        /// The call, or None for the only one that fits.
        call: Option<CallHandle>,
    },
    /// Send DTMF digits on a call (SIP.js `sendDTMF`): 0-9 * # A-D, `,` = 2 s pause.
    SendDtmf {
        /// The call, or None for the only one that fits.
        call: Option<CallHandle>,
        /// The digits.
        digits: String,
        /// How to send them.
        mode: DtmfMode,
        /// Tone length per digit in ms (default 100).
        duration_ms: Option<u32>,
        /// Pause after each tone in ms (default 500).
        gap_ms: Option<u32>,
    },
    /// Put a call on hold by re-INVITE (RFC 3264 §8.4: `sendonly`).
    Hold {
        /// The call, or None for the only one that fits.
        call: Option<CallHandle>,
    },
    /// Take a call off hold (`sendrecv` again).
    Unhold {
        /// The call, or None for the only one that fits.
        call: Option<CallHandle>,
    },
    /// Transfer a call by REFER (RFC 3515): blind to `target`, or attended, replacing our
    /// call `replace` with the target (RFC 3891 Replaces).
    Refer {
        /// The call to transfer, or None for the only one that fits.
        call: Option<CallHandle>,
        /// Where to transfer to (ignored with `replace`, whose peer is the target).
        target: String,
        /// Attended transfer: our other call, to the transfer target.
        replace: Option<CallHandle>,
        /// What else to do.
        options: ReferOptions,
    },
    /// Transfer outside any call (RFC 3515 out of dialog, SIP.js allows it): a REFER to
    /// `recipient` asking it to call `target`. It gets a number of its own, shown in its
    /// `refer-*` events.
    ReferOutOfDialog {
        /// Whom the REFER goes to (`--to`).
        recipient: String,
        /// Whom the recipient should call (Refer-To).
        target: String,
        /// What else to do (`hold` does not apply).
        options: ReferOptions,
    },
    /// Accept the peer's REFER (SIP.js ReferServerContext `accept`): 202, then call the
    /// Refer-To target and report its progress in NOTIFYs.
    ReferAccept {
        /// The call the REFER came on, or None for the only one that fits.
        call: Option<CallHandle>,
    },
    /// Tell the peer its REFER is being considered (SIP.js ReferServerContext `progress`):
    /// a `100 Trying` response; `refer-accept` or `refer-reject` still decides.
    ReferProgress {
        /// The call the REFER came on, or None for the only one that fits.
        call: Option<CallHandle>,
    },
    /// Refuse the peer's REFER (SIP.js `reject`, default 480).
    ReferReject {
        /// The call the REFER came on, or None for the only one that fits.
        call: Option<CallHandle>,
        /// 300..=699.
        code: u16,
    },
    /// Register an account now (RFC 3261 §10); refreshes follow by themselves.
    Register {
        /// The account's name; None for the first account.
        account: Option<String>,
    },
    /// Remove an account's registration (Expires: 0) and stop refreshing it.
    Unregister {
        /// The account's name; None for the first account.
        account: Option<String>,
    },
    /// Report the media counters of call N, or of every call with media (one
    /// [`Event::Stats`] each). Answered by the driver, which runs the media.
    Stats {
        /// The call; None for every call with media.
        call: Option<CallHandle>,
    },
    /// Listen to what call N receives for `duration_ms` and report whether it holds
    /// `check` ([`Event::AudioChecked`]). Answered by the driver, which runs the media.
    ExpectAudio {
        /// The call; None for the only call with media.
        call: Option<CallHandle>,
        /// What the audio must be.
        check: AudioCheck,
        /// How long to listen, in ms.
        duration_ms: u32,
    },
    /// Call a line of the built-in test service (`invite echo`, `invite tone`); the driver
    /// starts the service on first use and sends the INVITE to it.
    InviteTestLine {
        /// Which line.
        line: TestLine,
        /// As for any INVITE.
        options: InviteOptions,
    },
    /// End every call and stop.
    Shutdown,
}

/// Something that happened, in the order it happened. The only thing front-ends read.
#[derive(Clone, PartialEq, Debug, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Event {
    // ===== outgoing calls (client context) =====
    /// An INVITE was sent for a `Command::Invite`; the call now has this number.
    Calling {
        /// The new call.
        call: CallHandle,
        /// Request-URI.
        to: String,
        /// Our From.
        from: String,
    },
    /// A provisional response arrived (or, for incoming calls, we sent one).
    Progress {
        /// The call.
        call: CallHandle,
        /// 101..=199.
        code: u16,
        /// Reason phrase.
        reason: String,
        /// Sent reliably (RFC 3262 `100rel`: `Require: 100rel` and `RSeq`, acknowledged by
        /// PRACK), as `preaccept` does.
        reliable: bool,
    },
    /// The call was answered with a 2xx (sent or received).
    Accepted {
        /// The call.
        call: CallHandle,
        /// 200..=299.
        code: u16,
    },
    /// A final non-2xx response ended the call attempt (sent or received).
    Rejected {
        /// The call.
        call: CallHandle,
        /// 300..=699.
        code: u16,
        /// Reason phrase.
        reason: String,
    },
    /// The call attempt failed without a usable final response.
    Failed {
        /// The call.
        call: CallHandle,
        /// Why.
        cause: FailureCause,
    },
    /// A 3xx ended our call attempt without being followed (`invite --no-follow`, or the
    /// account's `follow_redirects = false`).
    Redirected {
        /// The call.
        call: CallHandle,
        /// 300..=399.
        code: u16,
        /// The Contact URIs, highest q first.
        contacts: Vec<String>,
    },
    /// The INVITE was canceled (by us, or by the caller for incoming calls).
    Canceled {
        /// The call.
        call: CallHandle,
        /// Who canceled.
        by: Party,
    },
    // ===== incoming calls (server context) =====
    /// A new INVITE arrived and waits for `accept`, `reject` or `progress`.
    Incoming {
        /// The new call.
        call: CallHandle,
        /// The From header's name-addr.
        from: String,
        /// The To header's name-addr.
        to: String,
    },
    // ===== both =====
    /// Media negotiated by offer/answer is flowing (or about to).
    Media {
        /// The call.
        call: CallHandle,
        /// Codec name as in SDP, e.g. `opus/48000/2`, `PCMU/8000`.
        codec: String,
        /// Peer's RTP address.
        remote: SocketAddr,
    },
    /// A confirmed call ended (BYE sent or received, or a failure after answer).
    Terminated {
        /// The call.
        call: CallHandle,
        /// Who ended it.
        by: Party,
        /// Short cause: `bye`, `timeout`, `transport`, `shutdown`.
        cause: String,
        /// How long the call was answered (talk time), in ms.
        duration_ms: u64,
    },
    /// The call was put on hold (by us, or the peer's re-INVITE stopped its audio to us).
    Held {
        /// The call.
        call: CallHandle,
        /// Who put it on hold.
        by: Party,
    },
    /// The call came off hold.
    Resumed {
        /// The call.
        call: CallHandle,
        /// Who resumed it.
        by: Party,
    },
    // ===== transfer =====
    /// The peer asks us to call someone else (REFER received); `refer-accept` or
    /// `refer-reject` decides.
    Referred {
        /// The call the REFER came on.
        call: CallHandle,
        /// The Refer-To URI (without its Replaces).
        refer_to: String,
        /// Who asked (Referred-By), or empty.
        referred_by: String,
        /// Attended: the new call replaces one of the target's (RFC 3891).
        replaces: bool,
    },
    /// We accepted a REFER and placed the new call.
    ReferInviteSent {
        /// The call the REFER came on.
        call: CallHandle,
        /// The new call to the Refer-To target.
        new_call: CallHandle,
    },
    /// Our transfer is under way: the transferee's call to the target got this provisional
    /// status (NOTIFY with message/sipfrag, RFC 3515), or our REFER was accepted (202).
    ReferProgress {
        /// The call we transferred.
        call: CallHandle,
        /// Status code.
        code: u16,
        /// Reason phrase.
        reason: String,
    },
    /// Our transfer succeeded: the target answered the transferee.
    ReferAccepted {
        /// The call we transferred.
        call: CallHandle,
    },
    /// Our transfer failed at the transferee: the REFER was refused (a non-2xx final
    /// response, SIP.js `referRequestRejected`) or not answered at all.
    ReferFailed {
        /// The call we transferred.
        call: CallHandle,
        /// The REFER's final status; 0 if none came.
        code: u16,
        /// Reason phrase, or `timeout`.
        reason: String,
    },
    /// Our transfer failed at the target: the transferee's call to it ended with a
    /// non-2xx final status, reported by NOTIFY (message/sipfrag, RFC 3515 §2.4.5; SIP.js
    /// `referRejected`).
    ReferRejected {
        /// The call we transferred.
        call: CallHandle,
        /// The final status of the transferee's call (300-699).
        code: u16,
        /// Its reason phrase.
        reason: String,
    },
    // ===== requests =====
    /// The final response to a `request` (or its absence: code 0).
    Response {
        /// The call whose dialog the request went in; None (0 in JSON) out of dialog.
        #[serde(serialize_with = "call_or_zero")]
        call: Option<CallHandle>,
        /// The request's method.
        method: String,
        /// Final status code; 0 when none came.
        code: u16,
        /// Reason phrase, or `timeout`, `transport`.
        reason: String,
    },
    // ===== DTMF =====
    /// A DTMF digit arrived (RFC 4733 event or SIP INFO).
    Dtmf {
        /// The call.
        call: CallHandle,
        /// The digit: 0-9 * # A-D.
        digit: String,
        /// How long it was held, in ms.
        duration_ms: u32,
        /// `rfc4733` or `info`.
        method: DtmfMode,
    },
    /// One of our digits went out completely.
    DtmfSent {
        /// The call.
        call: CallHandle,
        /// The digit.
        digit: String,
        /// `rfc4733` or `info`.
        method: DtmfMode,
    },
    // ===== registrations =====
    /// The registrar accepted our binding (RFC 3261 §10.2.4).
    Registered {
        /// Account name.
        account: String,
        /// Lifetime the registrar granted, in seconds.
        expires: u32,
    },
    /// A REGISTER failed; a retry is scheduled unless the account was unregistered.
    RegistrationFailed {
        /// Account name.
        account: String,
        /// Final status code, or 0 when none arrived (timeout, transport error).
        code: u16,
        /// Reason phrase, or `timeout`, `transport`, `auth failed`.
        reason: String,
        /// Seconds until the next attempt, or 0 when none is scheduled.
        retry_in: u32,
    },
    /// The binding was removed (Expires: 0 answered with 2xx).
    Unregistered {
        /// Account name.
        account: String,
    },
    // ===== media =====
    /// A call's media counters, in answer to [`Command::Stats`] (RFC 3550 §6.4.1 jitter).
    Stats {
        /// The call.
        call: CallHandle,
        /// RTP packets sent.
        sent_packets: u64,
        /// RTP packets received and accepted as this call's audio.
        received_packets: u64,
        /// Packets given up as lost by the jitter buffer.
        lost: u64,
        /// Packets that arrived too late to play.
        late: u64,
        /// Interarrival jitter in milliseconds.
        jitter_ms: u32,
        /// Level of what we hear (RMS over the last ~200 ms), dBFS; -120 for silence.
        level_dbfs: i32,
    },
    /// The verdict of [`Command::ExpectAudio`]: what the call received over the window.
    AudioChecked {
        /// The call.
        call: CallHandle,
        /// What was checked: `tone:HZ`, `silence` or `speech`.
        check: String,
        /// The audio held the check.
        passed: bool,
        /// Share of the 20 ms blocks that fit the check, in percent (0-100).
        percent: u32,
        /// Level of the whole window (RMS), dBFS; -120 for silence.
        level_dbfs: i32,
        /// How long the check was to listen, in ms.
        window_ms: u32,
        /// How much audio was judged, in ms: the whole window, or less when the call's
        /// media stopped first (then `passed` is false).
        heard_ms: u32,
    },
    // ===== the front-end's own mistakes =====
    /// A command could not be carried out; nothing was sent. One line for the user.
    CommandError {
        /// What went wrong and what is expected.
        message: String,
    },
}

impl Event {
    /// The event's kebab-case name, as used by `wait <event>` and the JSON `event` field.
    pub fn name(&self) -> &'static str {
        match self {
            Event::Calling { .. } => "calling",
            Event::Progress { .. } => "progress",
            Event::Accepted { .. } => "accepted",
            Event::Rejected { .. } => "rejected",
            Event::Failed { .. } => "failed",
            Event::Canceled { .. } => "canceled",
            Event::Redirected { .. } => "redirected",
            Event::Incoming { .. } => "incoming",
            Event::Media { .. } => "media",
            Event::Terminated { .. } => "terminated",
            Event::Referred { .. } => "referred",
            Event::ReferInviteSent { .. } => "refer-invite-sent",
            Event::ReferProgress { .. } => "refer-progress",
            Event::ReferAccepted { .. } => "refer-accepted",
            Event::ReferFailed { .. } => "refer-failed",
            Event::ReferRejected { .. } => "refer-rejected",
            Event::Held { .. } => "held",
            Event::Resumed { .. } => "resumed",
            Event::Dtmf { .. } => "dtmf",
            Event::DtmfSent { .. } => "dtmf-sent",
            Event::Registered { .. } => "registered",
            Event::RegistrationFailed { .. } => "registration-failed",
            Event::Unregistered { .. } => "unregistered",
            Event::Response { .. } => "response",
            Event::Stats { .. } => "stats",
            Event::AudioChecked { .. } => "audio-checked",
            Event::CommandError { .. } => "command-error",
        }
    }

    /// The call the event belongs to, if any.
    pub fn call(&self) -> Option<CallHandle> {
        match self {
            Event::Calling { call, .. }
            | Event::Progress { call, .. }
            | Event::Accepted { call, .. }
            | Event::Rejected { call, .. }
            | Event::Failed { call, .. }
            | Event::Canceled { call, .. }
            | Event::Redirected { call, .. }
            | Event::Incoming { call, .. }
            | Event::Media { call, .. }
            | Event::Terminated { call, .. }
            | Event::Referred { call, .. }
            | Event::ReferInviteSent { call, .. }
            | Event::ReferProgress { call, .. }
            | Event::ReferAccepted { call, .. }
            | Event::ReferFailed { call, .. }
            | Event::ReferRejected { call, .. }
            | Event::Held { call, .. }
            | Event::Resumed { call, .. }
            | Event::Dtmf { call, .. }
            | Event::DtmfSent { call, .. }
            | Event::Stats { call, .. }
            | Event::AudioChecked { call, .. } => Some(*call),
            Event::Response { call, .. } => *call,
            Event::Registered { .. }
            | Event::RegistrationFailed { .. }
            | Event::Unregistered { .. }
            | Event::CommandError { .. } => None,
        }
    }
}

/// A call number for JSON, 0 for none.
fn call_or_zero<S: serde::Serializer>(call: &Option<CallHandle>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u32(call.map_or(0, |c| c.0))
}
