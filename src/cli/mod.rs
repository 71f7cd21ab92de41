//! Front-ends: the interactive REPL, the stdin script runner, and event rendering.
//!
//! Both front-ends read the same command table ([`commands`]), send [`crate::api::Command`]s
//! to the driver and print [`crate::api::Event`]s through [`render`].

pub mod calls;
pub mod commands;
pub mod devices;
pub mod duration;
pub mod expect_audio;
pub mod output;
pub mod policy;
pub mod registrations;
pub mod render;
pub mod repl;
pub mod schema;
pub mod script;
