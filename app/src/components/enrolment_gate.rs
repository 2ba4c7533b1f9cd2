//! Sends someone who must turn on two-factor authentication to Settings.

use crate::functions::two_factor::must_enrol_two_factor;
use crate::providers::{AuthVersion, LogOutAction};
use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// Where [`EnrolmentGate`] sends people: Settings' two-factor card.
pub const ENROLMENT_PATH: &str = "/settings#two-factor";

/// When the logged-in user's role requires two-factor authentication
/// (`GUICHET_REQUIRE_2FA_FOR`) and it is off, every page but `/settings`
/// redirects there (a 302 from the server, a navigation in the browser); the
/// server refuses everything else anyway (`two_factor_required`). Asked
/// again after a log-in, a log-out and a change of two-factor authentication
/// (they bump [`AuthVersion`]).
#[component]
pub fn EnrolmentGate() -> impl IntoView {
    let AuthVersion(version) = expect_context::<AuthVersion>();
    let LogOutAction(log_out) = expect_context::<LogOutAction>();
    let must_enrol = Resource::new_blocking(
        move || (version.get(), log_out.version().get()),
        |_| async move { must_enrol_two_factor().await.unwrap_or(false) },
    );
    let location = use_location();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let away = location.pathname.get() != "/settings";
                if must_enrol.await && away {
                    go_to_enrolment();
                }
            })}
        </Suspense>
    }
}

/// Sends the response (a 302 while the server renders) or the browser (a
/// navigation) to [`ENROLMENT_PATH`]; called under the gate's owner, inside
/// the `<Router>`. Not leptos_router's `<Redirect>`: the gate sits outside
/// `<Routes>`, where `<Redirect>` panics on the server ("use_matched called
/// outside a matched Route") when it resolves its path.
fn go_to_enrolment() {
    #[cfg(feature = "ssr")]
    leptos_axum::redirect(ENROLMENT_PATH);
    #[cfg(not(feature = "ssr"))]
    leptos_router::hooks::use_navigate()(ENROLMENT_PATH, Default::default());
}
