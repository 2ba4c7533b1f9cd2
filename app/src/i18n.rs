//! French and English (issue 13).
//!
//! The catalogues are `app/locales/en.json` and `app/locales/fr.json`;
//! `build.rs` checks that both hold the same keys (a missing key fails the
//! build) and compiles them with leptos_i18n into the `i18n` module below,
//! whose keys are checked at compile time. Plurals (`key_one`, `key_other`,
//! ...) follow ICU's plural rules for the language.
//!
//! Every string a page, an error or a message shows goes through [`t!`]:
//! `t!(tickets.title)`, `t!(time.hours_ago, count = 3)`. It translates into
//! the language of the [`Viewer`] in effect:
//!
//! - on the server, the viewer of the current request, set by the server's
//!   `viewer` layer (see [`request`]): the user's own setting (Settings page,
//!   stored on the account), else the `guichet_language` cookie, else the
//!   `Accept-Language` header, else the desk's default
//!   (`GUICHET_DEFAULT_LANGUAGE`, default `fr`). It follows the request into
//!   the tasks Leptos spawns to render the page;
//! - in the browser, the page's viewer, read once from the attributes the
//!   server put on `<html>` (`lang`, `data-time-zone`), so the hydrated page
//!   speaks the language the server rendered (no flash of the other one).
//!
//! Work outside a request (the mail worker) names its language itself with
//! [`td_string!`]-style calls through [`tr!`]: `tr!(language, email.greeting, name = ...)`.
//! An unknown language anywhere (setting, cookie, header) falls back to the
//! next source, never to an error.

#![allow(missing_docs)]
// The generated module is called `i18n` too (leptos_i18n names it).
#![allow(clippy::module_inception)]
include!(concat!(env!("OUT_DIR"), "/i18n/mod.rs"));

use serde::{Deserialize, Serialize};
use std::fmt;

/// A language of the interface: `fr` or `en` (the catalogues' `Locale`).
pub type Language = i18n::Locale;

/// The default time zone of a desk when `GUICHET_TIME_ZONE` is unset.
pub const DEFAULT_TIME_ZONE: &str = "Europe/Paris";

/// The name of the cookie that keeps a visitor's choice of language.
pub const LANGUAGE_COOKIE: &str = "guichet_language";

/// Every language, in the order the switcher lists them.
pub const LANGUAGES: [Language; 2] = [Language::fr, Language::en];

/// The code of a language, as stored and sent: `"fr"`, `"en"`.
pub fn code(language: Language) -> &'static str {
    match language {
        Language::fr => "fr",
        Language::en => "en",
    }
}

/// Reads a language tag (`fr`, `fr-FR`, `EN_us`...): its primary subtag,
/// case-insensitive; `None` for a language Guichet does not speak.
pub fn parse_language(tag: &str) -> Option<Language> {
    let primary = tag.trim().split(['-', '_']).next().unwrap_or_default();
    LANGUAGES.into_iter().find(|language| primary.eq_ignore_ascii_case(code(*language)))
}

/// The best language of an `Accept-Language` header (RFC 9110 §12.5.4):
/// the first spoken one by decreasing `q` (ties keep the header's order;
/// `q=0` means "not this one"); `None` when none is spoken.
pub fn negotiate(accept_language: &str) -> Option<Language> {
    let mut ranges: Vec<(f32, usize, Language)> = accept_language
        .split(',')
        .enumerate()
        .filter_map(|(position, range)| {
            let mut parts = range.split(';');
            let language = parse_language(parts.next()?)?;
            let weight = parts
                .find_map(|parameter| parameter.trim().strip_prefix("q=").map(|q| q.trim().parse::<f32>().ok()))
                .unwrap_or(Some(1.0))?;
            (weight > 0.0).then_some((weight, position, language))
        })
        .collect();
    ranges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    ranges.first().map(|(_, _, language)| *language)
}

/// Whose eyes a text is for: a language and an IANA time zone name
/// (`Europe/Paris`), the zone dates and times are shown in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub language: Language,
    pub time_zone: String,
}

impl fmt::Display for Viewer {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{} ({})", code(self.language), self.time_zone)
    }
}

/// The desk's defaults (`GUICHET_DEFAULT_LANGUAGE`, `GUICHET_TIME_ZONE`),
/// set once when the server starts; `fr` and `Europe/Paris` until then.
#[cfg(feature = "ssr")]
static DESK: std::sync::OnceLock<Viewer> = std::sync::OnceLock::new();

