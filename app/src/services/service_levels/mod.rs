//! Service levels (issue 15): business calendars, SLA policies and the
//! clocks they give each ticket. The arithmetic is pure, in [`clock`].

pub mod clock;
