//! The parser: tokens to a tree of nodes, compiled once per template.

use super::funcs::{Func, UnknownFunc};
use super::lex::{self, Item, Tok, Token};

/// A parse failure: invalid syntax, or valid Go that name templates do not support.
#[derive(Debug)]
pub(super) enum ParseError {
    Syntax { offset: usize, message: String },
    Unsupported { offset: usize, action: String },
}

fn syntax<T>(offset: usize, message: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError::Syntax {
        offset,
        message: message.into(),
    })
}

fn unsupported<T>(offset: usize, action: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError::Unsupported {
        offset,
        action: action.into(),
    })
}

/// One node of a template.
#[derive(Debug, Clone)]
pub(super) enum Node {
    /// Text printed as is.
    Text(Box<str>),
    /// `{{pipeline}}`: the value printed.
    Print(Pipeline),
    /// `{{if}}` or `{{with}}`, with an optional else part (an `else if` chain nests here).
    Branch {
        kind: BranchKind,
        cond: Pipeline,
        then: Vec<Node>,
        otherwise: Vec<Node>,
    },
}

/// `if` or `with` (which also sets the dot).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BranchKind {
    If,
    With,
}

impl BranchKind {
    fn keyword(self) -> &'static str {
        match self {
            BranchKind::If => "if",
            BranchKind::With => "with",
        }
    }
}

/// Commands joined by `|`: each one's value is the last argument of the next.
#[derive(Debug, Clone)]
pub(super) struct Pipeline {
    /// Where it starts.
    pub(super) offset: usize,
    pub(super) cmds: Vec<Command>,
}

/// One command of a pipeline.
#[derive(Debug, Clone)]
pub(super) enum Command {
    /// A value: field, literal, `.`, parenthesised pipeline.
    Value(Operand),
    /// A function call.
    Call {
        func: Func,
        args: Vec<Operand>,
        offset: usize,
    },
}

/// A value with an optional chain of fields: `.A.B`, `$.A`, `(ipnet .X).IP`.
#[derive(Debug, Clone)]
pub(super) struct Operand {
    pub(super) offset: usize,
    pub(super) base: Base,
    pub(super) chain: Vec<Box<str>>,
}

/// Where an operand starts.
#[derive(Debug, Clone)]
pub(super) enum Base {
    /// The dot.
    Dot,
    /// `$`, the data the template renders.
    Root,
    /// `nil`.
    Nil,
    /// A literal.
    Lit(Lit),
    /// A parenthesised pipeline.
    Sub(Box<Pipeline>),
}

/// A literal constant (Go's untyped constants, as `text/template` turns them into values).
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Lit {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Box<str>),
}

/// Parses template text into nodes.
pub(super) fn parse(src: &str) -> Result<Vec<Node>, ParseError> {
    let items = lex::lex(src).map_err(|e| ParseError::Syntax {
        offset: e.offset,
        message: e.message,
    })?;
    let mut parser = Parser {
        items: items.into_iter(),
        len: src.len(),
        depth: 0,
    };
    let (nodes, stop) = parser.list()?;
    match stop {
        Stop::Eof => Ok(nodes),
        Stop::End(offset) => syntax(offset, "unexpected {{end}}"),
        Stop::Else(offset, _) => syntax(offset, "unexpected {{else}}"),
    }
}

/// What ended a list of nodes.
enum Stop<'s> {
    Eof,
    End(usize),
    /// `{{else …}}`: its offset and the tokens after `else`.
    Else(usize, Vec<Token<'s>>),
}

struct Parser<'s> {
    items: std::vec::IntoIter<Item<'s>>,
    len: usize,
    /// Branches open around the current one.
    depth: usize,
}

