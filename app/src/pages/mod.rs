//! One module per routed page.

pub mod admin_catalog;
pub mod admin_notifications;
pub mod admin_service_levels;
pub mod admin_stats;
pub mod admin_users;
pub mod errors;
pub mod home;
pub mod lazy;
pub mod login;
pub mod new_ticket;
pub mod notifications;
pub mod register;
pub mod settings;
pub mod ticket;
pub mod tickets;
