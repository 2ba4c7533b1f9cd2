//! Live updates in the browser.
//!
//! One Server-Sent Events connection per tab (`GET /api/v1/events`, see
//! `server/src/api/live.rs`) while a user is logged in. What arrives lands in
//! the [`Live`] context, which pages read: ticket events bump version
//! counters (pages refetch in place), typing and presence fill
//! [`Live::activity`], and events on the user's own tickets become toasts and
//! the unread count of the tab title. The connection reopens by itself with
//! exponential backoff and resumes after the last position it saw.
//!
//! Everything here needs wasm; on the server and without JavaScript the
//! context stays empty and pages work by reloading.
//!
//! - [`model`]: the pure event model ([`Live`] and what events do to it), with its tests;
//! - `stream` (hydrate only): the `EventSource` client;
//! - [`connection`]: running it while someone is logged in, and the pill and toasts;
//! - [`presence`]: presence and typing on a ticket page.

pub mod connection;
pub mod model;
pub mod presence;
#[cfg(feature = "hydrate")]
mod stream;

pub use connection::{LiveConnection, held_until, keep_connected, throttled};
pub use model::{Live, LiveState, Presence, TOAST_MS, Toast, backoff_ms, toast_text, unread_prefix};
pub use presence::{TicketPresence, Typing, TypingIndicator, announce};
