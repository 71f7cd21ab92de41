//! The sans-IO SIP engine (RFC 3261): messages, transport rules, transactions, dialogs
//! and the user agent (invite sessions). No sockets, no clock, no threads.

pub mod account;
pub mod auth;
pub mod dialog;
pub mod engine;
pub mod msg;
mod request_fields;
pub mod timers;
pub mod transport;
pub mod txn;
pub mod ua;

pub use engine::{Engine, EngineConfig, Input, Output, Receive, Transmit};
