//! Command-line flags → driver and media configuration.
