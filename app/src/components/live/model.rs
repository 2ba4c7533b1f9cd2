//! The live event model: what the stream's events do to the tab's [`Live`]
//! state (version counters, toasts, unread tickets, who is on which ticket),
//! the toast texts, the reconnection backoff and the tab title's prefix.
//! Pure of the browser: the stream client (`stream`, hydrate only) feeds it, the
//! components read it, and the unit tests below run it on the server.

use crate::domain::{
    Activity, LiveActivity, LiveTicketEvent, PRESENCE_HEARTBEAT_MS, TYPING_HEARTBEAT_MS, TicketChange, UserReference,
};
use crate::t;
use leptos::prelude::*;
use std::collections::{BTreeMap, HashMap};

/// How long a toast stays, in ms.
pub const TOAST_MS: u64 = 6_000;
/// Most toasts shown at once; older ones go first.
const TOAST_MAX: usize = 4;
/// First reconnection delay, in ms; it doubles with each failed attempt.
const BACKOFF_FIRST_MS: f64 = 500.0;
/// Longest reconnection delay, in ms.
const BACKOFF_MAX_MS: f64 = 30_000.0;

/// Where the live connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveState {
    /// Not logged in, or not in a browser.
    Off,
    /// Opening the first connection.
    Connecting,
    /// The stream is open and has said `ready`.
    Live,
    /// The stream broke; waiting to try again.
    Reconnecting,
}

impl LiveState {
    /// The value of the pill's `data-live-state` attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            LiveState::Off => "off",
            LiveState::Connecting => "connecting",
            LiveState::Live => "live",
            LiveState::Reconnecting => "reconnecting",
        }
    }
}

/// Someone else on a ticket page, as their announcements tell.
#[derive(Debug, Clone, PartialEq)]
pub struct Presence {
    pub user: UserReference,
    /// Has the ticket page open. Requesters are not told who is viewing,
    /// only who is typing a reply to them.
    pub viewing: bool,
    /// Writing a reply or note right now.
    pub typing: bool,
    /// The text being written is an internal note.
    pub internal: bool,
    /// Gone after this time (ms since the epoch) without news.
    viewing_until: f64,
    /// Stopped typing after this time without news.
    typing_until: f64,
}

/// A short notice about activity on one of the user's tickets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toast {
    pub id: u64,
    pub ticket_id: i64,
    pub text: String,
    /// The ticket page.
    pub href: String,
}

/// The live-update state of the tab, provided by [`crate::providers`].
#[derive(Clone, Copy)]
pub struct Live {
    /// The connection's state, for the header's pill.
    pub state: RwSignal<LiveState>,
    /// Bumped by every ticket event and every reset: lists depend on it.
    pub changes: RwSignal<u64>,
    /// Bumped when the server could not replay what was missed: every page refetches.
    pub resets: RwSignal<u64>,
    /// Events per ticket, under the ticket id and the upper-case reference.
    ticket_changes: RwSignal<HashMap<String, u64>>,
    /// Who else is on which ticket (ticket id → people), without the user.
    pub activity: RwSignal<HashMap<i64, Vec<Presence>>>,
    /// Tickets of the user with activity they have not looked at (id → reference).
    pub unread: RwSignal<BTreeMap<i64, String>>,
    pub toasts: RwSignal<Vec<Toast>>,
    /// The ticket whose page is open, if any.
    pub open_ticket: RwSignal<Option<i64>>,
    /// Bumped when someone starts viewing the open ticket, so that the page
    /// announces itself to them.
    pub newcomers: RwSignal<u64>,
    next_toast: StoredValue<u64>,
}

impl Default for Live {
    fn default() -> Self {
        Self::new()
    }
}

impl Live {
    /// An empty, disconnected state.
    pub fn new() -> Self {
        Live {
            state: RwSignal::new(LiveState::Off),
            changes: RwSignal::new(0),
            resets: RwSignal::new(0),
            ticket_changes: RwSignal::new(HashMap::new()),
            activity: RwSignal::new(HashMap::new()),
            unread: RwSignal::new(BTreeMap::new()),
            toasts: RwSignal::new(Vec::new()),
            open_ticket: RwSignal::new(None),
            newcomers: RwSignal::new(0),
            next_toast: StoredValue::new(0),
        }
    }

    /// A number that changes whenever the ticket `key` (id or reference) changes
    /// or everything must be reloaded. Tracked: use it in a resource's source.
    pub fn ticket_version(&self, key: &str) -> u64 {
        let key = key.trim().to_uppercase();
        self.resets.get() + self.ticket_changes.with(|changes| changes.get(&key).copied().unwrap_or(0))
    }

