//! Splits a byte stream into JSONL lines with bounded memory. A line longer than the limit
//! (codex can emit megabytes of command output in one event) is not kept whole: only its
//! prefix is, which still holds the event and item types and the command.

/// The longest line parsed whole.
pub const MAX_LINE: usize = 8 * 1024 * 1024;
/// How much of an oversized line is kept.
pub const OVERSIZE_PREFIX: usize = 64 * 1024;

pub enum Line<'a> {
    Whole(&'a [u8]),
    /// The first bytes of a line that was too long; the rest was dropped.
    Oversized(&'a [u8]),
}

#[derive(Default)]
pub struct LineAssembler {
    buf: Vec<u8>,
    oversized: bool,
    /// Bytes of input consumed up to the end of the last complete line.
    consumed_to_line_end: u64,
    pending: u64,
}

impl LineAssembler {
    pub fn new() -> Self {
        Self::default()
    }

    /// Stream position right after the last complete line seen.
    pub fn line_end_offset(&self) -> u64 {
        self.consumed_to_line_end
    }

    /// Starts counting from `offset` (used when resuming a scan of a log).
    pub fn starting_at(offset: u64) -> Self {
        LineAssembler {
            consumed_to_line_end: offset,
            ..Self::default()
        }
    }

    pub fn feed(&mut self, mut chunk: &[u8], mut on_line: impl FnMut(Line<'_>)) {
        while !chunk.is_empty() {
            match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    self.push(&chunk[..i]);
                    self.pending += (i + 1) as u64;
                    if self.oversized {
                        on_line(Line::Oversized(&self.buf));
                    } else {
                        on_line(Line::Whole(&self.buf));
                    }
                    self.consumed_to_line_end += self.pending;
                    self.pending = 0;
                    self.buf.clear();
                    self.oversized = false;
                    chunk = &chunk[i + 1..];
                }
                None => {
                    self.push(chunk);
                    self.pending += chunk.len() as u64;
                    chunk = &[];
                }
            }
        }
    }

    /// Hands over a final line that had no newline (codex died mid-write).
    pub fn finish(&mut self, on_line: impl FnOnce(Line<'_>)) {
        if !self.buf.is_empty() {
            if self.oversized {
                on_line(Line::Oversized(&self.buf));
            } else {
                on_line(Line::Whole(&self.buf));
            }
            self.buf.clear();
        }
    }

    fn push(&mut self, bytes: &[u8]) {
        if self.oversized {
            return;
        }
        if self.buf.len() + bytes.len() > MAX_LINE {
            self.buf.truncate(OVERSIZE_PREFIX);
            let room = OVERSIZE_PREFIX - self.buf.len();
            self.buf.extend_from_slice(&bytes[..room.min(bytes.len())]);
            self.oversized = true;
        } else {
            self.buf.extend_from_slice(bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(chunks: &[&[u8]]) -> Vec<(bool, Vec<u8>)> {
        let mut a = LineAssembler::new();
        let mut out = Vec::new();
        for c in chunks {
            a.feed(c, |l| match l {
                Line::Whole(b) => out.push((true, b.to_vec())),
                Line::Oversized(b) => out.push((false, b.to_vec())),
            });
        }
        out
    }

    #[test]
    fn splits_across_chunks() {
        let out = collect(&[b"ab", b"c\nde", b"\n\nf"]);
        assert_eq!(
            out,
            vec![
                (true, b"abc".to_vec()),
                (true, b"de".to_vec()),
                (true, vec![])
            ]
        );
    }

    #[test]
    fn oversized_line_keeps_prefix_only() {
        let big = vec![b'x'; MAX_LINE + 10];
        let mut a = LineAssembler::new();
        let mut seen = None;
        a.feed(&big, |_| unreachable!());
        a.feed(b"\nok\n", |l| {
            if let Line::Oversized(b) = l {
                seen = Some(b.len())
            }
        });
        assert_eq!(seen, Some(OVERSIZE_PREFIX));
        assert_eq!(a.line_end_offset(), (MAX_LINE + 10 + 4) as u64);
    }
}
