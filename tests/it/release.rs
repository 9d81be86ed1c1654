//! What a release is made of, checked without publishing anything: the archive the release
//! workflow uploads is where `cargo binstall` and the npm job look for it, and
//! `scripts/set-version.sh` writes one version everywhere and guards the tag.

use std::path::Path;
use std::process::Command;

use crate::support::*;

fn repo_file(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

/// The value of `key = "…"` in Cargo.toml's binstall table.
fn binstall(key: &str) -> String {
    let cargo = repo_file("Cargo.toml");
    let table = &cargo[cargo
        .find("[package.metadata.binstall]")
        .expect("binstall metadata")..];
    table
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key} = \"")))
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or_else(|| panic!("no {key} in the binstall metadata"))
        .to_string()
}

const TARGETS: [(&str, &str); 4] = [
    ("x86_64-unknown-linux-musl", "linux-x64"),
    ("aarch64-unknown-linux-musl", "linux-arm64"),
    ("x86_64-apple-darwin", "darwin-x64"),
    ("aarch64-apple-darwin", "darwin-arm64"),
];

#[test]
fn the_release_archive_is_where_binstall_and_npm_look() {
    let workflow = repo_file(".github/workflows/release.yml");
    // The archive upload-rust-binary-action makes with these settings:
    // codex-mcp-<target>.tar.gz holding codex-mcp-<target>/codex-mcp, with a .sha256 beside it.
    for setting in [
        "bin: codex-mcp",
        "archive: $bin-$target",
        "leading-dir: true",
        "checksum: sha256",
    ] {
        assert!(workflow.contains(setting), "release.yml lost `{setting}`");
    }
    for (target, platform) in TARGETS {
        assert!(
            workflow.contains(&format!("target: {target}")),
            "{target} is not built"
        );
        // The npm package of each platform is packed from that target's released binary.
        let packed = format!("--binary {platform}=release/codex-mcp-{target}/codex-mcp");
        assert!(workflow.contains(&packed), "release.yml lost `{packed}`");
        assert!(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("npm/platforms")
                .join(platform)
                .is_dir()
        );
    }

    // binstall's templates, filled in as binstall does, name that archive and that path.
    for (target, _) in TARGETS {
        let fill = |t: &str| {
            t.replace("{ repo }", "https://github.com/codex-mcp/codex-mcp")
                .replace("{ version }", env!("CARGO_PKG_VERSION"))
                .replace("{ name }", "codex-mcp")
                .replace("{ bin }", "codex-mcp")
                .replace("{ binary-ext }", "")
                .replace("{ target }", target)
        };
        assert_eq!(
            fill(&binstall("pkg-url")),
            format!(
                "https://github.com/codex-mcp/codex-mcp/releases/download/v{}/codex-mcp-{target}.tar.gz",
                env!("CARGO_PKG_VERSION")
            )
        );
        assert_eq!(
            fill(&binstall("bin-dir")),
            format!("codex-mcp-{target}/codex-mcp")
        );
    }
    assert_eq!(binstall("pkg-fmt"), "tgz");
    assert!(
        repo_file("Cargo.toml").contains("repository = \"https://github.com/codex-mcp/codex-mcp\"")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn set_version_writes_one_version_everywhere_and_guards_the_tag() {
    let fx = Fixture::new().await;
    // A copy of what the script edits (cargo needs the sources to rewrite Cargo.lock).
    let copy = fx.work.join("repo");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir_all(&copy).unwrap();
    for item in [
        "Cargo.toml",
        "Cargo.lock",
        "README_EN.md",
        "src",
        "npm",
        "server.json",
        "scripts",
    ] {
        let copied = Command::new("cp")
            .arg("-R")
            .arg(root.join(item))
            .arg(copy.join(item))
            .status()
            .unwrap();
        assert!(copied.success(), "copy {item}");
    }
    let script = |args: &[&str]| {
        let out = Command::new(copy.join("scripts/set-version.sh"))
            .args(args)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), text)
    };

    let (code, said) = script(&["--check", "9.8.7"]);
    assert_eq!(code, Some(1), "{said}");
    assert!(
        said.contains("do not say 9.8.7") && said.contains("Cargo.toml"),
        "{said}"
    );

    let (code, said) = script(&["9.8.7"]);
    assert_eq!(code, Some(0), "{said}");
    let (code, said) = script(&["--check", "9.8.7"]);
    assert_eq!(code, Some(0), "{said}");
    let read = |f: &str| std::fs::read_to_string(copy.join(f)).unwrap();
    assert!(read("Cargo.toml").contains("\nversion = \"9.8.7\"\n"));
    assert!(read("Cargo.lock").contains("name = \"codex-mcp\"\nversion = \"9.8.7\""));
    // Only the package's own version changed in Cargo.toml.
    assert_eq!(
        read("Cargo.toml").replace(
            "version = \"9.8.7\"",
            &format!("version = \"{}\"", env!("CARGO_PKG_VERSION"))
        ),
        repo_file("Cargo.toml")
    );
    let main: serde_json::Value =
        serde_json::from_str(&read("npm/codex-mcp/package.json")).unwrap();
    assert!(
        main["optionalDependencies"]
            .as_object()
            .unwrap()
            .values()
            .all(|v| v == "9.8.7")
    );
    let server: serde_json::Value = serde_json::from_str(&read("server.json")).unwrap();
    assert_eq!(server["packages"][0]["version"], "9.8.7");

    let (code, said) = script(&["not-a-version"]);
    assert_eq!(code, Some(1), "{said}");
}
