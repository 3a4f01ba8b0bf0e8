//! The transaction log in upstream's text layout.
//!
//! A transaction prints as a header box (`#<seq> - <type>` with the resync or retry info on
//! the right), its arguments, the planned operations (when simulated), the executed
//! operations (numbered, `N. OP [FLAGS]:` with key and values) and a closing box with the
//! duration.

use std::fmt::Write;
use std::time::{Duration, SystemTime};

use super::{RecordedTxn, RecordedTxnOp};
use crate::state::{Origin, TxnOperation, ValueState};

/// Width of the boxes, as upstream.
const WIDTH: usize = 118;

impl RecordedTxnOp {
    /// The flags the log prints after the operation (`[DERIVED NOOP IS-PENDING]`), in
    /// upstream's order.
    pub fn flags(&self) -> Vec<&'static str> {
        use ValueState as S;
        let (prev, new) = (self.prev_state, self.new_state);
        let failure = |s: S| matches!(s, S::Failed | S::Retrying);
        let mut flags = Vec::new();
        if self.is_derived && !self.is_property {
            flags.push("DERIVED");
        }
        if self.is_property {
            flags.push("PROPERTY");
        }
        if self.noop {
            flags.push("NOOP");
        }
        if self.is_revert && !self.is_property {
            flags.push("REVERT");
        }
        if self.is_retry && !self.is_property {
            flags.push("RETRY");
        }
        if self.is_recreate {
            flags.push("RECREATE");
        }
        if new == S::Obtained {
            flags.push("OBTAINED");
        }
        if prev == S::Obtained && prev != new {
            flags.push("WAS-OBTAINED");
        }
        if new == S::Unimplemented {
            flags.push("UNIMPLEMENTED");
        }
        if prev == S::Unimplemented && prev != new {
            flags.push("WAS-UNIMPLEMENTED");
        }
        if prev == S::Removed && self.operation == TxnOperation::Delete {
            flags.push("ALREADY-REMOVED");
        }
        if prev == S::Missing {
            flags.push(if new == S::Removed {
                "ALREADY-MISSING"
            } else {
                "WAS-MISSING"
            });
        }
        if prev == S::Discovered {
            flags.push("DISCOVERED");
        }
        if prev == S::Pending {
            flags.push(if new == S::Pending {
                "STILL-PENDING"
            } else {
                "WAS-PENDING"
            });
        } else if new == S::Pending {
            flags.push("IS-PENDING");
        }
        if failure(prev) {
            if failure(new) {
                flags.push("STILL-FAILING");
            } else if new == S::Configured {
                flags.push("FIXED");
            }
        } else if failure(new) {
            flags.push("FAILED");
        }
        if prev == S::Invalid {
            flags.push(if new == S::Invalid {
                "STILL-INVALID"
            } else {
                "FIXED"
            });
        } else if new == S::Invalid {
            flags.push("INVALID");
        }
        flags
    }

    fn write(&self, index: usize, verbose: bool, indent: usize, out: &mut String) {
        let pad1 = " ".repeat(indent);
        let pad2 = " ".repeat(indent + 4);
        let flags = self.flags();
        if flags.is_empty() {
            let _ = writeln!(out, "{pad1}{index}. {}:", self.operation);
        } else {
            let _ = writeln!(
                out,
                "{pad1}{index}. {} [{}]:",
                self.operation,
                flags.join(" ")
            );
        }
        let _ = writeln!(out, "{pad2}- key: {}", self.key);
        let show = |v: &Option<crate::Value>| {
            v.as_ref()
                .map_or_else(|| "<nil>".to_owned(), |v| v.to_string())
        };
        match self.operation {
            TxnOperation::Update => {
                let _ = writeln!(out, "{pad2}- prev-value: {}", show(&self.prev_value));
                let _ = writeln!(out, "{pad2}- new-value: {}", show(&self.new_value));
            }
            TxnOperation::Delete => {
                let _ = writeln!(out, "{pad2}- value: {}", show(&self.prev_value));
            }
            TxnOperation::Create => {
                let _ = writeln!(out, "{pad2}- value: {}", show(&self.new_value));
            }
            TxnOperation::Undefined | TxnOperation::Validate => {}
        }
        if let Some(err) = &self.prev_err {
            let _ = writeln!(out, "{pad2}- prev-error: {err}");
        }
        if let Some(err) = &self.new_err {
            let _ = writeln!(out, "{pad2}- error: {err}");
        }
        if verbose {
            let _ = writeln!(out, "{pad2}- prev-state: {}", self.prev_state);
            let _ = writeln!(out, "{pad2}- new-state: {}", self.new_state);
        }
    }
}

