//! Name templates in upstream's syntax: a subset of Go's `text/template`.
//!
//! vpp-agent names a model instance with a Go template over the generated Go struct of its
//! protobuf message, executed with `missingkey=error` and the helpers of its
//! `pkg/models/options.go`. [`NameTemplate`] compiles such a template once and renders it
//! over any [`Fields`] (a [`prost_reflect::DynamicMessage`], a JSON object), so that a
//! model declaration copied from vpp-agent gives the same keys:
//!
//! ```
//! use cninfra_models::template::NameTemplate;
//! use serde_json::json;
//!
//! let t = NameTemplate::parse(
//!     r#"{{with ipnet .DstNetwork}}{{printf "%s/%d" .IP .MaskSize}}{{else}}{{.DstNetwork}}{{end}}/{{.OutgoingInterface}}"#,
//! )?;
//! let route = json!({"dst_network": "10.1.2.3/24", "outgoing_interface": "tap0"});
//! assert_eq!(t.render(&route)?, "10.1.2.0/24/tap0");
//! # Ok::<(), cninfra_models::template::TemplateError>(())
//! ```
//!
//! # The subset
//!
//! - Text and actions `{{…}}`, trim markers `{{- ` and ` -}}`, comments `{{/* … */}}`.
//! - Fields `.Field`, chains `.A.B`, the dot `.`, the data `$` (`$.A`); field names as Go
//!   writes them (`PhysAddress`), or as the `.proto` (`phys_address`) or JSON
//!   (`physAddress`) does. A field the data lacks is an error ([`TemplateError::UnknownField`]).
//! - Pipelines with `|`, function calls, parenthesised pipelines `(ipnet .X).IP`; string
//!   (`"…"`, `` `…` ``), character, number, `true`/`false` and `nil` literals.
//! - `{{if}}`, `{{with}}` (which sets the dot), `{{else}}`, `{{else if}}`, `{{else with}}`.
//! - Go's builtins `and`, `or` (evaluated lazily), `not`, `eq`, `ne`, `lt`, `le`, `gt`, `ge`,
//!   `len`, `print`, `printf`, `println`, and upstream's `ip`, `protoip`, `ipnet`, `field`.
//! - Values print as Go's `%v`: strings as they are, numbers in decimal (floats in Go's
//!   shortest form), `true`/`false`, enums by name (by number when unknown), lists
//!   `[a b]`, nil `<nil>`. Truth is Go's: empty strings, zeros, `false`, nil and empty lists
//!   or maps are false.
//!
//! - At most 100 parentheses open at once in an action, and at most 100 `{{if}}`/`{{with}}`
//!   (with their `{{else if}}`s) nested: deeper is a [`TemplateError::Syntax`] (Go stops
//!   expressions at 10,000; parsing and rendering recurse, so the limit keeps any template
//!   text from overflowing the stack).
//!
//! Not supported, and refused when parsed ([`TemplateError::Unsupported`]): `range`,
//! `template`, `define`, `block`, `break`, `continue`, variables other than `$`, and the
//! builtins `index`, `slice`, `call`, `html`, `js`, `urlquery`. Printing a whole message is
//! an error (Go prints it in an unstable text form, unfit for a key).

mod data;
mod dynamic;
mod error;
mod exec;
mod funcs;
mod gofmt;
mod json_value;
mod lex;
mod names;
mod parse;

use std::fmt;
use std::str::FromStr;

pub use data::{Datum, Fields, MessageRef};
pub use error::TemplateError;

use exec::FailureKind;
use parse::{Node, ParseError};

/// A compiled name template.
///
/// Parse once with [`NameTemplate::parse`], then [`render`](NameTemplate::render) names of
/// any number of messages; the template is immutable and can be shared between threads.
#[derive(Clone)]
pub struct NameTemplate {
    source: Box<str>,
    nodes: Vec<Node>,
}

impl NameTemplate {
    /// Compiles `text`.
    ///
    /// # Errors
    ///
    /// [`TemplateError::Syntax`] when `text` is not a valid template,
    /// [`TemplateError::Unsupported`] when it uses what name templates do not implement;
    /// both name the byte offset.
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let nodes = parse::parse(text).map_err(|e| match e {
            ParseError::Syntax { offset, message } => TemplateError::Syntax {
                template: text.to_owned(),
                offset,
                message,
            },
            ParseError::Unsupported { offset, action } => TemplateError::Unsupported {
                template: text.to_owned(),
                offset,
                action,
            },
        })?;
        Ok(NameTemplate {
            source: text.into(),
            nodes,
        })
    }

    /// The name of `data`.
    ///
    /// # Errors
    ///
    /// [`TemplateError::UnknownField`] when the template names a field `data` lacks,
    /// [`TemplateError::Render`] when a function gets an argument of the wrong type, a field
    /// of a nil value is read, or a whole message is printed.
    pub fn render(&self, data: &dyn Fields) -> Result<String, TemplateError> {
        let mut out = String::with_capacity(self.source.len() + 16);
        self.render_to(data, &mut out)?;
        Ok(out)
    }

    /// Appends the name of `data` to `out` (a key prefix, say); on error `out` is left as
    /// it was.
    ///
    /// # Errors
    ///
    /// As [`render`](NameTemplate::render).
    pub fn render_to(&self, data: &dyn Fields, out: &mut String) -> Result<(), TemplateError> {
        let start = out.len();
        exec::render(&self.nodes, data, out).map_err(|failure| {
            out.truncate(start);
            let template = self.source.to_string();
            let offset = failure.offset;
            match failure.kind {
                FailureKind::UnknownField(field) => TemplateError::UnknownField {
                    template,
                    offset,
                    field,
                },
                FailureKind::Other(message) => TemplateError::Render {
                    template,
                    offset,
                    message,
                },
            }
        })
    }

    /// The template text.
    pub fn as_str(&self) -> &str {
        &self.source
    }
}

impl fmt::Debug for NameTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("NameTemplate").field(&self.source).finish()
    }
}

impl fmt::Display for NameTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl FromStr for NameTemplate {
    type Err = TemplateError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        NameTemplate::parse(text)
    }
}

impl PartialEq for NameTemplate {
    /// Templates are equal when their texts are.
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Eq for NameTemplate {}
