//! Reusable pieces of the interface.

pub mod draft;
pub mod format;
pub mod forms;
pub mod header;
pub mod live;
pub mod notification_preferences;
pub mod theme;
