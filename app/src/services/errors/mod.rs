//! Application errors become tickets (issue 16): error projects and their
//! keys ([`projects`]), the intake of events from Sentry SDKs and from the
//! plain intake ([`intake`]), their grouping by signature ([`signature`]),
//! and the one ticket a group opens when it reaches its project's
//! threshold ([`tickets`]).
//!
//! The flow of one request: the handler reads at most
//! [`intake::MAX_COMPRESSED`] bytes; [`intake::receive`] checks the key
//! (401/403), inflates within bounds (413), reads the events (400), and in
//! one transaction counts each in its group, its hour and its sample, and
//! opens the group's ticket at the threshold (its `created` event notifies
//! the requester, "error detected", and the admins, through the outbox);
//! the handler answers 200 with the event id only after the commit.

pub mod intake;
pub mod projects;
pub mod signature;
pub mod tickets;

/// `text` clipped to `max` characters, with "…" marking a cut.
pub(crate) fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut clipped: String = text.chars().take(max.saturating_sub(1)).collect();
    clipped.push('…');
    clipped
}
