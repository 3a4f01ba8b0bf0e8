//! Value statuses computed from the graph.

use crate::graph::{Graph, Node};
use crate::state::{BaseValueStatus, TxnOperation, ValueState, ValueStatus};

use super::ready::missing_deps;

/// The status of one node.
pub(crate) fn value_status(graph: &Graph, node: &Node) -> ValueStatus {
    let details = match node.state {
        ValueState::Pending => missing_deps(graph, node),
        ValueState::Invalid => node
            .error
            .as_ref()
            .map(|e| e.invalid_fields.to_vec())
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let last_operation = if node.state == ValueState::Invalid {
        TxnOperation::Validate
    } else {
        node.last_update
            .as_ref()
            .map_or(TxnOperation::Undefined, |u| u.op)
    };
    ValueStatus {
        key: node.key.to_string(),
        state: node.state,
        error: node.error_message().to_owned(),
        last_operation,
        details,
    }
}

/// The status of a base key and its derived values (NONEXISTENT when the key is gone).
pub(crate) fn base_status(graph: &Graph, key: &str) -> BaseValueStatus {
    let Some(node) = graph.get(key) else {
        return BaseValueStatus {
            value: ValueStatus {
                key: key.to_owned(),
                ..ValueStatus::default()
            },
            derived_values: Vec::new(),
        };
    };
    BaseValueStatus {
        value: value_status(graph, node),
        derived_values: node
            .derived
            .iter()
            .filter_map(|d| graph.get(d))
            .map(|d| value_status(graph, d))
            .collect(),
    }
}