/// Sets the desk's default language and time zone (once; later calls are ignored).
#[cfg(feature = "ssr")]
pub fn set_desk_defaults(viewer: Viewer) {
    let _ = DESK.set(viewer);
}

/// The desk's default viewer, its language and time zone: the current
/// request's desk (from its server's settings), else the one set at start,
/// else `fr` and `Europe/Paris`.
#[cfg(feature = "ssr")]
pub fn desk() -> Viewer {
    request::current_desk()
        .or_else(|| DESK.get().cloned())
        .unwrap_or_else(|| Viewer { language: Language::fr, time_zone: DEFAULT_TIME_ZONE.into() })
}

/// The viewer of the current request (server) or page (browser).
pub fn viewer() -> Viewer {
    #[cfg(feature = "ssr")]
    {
        request::current().unwrap_or_else(desk)
    }
    #[cfg(not(feature = "ssr"))]
    {
        page::viewer().clone()
    }
}

/// The language of the current request (server) or page (browser).
pub fn language() -> Language {
    #[cfg(feature = "ssr")]
    {
        request::current_language().unwrap_or_else(|| desk().language)
    }
    #[cfg(not(feature = "ssr"))]
    {
        page::viewer().language
    }
}

/// Translates a key of the catalogues into the current [`language`]:
/// `t!(header.log_out)`, `t!(time.minutes_ago, count = 5)`. A `&'static str`
/// for plain keys, a `String` for keys with arguments.
#[macro_export]
macro_rules! t {
    ($($tokens:tt)*) => {
        $crate::i18n::i18n::td_string!($crate::i18n::language(), $($tokens)*)
    };
}

/// Translates a key into a given language: `tr!(language, email.greeting, name = "alice")`.
#[macro_export]
macro_rules! tr {
    ($language:expr, $($tokens:tt)*) => {
        $crate::i18n::i18n::td_string!($language, $($tokens)*)
    };
}

/// The page's viewer in the browser, read from `<html lang data-time-zone>`.
#[cfg(not(feature = "ssr"))]
mod page {
    use super::{Language, Viewer, parse_language};
    use std::sync::OnceLock;

    static PAGE: OnceLock<Viewer> = OnceLock::new();

    pub fn viewer() -> &'static Viewer {
        PAGE.get_or_init(|| {
            #[cfg(feature = "hydrate")]
            {
                let root = web_sys::window()
                    .and_then(|window| window.document())
                    .and_then(|document| document.document_element());
                let attribute = |name: &str| root.as_ref().and_then(|root| root.get_attribute(name));
                Viewer {
                    language: attribute("lang").and_then(|tag| parse_language(&tag)).unwrap_or(Language::fr),
                    time_zone: attribute("data-time-zone").unwrap_or_else(|| super::DEFAULT_TIME_ZONE.into()),
                }
            }
            #[cfg(not(feature = "hydrate"))]
            {
                let _ = parse_language;
                Viewer { language: Language::fr, time_zone: super::DEFAULT_TIME_ZONE.into() }
            }
        })
    }
}

/// The viewer of the request being answered, on the server: a task-local
/// slot that the server's `viewer` layer opens for each request (from the
/// cookie, `Accept-Language` and the desk's defaults), that loading the
/// caller refines with the user's own settings, and that follows the
/// request into the tasks Leptos spawns (see [`request::carry`]).
#[cfg(feature = "ssr")]
pub mod request {
    use super::{Language, Viewer};
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::{Arc, RwLock};

    /// One request's viewer (and its desk's defaults), shared by the tasks
    /// that answer it.
    #[derive(Debug, Clone)]
    pub struct ViewerSlot(Arc<RwLock<Viewer>>, Arc<Viewer>);

    tokio::task_local! {
        static SLOT: ViewerSlot;
    }

    impl ViewerSlot {
        /// A slot holding `viewer`, on a desk whose defaults are `viewer`'s.
        pub fn new(viewer: Viewer) -> Self {
            let desk = Arc::new(viewer.clone());
            ViewerSlot(Arc::new(RwLock::new(viewer)), desk)
        }

        /// A slot holding `viewer`, on a desk with the defaults `desk`.
        pub fn on_desk(viewer: Viewer, desk: Viewer) -> Self {
            ViewerSlot(Arc::new(RwLock::new(viewer)), Arc::new(desk))
        }

        /// Runs `future` with this slot as the current request's viewer.
        pub async fn scope<F: Future>(self, future: F) -> F::Output {
            SLOT.scope(self, future).await
        }
    }

