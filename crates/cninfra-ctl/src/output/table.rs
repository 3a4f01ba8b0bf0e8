//! Plain-text tables that fit the terminal: columns two spaces apart, the widest
//! columns cut (with `…`) until the table fits.

use std::fmt::Write as _;

use unicode_width::UnicodeWidthStr;

/// A table: a header and rows of cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Table {
    header: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

/// Columns narrower than this are never cut.
const MIN_WIDTH: usize = 6;
const GAP: &str = "  ";

fn width(text: &str) -> usize {
    if text.is_ascii() {
        text.len()
    } else {
        UnicodeWidthStr::width(text)
    }
}

/// `text` cut to `limit` columns, ending in `…` when cut.
fn cut(text: &str, limit: usize) -> String {
    if width(text) <= limit {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > limit {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

impl Table {
    /// An empty table with these column names.
    pub(crate) fn new(header: Vec<&'static str>) -> Self {
        Self {
            header,
            rows: Vec::new(),
        }
    }

    /// Adds a row (missing cells are empty; line breaks become spaces).
    pub(crate) fn row(&mut self, cells: Vec<String>) {
        let cells = cells
            .into_iter()
            .map(|c| {
                if c.contains(['\n', '\r', '\t']) {
                    c.replace(['\n', '\r', '\t'], " ")
                } else {
                    c
                }
            })
            .collect();
        self.rows.push(cells);
    }

    /// The column widths fitting `limit` columns of text (no limit: natural widths).
    fn widths(&self, limit: Option<usize>) -> Vec<usize> {
        let mut widths: Vec<usize> = self.header.iter().map(|h| width(h)).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate().take(widths.len()) {
                widths[i] = widths[i].max(width(cell));
            }
        }
        let Some(limit) = limit else { return widths };
        let budget = limit.saturating_sub(GAP.len() * widths.len().saturating_sub(1));
        let floor: Vec<usize> = self
            .header
            .iter()
            .zip(&widths)
            .map(|(h, w)| (*w).min(width(h).max(MIN_WIDTH)))
            .collect();
        loop {
            let total: usize = widths.iter().sum();
            if total <= budget {
                break;
            }
            // The widest column that can still give, down to the next widest.
            let Some(widest) = (0..widths.len())
                .filter(|&i| widths[i] > floor[i])
                .max_by_key(|&i| widths[i])
            else {
                break;
            };
            let next = widths
                .iter()
                .enumerate()
                .filter(|&(i, _)| i != widest)
                .map(|(_, w)| *w)
                .max()
                .unwrap_or(0);
            let excess = total - budget;
            let target = widths[widest]
                .saturating_sub(excess)
                .max(next.min(widths[widest] - 1))
                .max(floor[widest]);
            widths[widest] = target;
        }
        widths
    }

    /// The table as text, fitting `limit` columns when given.
    pub(crate) fn render(&self, limit: Option<usize>) -> String {
        let widths = self.widths(limit);
        let mut out =
            String::with_capacity((self.rows.len() + 1) * (widths.iter().sum::<usize>() + 8));
        let header: Vec<String> = self.header.iter().map(|h| (*h).to_owned()).collect();
        for row in std::iter::once(&header).chain(&self.rows) {
            let mut line = String::new();
            for (i, w) in widths.iter().enumerate() {
                let cell = row.get(i).map(String::as_str).unwrap_or_default();
                let text = cut(cell, *w);
                if i + 1 == widths.len() {
                    line.push_str(&text);
                } else {
                    let pad = w.saturating_sub(width(&text));
                    let _ = write!(line, "{text}{:pad$}{GAP}", "");
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// The width tables fit: `COLUMNS` when set, else the terminal's when standard output
/// is one; `None` (no cutting) when piped.
pub(crate) fn terminal_width() -> Option<usize> {
    if let Some(columns) = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()) {
        return Some(columns);
    }
    use std::io::IsTerminal as _;
    if !std::io::stdout().is_terminal() {
        return None;
    }
    terminal_size::terminal_size().map(|(terminal_size::Width(w), _)| usize::from(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        let mut t = Table::new(vec!["MODEL", "NAME", "ERROR"]);
        t.row(vec![
            "vpp.interfaces".into(),
            "tap1".into(),
            "a long error text that goes on".into(),
        ]);
        t.row(vec![
            "vpp.l2.fib".into(),
            "bd1/mac/62:89:c6:a3:7e:3a".into(),
            String::new(),
        ]);
        t
    }

    #[test]
    fn columns_line_up_without_a_limit() {
        let text = table().render(None);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "MODEL           NAME                       ERROR");
        assert_eq!(
            lines[1],
            "vpp.interfaces  tap1                       a long error text that goes on"
        );
        assert_eq!(lines[2], "vpp.l2.fib      bd1/mac/62:89:c6:a3:7e:3a");
    }

    #[test]
    fn the_widest_columns_are_cut_to_fit() {
        let text = table().render(Some(50));
        for line in text.lines() {
            assert!(width(line) <= 50, "{line:?} is wider than 50");
        }
        assert!(text.contains('…'), "{text}");
        assert!(
            text.contains("vpp.interfaces"),
            "narrow columns stay whole: {text}"
        );
    }

    #[test]
    fn cut_keeps_wide_characters_whole() {
        assert_eq!(cut("ab", 5), "ab");
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(width(&cut("日本語テキスト", 6)), 5);
    }
}
