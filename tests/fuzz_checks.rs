//! The fuzz targets' checks (`fuzz/src/checks.rs`), compiled and run here over their seed
//! corpus, the RFC 4475 torture messages: the fuzz crate builds only under cargo-fuzz, so
//! without this an API change could leave `scripts/fuzz` broken unnoticed (it did once:
//! `EngineConfig::accounts` and `Receive::proto`/`flow` had not reached it).

#[path = "../fuzz/src/checks.rs"]
mod checks;

mod common;

use common::corpora_dir;

#[test]
fn every_seed_passes_the_parse_and_engine_checks() {
    let dir = corpora_dir().join("rfc4475/messages");
    let mut seeds: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e} (set SIPLINE_SHARED)", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    seeds.sort();
    assert_eq!(seeds.len(), 49, "the RFC 4475 corpus: {}", dir.display());
    for path in seeds {
        let bytes = std::fs::read(&path).expect("readable seed");
        checks::parse(&bytes);
        checks::engine(&bytes);
    }
}
