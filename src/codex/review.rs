//! Reading a review from what Codex's review mode gives: on app-server, the reviewer model's
//! own JSON (`findings`, `overall_correctness`, …) arrives as a message before Codex renders
//! it; on exec only the rendering does — the explanation, then "Review comment:" (or "Full
//! review comments:") and one bullet a finding, `- [P1] <title> — <path>:<start>-<end>`, its
//! body indented by two spaces. Both are read into the same [`Review`]; a file is made
//! relative to the reviewed folder.

use std::path::Path;

use serde_json::Value;

use crate::vocab::{Finding, LineRange, Review, ReviewVerdict};

/// The headers Codex puts before the findings it renders.
const HEADERS: [&str; 2] = ["Full review comments:", "Review comment:"];

/// The review in the reviewer's JSON, when `text` is that JSON (fenced or not).
pub fn review_from_json(text: &str) -> Option<Review> {
    let body = text
        .trim()
        .trim_start_matches("```json")
        .trim_start_matches("```")
        .trim_end_matches("```")
        .trim();
    let v: Value = serde_json::from_str(body).ok()?;
    let findings = v["findings"].as_array()?;
    let verdict = match v["overall_correctness"].as_str() {
        Some(s) if s.contains("incorrect") => Some(ReviewVerdict::Incorrect),
        Some(s) if s.contains("correct") => Some(ReviewVerdict::Correct),
        _ => None,
    };
    Some(Review {
        verdict,
        explanation: text_of(&v["overall_explanation"]),
        confidence: v["overall_confidence_score"].as_f64(),
        findings: findings.iter().filter_map(finding_from_json).collect(),
        findings_omitted: 0,
    })
}

fn finding_from_json(f: &Value) -> Option<Finding> {
    let (priority_tag, title) = split_priority(f["title"].as_str()?);
    let location = &f["code_location"];
    let range = &location["line_range"];
    let lines = match (range["start"].as_u64(), range["end"].as_u64()) {
        (Some(start), Some(end)) => Some(LineRange {
            start: start as u32,
            end: end as u32,
        }),
        _ => None,
    };
    Some(Finding {
        title,
        priority: f["priority"]
            .as_u64()
            .and_then(|p| u8::try_from(p).ok())
            .or(priority_tag),
        file: text_of(&location["absolute_file_path"]),
        lines,
        body: f["body"].as_str().unwrap_or_default().trim().to_string(),
        confidence: f["confidence_score"].as_f64(),
    })
}

/// The review in Codex's rendering of it (what `codex exec review` prints): the explanation,
/// then the findings. Text without findings is all explanation.
pub fn review_from_text(text: &str) -> Review {
    let split = HEADERS
        .iter()
        .filter_map(|h| text.find(h).map(|at| (at, h.len())))
        .min();
    let Some((at, len)) = split else {
        return Review {
            explanation: Some(text.trim().to_string()).filter(|t| !t.is_empty()),
            ..Review::default()
        };
    };
    let explanation = Some(text[..at].trim().to_string()).filter(|t| !t.is_empty());
    let mut findings: Vec<Finding> = Vec::new();
    for line in text[at + len..].lines() {
        if let Some(head) = line.strip_prefix("- ") {
            findings.push(finding_from_line(head));
        } else if let (Some(body), Some(f)) = (line.strip_prefix("  "), findings.last_mut()) {
            if !f.body.is_empty() {
                f.body.push('\n');
            }
            f.body.push_str(body);
        }
    }
    Review {
        verdict: None,
        explanation,
        confidence: None,
        findings,
        findings_omitted: 0,
    }
}

/// `[P1] <title> — <path>:<start>-<end>` (a selection box `[x] ` may come first).
fn finding_from_line(head: &str) -> Finding {
    let head = head
        .strip_prefix("[x] ")
        .or_else(|| head.strip_prefix("[ ] "))
        .unwrap_or(head);
    let (title, location) = match head.rsplit_once(" — ") {
        Some((t, l)) => (t, Some(l)),
        None => (head, None),
    };
    let (priority, title) = split_priority(title);
    let (file, lines) = location.map_or((None, None), |l| match l.rsplit_once(':') {
        Some((path, range)) => (Some(path.to_string()), line_range(range)),
        None => (Some(l.to_string()), None),
    });
    Finding {
        title,
        priority,
        file,
        lines,
        ..Finding::default()
    }
}

