//! The parser fixtures in tests/fixtures/transcripts are part of the repository (real Codex CLI
//! output), so this always runs: each is whole JSON Lines. They are copies of the verified
//! transcripts in ../shared/codex-cli/transcripts; where that folder is present (it is beside
//! every clone CI tests), the copies must not have drifted from it either.

use std::path::Path;

#[test]
fn fixtures_are_whole_and_match_the_shared_transcripts() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ours = root.join("tests/fixtures/transcripts");
    let mut logs = 0;
    for entry in std::fs::read_dir(&ours).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "jsonl") {
            let text = std::fs::read_to_string(&path).unwrap();
            for (n, line) in text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
            {
                serde_json::from_str::<serde_json::Value>(line)
                    .unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), n + 1));
            }
            logs += 1;
        }
    }
    assert!(logs >= 6, "only {logs} transcripts in {}", ours.display());

    let shared = root.join("../shared/codex-cli/transcripts");
    if !shared.is_dir() {
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