impl<'s> Parser<'s> {
    fn list(&mut self) -> Result<(Vec<Node>, Stop<'s>), ParseError> {
        let mut nodes = Vec::new();
        while let Some(item) = self.items.next() {
            let (offset, tokens) = match item {
                Item::Text(text) => {
                    nodes.push(Node::Text(text.into()));
                    continue;
                }
                Item::Action { offset, tokens } => (offset, tokens),
            };
            let Some(first) = tokens.first() else {
                return syntax(offset, "missing value for command");
            };
            match first.kind {
                Tok::Ident("if") => {
                    nodes.push(self.branch(BranchKind::If, offset, &tokens[1..])?)
                }
                Tok::Ident("with") => {
                    nodes.push(self.branch(BranchKind::With, offset, &tokens[1..])?)
                }
                Tok::Ident("else") => return Ok((nodes, Stop::Else(offset, tokens[1..].to_vec()))),
                Tok::Ident("end") => {
                    if let Some(extra) = tokens.get(1) {
                        return syntax(extra.offset, "unexpected token in end");
                    }
                    return Ok((nodes, Stop::End(offset)));
                }
                Tok::Ident(
                    kw @ ("range" | "template" | "define" | "block" | "break" | "continue"),
                ) => {
                    return unsupported(first.offset, kw);
                }
                _ => nodes.push(Node::Print(pipeline(offset, &tokens, "command")?)),
            }
        }
        Ok((nodes, Stop::Eof))
    }