    /// How many tickets have unread activity (tracked).
    ///
    /// 0 once the signal is disposed: leptos_meta may still format a title
    /// after the page's reactive owner is gone (server rendering under load).
    pub fn unread_count(&self) -> usize {
        self.unread.try_with(BTreeMap::len).unwrap_or(0)
    }

    /// The people on ticket `ticket_id` (tracked).
    pub fn people(&self, ticket_id: i64) -> Vec<Presence> {
        self.activity.with(|activity| activity.get(&ticket_id).cloned().unwrap_or_default())
    }

    /// Takes a ticket event from the stream (already deduplicated) for the user
    /// `me`; returns the id of the toast it raised, if any.
    pub fn receive_ticket(&self, event: &LiveTicketEvent, me: i64) -> Option<u64> {
        self.ticket_changes.update(|changes| {
            for key in [event.ticket_id.to_string(), event.reference.to_uppercase()] {
                *changes.entry(key).or_default() += 1;
            }
        });
        self.changes.update(|changes| *changes += 1);
        let by_someone_else = event.actor.as_ref().is_none_or(|actor| actor.id != me);
        let open = self.open_ticket.get_untracked() == Some(event.ticket_id);
        if !event.mine || !by_someone_else || open {
            return None;
        }
        self.unread.update(|unread| {
            unread.insert(event.ticket_id, event.reference.clone());
        });
        let id = self.next_toast.get_value() + 1;
        self.next_toast.set_value(id);
        let toast = Toast {
            id,
            ticket_id: event.ticket_id,
            text: toast_text(event),
            href: format!("/tickets/{}", event.reference),
        };
        self.toasts.update(|toasts| {
            toasts.push(toast);
            let excess = toasts.len().saturating_sub(TOAST_MAX);
            toasts.drain(..excess);
        });
        Some(id)
    }

    /// Everything must be reloaded (the server could not replay what was missed).
    pub fn reset(&self) {
        self.resets.update(|resets| *resets += 1);
        self.changes.update(|changes| *changes += 1);
    }

    /// Takes someone's activity from the stream at time `now` (ms).
    pub fn receive_activity(&self, activity: &LiveActivity, now: f64) {
        let mut newcomer = false;
        self.activity.update(|people| {
            let list = people.entry(activity.ticket_id).or_default();
            newcomer = update_presence(list, activity, now);
            if list.is_empty() {
                people.remove(&activity.ticket_id);
            }
        });
        if newcomer && self.open_ticket.get_untracked() == Some(activity.ticket_id) {
            self.newcomers.update(|newcomers| *newcomers += 1);
        }
    }

    /// Forgets viewers and typers unheard of for too long (at time `now`, ms).
    pub fn prune(&self, now: f64) {
        let stale =
            self.activity.with_untracked(|people| people.values().flatten().any(|person| is_stale(person, now)));
        if stale {
            self.activity.update(|people| prune_presence(people, now));
        }
    }

    /// Removes one toast.
    pub fn dismiss(&self, id: u64) {
        self.toasts.update(|toasts| toasts.retain(|toast| toast.id != id));
    }

    /// Marks ticket `ticket_id` as open (or none): its activity is read.
    pub fn set_open_ticket(&self, ticket_id: Option<i64>) {
        self.open_ticket.set(ticket_id);
        if let Some(ticket_id) = ticket_id
            && self.unread.with_untracked(|unread| unread.contains_key(&ticket_id))
        {
            self.unread.update(|unread| {
                unread.remove(&ticket_id);
            });
            self.toasts.update(|toasts| toasts.retain(|toast| toast.ticket_id != ticket_id));
        }
    }

    /// Forgets everything about the previous user (after a log-out).
    pub fn clear(&self) {
        self.activity.set(HashMap::new());
        self.unread.set(BTreeMap::new());
        self.toasts.set(Vec::new());
    }
}

/// Applies one announcement to the people of a ticket; true when it reveals
/// someone who was not known to be there.
fn update_presence(people: &mut Vec<Presence>, activity: &LiveActivity, now: f64) -> bool {
    let position = people.iter().position(|person| person.user.id == activity.user.id);
    if activity.activity == Activity::Left {
        if let Some(position) = position {
            people.remove(position);
        }
        return false;
    }
    let newcomer = position.is_none();
    let index = position.unwrap_or_else(|| {
        people.push(Presence {
            user: activity.user.clone(),
            viewing: false,
            typing: false,
            internal: false,
            viewing_until: 0.0,
            typing_until: 0.0,
        });
        people.len() - 1
    });
    let person = &mut people[index];
    person.user.username = activity.user.username.clone();
    match activity.activity {
        Activity::Viewing => {
            person.viewing = true;
            person.viewing_until = now + 3.0 * f64::from(PRESENCE_HEARTBEAT_MS);
        }
        Activity::Typing => {
            person.typing = true;
            person.internal = activity.internal;
            person.typing_until = now + 2.0 * f64::from(TYPING_HEARTBEAT_MS);
        }
        Activity::Stopped => person.typing = false,
        Activity::Left => {}
    }
    if !person.viewing && !person.typing {
        people.remove(index);
    }
    newcomer
}

