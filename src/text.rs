//! Text shaping shared by every layer: progress lines, error excerpts and views must each fit
//! on one short line, whatever codex printed.

/// Cuts `s` to at most `max` characters on one line, marking the cut with `…`.
pub(crate) fn shorten(s: &str, max: usize) -> String {
    let one_line = s.trim();
    if one_line.chars().count() <= max {
        return one_line.to_string();
    }
    let mut out: String = one_line.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The last `max` characters of `s`, marked with a leading `…` when something was cut.
pub(crate) fn keep_end(s: &str, max: usize) -> String {
    let count = s.chars().count();
    if count <= max {
        return s.to_string();
    }
    let tail: String = s.chars().skip(count - max.saturating_sub(1)).collect();
    format!("…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorten_marks_the_cut() {
        assert_eq!(shorten("abcdef", 4), "abc…");
        assert_eq!(shorten("  abc \n", 4), "abc");
    }

    #[test]
    fn keep_end_keeps_the_end() {
        assert_eq!(keep_end("abcdef", 4), "…def");
        assert_eq!(keep_end("abc", 4), "abc");
        assert_eq!(keep_end("ééééé", 3).chars().count(), 3);
    }
}
