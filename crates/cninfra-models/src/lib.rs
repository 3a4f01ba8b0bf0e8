//! Models of cninfra: what kinds of values an agent configures.
//!
//! A model is a protobuf message (or a serde type) plus a spec (module, version, type,
//! class) and an optional name template in upstream's Go-template syntax.

pub mod template;
