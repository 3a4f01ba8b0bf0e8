//! Watch events, and the toolkit every watch loop is built from.
//!
//! The events ([`WatchEvent`], [`KeyChange`], [`ResyncReason`]) are re-exported at the crate
//! root. The toolkit is shared by every connector so that each one behaves the same way:
//! - [`event_channel`]: a bounded, never-blocking queue from a watch loop to its consumer
//!   with one overflow policy: a consumer that falls behind loses what is queued and gets
//!   [`Received::Lagged`] first (for key-value watches,
//!   [`ResyncReason::Lagged`]), never a silent gap.
//! - [`minimal_prefixes`]: the watched prefixes without those inside another one.
//! - [`Backoff`]: the jittered exponential pause between reconnection attempts.

mod backoff;
mod channel;
mod event;
mod prefixes;

pub use backoff::Backoff;
pub use channel::{
    EventReceiver, EventSender, Received, SendError, Sent, TryRecvError, event_channel,
};
pub use event::{ChangeKind, KeyChange, ResyncReason, WatchEvent, WatchStream};
pub use prefixes::minimal_prefixes;