/// Writes numbered operations (`<NONE>` for none).
pub(crate) fn write_ops(ops: &[RecordedTxnOp], verbose: bool, indent: usize, out: &mut String) {
    if ops.is_empty() {
        let _ = writeln!(out, "{}<NONE>", " ".repeat(indent));
    }
    for (i, op) in ops.iter().enumerate() {
        op.write(i + 1, verbose, indent, out);
    }
}

/// Rounds to milliseconds and prints like Go (`0s`, `12ms`, `1.5s`).
pub(crate) fn fmt_duration(d: Duration) -> String {
    let ms = (d.as_micros() + 500) / 1000;
    if ms == 0 {
        "0s".to_owned()
    } else if ms < 1000 {
        format!("{ms}ms")
    } else {
        let s = format!("{}.{:03}", ms / 1000, ms % 1000);
        format!("{}s", s.trim_end_matches('0').trim_end_matches('.'))
    }
}

fn fmt_time(t: SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}

impl RecordedTxn {
    /// The type line of the arguments (`NB Transaction, Full Resync`).
    fn type_line(&self) -> String {
        match (self.resync_type, self.retry_for_txn) {
            (Some(resync), _) => format!("{}, {}", self.txn_type, resync),
            (None, Some(txn)) => format!(
                "{} (for txn #{txn}, attempt #{})",
                self.txn_type,
                self.retry_attempt.unwrap_or(1)
            ),
            (None, None) => self.txn_type.to_string(),
        }
    }

    /// The right-hand info of the header box.
    fn header_info(&self) -> String {
        match (self.resync_type, self.retry_for_txn) {
            (Some(resync), _) => resync.to_string(),
            (None, Some(txn)) => format!(
                "retrying failed TXN #{txn} (attempt {})",
                self.retry_attempt.unwrap_or(1)
            ),
            (None, None) if self.txn_type == super::TxnType::RetryUnimplOps => {
                "retrying unimplemented values".to_owned()
            }
            (None, None) => String::new(),
        }
    }

    /// The record as text: the arguments and planned operations unless `result_only`,
    /// then the executed operations (unless pre-recorded). `verbose` adds the states.
    pub fn to_text(&self, result_only: bool, verbose: bool, indent: usize) -> String {
        let mut out = String::new();
        let pad1 = " ".repeat(indent);
        let pad2 = " ".repeat(indent + 4);
        let pad3 = " ".repeat(indent + 8);
        if !result_only {
            let _ = writeln!(out, "{pad1}* transaction arguments:");
            let _ = writeln!(out, "{pad2}- seqNum: {}", self.seq_num);
            let _ = writeln!(out, "{pad2}- type: {}", self.type_line());
            if let Some(description) = &self.description {
                for (i, line) in description.lines().enumerate() {
                    if i == 0 {
                        let _ = writeln!(out, "{pad2}- Description: {line}");
                    } else {
                        let _ = writeln!(out, "{pad3}{line}");
                    }
                }
            }
            if self.resync_type != Some(super::ResyncKind::Downstream) {
                if self.values.is_empty() {
                    let _ = writeln!(out, "{pad2}- values: NONE");
                } else {
                    let _ = writeln!(out, "{pad2}- values:");
                }
                for kv in &self.values {
                    if self.resync_type.is_some() && kv.origin == Origin::FromSb {
                        continue;
                    }
                    let _ = writeln!(out, "{pad3}- key: {}", kv.key);
                    let value = kv
                        .value
                        .as_ref()
                        .map_or_else(|| "<nil>".to_owned(), |v| v.to_string());
                    let _ = writeln!(out, "{pad3}  val: {value}");
                }
            }
            if self.with_simulation {
                let _ = writeln!(out, "{pad1}* planned operations:");
                write_ops(&self.planned, verbose, indent + 4, &mut out);
            }
        }
        if !self.pre_record {
            if self.executed.is_empty() {
                let _ = writeln!(out, "{pad1}* executed operations:");
            } else {
                let took = self.stop.duration_since(self.start).unwrap_or_default();
                let _ = writeln!(
                    out,
                    "{pad1}* executed operations ({} -> {}, dur: {}):",
                    fmt_time(self.start),
                    fmt_time(self.stop),
                    fmt_duration(took)
                );
            }
            write_ops(&self.executed, verbose, indent + 4, &mut out);
        }
        out
    }

    /// The header box and arguments, printed before execution.
    pub fn log_header(&self) -> String {
        let mut out = String::new();
        let rule = format!("+{}+\n", "=".repeat(WIDTH));
        out.push_str(&rule);
        out.push_str(&boxed_line(
            '|',
            &format!("#{} - {}", self.seq_num, self.txn_type),
            &self.header_info(),
        ));
        out.push_str(&rule);
        out.push_str(&self.to_text(false, false, 2));
        out
    }

