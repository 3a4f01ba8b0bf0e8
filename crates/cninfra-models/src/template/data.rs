//! What a template reads: [`Fields`] of a message and the [`Datum`] values they hold.

use std::borrow::Cow;
use std::fmt;

/// What a name template reads: the fields of one message (or JSON object).
///
/// Field names are looked up as a template writes them: Go-style (`PhysAddress`), as in
/// the `.proto` (`phys_address`) or lowerCamel (`physAddress`).
pub trait Fields {
    /// The field called `name`; `None` when the message has no such field. A proto3 field
    /// left at its default is present, with its default value (as a Go struct field is);
    /// an unset field with presence (a message, a `oneof` member, a proto3 `optional`) is
    /// [`Datum::Nil`], as the nil pointer of the Go struct is.
    fn field(&self, name: &str) -> Option<Datum<'_>>;

    /// The field with protobuf field number `number` (upstream's `field` helper, which reads
    /// through protoreflect: an unset field gives its default value).
    fn field_by_number(&self, number: u32) -> Option<Datum<'_>>;
}

/// One value a template works with.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Datum<'a> {
    /// No value (Go's `nil`): false in `if`/`with`, printed as `<nil>`.
    Nil,
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer.
    Uint(u64),
    /// A float (a proto `float` is widened through its shortest decimal form, so that it
    /// prints as Go prints a `float32`).
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
    /// A list (repeated field; a `bytes` field is a list of its bytes, as Go prints it).
    List(Vec<Datum<'a>>),
    /// Named values in key order (a map field read out, or a helper's result such as
    /// `ipnet`'s).
    Map(Vec<(Cow<'a, str>, Datum<'a>)>),
    /// A nested message (or JSON object), read field by field.
    Message(MessageRef<'a>),
}

/// A borrowed message inside a [`Datum`].
///
/// Two references are equal when they point at the same message.
#[derive(Clone, Copy)]
pub struct MessageRef<'a>(pub &'a dyn Fields);

impl fmt::Debug for MessageRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MessageRef(..)")
    }
}

impl PartialEq for MessageRef<'_> {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::addr_eq(self.0, other.0)
    }
}

impl<'a> Datum<'a> {
    /// A string datum borrowing `s`.
    pub fn str(s: &'a str) -> Self {
        Datum::Str(Cow::Borrowed(s))
    }

    /// Go's truth: false for nil, `false`, zero numbers, empty strings, lists and maps;
    /// true for messages and everything else.
    pub fn is_true(&self) -> bool {
        match self {
            Datum::Nil => false,
            Datum::Bool(b) => *b,
            Datum::Int(i) => *i != 0,
            Datum::Uint(u) => *u != 0,
            Datum::Float(f) => *f != 0.0,
            Datum::Str(s) => !s.is_empty(),
            Datum::Enum { number, .. } => *number != 0,
            Datum::List(items) => !items.is_empty(),
            Datum::Map(entries) => !entries.is_empty(),
            Datum::Message(_) => true,
        }
    }

    /// The same value borrowing from `self` (no string is copied).
    pub(super) fn reborrow(&self) -> Datum<'_> {
        match self {
            Datum::Nil => Datum::Nil,
            Datum::Bool(b) => Datum::Bool(*b),
            Datum::Int(i) => Datum::Int(*i),
            Datum::Uint(u) => Datum::Uint(*u),
            Datum::Float(f) => Datum::Float(*f),
            Datum::Str(s) => Datum::Str(Cow::Borrowed(s)),
            Datum::Enum { number, name } => Datum::Enum {
                number: *number,
                name: name.as_deref().map(Cow::Borrowed),
            },
            Datum::List(items) => Datum::List(items.iter().map(Datum::reborrow).collect()),
            Datum::Map(entries) => Datum::Map(
                entries
                    .iter()
                    .map(|(k, v)| (Cow::Borrowed(k.as_ref()), v.reborrow()))
                    .collect(),
            ),
            Datum::Message(m) => Datum::Message(*m),
        }
    }

    /// Go's name of the value's type, for messages such as `%!d(string=x)`.
    pub(super) fn go_type(&self) -> &'static str {
        match self {
            Datum::Nil => "<nil>",
            Datum::Bool(_) => "bool",
            Datum::Int(_) => "int",
            Datum::Uint(_) => "uint",
            Datum::Float(_) => "float64",
            Datum::Str(_) => "string",
            Datum::Enum { .. } => "enum",
            Datum::List(_) => "[]interface {}",
            Datum::Map(_) => "map[string]interface {}",
            Datum::Message(_) => "message",
        }
    }
}

/// A proto `float` as the `f64` with the same shortest decimal form, so that it prints as
/// Go prints a `float32` (`0.1`, not `0.10000000149011612`).
pub(super) fn widen_f32(f: f32) -> f64 {
    if !f.is_finite() {
        return f64::from(f);
    }
    // The shortest form of an f32 always parses as an f64.
    format!("{f:e}").parse().unwrap_or(f64::from(f))
}

/// A boxed message (prost boxes recursive fields) reads as the message.
impl<T: Fields + ?Sized> Fields for Box<T> {
    fn field(&self, name: &str) -> Option<Datum<'_>> {
        (**self).field(name)
    }

    fn field_by_number(&self, number: u32) -> Option<Datum<'_>> {
        (**self).field_by_number(number)
    }
}
