//! Front-ends: the interactive REPL, the stdin script runner, and event rendering.
