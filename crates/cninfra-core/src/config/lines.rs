//! Finds the line of a key path (`tls.cert-file`, `programs.1.name`) in config text, for
//! messages about keys that were read from a generic value and so carry no position.
//!
//! It reads block YAML (what config files are) and JSON line by line: a key is the first
//! `key:` / `"key":` after its parent's line, deeper indented than the parent for block
//! YAML; the n-th element of a block sequence is the n-th `-` item at the sequence's
//! indentation. What it cannot place (flow collections spread over odd lines, anchors)
//! gives `None`; the message then names file and key only.

/// A step of a key path: a mapping key or a sequence index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Step {
    /// A mapping key.
    Key(String),
    /// An index in a sequence.
    Index(usize),
}

/// Where the walk stands: a line, the column after which its children start on that line,
/// and the indentation its block is deeper than (`None` for the document).
#[derive(Debug, Clone, Copy)]
struct At {
    line: usize,
    column: usize,
    indent: Option<usize>,
}

/// The 1-based line of `path` in `text`, when it can be found.
pub(super) fn line_of(text: &str, path: &[Step]) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let mut at = At {
        line: 0,
        column: 0,
        indent: None,
    };
    let mut placed = false;
    for step in path {
        at = match step {
            Step::Key(key) => find_key(&lines, at, key)?,
            Step::Index(index) => find_item(&lines, at, *index)?,
        };
        placed = true;
    }
    placed.then_some(at.line + 1)
}

/// The content of a line without its comment (a `#` at the start or after a blank, outside
/// quotes), trimmed at the end.
fn content(line: &str) -> &str {
    let bytes = line.as_bytes();
    let mut in_quote: Option<u8> = None;
    for (i, &b) in bytes.iter().enumerate() {
        match (in_quote, b) {
            (Some(q), _) if b == q => in_quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => in_quote = Some(b),
            (None, b'#') if i == 0 || bytes[i - 1].is_ascii_whitespace() => {
                return line[..i].trim_end();
            }
            _ => {}
        }
    }
    line.trim_end()
}

fn indent_of(text: &str) -> usize {
    text.len() - text.trim_start().len()
}

/// The lines after `at`'s own, with their index, while they stay inside `at`'s block: a
/// non-empty line indented no deeper than the block ends it (a `-` item, `}` or `]` may sit
/// at the block's own indentation).
fn block_lines<'a>(lines: &'a [&'a str], at: At) -> impl Iterator<Item = (usize, &'a str)> {
    lines
        .iter()
        .enumerate()
        .skip(at.line + 1)
        .map(|(i, line)| (i, content(line)))
        .take_while(move |(_, text)| {
            let trimmed = text.trim_start();
            match at.indent {
                Some(indent) if !trimmed.is_empty() => {
                    indent_of(text) > indent
                        || (indent_of(text) == indent && trimmed.starts_with(['-', '}', ']']))
                }
                _ => true,
            }
        })
}

/// The first occurrence of `key` as a key in `text` at or after `from`.
fn key_in(text: &str, from: usize, key: &str) -> Option<usize> {
    let spellings = [
        format!("{key}:"),
        format!("\"{key}\":"),
        format!("'{key}':"),
        format!("\"{key}\" :"),
    ];
    let rest = text.get(from..)?;
    spellings.iter().find_map(|spelling| {
        let mut search = 0;
        while let Some(pos) = rest[search..].find(spelling.as_str()) {
            let at = search + pos;
            let before = rest[..at].trim_end();
            if before.is_empty() || before.ends_with(['{', ',', '-', '[']) {
                return Some(from + at);
            }
            search = at + spelling.len();
        }
        None
    })
}

fn find_key(lines: &[&str], at: At, key: &str) -> Option<At> {
    let found = |line: usize, column: usize| At {
        line,
        column: column + key.len() + 1,
        indent: Some(column),
    };
    if at.indent.is_none() {
        // Top-level keys: of all the places the key appears, the least indented one.
        return lines
            .iter()
            .enumerate()
            .filter_map(|(i, line)| key_in(content(line), 0, key).map(|column| (column, i)))
            .min()
            .map(|(column, i)| found(i, column));
    }
    let first = lines.get(at.line).map(|line| content(line))?;
    if let Some(column) = key_in(first, at.column, key) {
        return Some(found(at.line, column));
    }
    block_lines(lines, at).find_map(|(i, text)| key_in(text, 0, key).map(|column| found(i, column)))
}

fn find_item(lines: &[&str], at: At, index: usize) -> Option<At> {
    let mut item_indent: Option<usize> = None;
    let mut seen = 0;
    for (i, text) in block_lines(lines, at) {
        let trimmed = text.trim_start();
        if trimmed.is_empty() {
            continue;
        }
        let indent = indent_of(text);
        if !trimmed.starts_with('-') {
            if item_indent.is_some_and(|item| indent <= item) {
                return None;
            }
            continue;
        }
        match item_indent {
            None => item_indent = Some(indent),
            Some(item) if indent < item => return None,
            Some(item) if indent > item => continue,
            Some(_) => {}
        }
        if seen == index {
            // The item's first key sits after the dash, on this line.
            return Some(At {
                line: i,
                column: indent + 1,
                indent: Some(indent),
            });
        }
        seen += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> Step {
        Step::Key(k.to_owned())
    }

    const YAML: &str = "\
# comment: with colon
endpoint: 0.0.0.0:9191
tls:
  cert-file: a   # cert-fil: not this
  key-file: b
users:
   - name: one
     password: x
   - name: two
     permissions: [a, b]
rate-limiter:
  # limit: 1
  limit: 5
";

    #[test]
    fn block_yaml_keys_and_items_are_placed() {
        assert_eq!(line_of(YAML, &[key("endpoint")]), Some(2));
        assert_eq!(line_of(YAML, &[key("tls"), key("key-file")]), Some(5));
        assert_eq!(line_of(YAML, &[key("tls"), key("cert-fil")]), None);
        assert_eq!(
            line_of(YAML, &[key("users"), Step::Index(1), key("permissions")]),
            Some(10)
        );
        assert_eq!(
            line_of(YAML, &[key("users"), Step::Index(0), key("name")]),
            Some(7)
        );
        assert_eq!(
            line_of(YAML, &[key("rate-limiter"), key("limit")]),
            Some(13)
        );
        // A key of another block is not taken for the one asked for.
        assert_eq!(line_of(YAML, &[key("tls"), key("limit")]), None);
    }

    #[test]
    fn json_keys_are_placed() {
        let json = "{\n  \"endpoint\": \"a:1\",\n  \"tls\": {\n    \"cert-file\": \"c\"\n  }\n}\n";
        assert_eq!(line_of(json, &[key("tls"), key("cert-file")]), Some(4));
        assert_eq!(line_of(json, &[key("endpoint")]), Some(2));
    }
}
