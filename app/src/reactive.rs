//! Reactive helpers shared by the pages.

use leptos::prelude::*;

/// A value computed from resources (directly or through other such values):
/// a [`Memo`] in the browser, a derived [`Signal`] (computed again at every
/// read, never cached) on the server.
///
/// `compute` gets the previous value in the browser, and always `None` on the
/// server, where a page is computed once from loaded data.
///
/// Why not a memo on the server: there, a resource's future completes on
/// another tokio worker thread, and reactive_graph 0.2.16's memo can lose the
/// change it announces. `MemoInner::update_if_necessary` computes the value,
/// then sets the memo's state to clean, overwriting the "dirty" mark a
/// completion made meanwhile; the memo then keeps the value it computed before
/// the data arrived. A page whose frame was such a memo rendered an empty
/// `<main>` now and then under load (Playwright's no-JavaScript runs saw it, a
/// few times in a hundred pages; CI stops 22 and 23 failed on it).
pub fn resource_memo<T>(compute: impl Fn(Option<&T>) -> T + Send + Sync + 'static) -> Signal<T>
where
    T: Clone + PartialEq + Send + Sync + 'static,
{
    #[cfg(feature = "ssr")]
    {
        Signal::derive(move || compute(None))
    }
    #[cfg(not(feature = "ssr"))]
    {
        Memo::new(move |previous: Option<&T>| compute(previous)).into()
    }
}
