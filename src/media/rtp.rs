//! RTP packetisation and parsing (RFC 3550 §5) on top of rtp-rs.
