//! The Codex behind npm's launcher. `npm install -g @openai/codex` puts a Node script on PATH
//! (`bin/codex.js`) whose whole job is to find the native binary of this platform's package
//! and run it with two variables set. Starting Node for that costs 40–60 ms a task, and on a
//! Node without `process.execve` (before 22.15) it stays as Codex's parent, forwarding only
//! some signals. So a task runs that native binary directly, set up as the launcher would set
//! it up — but only when the install has exactly the launcher's layout and the platform
//! package is the launcher's own version; anything else runs the launcher itself.

use std::path::{Path, PathBuf};

use crate::config::is_executable;

/// The native Codex a launcher would run, with the environment it would give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NativeCodex {
    pub binary: PathBuf,
    /// Set on the native binary's environment (the launcher's provenance variables).
    pub env: Vec<(String, String)>,
    /// Removed from it (another package manager's provenance variable).
    pub env_remove: Vec<&'static str>,
}

/// The provenance variables the launcher sets one of (and removes the others).
const MANAGED_BY: [&str; 4] = [
    "CODEX_MANAGED_BY_NPM",
    "CODEX_MANAGED_BY_BUN",
    "CODEX_MANAGED_BY_PNPM",
    "CODEX_MANAGED_BY_VITE_PLUS",
];

/// A package.json is small; one larger than this is not the launcher's.
const PACKAGE_JSON_MAX: u64 = 64 * 1024;

/// The native Codex behind `codex` when `codex` is npm's launcher of `@openai/codex`, else
/// `None` (a native binary already, another wrapper, an unknown layout).
pub fn native_behind(codex: &Path) -> Option<NativeCodex> {
    let script = std::fs::canonicalize(codex).ok()?;
    if script.file_name()? != "codex.js" {
        return None;
    }
    let bin = script.parent()?;
    let root = bin.parent()?;
    if bin.file_name()? != "bin" {
        return None;
    }
    let launcher = package(root)?;
    if launcher.name != "@openai/codex" {
        return None;
    }
    let (triple, platform_package) = platform()?;
    let binary = platform_dir(bin, platform_package)
        .filter(|dir| {
            // The platform package names its version `<launcher version>-<platform>`.
            package(dir).is_some_and(|p| {
                p.version
                    .strip_prefix(&launcher.version)
                    .is_some_and(|rest| rest.starts_with('-'))
            })
        })?
        .join("vendor")
        .join(triple)
        .join("bin")
        .join("codex");
    if !is_executable(&binary) {
        return None;
    }
    let managed_by = managed_by(root);
    Some(NativeCodex {
        binary,
        env: vec![
            (
                "CODEX_MANAGED_PACKAGE_ROOT".into(),
                root.to_string_lossy().into_owned(),
            ),
            (managed_by.into(), "1".into()),
        ],
        env_remove: MANAGED_BY
            .iter()
            .copied()
            .filter(|v| *v != managed_by)
            .collect(),
    })
}

/// A command running `codex` — the native binary behind npm's launcher, set up as the
/// launcher sets it up, when `codex` is that launcher. For the short questions asked of Codex
/// (does it have app-server, its model catalog): Node's start would be most of their time.
pub fn command_for(codex: &Path) -> std::process::Command {
    match native_behind(codex) {
        Some(native) => {
            let mut cmd = std::process::Command::new(&native.binary);
            for var in &native.env_remove {
                cmd.env_remove(var);
            }
            cmd.envs(native.env.iter().map(|(k, v)| (k, v)));
            cmd
        }
        None => std::process::Command::new(codex),
    }
}

/// This platform's target triple and the launcher's package for it.
fn platform() -> Option<(&'static str, &'static str)> {
    match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "x86_64") => Some(("x86_64-unknown-linux-musl", "codex-linux-x64")),
        ("linux", "aarch64") => Some(("aarch64-unknown-linux-musl", "codex-linux-arm64")),
        ("macos", "x86_64") => Some(("x86_64-apple-darwin", "codex-darwin-x64")),
        ("macos", "aarch64") => Some(("aarch64-apple-darwin", "codex-darwin-arm64")),
        _ => None,
    }
}

/// Where Node would find `@openai/<name>` from the launcher's `bin` folder: the nearest
/// `node_modules/@openai/<name>` of a folder above it (npm's flat layout and pnpm's store
/// alike).
fn platform_dir(bin: &Path, name: &str) -> Option<PathBuf> {
    bin.ancestors()
        .filter(|dir| dir.file_name().is_some_and(|n| n != "node_modules"))
        .map(|dir| dir.join("node_modules").join("@openai").join(name))
        .find(|dir| dir.join("package.json").is_file())
}

/// Which package manager owns the install, as the launcher tells it: pnpm (its `.modules.yaml`
/// beside the package), bun (its global folder), npm otherwise.
fn managed_by(root: &Path) -> &'static str {
    let owned_by_pnpm = root.ancestors().any(|dir| {
        let modules = dir.join("node_modules");
        modules.join(".modules.yaml").is_file()
            && std::fs::canonicalize(modules.join("@openai").join("codex"))
                .ok()
                .as_deref()
                == Some(root)
    });
    if owned_by_pnpm {
        "CODEX_MANAGED_BY_PNPM"
    } else if root.to_string_lossy().contains(".bun/install/global") {
        "CODEX_MANAGED_BY_BUN"
    } else {
        "CODEX_MANAGED_BY_NPM"
    }
}

