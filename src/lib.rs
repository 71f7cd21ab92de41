//! sipline: a SIP softphone for the terminal.
//!
//! # The run-loop contract
//!
//! [`sip::Engine`] is sans-IO (ARCHITECTURE.md rule 1): it takes bytes, time, commands and
//! media reports in through `handle_input(now, input)` and gives bytes, media instructions
//! and events out through `poll_output()`, with `poll_timeout()` naming the next deadline.
//! After every `handle_input` the driver drains `poll_output` to empty before it waits
//! again (rule 2). Front-ends speak only [`api::Command`] and [`api::Event`] (rule 3).

#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod accounts;
pub mod api;
pub mod cli;
pub mod config;
pub mod driver;
pub mod media;
pub mod sip;
