//! The sans-IO SIP engine (RFC 3261): messages, transport helpers, transactions, dialogs
//! and the user agent (invite sessions). No sockets, no clock, no threads.

pub mod engine;
pub mod msg;

pub use engine::{Engine, EngineConfig, Input, Output, Receive, Transmit};
