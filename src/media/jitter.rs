//! Jitter buffer: reorders RTP by sequence number and releases one 20 ms frame per tick.