struct Package {
    name: String,
    version: String,
}

fn package(dir: &Path) -> Option<Package> {
    use std::io::Read;
    let file = std::fs::File::open(dir.join("package.json")).ok()?;
    let mut text = String::new();
    file.take(PACKAGE_JSON_MAX).read_to_string(&mut text).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    Some(Package {
        name: v["name"].as_str()?.to_string(),
        version: v["version"].as_str()?.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn executable(path: &Path) {
        write(path, "#!/bin/sh\n");
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// npm's layout under `prefix`: the launcher, its platform package beside it, the link.
    fn npm_install(prefix: &Path, platform_version: &str) -> (PathBuf, PathBuf) {
        let (triple, name) = platform().unwrap();
        let modules = prefix.join("lib/node_modules");
        let root = modules.join("@openai/codex");
        write(
            &root.join("package.json"),
            r#"{"name": "@openai/codex", "version": "0.169.0", "bin": {"codex": "bin/codex.js"}}"#,
        );
        executable(&root.join("bin/codex.js"));
        let platform = modules.join("@openai").join(name);
        write(
            &platform.join("package.json"),
            &format!(r#"{{"name": "@openai/codex", "version": "{platform_version}"}}"#),
        );
        let binary = platform.join("vendor").join(triple).join("bin/codex");
        executable(&binary);
        let link = prefix.join("bin/codex");
        std::fs::create_dir_all(link.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(root.join("bin/codex.js"), &link).unwrap();
        (link, binary)
    }

    #[test]
    fn npms_launcher_leads_to_the_platform_binary_with_the_launchers_variables() {
        let tmp = tempfile::tempdir().unwrap();
        let prefix = std::fs::canonicalize(tmp.path()).unwrap();
        let (link, binary) = npm_install(&prefix, "0.169.0-linux-x64");
        let native = native_behind(&link).unwrap();
        assert_eq!(native.binary, binary);
        let root = prefix.join("lib/node_modules/@openai/codex");
        assert!(native.env.contains(&(
            "CODEX_MANAGED_PACKAGE_ROOT".into(),
            root.display().to_string()
        )));
        assert!(
            native
                .env
                .contains(&("CODEX_MANAGED_BY_NPM".into(), "1".into()))
        );
        assert!(native.env_remove.contains(&"CODEX_MANAGED_BY_PNPM"));
        assert!(!native.env_remove.contains(&"CODEX_MANAGED_BY_NPM"));
    }

    #[test]
    fn anything_but_the_launchers_exact_layout_runs_as_it_is() {
        let tmp = tempfile::tempdir().unwrap();
        let prefix = std::fs::canonicalize(tmp.path()).unwrap();
        // A platform package of another version: the launcher's own is not there.
        let (link, binary) = npm_install(&prefix, "0.168.0-linux-x64");
        assert_eq!(native_behind(&link), None);
        // A native binary, or a wrapper of one's own, is run as it is.
        assert_eq!(native_behind(&binary), None);
        let wrapper = prefix.join("my-codex");
        executable(&wrapper);
        assert_eq!(native_behind(&wrapper), None);
        assert_eq!(native_behind(&prefix.join("missing")), None);
    }

    #[test]
    fn a_launcher_without_its_binary_runs_as_it_is() {
        let tmp = tempfile::tempdir().unwrap();
        let prefix = std::fs::canonicalize(tmp.path()).unwrap();
        let (link, binary) = npm_install(&prefix, "0.169.0-linux-x64");
        std::fs::remove_file(&binary).unwrap();
        assert_eq!(native_behind(&link), None);
    }

    #[test]
    fn pnpms_store_layout_is_found_and_named() {
        let tmp = tempfile::tempdir().unwrap();
        let base = std::fs::canonicalize(tmp.path()).unwrap();
        let (triple, name) = platform().unwrap();
        let store = base.join("node_modules/.pnpm/@openai+codex@0.169.0/node_modules/@openai");
        let root = store.join("codex");
        write(
            &root.join("package.json"),
            r#"{"name": "@openai/codex", "version": "0.169.0"}"#,
        );
        executable(&root.join("bin/codex.js"));
        write(
            &store.join(name).join("package.json"),
            r#"{"name": "@openai/codex", "version": "0.169.0-x"}"#,
        );
        executable(
            &store
                .join(name)
                .join("vendor")
                .join(triple)
                .join("bin/codex"),
        );
        write(&base.join("node_modules/.modules.yaml"), "");
        std::fs::create_dir_all(base.join("node_modules/@openai")).unwrap();
        std::os::unix::fs::symlink(&root, base.join("node_modules/@openai/codex")).unwrap();
        let native = native_behind(&root.join("bin/codex.js")).unwrap();
        assert!(native.binary.starts_with(&store));
        assert!(
            native
                .env
                .contains(&("CODEX_MANAGED_BY_PNPM".into(), "1".into()))
        );
    }
}
