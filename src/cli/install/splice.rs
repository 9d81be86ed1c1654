//! Editing one entry of a client's JSON settings in place: the text of everything else — other
//! servers written on one line, the key order, the indentation — stays byte for byte as the
//! person wrote it. Only `mcpServers.<name>` is replaced, added or removed.

/// Where a JSON value, or an object member, lies in the text (byte offsets, end excluded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: usize,
    end: usize,
}

/// One member of an object: its whole span (key to the end of the value), its key, and its
/// value's span.
type Member = (Span, String, Span);

/// The members of the object that starts at `open` (its `{`), and where the object closes.
fn members(text: &str, open: usize) -> Option<(Vec<Member>, usize)> {
    let b = text.as_bytes();
    if b.get(open) != Some(&b'{') {
        return None;
    }
    let mut out = Vec::new();
    let mut i = skip_ws(b, open + 1);
    if b.get(i) == Some(&b'}') {
        return Some((out, i));
    }
    loop {
        let key_start = i;
        let key_end = string_end(b, i)?;
        let key: String = serde_json::from_str(&text[key_start..key_end]).ok()?;
        i = skip_ws(b, key_end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        let value_start = skip_ws(b, i + 1);
        let value_end = value_end(b, value_start)?;
        out.push((
            Span {
                start: key_start,
                end: value_end,
            },
            key,
            Span {
                start: value_start,
                end: value_end,
            },
        ));
        i = skip_ws(b, value_end);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            Some(b'}') => return Some((out, i)),
            _ => return None,
        }
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

/// The end of the string that starts at `i` (just past its closing quote).
fn string_end(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let mut j = i + 1;
    while j < b.len() {
        match b[j] {
            b'\\' => j += 2,
            b'"' => return Some(j + 1),
            _ => j += 1,
        }
    }
    None
}

/// The end of the value that starts at `i`.
fn value_end(b: &[u8], i: usize) -> Option<usize> {
    match b.get(i)? {
        b'"' => string_end(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            while j < b.len() {
                match b[j] {
                    b'"' => {
                        j = string_end(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            None
        }
        _ => {
            let mut j = i;
            while j < b.len() && !matches!(b[j], b',' | b'}' | b']') && !b[j].is_ascii_whitespace()
            {
                j += 1;
            }
            Some(j)
        }
    }
}

/// `text` with `mcpServers.<name>` set to `entry` (JSON text), every other byte kept; `None`
/// when the text is not the plain JSON object it should be (the caller then writes it anew).
pub(super) fn set_entry(text: &str, name: &str, entry: &str) -> Option<String> {
    let top = skip_ws(text.as_bytes(), 0);
    let (top_members, top_close) = members(text, top)?;
    let key = serde_json::to_string(name).ok()?;
    let Some((_, _, servers)) = top_members.iter().find(|(_, k, _)| k == "mcpServers") else {
        // No server list yet: add one as the object's last member.
        let member = format!("\"mcpServers\": {{{key}: {entry}}}");
        return Some(insert_member(
            text,
            top,
            top_close,
            top_members.last().map(|m| m.0),
            &member,
        ));
    };
    let (entries, close) = members(text, servers.start)?;
    if let Some((_, _, value)) = entries.iter().find(|(_, k, _)| *k == name) {
        return Some(format!(
            "{}{entry}{}",
            &text[..value.start],
            &text[value.end..]
        ));
    }
    let member = format!("{key}: {entry}");
    Some(insert_member(
        text,
        servers.start,
        close,
        entries.last().map(|m| m.0),
        &member,
    ))
}

/// `text` without `mcpServers.<name>` (and its comma), every other byte kept.
pub(super) fn remove_entry(text: &str, name: &str) -> Option<String> {
    let top = skip_ws(text.as_bytes(), 0);
    let (top_members, _) = members(text, top)?;
    let (_, _, servers) = top_members.iter().find(|(_, k, _)| k == "mcpServers")?;
    let (entries, close) = members(text, servers.start)?;
    let at = entries.iter().position(|(_, k, _)| k == name)?;
    let span = entries[at].0;
    // Take the comma on one side with it: the one before, unless it is the first member.
    let (cut_start, cut_end) = if at > 0 {
        (entries[at - 1].0.end, span.end)
    } else if let Some(next) = entries.get(1) {
        (span.start, next.0.start)
    } else {
        (servers.start + 1, close)
    };
    Some(format!("{}{}", &text[..cut_start], &text[cut_end..]))
}

/// Inserts `member` into the object opened at `open` and closed at `close`, after its last
/// member (with the same line break and indentation as that member), or as its only one.
fn insert_member(
    text: &str,
    open: usize,
    close: usize,
    last: Option<Span>,
    member: &str,
) -> String {
    match last {
        Some(last) => {
            // The whitespace before the last member is how members are laid out here.
            let before = &text[..last.start];
            let lead_start = before
                .rfind(|c: char| !c.is_whitespace())
                .map_or(0, |i| i + 1);
            let lead = match &text[lead_start..last.start] {
                "" => " ",
                lead => lead,
            };
            format!("{},{lead}{member}{}", &text[..last.end], &text[last.end..])
        }
        None => {
            let inner_lead = &text[open + 1..close];
            if inner_lead.contains('\n') {
                format!("{}\n  {member}{}", &text[..open + 1], &text[close..])
            } else {
                format!("{}{member}{}", &text[..open + 1], &text[close..])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "{\n  \"theme\": 1,\n  \"mcpServers\": {\n    \"other\": {\"command\": \"x\", \"args\": []},\n    \"codex\": {\n      \"command\": \"/old\"\n    }\n  }\n}\n";

    #[test]
    fn only_the_entry_changes() {
        let out = set_entry(FILE, "codex", "{\"command\": \"/new\"}").unwrap();
        assert_eq!(
            out,
            FILE.replace(
                "{\n      \"command\": \"/old\"\n    }",
                "{\"command\": \"/new\"}"
            )
        );
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["mcpServers"]["codex"]["command"], "/new");
    }

    #[test]
    fn a_new_entry_follows_the_layout_of_the_last_one() {
        let no_codex = remove_entry(FILE, "codex").unwrap();
        assert_eq!(
            no_codex,
            "{\n  \"theme\": 1,\n  \"mcpServers\": {\n    \"other\": {\"command\": \"x\", \"args\": []}\n  }\n}\n"
        );
        let added = set_entry(&no_codex, "codex", "{\"command\": \"/new\"}").unwrap();
        assert_eq!(
            added,
            "{\n  \"theme\": 1,\n  \"mcpServers\": {\n    \"other\": {\"command\": \"x\", \"args\": []},\n    \"codex\": {\"command\": \"/new\"}\n  }\n}\n"
        );
        let one_line = set_entry("{\"mcpServers\": {\"a\": 1}}", "codex", "2").unwrap();
        assert_eq!(one_line, "{\"mcpServers\": {\"a\": 1, \"codex\": 2}}");
        let none = set_entry("{\"theme\": 1}", "codex", "2").unwrap();
        assert_eq!(none, "{\"theme\": 1, \"mcpServers\": {\"codex\": 2}}");
        let empty = set_entry("{}", "codex", "2").unwrap();
        assert_eq!(empty, "{\"mcpServers\": {\"codex\": 2}}");
        assert_eq!(
            remove_entry("{\"mcpServers\": {\"codex\": 2}}", "codex").unwrap(),
            "{\"mcpServers\": {}}"
        );
        assert!(set_entry("not json", "codex", "2").is_none());
    }
}