fn is_stale(person: &Presence, now: f64) -> bool {
    (person.viewing && person.viewing_until < now) || (person.typing && person.typing_until < now)
}

fn prune_presence(people: &mut HashMap<i64, Vec<Presence>>, now: f64) {
    for list in people.values_mut() {
        for person in list.iter_mut() {
            person.viewing &= person.viewing_until >= now;
            person.typing &= person.typing_until >= now;
        }
        list.retain(|person| person.viewing || person.typing);
    }
    people.retain(|_, list| !list.is_empty());
}

/// "SUP-0042: new reply from alice".
pub fn toast_text(event: &LiveTicketEvent) -> String {
    let actor = event.actor.as_ref().map(|actor| actor.username.clone()).unwrap_or_else(|| "Guichet".into());
    let reference = event.reference.clone();
    match &event.change {
        TicketChange::Created { .. } => t!(toast.created, reference = reference, actor = actor),
        TicketChange::Replied { .. } => t!(toast.replied, reference = reference, actor = actor),
        TicketChange::NoteAdded { .. } => t!(toast.note_added, reference = reference, actor = actor),
        TicketChange::StatusChanged { to, .. } => {
            t!(toast.status_changed, reference = reference, actor = actor, status = to.label())
        }
        TicketChange::PriorityChanged { to, .. } => {
            t!(toast.priority_changed, reference = reference, actor = actor, priority = to.label())
        }
        TicketChange::CategoryChanged { to, .. } => {
            t!(toast.category_changed, reference = reference, actor = actor, category = to.replace('_', " "))
        }
        TicketChange::Assigned { to, .. } => {
            t!(toast.assigned, reference = reference, actor = actor, name = to.username.clone())
        }
        TicketChange::Unassigned { .. } => t!(toast.unassigned, reference = reference, actor = actor),
        TicketChange::Escalated { rule: Some(rule), .. } => {
            t!(toast.escalated_by_rule, reference = reference, rule = rule.label())
        }
        TicketChange::Escalated { rule: None, .. } => t!(toast.escalated, reference = reference, actor = actor),
        TicketChange::Reopened { .. } => t!(toast.reopened, reference = reference, actor = actor),
        TicketChange::SlaWarning { target, .. } => {
            t!(toast.sla_warning, reference = reference, target = target.label())
        }
        TicketChange::SlaBreached { target, .. } => {
            t!(toast.sla_breached, reference = reference, target = target.label())
        }
        TicketChange::Rated { score, .. } => t!(toast.rated, reference = reference, actor = actor, score = *score),
        TicketChange::ErrorRecurred { occurrences, .. } => {
            t!(toast.error_recurred, reference = reference, occurrences = *occurrences)
        }
    }
}

/// The wait (ms) before reconnection attempt `attempt` (0 for the first):
/// 0.5 s doubling up to 30 s, times a jitter factor between 0.5 and 1 taken
/// from `random` (in 0..1), so that many tabs cut at once do not come back
/// together.
pub fn backoff_ms(attempt: u32, random: f64) -> f64 {
    let base = (BACKOFF_FIRST_MS * 2f64.powi(attempt.min(16) as i32)).min(BACKOFF_MAX_MS);
    base * (0.5 + 0.5 * random.clamp(0.0, 1.0))
}

