//! Guichet's browser entry point: hydrates the server-rendered `App`.

#![recursion_limit = "512"]

use app::pages::lazy::LazyPage;

/// Called by the generated JS loader once the wasm module is instantiated.
///
/// Loads the wasm chunk of the page being shown first (when it is one of
/// [`app::pages::lazy`]), then hydrates: with its chunk already there, the
/// whole page hydrates in a single pass, so the header's live connection and
/// the page's listeners start together.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    wasm_bindgen_futures::spawn_local(async {
        let path = leptos::prelude::window().location().pathname().unwrap_or_default();
        if let Some(page) = LazyPage::for_path(&path) {
            page.preload().await;
        }
        leptos::mount::hydrate_lazy(app::App);
    });
}
