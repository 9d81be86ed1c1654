//! How the commands print for people: colours only on a terminal (and never with NO_COLOR),
//! durations like a clock, numbers with separators.

use std::io::IsTerminal;

use crate::store::TaskStatus;

/// Whether to colour what goes to stdout.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    color: bool,
}

impl Style {
    pub fn for_stdout(no_color: bool) -> Style {
        Style {
            color: !no_color && std::io::stdout().is_terminal(),
        }
    }

    /// A status, padded to `width`, in its colour.
    pub fn status(self, status: TaskStatus, width: usize) -> String {
        let text = format!("{:<width$}", status.as_str());
        let code = match status {
            TaskStatus::Completed => "32",
            TaskStatus::Failed => "31",
            TaskStatus::Running | TaskStatus::Queued => "33",
            TaskStatus::InputRequired => "35",
            TaskStatus::Cancelled => "90",
        };
        self.paint(code, &text)
    }

    /// A review finding's priority (`P0`…`P3`), in the colour of its urgency.
    pub fn priority(self, priority: Option<u8>) -> String {
        let (text, code) = match priority {
            Some(p @ (0 | 1)) => (format!("P{p}"), "31"),
            Some(2) => ("P2".into(), "33"),
            Some(p) => (format!("P{p}"), "2"),
            None => ("P?".into(), "2"),
        };
        self.paint(code, &text)
    }

    /// Text of lesser weight.
    pub fn dim(self, text: &str) -> String {
        self.paint("2", text)
    }

    /// Text that matters most.
    pub fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }

    /// What is well.
    pub fn green(self, text: &str) -> String {
        self.paint("32", text)
    }

    /// What is wrong.
    pub fn red(self, text: &str) -> String {
        self.paint("31", text)
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\u{1b}[{code}m{text}\u{1b}[0m")
        } else {
            text.to_string()
        }
    }
}

/// 1,234,567.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_read_easily() {
        assert_eq!(super::thousands(1_234_567), "1,234,567");
        assert_eq!(super::thousands(12), "12");
    }
}
