//! The notification preferences table (a row per kind, Email and In-app
//! boxes), shared by the user's settings and the admins' defaults.

use crate::domain::{NotificationKind, NotificationPreference};
use crate::t;
use leptos::prelude::*;

/// A short name for a kind, for tables and checkboxes, e.g. "Assigned to me".
pub fn kind_name(kind: NotificationKind) -> &'static str {
    kind.name()
}

/// The table inside a preferences form: for each kind in `preferences`, a
/// hidden `kinds[]` (the rows shown, so kinds left out keep their choice) and
/// two checkboxes, `email[]` and `in_app[]`, ticked as stored. An unticked
/// box sends nothing, which the server functions read as "off".
#[component]
pub fn PreferenceTable(preferences: Vec<NotificationPreference>) -> impl IntoView {
    view! {
        <table class="data-table preference-table">
            <thead>
                <tr><th scope="col">{t!(preferences.event)}</th><th scope="col">{t!(preferences.email)}</th><th scope="col">{t!(preferences.in_app)}</th></tr>
            </thead>
            <tbody>
                {preferences.into_iter().map(|preference| {
                    let kind = preference.kind;
                    let name = kind_name(kind);
                    view! {
                        <tr data-kind=kind.as_str()>
                            <th scope="row">
                                <input type="hidden" name="kinds[]" value=kind.as_str() />
                                {name}
                                <br />
                                <small class="muted">{kind.label()}</small>
                            </th>
                            <td class="choice">
                                <input type="checkbox" name="email[]" value=kind.as_str() checked=preference.email aria-label=t!(preferences.email_of, name = name) />
                            </td>
                            <td class="choice">
                                <input type="checkbox" name="in_app[]" value=kind.as_str() checked=preference.in_app aria-label=t!(preferences.in_app_of, name = name) />
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}