    /// Runs `work` as if for `viewer`: every [`crate::t!`] inside speaks
    /// its language (the mail worker renders each mail in its recipient's).
    pub fn as_viewer<R>(viewer: Viewer, work: impl FnOnce() -> R) -> R {
        SLOT.sync_scope(ViewerSlot::new(viewer), work)
    }

    /// Runs `work` in `language` with the desk's time zone (tests, mails).
    pub fn in_language<R>(language: Language, work: impl FnOnce() -> R) -> R {
        as_viewer(Viewer { language, ..super::desk() }, work)
    }

    /// The current request's viewer, if a request is being answered.
    pub fn current() -> Option<Viewer> {
        SLOT.try_with(|slot| slot.0.read().map(|viewer| viewer.clone()).ok()).ok().flatten()
    }

    /// The current request's desk defaults, if a request is being answered.
    pub fn current_desk() -> Option<Viewer> {
        SLOT.try_with(|slot| (*slot.1).clone()).ok()
    }

    /// The current request's language, if a request is being answered.
    pub fn current_language() -> Option<Language> {
        SLOT.try_with(|slot| slot.0.read().map(|viewer| viewer.language).ok()).ok().flatten()
    }

    /// Applies a user's own settings (each `None` keeps what the request
    /// said) to the current request's viewer; nothing outside a request.
    pub fn apply_user_settings(language: Option<Language>, time_zone: Option<&str>) {
        let _ = SLOT.try_with(|slot| {
            if let Ok(mut viewer) = slot.0.write() {
                if let Some(language) = language {
                    viewer.language = language;
                }
                if let Some(time_zone) = time_zone {
                    viewer.time_zone = time_zone.to_string();
                }
            }
        });
    }

    /// `future`, carrying the current request's viewer (if any) with it:
    /// for an executor spawning tasks on behalf of the request.
    pub fn carry<T: 'static>(
        future: Pin<Box<dyn Future<Output = T> + Send>>,
    ) -> Pin<Box<dyn Future<Output = T> + Send>> {
        match SLOT.try_with(Clone::clone) {
            Ok(slot) => Box::pin(SLOT.scope(slot, future)),
            Err(_) => future,
        }
    }

    /// Like [`carry`], for tasks that stay on one thread.
    pub fn carry_local<T: 'static>(future: Pin<Box<dyn Future<Output = T>>>) -> Pin<Box<dyn Future<Output = T>>> {
        match SLOT.try_with(Clone::clone) {
            Ok(slot) => Box::pin(SLOT.scope(slot, future)),
            Err(_) => future,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_language_tags_and_accept_language() {
        assert_eq!(parse_language("fr-FR"), Some(Language::fr));
        assert_eq!(parse_language("EN_us"), Some(Language::en));
        assert_eq!(parse_language("de"), None);
        assert_eq!(parse_language(""), None);
        assert_eq!(negotiate("de-DE,fr;q=0.8,en;q=0.9"), Some(Language::en));
        assert_eq!(negotiate("fr-CA, en"), Some(Language::fr));
        assert_eq!(negotiate("en;q=0, fr;q=0.1"), Some(Language::fr));
        assert_eq!(negotiate("de, *;q=0.5"), None);
        assert_eq!(negotiate("fr;q=abc"), None);
        assert_eq!(negotiate(""), None);
    }

    /// Both catalogues hold the same keys (`build.rs` refuses to build
    /// otherwise; this says which keys differ when someone edits one).
    #[test]
    fn both_catalogues_have_the_same_keys() {
        fn keys(prefix: &str, value: &serde_json::Value, into: &mut std::collections::BTreeSet<String>) {
            match value {
                serde_json::Value::Object(map) => {
                    for (key, value) in map {
                        let key = ["_zero", "_one", "_two", "_few", "_many", "_other"]
                            .iter()
                            .find_map(|suffix| key.strip_suffix(suffix))
                            .unwrap_or(key);
                        keys(&if prefix.is_empty() { key.to_string() } else { format!("{prefix}.{key}") }, value, into);
                    }
                }
                _ => {
                    into.insert(prefix.to_string());
                }
            }
        }
        let mut english = Default::default();
        let mut french = Default::default();
        keys("", &serde_json::from_str(include_str!("../locales/en.json")).unwrap(), &mut english);
        keys("", &serde_json::from_str(include_str!("../locales/fr.json")).unwrap(), &mut french);
        assert!(english.len() > 100, "{} keys", english.len());
        assert_eq!(english.difference(&french).collect::<Vec<_>>(), Vec::<&String>::new(), "missing in fr.json");
        assert_eq!(french.difference(&english).collect::<Vec<_>>(), Vec::<&String>::new(), "missing in en.json");
    }
}
