//! Pages whose browser code ships in wasm chunks of their own, loaded on the
//! first visit instead of with the first page.
//!
//! Issue 5 sets the first page's wasm at ≤ 400 KB brotli; with every page in
//! one module it was 614 KiB. The list, log-in and home pages stay in the main
//! module (they are where people land); the pages below are split out.
//! Splitting needs `cargo leptos build --split` (every script passes it): the
//! browser side of a build without it cannot load these pages.
//!
//! A page is split by leptos_router's [`LazyRoute`]: the server renders it like
//! any other page, and the browser loads its chunk when the route is entered.
//! Before hydrating, the browser loads the chunk of the page it was served
//! ([`LazyPage::for_path`], [`LazyPage::preload`]), so the whole page
//! hydrates in one go and no live event falls between the header starting
//! its connection and the page listening.

use leptos::prelude::*;
use leptos_router::{LazyRoute, lazy_route};

/// Declares `$route`, a [`LazyRoute`] showing the component `$page` of
/// `crate::pages::$module`. The route holds no data: the page's resources
/// are created by the page itself, so the server's serialised data still
/// hydrates it without a second fetch.
macro_rules! lazy_page {
    ($(#[$doc:meta])* $route:ident => $module:ident :: $page:ident) => {
        $(#[$doc])*
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(this: Self) -> AnyView {
                use crate::pages::$module::$page;
                let _ = this;
                view! { <$page /> }.into_any()
            }
        }
    };
}

lazy_page!(
    /// `/register`.
    RegisterRoute => register::RegisterPage
);
lazy_page!(
    /// `/admin/users`.
    AdminUsersRoute => admin_users::AdminUsersPage
);
lazy_page!(
    /// `/admin/catalog`.
    AdminCatalogRoute => admin_catalog::AdminCatalogPage
);
lazy_page!(
    /// `/admin/notifications`.
    AdminNotificationsRoute => admin_notifications::AdminNotificationsPage
);
lazy_page!(
    /// `/admin/service-levels`.
    AdminServiceLevelsRoute => admin_service_levels::AdminServiceLevelsPage
);
lazy_page!(
    /// `/admin/stats`.
    AdminStatsRoute => admin_stats::AdminStatsPage
);
lazy_page!(
    /// `/tickets/new`.
    NewTicketRoute => new_ticket::NewTicketPage
);
lazy_page!(
    /// `/tickets/:reference`.
    TicketRoute => ticket::TicketPage
);
lazy_page!(
    /// `/notifications`, the inbox.
    NotificationsRoute => notifications::NotificationsPage
);
lazy_page!(
    /// `/settings`.
    SettingsRoute => settings::SettingsPage
);

/// The split pages, by the path [`crate::App`] routes to them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LazyPage {
    Register,
    AdminUsers,
    AdminCatalog,
    AdminNotifications,
    AdminServiceLevels,
    AdminStats,
    NewTicket,
    Ticket,
    Notifications,
    Settings,
}

impl LazyPage {
    /// The split page that `path` (a URL path such as `/tickets/SUP-0042`,
    /// without query) shows, or `None` for a page in the main module or an
    /// unknown path. Mirrors the routes of [`crate::App`]; a miss only
    /// costs an asynchronous hydration, never a broken page.
    pub fn for_path(path: &str) -> Option<Self> {
        let segments: Vec<&str> = path.split('/').filter(|segment| !segment.is_empty()).collect();
        match segments.as_slice() {
            ["register"] => Some(Self::Register),
            ["admin", "users"] => Some(Self::AdminUsers),
            ["admin", "catalog"] => Some(Self::AdminCatalog),
            ["admin", "notifications"] => Some(Self::AdminNotifications),
            ["admin", "service-levels"] => Some(Self::AdminServiceLevels),
            ["admin", "stats"] => Some(Self::AdminStats),
            ["tickets", "new"] => Some(Self::NewTicket),
            ["tickets", _reference] => Some(Self::Ticket),
            ["notifications"] => Some(Self::Notifications),
            ["settings"] => Some(Self::Settings),
            _ => None,
        }
    }

    /// Loads the page's wasm chunk (and the chunks it shares with others);
    /// resolves at once when they are loaded already, and on the server.
    pub async fn preload(self) {
        match self {
            Self::Register => RegisterRoute::preload().await,
            Self::AdminUsers => AdminUsersRoute::preload().await,
            Self::AdminCatalog => AdminCatalogRoute::preload().await,
            Self::AdminNotifications => AdminNotificationsRoute::preload().await,
            Self::AdminServiceLevels => AdminServiceLevelsRoute::preload().await,
            Self::AdminStats => AdminStatsRoute::preload().await,
            Self::NewTicket => NewTicketRoute::preload().await,
            Self::Ticket => TicketRoute::preload().await,
            Self::Notifications => NotificationsRoute::preload().await,
            Self::Settings => SettingsRoute::preload().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::LazyPage;

    #[test]
    fn paths_map_to_the_pages_the_router_shows() {
        assert_eq!(LazyPage::for_path("/register"), Some(LazyPage::Register));
        assert_eq!(LazyPage::for_path("/admin/notifications"), Some(LazyPage::AdminNotifications));
        assert_eq!(LazyPage::for_path("/admin/service-levels"), Some(LazyPage::AdminServiceLevels));
        assert_eq!(LazyPage::for_path("/admin/stats"), Some(LazyPage::AdminStats));
        assert_eq!(LazyPage::for_path("/tickets/new"), Some(LazyPage::NewTicket));
        assert_eq!(LazyPage::for_path("/tickets/SUP-0042"), Some(LazyPage::Ticket));
        assert_eq!(LazyPage::for_path("/settings/"), Some(LazyPage::Settings));
        assert_eq!(LazyPage::for_path("/tickets"), None);
        assert_eq!(LazyPage::for_path("/"), None);
        assert_eq!(LazyPage::for_path("/login"), None);
        assert_eq!(LazyPage::for_path("/tickets/SUP-0042/extra"), None);
    }
}
