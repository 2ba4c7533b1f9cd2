//! `/notifications`: the user's in-app notifications (the bell's list).

use crate::components::format::RelativeTime;
use crate::components::forms::{FormError, action_error};
use crate::functions::notifications::{MarkAllNotificationsRead, MarkNotificationRead, list_notifications};
use crate::pages::errors::ErrorPage;
use crate::providers::NotificationVersion;
use crate::t;
use leptos::prelude::*;
use leptos_meta::Title;

/// The latest notifications, newest first, unread ones highlighted; each links
/// to its ticket and can be marked read, or all at once.
#[component]
pub fn NotificationsPage() -> impl IntoView {
    let mark_one = ServerAction::<MarkNotificationRead>::new();
    let mark_all = ServerAction::<MarkAllNotificationsRead>::new();
    let (one_error, all_error) = (action_error(mark_one.value()), action_error(mark_all.value()));
    let error = Signal::derive(move || one_error.get().or_else(|| all_error.get()));
    let version = use_context::<NotificationVersion>();
    Effect::new(move |_| {
        let bumps = mark_one.version().get() + mark_all.version().get();
        if bumps > 0
            && let Some(NotificationVersion(version)) = version
        {
            version.update(|version| *version += 1);
        }
    });
    let inbox =
        Resource::new_blocking(move || (mark_one.version().get(), mark_all.version().get()), |_| list_notifications());
    view! {
        <Title text=t!(notifications.title) />
        <section class="card">
            <h1>{t!(notifications.title)}</h1>
            <FormError error />
            <Suspense fallback=|| view! { <p>{t!(common.loading)}</p> }>
                {move || Suspend::new(async move {
                    match inbox.await {
                        Err(error) => view! { <ErrorPage error /> }.into_any(),
                        Ok(inbox) if inbox.notifications.is_empty() => {
                            view! { <p class="empty">{t!(notifications.empty)}</p> }.into_any()
                        }
                        Ok(inbox) => view! {
                            <ActionForm action=mark_all attr:class="inline-form">
                                <button type="submit" class="secondary" disabled=inbox.unread == 0>
                                    {t!(notifications.mark_all)}
                                </button>
                            </ActionForm>
                            <ul class="notification-list" data-testid="notifications">
                                {inbox.notifications.into_iter().map(|notification| {
                                    let unread = notification.read_at.is_none();
                                    view! {
                                        <li
                                            class="notification"
                                            class:unread=unread
                                            data-notification-id=notification.id
                                            data-unread=unread.to_string()
                                        >
                                            <a href=format!("/tickets/{}", notification.reference)>{notification.title}</a>
                                            " "
                                            <span class="muted"><RelativeTime at=notification.created_at /></span>
                                            {unread.then(|| view! {
                                                <ActionForm action=mark_one attr:class="inline-form">
                                                    <input type="hidden" name="id" value=notification.id />
                                                    <button type="submit" class="link-button">{t!(notifications.mark_read)}</button>
                                                </ActionForm>
                                            })}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
