//! `--json` output checked against `docs/events.md` (read from the source tree, so an edit
//! to the page is tested without a rebuild of the library).

use std::collections::BTreeSet;

use sipline::cli::schema::Schema;

use super::Outcome;

/// The schema documented in `docs/events.md`.
pub fn documented_schema() -> Schema {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/events.md");
    let text = std::fs::read_to_string(path).expect("read docs/events.md");
    Schema::parse(&text).unwrap_or_else(|e| panic!("{e}"))
}

/// Every stdout line of `out` was a JSON object (nothing else on stdout) matching `schema`;
/// returns the event kinds seen.
pub fn check_documented(schema: &Schema, out: &Outcome) -> BTreeSet<String> {
    assert!(
        out.other_stdout.is_empty(),
        "{}: stdout lines that are not JSON objects: {:?}\n{}",
        out.name,
        out.other_stdout,
        out.report()
    );
    out.events
        .iter()
        .map(|event| {
            schema
                .check(event)
                .unwrap_or_else(|e| panic!("{}: {e}\n{}", out.name, out.report()));
            event["event"].as_str().unwrap_or_default().to_string()
        })
        .collect()
}
