//! The operational [`State`] of a plugin or of the whole agent.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

/// The state of a plugin or of the agent, numbered as upstream's `OperationalState`.
///
/// In JSON a state is its number: `0` INIT, `1` OK, `2` ERROR.
///
/// # Examples
/// ```
/// use cninfra_health::State;
///
/// assert_eq!(State::aggregate([State::Ok, State::Init]), State::Init);
/// assert_eq!(State::aggregate([State::Init, State::Error]), State::Error);
/// assert_eq!(State::aggregate([]), State::Ok);
/// assert_eq!(serde_json::to_string(&State::Error).unwrap(), "2");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum State {
    /// Starting: not yet working, not failed either.
    #[default]
    Init = 0,
    /// Working.
    Ok = 1,
    /// Failed; the status carries the error text.
    Error = 2,
}

impl State {
    /// The state of a whole made of parts in `states`: ERROR if any part is in ERROR, else
    /// INIT if any is in INIT, else OK (also when there are no parts).
    pub fn aggregate(states: impl IntoIterator<Item = State>) -> State {
        let mut any_init = false;
        for state in states {
            match state {
                State::Error => return State::Error,
                State::Init => any_init = true,
                State::Ok => {}
            }
        }
        if any_init { State::Init } else { State::Ok }
    }

    /// The state's number (`0` INIT, `1` OK, `2` ERROR).
    pub fn as_number(self) -> u8 {
        self as u8
    }

    /// The state with this number, if any.
    pub fn from_number(number: u64) -> Option<State> {
        match number {
            0 => Some(State::Init),
            1 => Some(State::Ok),
            2 => Some(State::Error),
            _ => None,
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            State::Init => "INIT",
            State::Ok => "OK",
            State::Error => "ERROR",
        })
    }
}

impl Serialize for State {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(self.as_number())
    }
}

impl<'de> Deserialize<'de> for State {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let number = u64::deserialize(deserializer)?;
        State::from_number(number).ok_or_else(|| {
            de::Error::custom(format_args!(
                "invalid state {number}: expected 0 (INIT), 1 (OK) or 2 (ERROR)"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregation_error_beats_init_beats_ok() {
        use State::{Error, Init, Ok};
        let cases: [(&[State], State); 7] = [
            (&[], Ok),
            (&[Ok, Ok], Ok),
            (&[Ok, Init], Init),
            (&[Init, Ok], Init),
            (&[Ok, Error, Init], Error),
            (&[Error, Ok], Error),
            (&[Init, Init], Init),
        ];
        for (states, expected) in cases {
            assert_eq!(
                State::aggregate(states.iter().copied()),
                expected,
                "{states:?}"
            );
        }
    }

    #[test]
    fn states_are_numbers_in_json() {
        for state in [State::Init, State::Ok, State::Error] {
            let text = serde_json::to_string(&state).unwrap();
            assert_eq!(text, state.as_number().to_string());
            assert_eq!(serde_json::from_str::<State>(&text).unwrap(), state);
        }
        let err = serde_json::from_str::<State>("7").unwrap_err().to_string();
        assert!(err.contains("invalid state 7"), "{err}");
    }
}
