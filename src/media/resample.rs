//! Sample-rate conversion between audio ends and codecs.
