//! Reading and writing a client's JSON settings file safely: never blocking on a FIFO, never
//! reading a device or a huge file into memory, and writing a symlinked file (dotfiles) through
//! to its target even when that target does not exist yet.

use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// No client settings file is anywhere near this large.
const MAX_BYTES: u64 = 4 * 1024 * 1024;
/// Links followed before giving up (a loop).
const MAX_LINKS: usize = 40;

/// The file's text; `None` when it does not exist. Anything but a regular file, or a file over
/// 4 MiB, is refused with what it is.
pub(super) fn read_text(file: &Path) -> Result<Option<String>, String> {
    // Non-blocking: opening a FIFO for reading would otherwise wait for a writer for ever.
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NONBLOCK)
        .open(file);
    let f = match opened {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", file.display())),
    };
    let meta = f
        .metadata()
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    if !meta.is_file() {
        return Err(format!(
            "{} is not a regular file ({}), so it was left as it is; a client's settings are a \
             JSON file",
            file.display(),
            kind_of(&meta.file_type())
        ));
    }
    if meta.len() > MAX_BYTES {
        return Err(format!(
            "{} is {} bytes, larger than any client's settings ({MAX_BYTES} at most), so it was \
             left as it is",
            file.display(),
            meta.len()
        ));
    }
    let mut text = String::new();
    f.take(MAX_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    Ok(Some(text))
}

fn kind_of(t: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a named pipe"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a file"
    }
}

/// Where writing `file` must go: through every symlink to its final target, which may not
/// exist yet (a dotfiles link made before its file).
pub(super) fn write_target(file: &Path) -> Result<PathBuf, String> {
    let mut path = file.to_path_buf();
    for _ in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => {
                let to = std::fs::read_link(&path)
                    .map_err(|e| format!("cannot read the link {}: {e}", path.display()))?;
                path = match path.parent() {
                    Some(dir) if to.is_relative() => dir.join(to),
                    _ => to,
                };
            }
            _ => return Ok(path),
        }
    }
    Err(format!("{} is a loop of symlinks", file.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fifo_a_device_and_a_huge_file_are_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("mcp.json");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        let err = read_text(&fifo).unwrap_err();
        assert!(err.contains("named pipe"), "{err}");
        let zero = dir.path().join("zero.json");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        assert!(read_text(&zero).unwrap_err().contains("device"));
        let big = dir.path().join("big.json");
        std::fs::write(&big, vec![b' '; (MAX_BYTES + 1) as usize]).unwrap();
        assert!(read_text(&big).unwrap_err().contains("larger"));
        assert_eq!(read_text(&dir.path().join("none.json")).unwrap(), None);
    }

    #[test]
    fn a_dangling_link_is_written_through_to_its_target() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("mcp.json");
        std::os::unix::fs::symlink("dotfiles/cursor.json", &link).unwrap();
        assert_eq!(
            write_target(&link).unwrap(),
            dir.path().join("dotfiles/cursor.json")
        );
    }
}
