//! The evaluator: walks the nodes over a message, as Go's `text/template` executes with
//! `missingkey=error`.

use super::data::{Datum, Fields, MessageRef};
use super::funcs::{self, Func};
use super::gofmt;
use super::parse::{Base, BranchKind, Command, Lit, Node, Operand, Pipeline};

/// Why rendering failed, and where.
#[derive(Debug)]
pub(super) struct Failure {
    pub(super) offset: usize,
    pub(super) kind: FailureKind,
}

#[derive(Debug)]
pub(super) enum FailureKind {
    /// The data has no such field.
    UnknownField(String),
    /// Anything else, as a message.
    Other(String),
}

impl FailureKind {
    fn at(self, offset: usize) -> Failure {
        Failure { offset, kind: self }
    }
}

fn other(offset: usize) -> impl FnOnce(String) -> Failure {
    move |message| FailureKind::Other(message).at(offset)
}

/// Renders `nodes` over `data`, appending to `out`.
pub(super) fn render(nodes: &[Node], data: &dyn Fields, out: &mut String) -> Result<(), Failure> {
    let root = Datum::Message(MessageRef(data));
    walk(
        nodes,
        Scope {
            dot: &root,
            root: &root,
        },
        out,
    )
}

/// The dot and `$`.
#[derive(Clone, Copy)]
struct Scope<'v> {
    dot: &'v Datum<'v>,
    root: &'v Datum<'v>,
}

fn walk<'v>(nodes: &'v [Node], scope: Scope<'v>, out: &mut String) -> Result<(), Failure> {
    for node in nodes {
        match node {
            Node::Text(text) => out.push_str(text),
            Node::Print(pipe) => {
                if let Some(value) = run(pipe, scope, Some(&mut *out))? {
                    gofmt::write_value(out, &value).map_err(other(pipe.offset))?;
                }
            }
            Node::Branch {
                kind,
                cond,
                then,
                otherwise,
            } => {
                let value = pipeline(cond, scope)?;
                if !value.is_true() {
                    walk(otherwise, scope, out)?;
                } else if *kind == BranchKind::With {
                    walk(
                        then,
                        Scope {
                            dot: &value,
                            root: scope.root,
                        },
                        out,
                    )?;
                } else {
                    walk(then, scope, out)?;
                }
            }
        }
    }
    Ok(())
}

/// The value of a pipeline.
fn pipeline<'v>(pipe: &'v Pipeline, scope: Scope<'v>) -> Result<Datum<'v>, Failure> {
    Ok(run(pipe, scope, None)?.unwrap_or(Datum::Nil))
}

/// Runs a pipeline; given `out`, a final `print`/`printf`/`println` writes its text there
/// (and gives `None`) instead of making a string to copy.
fn run<'v>(
    pipe: &'v Pipeline,
    scope: Scope<'v>,
    out: Option<&mut String>,
) -> Result<Option<Datum<'v>>, Failure> {
    let Some((last, first)) = pipe.cmds.split_last() else {
        return Ok(Some(Datum::Nil));
    };
    let mut piped = None;
    for cmd in first {
        piped = command(cmd, scope, piped, None)?;
    }
    command(last, scope, piped, out)
}

fn command<'v>(
    cmd: &'v Command,
    scope: Scope<'v>,
    piped: Option<Datum<'v>>,
    out: Option<&mut String>,
) -> Result<Option<Datum<'v>>, Failure> {
    let (func, args, offset) = match cmd {
        Command::Value(op) => return operand(op, scope).map(Some),
        Command::Call { func, args, offset } => (*func, args, *offset),
    };
    // Arguments in place on the stack (functions take up to three, and printf rarely more).
    let n = args.len() + usize::from(piped.is_some());
    let mut inline = [const { Datum::Nil }; 4];
    let mut heap = Vec::new();
    let slots: &mut [Datum<'v>] = if n <= inline.len() {
        &mut inline[..n]
    } else {
        heap.resize(n, Datum::Nil);
        &mut heap
    };
    for (slot, arg) in slots.iter_mut().zip(args) {
        let value = operand(arg, scope)?;
        // and/or stop at the first argument that decides (Go 1.18 and later).
        let decides = match func {
            Func::And => !value.is_true(),
            Func::Or => value.is_true(),
            _ => false,
        };
        if decides {
            return Ok(Some(value));
        }
        *slot = value;
    }
    if let Some(value) = piped {
        slots[n - 1] = value;
    }
    if let Some(out) = out
        && funcs::print_into(func, slots, out).map_err(other(offset))?
    {
        return Ok(None);
    }
    funcs::apply(func, slots).map(Some).map_err(other(offset))
}

fn operand<'v>(op: &'v Operand, scope: Scope<'v>) -> Result<Datum<'v>, Failure> {
    let mut chain = op.chain.iter();
    let mut value = match &op.base {
        Base::Dot | Base::Root => {
            let start = if matches!(op.base, Base::Dot) {
                scope.dot
            } else {
                scope.root
            };
            match chain.next() {
                None => start.reborrow(),
                Some(name) => field_of_ref(start, name).map_err(|k| k.at(op.offset))?,
            }
        }
        Base::Nil => Datum::Nil,
        Base::Lit(lit) => literal(lit),
        Base::Sub(pipe) => pipeline(pipe, scope)?,
    };
    for name in chain {
        value = field_of(value, name).map_err(|k| k.at(op.offset))?;
    }
    Ok(value)
}

fn literal(lit: &Lit) -> Datum<'_> {
    match lit {
        Lit::Bool(b) => Datum::Bool(*b),
        Lit::Int(i) => Datum::Int(*i),
        Lit::Float(f) => Datum::Float(*f),
        Lit::Str(s) => Datum::str(s),
    }
}

/// Field `name` of a value the evaluator holds by reference (the dot).
fn field_of_ref<'v>(value: &'v Datum<'v>, name: &str) -> Result<Datum<'v>, FailureKind> {
    match value {
        Datum::Message(m) => m.0.field(name).ok_or_else(|| unknown(name)),
        Datum::Map(entries) => entries
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, v)| v.reborrow())
            .ok_or_else(|| unknown(name)),
        other => Err(not_a_message(other, name)),
    }
}

/// Field `name` of a value just computed (a chain's next step).
fn field_of<'v>(value: Datum<'v>, name: &str) -> Result<Datum<'v>, FailureKind> {
    match value {
        Datum::Message(m) => m.0.field(name).ok_or_else(|| unknown(name)),
        Datum::Map(entries) => entries
            .into_iter()
            .find(|(key, _)| key == name)
            .map(|(_, v)| v)
            .ok_or_else(|| unknown(name)),
        other => Err(not_a_message(&other, name)),
    }
}

fn unknown(name: &str) -> FailureKind {
    FailureKind::UnknownField(name.to_owned())
}

fn not_a_message(value: &Datum<'_>, name: &str) -> FailureKind {
    FailureKind::Other(match value {
        Datum::Nil => format!("nil pointer evaluating field {name}"),
        other => format!("can't evaluate field {name} in type {}", other.go_type()),
    })
}
