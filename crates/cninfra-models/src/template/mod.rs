//! Name templates in upstream's syntax: a subset of Go's `text/template`.
//!
//! (Being written: parser and evaluator land in the next commit.)

use std::borrow::Cow;

/// What a name template reads: the fields of one message (or JSON object).
///
/// Field names are looked up as a template writes them: Go-style (`PhysAddress`), as in
/// the `.proto` (`phys_address`) or lowerCamel (`physAddress`).
pub trait Fields {
    /// The field called `name`; `None` when the message has no such field. A proto3 field
    /// left at its default is present, with its default value (as a Go struct field is).
    fn field(&self, name: &str) -> Option<Datum<'_>>;

    /// The field with protobuf field number `number` (upstream's `field` helper).
    fn field_by_number(&self, number: u32) -> Option<Datum<'_>>;
}

/// One value a template works with.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Datum<'a> {
    /// No value (Go's `nil`): false in `if`/`with`.
    Nil,
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer.
    Uint(u64),
    /// A float.
    Float(f64),
    /// A string.
    Str(Cow<'a, str>),
    /// An enum value: its number and, when known, its name (printed by name, as Go does).
    Enum {
        /// The number.
        number: i32,
        /// The name in the `.proto`, when the number is known.
        name: Option<Cow<'a, str>>,
    },
    /// A list (repeated field).
    List(Vec<Datum<'a>>),
    /// Named values (a nested message read out, or a helper's result such as `ipnet`'s).
    Map(Vec<(Cow<'a, str>, Datum<'a>)>),
}

// Stop-gap until the evaluator lands: `{{.Field}}` placeholders only.
mod stopgap;
pub use stopgap::{NameTemplate, TemplateError};