fn line_range(text: &str) -> Option<LineRange> {
    let (start, end) = text.split_once('-').unwrap_or((text, text));
    Some(LineRange {
        start: start.trim().parse().ok()?,
        end: end.trim().parse().ok()?,
    })
}

/// `[P2] Title` → (2, "Title").
fn split_priority(title: &str) -> (Option<u8>, String) {
    let t = title.trim();
    if let Some(rest) = t.strip_prefix("[P")
        && let Some((n, title)) = rest.split_once(']')
        && let Ok(p) = n.parse::<u8>()
    {
        return (Some(p), title.trim().to_string());
    }
    (None, t.to_string())
}

fn text_of(v: &Value) -> Option<String> {
    v.as_str()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Each finding's file made relative to `dir`, the folder reviewed (left absolute outside it).
pub fn relative_to(mut review: Review, dir: &Path) -> Review {
    for f in &mut review.findings {
        if let Some(file) = &f.file
            && let Ok(rel) = Path::new(file).strip_prefix(dir)
        {
            f.file = Some(rel.to_string_lossy().into_owned());
        }
    }
    review
}

#[cfg(test)]
mod tests {
    use super::*;

    const RENDERED: &str = "The change has 2 issue(s) to fix.\n\nFull review comments:\n\n\
        - [P1] Fix the two — /w/a.txt:2-2\n  Two is wrong here.\n  And here.\n\n\
        - [P2] New file issue — /w/src/b.rs:1-3\n  Body of b.";

    #[test]
    fn codexs_rendering_is_read_back_into_findings() {
        let r = relative_to(review_from_text(RENDERED), Path::new("/w"));
        assert_eq!(
            r.explanation.as_deref(),
            Some("The change has 2 issue(s) to fix.")
        );
        assert_eq!(r.verdict, None);
        assert_eq!(r.findings.len(), 2);
        let f = &r.findings[0];
        assert_eq!(
            (f.title.as_str(), f.priority, f.file.as_deref()),
            ("Fix the two", Some(1), Some("a.txt"))
        );
        assert_eq!(f.body, "Two is wrong here.\nAnd here.");
        assert_eq!(r.findings[1].lines, Some(LineRange { start: 1, end: 3 }));
        assert_eq!(r.findings[1].file.as_deref(), Some("src/b.rs"));
    }

    #[test]
    fn one_finding_has_the_singular_header_and_none_is_all_explanation() {
        let one = review_from_text("Bad.\n\nReview comment:\n\n- [P0] Crash — /w/x:9-9\n  Boom.");
        assert_eq!(one.findings.len(), 1);
        assert_eq!(one.findings[0].priority, Some(0));
        let none = review_from_text("Looks good to me.");
        assert!(none.findings.is_empty());
        assert_eq!(none.explanation.as_deref(), Some("Looks good to me."));
    }

    #[test]
    fn the_reviewers_json_gives_the_verdict_and_the_confidences() {
        let json = r#"{"findings":[{"title":"[P1] Check the bound","body":"It overflows.",
            "confidence_score":0.7,"priority":1,"code_location":{"absolute_file_path":"/w/a.rs",
            "line_range":{"start":3,"end":4}}}],"overall_correctness":"patch is incorrect",
            "overall_explanation":"One bug.","overall_confidence_score":0.8}"#;
        let r = relative_to(review_from_json(json).unwrap(), Path::new("/w"));
        assert_eq!(r.verdict, Some(ReviewVerdict::Incorrect));
        assert_eq!(r.confidence, Some(0.8));
        let f = &r.findings[0];
        assert_eq!(f.title, "Check the bound");
        assert_eq!(f.file.as_deref(), Some("a.rs"));
        assert_eq!(f.confidence, Some(0.7));
        assert_eq!(f.lines, Some(LineRange { start: 3, end: 4 }));
        assert!(review_from_json("done").is_none());
        let correct = review_from_json(
            r#"{"findings":[],"overall_correctness":"patch is correct","overall_explanation":"ok"}"#,
        )
        .unwrap();
        assert_eq!(correct.verdict, Some(ReviewVerdict::Correct));
    }
}
