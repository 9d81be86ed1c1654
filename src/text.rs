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

/// Seconds as a clock reads them: 12s, 1m05s, 2h03m.
pub(crate) fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
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
    fn durations_read_like_a_clock() {
        assert_eq!(clock(12.4), "12s");
        assert_eq!(clock(65.0), "1m05s");
        assert_eq!(clock(7380.0), "2h03m");
    }

    #[test]
    fn keep_end_keeps_the_end() {
        assert_eq!(keep_end("abcdef", 4), "…def");
        assert_eq!(keep_end("abc", 4), "abc");
        assert_eq!(keep_end("ééééé", 3).chars().count(), 3);
    }
}
