//! The lexer: template text split into text and actions, actions into tokens (as Go's
//! `text/template/parse` lexes them, delimiters `{{` `}}`).

/// A piece of the template.
#[derive(Debug)]
pub(super) enum Item<'s> {
    /// Text printed as is (already trimmed by `{{-` / `-}}` markers).
    Text(&'s str),
    /// An action between delimiters (comments are dropped).
    Action {
        /// Offset of its `{{`.
        offset: usize,
        /// Its tokens.
        tokens: Vec<Token<'s>>,
    },
}

/// One token of an action.
#[derive(Debug, Clone)]
pub(super) struct Token<'s> {
    /// What it is.
    pub(super) kind: Tok<'s>,
    /// Offset of its first byte.
    pub(super) offset: usize,
    /// Whether whitespace precedes it (`.A.B` is one chain, `.A .B` two operands).
    pub(super) spaced: bool,
}

/// Token kinds.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok<'s> {
    /// `.` alone.
    Dot,
    /// `.Name`, without the dot.
    Field(&'s str),
    /// `$` or `$name`, with the `$`.
    Variable(&'s str),
    /// A name: keyword, function, `true`, `false`, `nil`.
    Ident(&'s str),
    /// A string literal, unquoted.
    Str(String),
    /// A number literal as written.
    Number(&'s str),
    /// A character constant (an integer in Go).
    Char(char),
    /// `(`.
    LParen,
    /// `)`.
    RParen,
    /// `|`.
    Pipe,
    /// `:=`.
    Declare,
    /// `=`.
    Assign,
    /// Any other printable ASCII character (`,`), which no supported action uses.
    Other(char),
}

/// Most parentheses open at once in an action, and most `{{if}}`/`{{with}}` (and
/// `{{else if}}`) nested: the parser, the renderer and the drop of a template recurse that
/// deep, so a deeper template (from a model list read from another agent, say) would
/// overflow the stack. Go refuses expressions deeper than 10,000; name templates need a
/// handful.
pub(super) const MAX_NESTING: usize = 100;

/// A lexing error: where and what.
#[derive(Debug)]
pub(super) struct LexError {
    pub(super) offset: usize,
    pub(super) message: String,
}

fn err<T>(offset: usize, message: impl Into<String>) -> Result<T, LexError> {
    Err(LexError {
        offset,
        message: message.into(),
    })
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Splits `src` into text and actions.
pub(super) fn lex(src: &str) -> Result<Vec<Item<'_>>, LexError> {
    let mut items = Vec::new();
    let mut pos = 0;
    let mut trim_next = false;
    loop {
        let open = src[pos..].find("{{").map(|i| pos + i);
        let mut text = &src[pos..open.unwrap_or(src.len())];
        if trim_next {
            text = text.trim_start_matches(is_space);
        }
        let Some(open) = open else {
            push_text(&mut items, text);
            return Ok(items);
        };
        let mut body = open + 2;
        if has_left_trim(&src[body..]) {
            text = text.trim_end_matches(is_space);
            body += 2;
        }
        push_text(&mut items, text);
        let (end, trim) = if src[body..].starts_with("/*") {
            let Some(close) = src[body + 2..].find("*/") else {
                return err(open, "unclosed comment");
            };
            match right_delim(&src[body + 2 + close + 2..]) {
                Some((len, trim)) => (body + 2 + close + 2 + len, trim),
                None => return err(open, "comment ends before closing delimiter"),
            }
        } else {
            let mut lexer = ActionLexer {
                src,
                pos: body,
                open,
                depth: 0,
                tokens: Vec::new(),
            };
            let (end, trim) = lexer.run()?;
            items.push(Item::Action {
                offset: open,
                tokens: lexer.tokens,
            });
            (end, trim)
        };
        pos = end;
        trim_next = trim;
    }
}

fn push_text<'s>(items: &mut Vec<Item<'s>>, text: &'s str) {
    if !text.is_empty() {
        items.push(Item::Text(text));
    }
}

/// `- ` right after `{{`.
fn has_left_trim(rest: &str) -> bool {
    let mut chars = rest.chars();
    chars.next() == Some('-') && chars.next().is_some_and(is_space)
}

/// A closing delimiter at the start of `rest`: its length and whether it trims (` -}}`).
fn right_delim(rest: &str) -> Option<(usize, bool)> {
    if rest.starts_with("}}") {
        return Some((2, false));
    }
    let mut chars = rest.chars();
    let trims = chars.next().is_some_and(is_space) && chars.next() == Some('-');
    (trims && rest[2..].starts_with("}}")).then_some((4, true))
}

struct ActionLexer<'s> {
    src: &'s str,
    pos: usize,
    open: usize,
    depth: usize,
    tokens: Vec<Token<'s>>,
}

impl<'s> ActionLexer<'s> {
    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn bump_while(&mut self, f: impl Fn(char) -> bool) {
        let rest = &self.src[self.pos..];
        self.pos += rest.find(|c| !f(c)).unwrap_or(rest.len());
    }

    fn at_terminator(&self) -> bool {
        match self.peek() {
            None => true,
            Some(c) => {
                is_space(c)
                    || matches!(c, '.' | ',' | '|' | ':' | ')' | '(')
                    || self.src[self.pos..].starts_with("}}")
            }
        }
    }

    /// Lexes up to the closing delimiter; gives the offset after it and whether it trims.
    fn run(&mut self) -> Result<(usize, bool), LexError> {
        let mut spaced = true;
        loop {
            if let Some((len, trim)) = right_delim(&self.src[self.pos..]) {
                if self.depth > 0 {
                    return err(self.pos, "unclosed left paren");
                }
                return Ok((self.pos + len, trim));
            }
            let start = self.pos;
            let Some(c) = self.peek() else {
                return err(self.open, "unclosed action");
            };
            self.pos += c.len_utf8();
            let kind = match c {
                c if is_space(c) => {
                    self.bump_while(is_space);
                    spaced = true;
                    continue;
                }
                '=' => Tok::Assign,
                ':' => {
                    if self.peek() != Some('=') {
                        return err(start, "expected :=");
                    }
                    self.pos += 1;
                    Tok::Declare
                }
                '|' => Tok::Pipe,
                '"' => Tok::Str(self.quoted(start)?),
                '`' => Tok::Str(self.raw_quoted(start)?),
                '\'' => Tok::Char(self.char_constant(start)?),
                '$' => {
                    self.bump_while(is_alnum);
                    self.terminated(start)?;
                    Tok::Variable(&self.src[start..self.pos])
                }
                '.' if !self.peek().is_some_and(|c| c.is_ascii_digit()) => {
                    self.bump_while(is_alnum);
                    self.terminated(start)?;
                    match &self.src[start + 1..self.pos] {
                        "" => Tok::Dot,
                        name => Tok::Field(name),
                    }
                }
                '.' | '+' | '-' | '0'..='9' => {
                    self.pos = start;
                    self.number();
                    if self.peek().is_some_and(is_alnum) {
                        return err(
                            start,
                            format!("bad number syntax: {:?}", self.number_text(start)),
                        );
                    }
                    Tok::Number(&self.src[start..self.pos])
                }
                c if is_alnum(c) => {
                    self.bump_while(is_alnum);
                    self.terminated(start)?;
                    Tok::Ident(&self.src[start..self.pos])
                }
                '(' => {
                    self.depth += 1;
                    if self.depth > MAX_NESTING {
                        return err(start, format!("more than {MAX_NESTING} nested parentheses"));
                    }
                    Tok::LParen
                }
                ')' => {
                    if self.depth == 0 {
                        return err(start, "unexpected right paren");
                    }
                    self.depth -= 1;
                    Tok::RParen
                }
                c if c.is_ascii_graphic() => Tok::Other(c),
                c => return err(start, format!("unrecognized character in action: {c:?}")),
            };
            self.tokens.push(Token {
                kind,
                offset: start,
                spaced,
            });
            spaced = false;
        }
    }

    fn terminated(&self, start: usize) -> Result<(), LexError> {
        if self.at_terminator() {
            return Ok(());
        }
        let c = self.peek().unwrap_or(' ');
        err(
            start,
            format!("bad character {c:?} after {:?}", &self.src[start..self.pos]),
        )
    }

    fn number_text(&self, start: usize) -> &'s str {
        let rest = &self.src[start..];
        &rest[..rest
            .find(|c: char| !is_alnum(c) && !"+-.".contains(c))
            .unwrap_or(rest.len())]
    }

    /// Go's `scanNumber`: sign, base prefix, digits, fraction, exponent, imaginary `i`.
    fn number(&mut self) {
        let accept = |lx: &mut Self, set: &str| match lx.peek() {
            Some(c) if set.contains(c) => {
                lx.pos += 1;
                true
            }
            _ => false,
        };
        accept(self, "+-");
        let mut digits = "0123456789_";
        if accept(self, "0") {
            if accept(self, "xX") {
                digits = "0123456789abcdefABCDEF_";
            } else if accept(self, "oO") {
                digits = "01234567_";
            } else if accept(self, "bB") {
                digits = "01_";
            }
        }
        self.bump_while(|c| digits.contains(c));
        if accept(self, ".") {
            self.bump_while(|c| digits.contains(c));
        }
        if digits.len() == 11 && accept(self, "eE") {
            accept(self, "+-");
            self.bump_while(|c| c.is_ascii_digit() || c == '_');
        }
        if digits.len() == 23 && accept(self, "pP") {
            accept(self, "+-");
            self.bump_while(|c| c.is_ascii_digit() || c == '_');
        }
        accept(self, "i");
    }

    /// The body of a `"…"` string or `'…'` character constant, unescaped: up to the first
    /// unescaped `quote` on the line.
    fn escaped_until(
        &mut self,
        start: usize,
        quote: char,
        what: &str,
    ) -> Result<(String, &'s str), LexError> {
        let rest = &self.src[self.pos..];
        let mut escaped = false;
        for (i, c) in rest.char_indices() {
            match c {
                '\n' => break,
                '\\' if !escaped => escaped = true,
                c if c == quote && !escaped => {
                    self.pos += i + 1;
                    let text = unescape(&rest[..i], quote).map_err(|message| LexError {
                        offset: start,
                        message,
                    })?;
                    return Ok((text, &rest[..i]));
                }
                _ => escaped = false,
            }
        }
        err(start, format!("unterminated {what}"))
    }

    fn quoted(&mut self, start: usize) -> Result<String, LexError> {
        self.escaped_until(start, '"', "quoted string")
            .map(|(text, _)| text)
    }

    fn raw_quoted(&mut self, start: usize) -> Result<String, LexError> {
        let rest = &self.src[self.pos..];
        let Some(end) = rest.find('`') else {
            return err(start, "unterminated raw quoted string");
        };
        self.pos += end + 1;
        // Go drops carriage returns from raw strings.
        Ok(rest[..end].replace('\r', ""))
    }

    fn char_constant(&mut self, start: usize) -> Result<char, LexError> {
        let (text, raw) = self.escaped_until(start, '\'', "character constant")?;
        let mut chars = text.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => Ok(c),
            _ => err(start, format!("malformed character constant: '{raw}'")),
        }
    }
}