    /// The executed operations and the closing box, printed after execution.
    pub(crate) fn log_footer(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "o{}o", "-".repeat(WIDTH));
        out.push_str(&self.to_text(true, false, 2));
        let rule = format!("x{}x\n", "-".repeat(WIDTH));
        out.push_str(&rule);
        let took = self.stop.duration_since(self.start).unwrap_or_default();
        out.push_str(&boxed_line(
            'x',
            &format!("#{} - {}", self.seq_num, self.txn_type),
            &format!("took {}", fmt_duration(took)),
        ));
        out.push_str(&rule);
        out
    }
}

/// `| left ... right |` padded to the box width.
fn boxed_line(edge: char, left: &str, right: &str) -> String {
    let inner = WIDTH - 2;
    let gap = inner.saturating_sub(left.len() + right.len()).max(1);
    format!("{edge} {left}{}{right} {edge}\n", " ".repeat(gap))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_print_like_go() {
        assert_eq!(fmt_duration(Duration::from_micros(400)), "0s");
        assert_eq!(fmt_duration(Duration::from_micros(12_400)), "12ms");
        assert_eq!(fmt_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(fmt_duration(Duration::from_secs(2)), "2s");
    }

    fn op(operation: TxnOperation, prev: ValueState, new: ValueState) -> RecordedTxnOp {
        RecordedTxnOp {
            operation,
            key: "k".into(),
            new_state: new,
            new_value: None,
            new_err: None,
            prev_state: prev,
            prev_value: None,
            prev_err: None,
            noop: false,
            is_derived: false,
            is_property: false,
            is_revert: false,
            is_retry: false,
            is_recreate: false,
        }
    }

    #[test]
    fn every_flag_in_upstream_order() {
        use TxnOperation::{Create, Delete, Update};
        use ValueState as S;
        let cases: Vec<(RecordedTxnOp, &[&str])> = vec![
            (
                RecordedTxnOp {
                    is_derived: true,
                    noop: true,
                    ..op(Create, S::Nonexistent, S::Pending)
                },
                &["DERIVED", "NOOP", "IS-PENDING"],
            ),
            (
                RecordedTxnOp {
                    is_derived: true,
                    is_property: true,
                    is_revert: true,
                    ..op(Create, S::Nonexistent, S::Configured)
                },
                &["PROPERTY"],
            ),
            (
                RecordedTxnOp {
                    is_revert: true,
                    is_retry: true,
                    is_recreate: true,
                    ..op(Create, S::Removed, S::Configured)
                },
                &["REVERT", "RETRY", "RECREATE"],
            ),
            (op(Create, S::Nonexistent, S::Obtained), &["OBTAINED"]),
            (op(Delete, S::Obtained, S::Removed), &["WAS-OBTAINED"]),
            (
                op(Create, S::Nonexistent, S::Unimplemented),
                &["UNIMPLEMENTED"],
            ),
            (
                op(Create, S::Unimplemented, S::Configured),
                &["WAS-UNIMPLEMENTED"],
            ),
            (op(Delete, S::Removed, S::Removed), &["ALREADY-REMOVED"]),
            (op(Delete, S::Missing, S::Removed), &["ALREADY-MISSING"]),
            (op(Create, S::Missing, S::Configured), &["WAS-MISSING"]),
            (op(Update, S::Discovered, S::Configured), &["DISCOVERED"]),
            (op(Create, S::Pending, S::Pending), &["STILL-PENDING"]),
            (op(Create, S::Pending, S::Configured), &["WAS-PENDING"]),
            (op(Delete, S::Configured, S::Pending), &["IS-PENDING"]),
            (op(Create, S::Retrying, S::Failed), &["STILL-FAILING"]),
            (op(Create, S::Failed, S::Configured), &["FIXED"]),
            (op(Create, S::Nonexistent, S::Retrying), &["FAILED"]),
            (op(Create, S::Invalid, S::Invalid), &["STILL-INVALID"]),
            (op(Create, S::Invalid, S::Pending), &["IS-PENDING", "FIXED"]),
            (op(Create, S::Nonexistent, S::Invalid), &["INVALID"]),
        ];
        for (op, flags) in cases {
            assert_eq!(op.flags(), flags, "{op:?}");
        }
        let mut out = String::new();
        write_ops(&[], false, 2, &mut out);
        assert_eq!(out, "  <NONE>\n");
    }

    #[test]
    fn boxes_have_a_fixed_width() {
        let line = boxed_line('|', "#1 - NB Transaction", "Full Resync");
        assert_eq!(line.trim_end().len(), WIDTH + 2);
    }
}
