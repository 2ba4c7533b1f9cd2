//! One module per routed page.

pub mod admin_users;
pub mod errors;
pub mod home;
pub mod login;
pub mod register;