    /// `{{if}}`/`{{with}}` after its keyword, through its `{{end}}`; at most
    /// [`MAX_NESTING`](lex::MAX_NESTING) deep.
    fn branch(
        &mut self,
        kind: BranchKind,
        offset: usize,
        tokens: &[Token<'s>],
    ) -> Result<Node, ParseError> {
        if self.depth >= lex::MAX_NESTING {
            return syntax(
                offset,
                format!("more than {} nested actions", lex::MAX_NESTING),
            );
        }
        self.depth += 1;
        let node = self.branch_body(kind, offset, tokens);
        self.depth -= 1;
        node
    }

    fn branch_body(
        &mut self,
        kind: BranchKind,
        offset: usize,
        tokens: &[Token<'s>],
    ) -> Result<Node, ParseError> {
        let cond = pipeline(offset, tokens, kind.keyword())?;
        let (then, stop) = self.list()?;
        let otherwise = match stop {
            Stop::End(_) => Vec::new(),
            Stop::Eof => return syntax(self.len, "unexpected EOF"),
            Stop::Else(offset, rest) => match rest.first().map(|t| &t.kind) {
                None => self.until_end(Vec::new())?,
                // `{{else if}}` in an if (`{{else with}}` in a with) shares the one `{{end}}`.
                Some(Tok::Ident(kw)) if *kw == kind.keyword() => {
                    vec![self.branch(kind, offset, &rest[1..])?]
                }
                // `{{else with}}` in an if opens a branch of its own, closed by its own end.
                Some(Tok::Ident("if")) => {
                    let inner = self.branch(BranchKind::If, offset, &rest[1..])?;
                    self.until_end(vec![inner])?
                }
                Some(Tok::Ident("with")) => {
                    let inner = self.branch(BranchKind::With, offset, &rest[1..])?;
                    self.until_end(vec![inner])?
                }
                Some(_) => return syntax(rest[0].offset, "unexpected token in else"),
            },
        };
        Ok(Node::Branch {
            kind,
            cond,
            then,
            otherwise,
        })
    }

    /// The rest of an else part, through `{{end}}`.
    fn until_end(&mut self, mut nodes: Vec<Node>) -> Result<Vec<Node>, ParseError> {
        let (more, stop) = self.list()?;
        nodes.extend(more);
        match stop {
            Stop::End(_) => Ok(nodes),
            Stop::Else(offset, _) => syntax(offset, "expected end; found {{else}}"),
            Stop::Eof => syntax(self.len, "unexpected EOF"),
        }
    }
}

/// The pipeline of an action; `context` names the action for "missing value for …".
fn pipeline(offset: usize, tokens: &[Token<'_>], context: &str) -> Result<Pipeline, ParseError> {
    if tokens.is_empty() {
        return syntax(offset, format!("missing value for {context}"));
    }
    if let [
        Token {
            kind: Tok::Variable(name),
            offset,
            ..
        },
        Token {
            kind: Tok::Declare | Tok::Assign,
            ..
        },
        ..,
    ] = tokens
    {
        return unsupported(*offset, format!("variable declaration `{name} :=`"));
    }
    let mut cursor = Cursor { tokens, at: 0 };
    let pipe = cursor.pipe(offset)?;
    match cursor.peek() {
        None => Ok(pipe),
        Some(t) => syntax(
            t.offset,
            format!("unexpected {} in {context}", describe(&t.kind)),
        ),
    }
}

fn describe(tok: &Tok<'_>) -> String {
    match tok {
        Tok::Dot => "\".\"".into(),
        Tok::Field(name) => format!("\".{name}\""),
        Tok::Variable(name) | Tok::Ident(name) | Tok::Number(name) => format!("{name:?}"),
        Tok::Str(s) => format!("{s:?}"),
        Tok::Char(c) => format!("{c:?}"),
        Tok::LParen => "\"(\"".into(),
        Tok::RParen => "\")\"".into(),
        Tok::Pipe => "\"|\"".into(),
        Tok::Declare => "\":=\"".into(),
        Tok::Assign => "\"=\"".into(),
        Tok::Other(c) => format!("{c:?}"),
    }
}

/// A command's first term: a function, or a value.
enum Term {
    Func(Func, usize),
    Value(Operand),
}

struct Cursor<'t, 's> {
    tokens: &'t [Token<'s>],
    at: usize,
}

impl<'s> Cursor<'_, 's> {
    fn peek(&self) -> Option<&Token<'s>> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<&Token<'s>> {
        let t = self.tokens.get(self.at);
        self.at += 1;
        t
    }

    fn at_command_end(&self) -> bool {
        matches!(
            self.peek().map(|t| &t.kind),
            None | Some(Tok::Pipe | Tok::RParen)
        )
    }

    /// Commands joined by `|`, up to the end or a `)`.
    fn pipe(&mut self, offset: usize) -> Result<Pipeline, ParseError> {
        let offset = self.peek().map_or(offset, |t| t.offset);
        let mut cmds = Vec::new();
        // Where a missing command is reported: the pipeline's start, then each `|`.
        let mut before = offset;
        loop {
            let start = self.peek().map_or(before, |t| t.offset);
            cmds.push(self.command(start, !cmds.is_empty())?);
            match self.peek() {
                Some(Token {
                    kind: Tok::Pipe,
                    offset,
                    ..
                }) => {
                    before = *offset;
                    self.at += 1;
                }
                _ => return Ok(Pipeline { offset, cmds }),
            }
        }
    }

    /// One command; `piped` when a previous command's value becomes its last argument.
    fn command(&mut self, offset: usize, piped: bool) -> Result<Command, ParseError> {
        if self.at_command_end() {
            return syntax(offset, "missing value for command");
        }
        let head = self.term()?;
        let mut args = Vec::new();
        while !self.at_command_end() {
            match self.term()? {
                Term::Value(op) => args.push(op),
                Term::Func(func, at) => {
                    return syntax(
                        at,
                        format!("function {} as an argument needs parentheses", func.name()),
                    );
                }
            }
        }
        match head {
            Term::Func(func, at) => {
                func.check_arity(args.len() + usize::from(piped))
                    .or_else(|message| syntax(at, message))?;
                Ok(Command::Call {
                    func,
                    args,
                    offset: at,
                })
            }
            Term::Value(op) if piped || !args.is_empty() => {
                syntax(op.offset, "can't give argument to non-function")
            }
            Term::Value(Operand {
                base: Base::Nil,
                offset,
                ..
            }) => syntax(offset, "nil is not a command"),
            Term::Value(op) => Ok(Command::Value(op)),
        }
    }

    fn term(&mut self) -> Result<Term, ParseError> {
        let Some(tok) = self.next().cloned() else {
            return syntax(
                self.tokens.last().map_or(0, |t| t.offset),
                "missing operand",
            );
        };
        let offset = tok.offset;
        let (base, mut chain, chainable) = match tok.kind {
            Tok::Dot => (Base::Dot, Vec::new(), false),
            Tok::Field(name) => (Base::Dot, vec![name.into()], true),
            Tok::Variable("$") => (Base::Root, Vec::new(), true),
            Tok::Variable(name) => return unsupported(offset, format!("variable {name}")),
            Tok::Ident("true") => (Base::Lit(Lit::Bool(true)), Vec::new(), false),
            Tok::Ident("false") => (Base::Lit(Lit::Bool(false)), Vec::new(), false),
            Tok::Ident("nil") => (Base::Nil, Vec::new(), false),
            Tok::Ident(name) => {
                if is_keyword(name) {
                    return syntax(offset, format!("unexpected keyword {name:?} in operand"));
                }
                let func = Func::lookup(name).map_err(|e| match e {
                    UnknownFunc::Unsupported => ParseError::Unsupported {
                        offset,
                        action: format!("function {name:?}"),
                    },
                    UnknownFunc::Undefined => ParseError::Syntax {
                        offset,
                        message: format!("function {name:?} not defined"),
                    },
                })?;
                if self.chained_field() {
                    return syntax(offset, format!("unexpected . after term {name:?}"));
                }
                return Ok(Term::Func(func, offset));
            }
            Tok::Str(s) => (Base::Lit(Lit::Str(s.into())), Vec::new(), false),
            Tok::Number(text) => (
                Base::Lit(number(text).or_else(|m| syntax(offset, m))?),
                Vec::new(),
                false,
            ),
            Tok::Char(c) => (
                Base::Lit(Lit::Int(i64::from(u32::from(c)))),
                Vec::new(),
                false,
            ),
            Tok::LParen => {
                let inner = self.pipe(offset)?;
                match self.next() {
                    Some(Token {
                        kind: Tok::RParen, ..
                    }) => {}
                    _ => return syntax(offset, "unclosed left paren"),
                }
                (Base::Sub(Box::new(inner)), Vec::new(), true)
            }
            other => {
                return syntax(
                    offset,
                    format!("unexpected {} in operand", describe(&other)),
                );
            }
        };
        if !chainable && self.chained_field() {
            return syntax(offset, "unexpected . after term");
        }
        while self.chained_field() {
            if let Some(Token {
                kind: Tok::Field(name),
                ..
            }) = self.next()
            {
                chain.push((*name).into());
            }
        }
        Ok(Term::Value(Operand {
            offset,
            base,
            chain,
        }))
    }

    /// A `.Field` right after the previous token (no space): a chain.
    fn chained_field(&self) -> bool {
        matches!(
            self.peek(),
            Some(Token {
                kind: Tok::Field(_),
                spaced: false,
                ..
            })
        )
    }
}

fn is_keyword(name: &str) -> bool {
    matches!(
        name,
        "if" | "else"
            | "end"
            | "with"
            | "range"
            | "template"
            | "define"
            | "block"
            | "break"
            | "continue"
    )
}

/// A number literal as Go's `text/template` takes it: a float when written with `.`, an
/// exponent (or `p`), else an int that must fit in 64 bits.
fn number(text: &str) -> Result<Lit, String> {
    if text.ends_with('i') {
        return Err(format!("complex number {text:?} is not supported"));
    }
    let (negative, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let body = body.replace('_', "");
    let lower = body.to_ascii_lowercase();
    let hex = lower.starts_with("0x");
    let float = if hex {
        lower.contains(['.', 'p'])
    } else {
        lower.contains(['.', 'e'])
    };
    let illegal = || format!("illegal number syntax: {text:?}");
    if float {
        if hex {
            return Err(format!("hexadecimal float {text:?} is not supported"));
        }
        let f: f64 = body.parse().map_err(|_| illegal())?;
        return Ok(Lit::Float(if negative { -f } else { f }));
    }
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    let magnitude = u64::from_str_radix(digits, radix).map_err(|_| illegal())?;
    let value = if negative {
        0i64.checked_sub_unsigned(magnitude)
    } else {
        i64::try_from(magnitude).ok()
    };
    value
        .map(Lit::Int)
        .ok_or_else(|| format!("{text} overflows int"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_go() {
        assert_eq!(number("42"), Ok(Lit::Int(42)));
        assert_eq!(number("-0x1F"), Ok(Lit::Int(-31)));
        assert_eq!(number("0755"), Ok(Lit::Int(0o755)));
        assert_eq!(number("0b1_0"), Ok(Lit::Int(2)));
        assert_eq!(number("0x1e3"), Ok(Lit::Int(0x1e3)));
        assert_eq!(number("1e3"), Ok(Lit::Float(1000.0)));
        assert_eq!(number("-.5"), Ok(Lit::Float(-0.5)));
        assert_eq!(number("-9223372036854775808"), Ok(Lit::Int(i64::MIN)));
        assert!(
            number("9223372036854775808")
                .unwrap_err()
                .contains("overflows int")
        );
        assert!(number("08").is_err());
        assert!(number("1i").is_err());
    }

    fn error_of(src: &str) -> (usize, String) {
        match parse(src).unwrap_err() {
            ParseError::Syntax { offset, message } => (offset, message),
            ParseError::Unsupported { offset, action } => (offset, format!("unsupported {action}")),
        }
    }

    #[test]
    fn syntax_errors_name_the_place() {
        assert_eq!(error_of("a{{}}"), (1, "missing value for command".into()));
        assert_eq!(
            error_of("{{if}}x{{end}}"),
            (0, "missing value for if".into())
        );
        assert_eq!(error_of("{{if .A}}x"), (10, "unexpected EOF".into()));
        assert_eq!(error_of("x{{end}}"), (1, "unexpected {{end}}".into()));
        assert_eq!(error_of("{{else}}"), (0, "unexpected {{else}}".into()));
        assert_eq!(
            error_of("{{if .A}}{{else}}{{else}}{{end}}"),
            (17, "expected end; found {{else}}".into())
        );
        assert_eq!(
            error_of("{{.A .B}}"),
            (2, "can't give argument to non-function".into())
        );
        assert_eq!(error_of("{{nil}}"), (2, "nil is not a command".into()));
        assert_eq!(
            error_of("{{\"a\".B}}"),
            (2, "unexpected . after term".into())
        );
        assert_eq!(
            error_of("{{ip}}"),
            (2, "wrong number of args for ip: want 1 got 0".into())
        );
        assert_eq!(
            error_of("{{foo .A}}"),
            (2, "function \"foo\" not defined".into())
        );
        assert_eq!(
            error_of("{{.A | .B}}"),
            (7, "can't give argument to non-function".into())
        );
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        // Found by the fuzz target `name_template`: each level recursed in the parser,
        // the renderer and the drop.
        let ok = lex::MAX_NESTING;
        let parens = |n: usize| format!("{{{{{}1{}}}}}", "(".repeat(n), ")".repeat(n));
        assert!(parse(&parens(ok)).is_ok());
        assert_eq!(
            error_of(&parens(100_000)),
            (2 + ok, format!("more than {ok} nested parentheses"))
        );
        let ifs = |n: usize| format!("{}x{}", "{{if 1}}".repeat(n), "{{end}}".repeat(n));
        assert!(parse(&ifs(ok)).is_ok());
        assert_eq!(
            error_of(&ifs(100_000)),
            (8 * ok, format!("more than {ok} nested actions"))
        );
        let else_ifs = |n: usize| format!("{{{{if 1}}}}{}{{{{end}}}}", "{{else if 1}}".repeat(n));
        assert!(parse(&else_ifs(ok - 1)).is_ok());
        assert!(error_of(&else_ifs(100_000)).1.contains("nested actions"));
    }

    #[test]
    fn unsupported_actions_are_named() {
        assert_eq!(
            error_of("ab{{range .X}}{{end}}"),
            (4, "unsupported range".into())
        );
        assert_eq!(
            error_of("{{template \"x\"}}"),
            (2, "unsupported template".into())
        );
        assert_eq!(
            error_of("{{define \"x\"}}{{end}}"),
            (2, "unsupported define".into())
        );
        assert_eq!(
            error_of("{{$x := .A}}"),
            (2, "unsupported variable declaration `$x :=`".into())
        );
        assert_eq!(
            error_of("{{.A}}{{$x}}"),
            (8, "unsupported variable $x".into())
        );
        assert_eq!(
            error_of("{{index .A 1}}"),
            (2, "unsupported function \"index\"".into())
        );
    }

    #[test]
    fn else_chains_share_one_end() {
        let nodes = parse("{{if .A}}a{{else if .B}}b{{else}}c{{end}}").unwrap();
        let [Node::Branch { otherwise, .. }] = nodes.as_slice() else {
            panic!("{nodes:?}")
        };
        let [
            Node::Branch {
                kind: BranchKind::If,
                otherwise: inner,
                ..
            },
        ] = otherwise.as_slice()
        else {
            panic!("{otherwise:?}")
        };
        assert!(matches!(inner.as_slice(), [Node::Text(t)] if &**t == "c"));
        // `else if` inside a with is a branch of its own, with its own end.
        assert!(parse("{{with .A}}a{{else if .B}}b{{end}}{{end}}").is_ok());
        assert!(parse("{{with .A}}a{{else with .B}}b{{end}}").is_ok());
    }
}
