//! Reusable pieces of the interface.

pub mod draft;
pub mod enrolment_gate;
pub mod format;
pub mod forms;
pub mod header;
pub mod live;
pub mod notification_preferences;
pub mod shortcuts;
pub mod theme;
pub mod two_factor;
pub mod viewer_settings;
