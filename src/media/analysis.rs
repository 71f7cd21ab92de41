//! Signal analysis: Goertzel tone detection and levels (for tests and `expect-audio`).