/// Go's escapes in a `"…"` string or `'…'` character constant.
fn unescape(body: &str, quote: char) -> Result<String, String> {
    let mut bytes = Vec::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0; 4];
            bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        let e = chars.next().ok_or("unterminated escape")?;
        let simple = match e {
            'a' => Some(0x07),
            'b' => Some(0x08),
            'f' => Some(0x0c),
            'n' => Some(b'\n'),
            'r' => Some(b'\r'),
            't' => Some(b'\t'),
            'v' => Some(0x0b),
            '\\' => Some(b'\\'),
            c if c == quote => Some(c as u8),
            _ => None,
        };
        if let Some(b) = simple {
            bytes.push(b);
            continue;
        }
        let (len, radix) = match e {
            'x' => (2, 16),
            'u' => (4, 16),
            'U' => (8, 16),
            '0'..='7' => (2, 8),
            other => return Err(format!("unknown escape sequence: \\{other}")),
        };
        let digits: String = chars.by_ref().take(len).collect();
        let digits = if radix == 8 {
            format!("{e}{digits}")
        } else {
            digits
        };
        let value = match u32::from_str_radix(&digits, radix) {
            Ok(v) if digits.len() == len + usize::from(radix == 8) => v,
            _ => return Err(format!("invalid escape sequence: \\{e}{digits}")),
        };
        if matches!(e, 'u' | 'U') {
            let c = char::from_u32(value)
                .ok_or_else(|| format!("invalid Unicode escape: \\{e}{digits}"))?;
            let mut buf = [0; 4];
            bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        } else {
            let b = u8::try_from(value)
                .map_err(|_| format!("octal escape out of range: \\{digits}"))?;
            bytes.push(b);
        }
    }
    String::from_utf8(bytes).map_err(|_| "a byte escape makes the string invalid UTF-8".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Tok<'_>> {
        match lex(src).unwrap().into_iter().next() {
            Some(Item::Action { tokens, .. }) => tokens.into_iter().map(|t| t.kind).collect(),
            other => panic!("not an action: {other:?}"),
        }
    }

    #[test]
    fn fields_chain_and_spaces() {
        let tokens = match lex("{{.A.B .C}}").unwrap().remove(0) {
            Item::Action { tokens, .. } => tokens,
            other => panic!("{other:?}"),
        };
        let spaced: Vec<_> = tokens.iter().map(|t| (t.kind.clone(), t.spaced)).collect();
        assert_eq!(
            spaced,
            [
                (Tok::Field("A"), true),
                (Tok::Field("B"), false),
                (Tok::Field("C"), true)
            ]
        );
    }

    #[test]
    fn trim_markers_eat_whitespace() {
        let items = lex("a \n {{- .X -}} \t b{{-3}}").unwrap();
        let texts: Vec<_> = items
            .iter()
            .filter_map(|i| match i {
                Item::Text(t) => Some(*t),
                Item::Action { .. } => None,
            })
            .collect();
        assert_eq!(texts, ["a", "b"]);
        // `{{-3}}` is the number -3, not a trim marker.
        assert_eq!(kinds("{{-3}}"), [Tok::Number("-3")]);
    }

    #[test]
    fn literals() {
        assert_eq!(
            kinds(r#"{{printf "a\tb\x41\u00e9}}" `r}}aw` 'x' '\n' 0x1F 1e3 .5}}"#),
            [
                Tok::Ident("printf"),
                Tok::Str("a\tbAé}}".into()),
                Tok::Str("r}}aw".into()),
                Tok::Char('x'),
                Tok::Char('\n'),
                Tok::Number("0x1F"),
                Tok::Number("1e3"),
                Tok::Number(".5"),
            ]
        );
    }

    #[test]
    fn comments_are_dropped() {
        let items = lex("a{{/* x }} */}}b{{- /* y */ -}} c").unwrap();
        assert!(matches!(
            items.as_slice(),
            [Item::Text("a"), Item::Text("b"), Item::Text("c")]
        ));
    }

    #[test]
    fn errors_have_offsets() {
        let e = lex("ab{{.X").unwrap_err();
        assert_eq!((e.offset, e.message.as_str()), (2, "unclosed action"));
        let e = lex("{{\"abc}}").unwrap_err();
        assert_eq!(
            (e.offset, e.message.as_str()),
            (2, "unterminated quoted string")
        );
        let e = lex("{{.X)}}").unwrap_err();
        assert_eq!(e.offset, 4);
        let e = lex("{{3x}}").unwrap_err();
        assert!(e.message.starts_with("bad number syntax"), "{}", e.message);
    }
}