/// The tab title's unread prefix: `(3) ` (empty for none).
pub fn unread_prefix(count: usize) -> String {
    if count == 0 { String::new() } else { format!("({count}) ") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Status, UserReference};

    fn activity(user: i64, activity: Activity, internal: bool) -> LiveActivity {
        LiveActivity {
            ticket_id: 7,
            user: UserReference { id: user, username: format!("user{user}") },
            activity,
            internal,
        }
    }

    #[test]
    fn presence_follows_announcements_and_expires() {
        let mut people = Vec::new();
        assert!(update_presence(&mut people, &activity(1, Activity::Viewing, false), 0.0));
        assert!(!update_presence(&mut people, &activity(1, Activity::Viewing, false), 1_000.0));
        assert!(update_presence(&mut people, &activity(2, Activity::Viewing, false), 1_000.0));
        assert!(!update_presence(&mut people, &activity(2, Activity::Typing, true), 1_000.0));
        assert!(people[1].typing && people[1].internal);
        update_presence(&mut people, &activity(2, Activity::Stopped, true), 2_000.0);
        assert!(!people[1].typing && people[1].viewing);

        update_presence(&mut people, &activity(2, Activity::Typing, false), 2_000.0);
        update_presence(&mut people, &activity(2, Activity::Viewing, false), 2_000.0);
        let mut map = HashMap::from([(7, people)]);
        // Typing ends after two typing heartbeats without news; viewing after three presence heartbeats.
        prune_presence(&mut map, 2_000.0 + 2.0 * f64::from(TYPING_HEARTBEAT_MS) + 1.0);
        assert!(!map[&7][1].typing);
        assert_eq!(map[&7].len(), 2);
        prune_presence(&mut map, 1_000.0 + 3.0 * f64::from(PRESENCE_HEARTBEAT_MS) + 1.0);
        assert_eq!(map[&7].iter().map(|person| person.user.id).collect::<Vec<_>>(), vec![2]);

        let mut people = map.remove(&7).unwrap();
        update_presence(&mut people, &activity(2, Activity::Left, false), 3_000.0);
        assert!(people.is_empty());
    }

    #[test]
    fn a_typer_not_seen_viewing_is_only_typing() {
        // What a requester gets: typing and stopped, never viewing.
        let mut people = Vec::new();
        assert!(update_presence(&mut people, &activity(3, Activity::Typing, false), 0.0));
        assert!(people[0].typing && !people[0].viewing);
        update_presence(&mut people, &activity(3, Activity::Stopped, false), 500.0);
        assert!(people.is_empty());

        update_presence(&mut people, &activity(3, Activity::Typing, false), 1_000.0);
        let mut map = HashMap::from([(7, people)]);
        prune_presence(&mut map, 1_000.0 + 2.0 * f64::from(TYPING_HEARTBEAT_MS) + 1.0);
        assert!(map.is_empty());
    }

    #[test]
    fn toasts_say_what_happened() {
        let event = LiveTicketEvent {
            position: 3,
            event_id: 9,
            ticket_id: 7,
            reference: "SUP-0042".into(),
            change: TicketChange::Replied { message_id: 4 },
            actor: Some(UserReference { id: 1, username: "alice".into() }),
            created_at: chrono::Utc::now(),
            mine: true,
        };
        let status = LiveTicketEvent {
            change: TicketChange::StatusChanged { from: Status::Open, to: Status::InProgress, reason: None },
            ..event.clone()
        };
        let automatic = LiveTicketEvent {
            change: TicketChange::Escalated {
                from: Some(Status::Open),
                reason: "Open for more than 48 h".into(),
                rule: Some(crate::domain::escalation::EscalationRule::Unanswered),
            },
            actor: None,
            ..event.clone()
        };
        #[cfg(feature = "ssr")]
        {
            use crate::i18n::{Language, request::in_language};
            assert_eq!(
                in_language(Language::en, || toast_text(&automatic)),
                "SUP-0042: escalated automatically (no reply from an agent in time)"
            );
            assert_eq!(
                in_language(Language::fr, || toast_text(&automatic)),
                "SUP-0042 : escaladé automatiquement (pas de réponse d'un agent dans le délai)"
            );
            assert_eq!(in_language(Language::en, || toast_text(&event)), "SUP-0042: new reply from alice");
            assert_eq!(
                in_language(Language::en, || toast_text(&status)),
                "SUP-0042: status set to in progress by alice"
            );
            assert_eq!(in_language(Language::fr, || toast_text(&event)), "SUP-0042 : nouvelle réponse de alice");
            assert_eq!(
                in_language(Language::fr, || toast_text(&status)),
                "SUP-0042 : statut passé à en cours par alice"
            );
        }
        #[cfg(not(feature = "ssr"))]
        let _ = (event, status, automatic);
    }

    #[test]
    fn backoff_doubles_up_to_thirty_seconds_with_jitter() {
        assert_eq!(backoff_ms(0, 1.0), 500.0);
        assert_eq!(backoff_ms(0, 0.0), 250.0);
        assert_eq!(backoff_ms(3, 1.0), 4_000.0);
        assert_eq!(backoff_ms(10, 1.0), 30_000.0);
        assert_eq!(backoff_ms(u32::MAX, 0.5), 22_500.0);
    }

    #[test]
    fn unread_prefix_only_when_something_is_unread() {
        assert_eq!(unread_prefix(0), "");
        assert_eq!(unread_prefix(2), "(2) ");
    }
}
