//! Errors of parsing and rendering name templates.

/// A name template that does not parse, or that fails on some data.
///
/// Every variant carries the template text; offsets are byte offsets into it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// The text is not a valid template.
    #[error("name template `{template}`: at byte {offset}: {message}")]
    Syntax {
        /// The template text.
        template: String,
        /// Where the problem is.
        offset: usize,
        /// What is wrong.
        message: String,
    },
    /// The template uses a part of Go's `text/template` that name templates do not
    /// implement (`range`, `template`, `define`, `block`, variables, …).
    #[error(
        "name template `{template}`: at byte {offset}: {action} is not supported in name templates"
    )]
    Unsupported {
        /// The template text.
        template: String,
        /// Where the action is.
        offset: usize,
        /// The action, as written (`range`, `$x :=`, …).
        action: String,
    },
    /// The data has no field of this name (upstream renders with `missingkey=error`).
    #[error("name template `{template}`: at byte {offset}: can't evaluate field {field}")]
    UnknownField {
        /// The template text.
        template: String,
        /// Where the field is used.
        offset: usize,
        /// The field name as the template writes it.
        field: String,
    },
    /// Rendering failed otherwise: a wrong argument type, a field of a nil value, a value
    /// that has no stable text (a whole message).
    #[error("name template `{template}`: at byte {offset}: {message}")]
    Render {
        /// The template text.
        template: String,
        /// Where the failing command is.
        offset: usize,
        /// What went wrong.
        message: String,
    },
}
