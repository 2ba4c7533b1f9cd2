//! Application errors become tickets (issue 16). This first step holds
//! the grouping of events by signature ([`signature`]).

pub mod signature;
