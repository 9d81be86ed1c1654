//! The parser fixtures in tests/fixtures/transcripts are copies of the verified Codex CLI
//! transcripts in ../shared/codex-cli/transcripts. Where that folder is present (it is beside
//! every clone CI tests), the copies must not have drifted from it.

use std::path::Path;

#[test]
fn fixtures_match_the_shared_transcripts() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("../shared/codex-cli/transcripts");
    let ours = root.join("tests/fixtures/transcripts");
    if !shared.is_dir() {
        eprintln!(
            "note: {} is absent; the fixtures were not compared with it",
            shared.display()
        );
        return;
    }
    let mut compared = 0;
    for entry in std::fs::read_dir(&shared).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        let copy = ours.join(&name);
        assert!(
            copy.exists(),
            "{name:?} is missing from tests/fixtures/transcripts"
        );
        assert_eq!(
            std::fs::read(entry.path()).unwrap(),
            std::fs::read(&copy).unwrap(),
            "{name:?} differs from the shared transcript"
        );
        compared += 1;
    }
    assert!(compared >= 6, "only {compared} transcripts compared");
}
