//! Live updates (issue 4): ticket events, typing and presence pushed to
//! every open browser, across server instances, without loss on reconnect.
//!
//! How a change reaches a browser:
//! 1. The change's transaction inserts its `ticket_events` rows and, in the
//!    same transaction, `pg_notify(`[`EVENTS_CHANNEL`]`, <event id>)`
//!    ([`notify_event`]); nothing is sent if it rolls back.
//! 2. Every instance LISTENs on one dedicated connection ([`Hub::start`]).
//!    On a notification it runs the sequencer ([`sequence`]): under a
//!    transaction-level advisory lock, it gives the committed events that
//!    have none a `stream_position` following the highest one. Positions are
//!    therefore in commit order, unlike event ids, which are taken at insert
//!    time (see migrations/20261124000001_live_stream.sql).
//! 3. Each instance then reads the events past the last position it
//!    published and broadcasts them to its own subscribers, which filter them
//!    per connection ([`Subscription`]): agents and admins get everything, a
//!    requester only their own tickets and never internal notes.
//! 4. A client that reconnects gives its last position; the subscription
//!    replays what it may see after it from the database, then goes live.
//!
//! Typing and presence ([`crate::services::presence::announce_activity`],
//! [`notify_activity`]) are ephemeral: a
//! `pg_notify(`[`ACTIVITY_CHANNEL`]`)` with ids, never a table row. Log-outs,
//! role changes and revoked tokens notify [`ACCOUNTS_CHANNEL`] with the user
//! id ([`notify_account_changed`]): that user's streams end at once on every
//! instance, and the reconnection is authorised afresh.

use crate::domain::{
    Activity, Audience, LIVE_REPLAY_MAX, LiveActivity, LiveReady, Role, TicketChange, User, UserReference,
};
use crate::error::AppError;
use crate::services::{Caller, transaction};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::postgres::{PgListener, PgNotification};
use sqlx::{PgConnection, PgPool};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, broadcast};

/// NOTIFY channel of committed ticket events; the payload is the event id.
pub const EVENTS_CHANNEL: &str = "guichet_events";
/// NOTIFY channel of typing and presence; the payload is an [`ActivityNotice`] in JSON (< 300 bytes).
pub const ACTIVITY_CHANNEL: &str = "guichet_activity";
/// NOTIFY channel of account changes (log-out, role, revoked token); the payload is the user id.
pub const ACCOUNTS_CHANNEL: &str = "guichet_accounts";
/// The advisory lock that makes one sequencer run at a time across instances ("guichet" + 1 in ASCII).
pub const SEQUENCER_LOCK: i64 = 0x6775_6963_6865_7401;
/// Events numbered per sequencer transaction; more wait for the next round.
const SEQUENCE_BATCH: i64 = 5_000;
/// Events read per publishing query.
const PUBLISH_BATCH: i64 = 1_000;
/// Messages a slow subscriber may fall behind before its stream is closed
/// (the browser then resumes from its last position, losing nothing).
const BROADCAST_CAPACITY: usize = 8_192;
/// The sequencer also runs this often without notifications, in case one was missed.
const SEQUENCER_SAFETY_INTERVAL: Duration = Duration::from_secs(5);

/// Appends the notification of a new ticket event to the current
/// transaction: delivered to listeners only if and when it commits.
pub async fn notify_event(connection: &mut PgConnection, event_id: i64) -> Result<(), AppError> {
    sqlx::query!("select pg_notify($1, $2)", EVENTS_CHANNEL, event_id.to_string()).execute(connection).await?;
    Ok(())
}

/// Tells every instance that `user_id`'s access changed (log-out, role,
/// revoked token): their open streams end and must reconnect.
/// Inside a transaction, the notification waits for its commit.
pub async fn notify_account_changed(executor: impl sqlx::PgExecutor<'_>, user_id: i64) -> Result<(), AppError> {
    sqlx::query!("select pg_notify($1, $2)", ACCOUNTS_CHANNEL, user_id.to_string()).execute(executor).await?;
    Ok(())
}

/// Typing or presence as sent between instances through [`ACTIVITY_CHANNEL`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ActivityNotice {
    pub ticket_id: i64,
    /// The ticket's requester, for the per-connection filter.
    pub requester_id: i64,
    pub user: UserReference,
    pub activity: Activity,
    pub internal: bool,
}

/// Sends `notice` to every instance through [`ACTIVITY_CHANNEL`] (nothing
/// is stored). Who may announce what is checked by
/// [`crate::services::presence::announce_activity`].
///
/// Errors: [`AppError::Internal`] when the database fails.
pub async fn notify_activity(executor: impl sqlx::PgExecutor<'_>, notice: &ActivityNotice) -> Result<(), AppError> {
    let payload = serde_json::to_string(notice).map_err(|_| AppError::internal())?;
    sqlx::query!("select pg_notify($1, $2)", ACTIVITY_CHANNEL, payload).execute(executor).await?;
    Ok(())
}

/// A ticket event as broadcast inside one instance, before the
/// per-connection filter.
#[derive(Debug)]
pub struct StreamEvent {
    pub position: i64,
    pub requester_id: i64,
    pub assignee_id: Option<i64>,
    /// Who may see it, from `ticket_events.audience`.
    pub audience: Audience,
    /// The [`crate::domain::LiveTicketEvent`] JSON without its final `mine`
    /// field and closing brace, so each connection only appends its own.
    json_prefix: String,
    /// The same for requesters when what they may see of the change differs
    /// ([`TicketChange::as_seen_by`]), else `None`.
    requester_json_prefix: Option<String>,
}

impl StreamEvent {
    /// Whether `user` may receive this event: agents and admins all of them,
    /// a requester those of their own tickets that its [`Audience`] admits.
    pub fn visible_to(&self, user: &User) -> bool {
        (user.role.is_staff() || self.requester_id == user.id) && self.audience.admits(user.role)
    }

    /// The JSON of the [`crate::domain::LiveTicketEvent`] for `user`.
    pub fn json_for(&self, user: &User) -> String {
        let mine = self.requester_id == user.id || self.assignee_id == Some(user.id);
        let prefix = match &self.requester_json_prefix {
            Some(prefix) if !user.role.is_staff() => prefix,
            _ => &self.json_prefix,
        };
        format!("{prefix},\"mine\":{mine}}}")
    }
}

struct StreamRow {
    stream_position: i64,
    id: i64,
    ticket_id: i64,
    action: String,
    actor_id: Option<i64>,
    actor_username: Option<String>,
    data: Value,
    audience: Audience,
    created_at: DateTime<Utc>,
    requester_id: i64,
    assignee_id: Option<i64>,
    prefix: String,
    number: i64,
}

impl StreamEvent {
    /// The event of a stream row, or `None` (logged) when its data no longer
    /// reads as a [`TicketChange`]: such a row is skipped, not sent.
    fn from_row(row: StreamRow) -> Option<StreamEvent> {
        let change = match TicketChange::from_stored(&row.action, row.data) {
            Ok(change) => change,
            Err(error) => {
                tracing::error!(event = row.id, %error, "live updates: unreadable ticket event, skipped");
                return None;
            }
        };
        let actor = match (row.actor_id, row.actor_username) {
            (Some(id), Some(username)) => Some(UserReference { id, username }),
            _ => None,
        };
        let prefix_of = |change: &TicketChange| {
            let full = serde_json::json!({
                "position": row.stream_position,
                "event_id": row.id,
                "ticket_id": row.ticket_id,
                "reference": crate::domain::reference(&row.prefix, row.number),
                "action": change.action(),
                "actor": actor,
                "data": change.data(),
                "created_at": row.created_at,
            })
            .to_string();
            full.strip_suffix('}').unwrap_or(&full).to_string()
        };
        let json_prefix = prefix_of(&change);
        let requesters_see = change.clone().as_seen_by(Role::Requester);
        let requester_json_prefix = (requesters_see != change).then(|| prefix_of(&requesters_see));
        Some(StreamEvent {
            position: row.stream_position,
            requester_id: row.requester_id,
            assignee_id: row.assignee_id,
            audience: row.audience,
            json_prefix,
            requester_json_prefix,
        })
    }
}

/// The events after a position, joined with what the filter and the payload need.
/// `sqlx::query_as!` of [`StreamRow`]s: the events with their ticket's
/// requester, assignee and reference, followed by `$condition` (a string
/// literal over `e`, `t`, `q` and `u`) and its arguments.
macro_rules! select_stream {
    ($condition:tt, $($argument:expr),* $(,)?) => {
        sqlx::query_as!(
            StreamRow,
            r#"select e.stream_position as "stream_position!", e.id, e.ticket_id, e.action, e.actor_id,
                u.username::text as "actor_username?", e.data, e.audience as "audience: Audience",
                e.created_at as "created_at: DateTime<Utc>", t.requester_id, t.assignee_id, q.prefix, t.number
            from ticket_events e
            join tickets t on t.id = e.ticket_id
            join queues q on q.id = t.queue_id
            left join users u on u.id = e.actor_id"# + $condition,
            $($argument),*
        )
    };
}

/// What one instance broadcasts to its subscribers.
#[derive(Debug, Clone)]
pub enum Broadcast {
    Event(Arc<StreamEvent>),
    Activity(Arc<ActivityNotice>),
    /// This user's access changed: their streams end.
    AccountChanged(i64),
    /// The server is stopping: every stream ends.
    Shutdown,
}

/// One instance's fan-out: its LISTEN connection, its sequencer and the
/// broadcast to its subscribers. Cheap to share (`Arc`).
pub struct Hub {
    pool: PgPool,
    /// The last position broadcast, held while broadcasting so that a new
    /// subscriber's starting point and its receiver agree.
    published: Mutex<i64>,
    sender: broadcast::Sender<Broadcast>,
    wake_sequencer: Notify,
    stopped: AtomicBool,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Hub").field("published", &self.published).finish_non_exhaustive()
    }
}

impl Hub {
    /// Creates the hub and starts its two tasks (listener, sequencer) on the
    /// current Tokio runtime. Live delivery starts after the highest position
    /// already in the database; earlier events are for resuming clients.
    ///
    /// Errors: the database is unreachable.
    pub async fn start(pool: PgPool) -> Result<Arc<Hub>, AppError> {
        let position = highest_position(&pool).await?;
        let (sender, _) = broadcast::channel(BROADCAST_CAPACITY);
        let hub = Arc::new(Hub {
            pool,
            published: Mutex::new(position),
            sender,
            wake_sequencer: Notify::new(),
            stopped: AtomicBool::new(false),
        });
        tokio::spawn(Arc::clone(&hub).listen());
        tokio::spawn(Arc::clone(&hub).run_sequencer());
        hub.wake_sequencer.notify_one();
        Ok(hub)
    }

    /// Ends every stream (server shutdown) and stops the tasks.
    pub fn shutdown(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        let _ = self.sender.send(Broadcast::Shutdown);
        self.wake_sequencer.notify_one();
    }

    /// The last position this instance has broadcast.
    pub fn published_position(&self) -> i64 {
        *self.published.lock().expect("hub lock")
    }

    /// Receives notifications on one dedicated connection, reconnecting with
    /// backoff; after every (re)connection the sequencer catches up on what
    /// was committed meanwhile.
    async fn listen(self: Arc<Self>) {
        let mut backoff = Duration::from_millis(100);
        while !self.stopped.load(Ordering::SeqCst) {
            let mut listener = match PgListener::connect_with(&self.pool).await {
                Ok(listener) => listener,
                Err(error) => {
                    tracing::warn!(%error, "live updates: cannot connect the listener, retrying");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    continue;
                }
            };
            if let Err(error) = listener.listen_all([EVENTS_CHANNEL, ACTIVITY_CHANNEL, ACCOUNTS_CHANNEL]).await {
                tracing::warn!(%error, "live updates: LISTEN failed, retrying");
                tokio::time::sleep(backoff).await;
                continue;
            }
            backoff = Duration::from_millis(100);
            self.wake_sequencer.notify_one();
            loop {
                if self.stopped.load(Ordering::SeqCst) {
                    return;
                }
                match listener.try_recv().await {
                    Ok(Some(notification)) => self.handle(notification),
                    Ok(None) => {
                        // The connection was lost; sqlx reconnects on the next
                        // call, but notifications sent meanwhile are gone.
                        tracing::warn!("live updates: listener connection lost, reconnecting");
                        self.wake_sequencer.notify_one();
                    }
                    Err(error) => {
                        tracing::warn!(%error, "live updates: listener failed, reconnecting");
                        break;
                    }
                }
            }
        }
    }

    fn handle(&self, notification: PgNotification) {
        match notification.channel() {
            EVENTS_CHANNEL => self.wake_sequencer.notify_one(),
            ACTIVITY_CHANNEL => match serde_json::from_str::<ActivityNotice>(notification.payload()) {
                Ok(notice) => {
                    let _ = self.sender.send(Broadcast::Activity(Arc::new(notice)));
                }
                Err(error) => tracing::warn!(%error, "live updates: unreadable activity notification"),
            },
            ACCOUNTS_CHANNEL => match notification.payload().parse::<i64>() {
                Ok(user_id) => {
                    let _ = self.sender.send(Broadcast::AccountChanged(user_id));
                }
                Err(error) => tracing::warn!(%error, "live updates: unreadable account notification"),
            },
            _ => {}
        }
    }

    /// Sequences and publishes whenever woken (notifications coalesce into
    /// one run), and every few seconds regardless.
    async fn run_sequencer(self: Arc<Self>) {
        let mut failures = 0u32;
        while !self.stopped.load(Ordering::SeqCst) {
            let _ = tokio::time::timeout(SEQUENCER_SAFETY_INTERVAL, self.wake_sequencer.notified()).await;
            if self.stopped.load(Ordering::SeqCst) {
                return;
            }
            let result = async {
                sequence(&self.pool).await?;
                self.publish().await
            }
            .await;
            match result {
                Ok(()) => failures = 0,
                Err(error) => {
                    failures += 1;
                    tracing::warn!(%error, failures, "live updates: sequencing failed, retrying");
                    tokio::time::sleep(Duration::from_millis(100 * u64::from(failures.min(50)))).await;
                    self.wake_sequencer.notify_one();
                }
            }
        }
    }

    /// Broadcasts the events past the last published position, in order.
    async fn publish(&self) -> Result<(), AppError> {
        loop {
            let after = self.published_position();
            let rows = select_stream!(
                " where e.stream_position > $1 order by e.stream_position limit $2",
                after,
                PUBLISH_BATCH,
            )
            .fetch_all(&self.pool)
            .await?;
            let count = rows.len() as i64;
            {
                let mut published = self.published.lock().expect("hub lock");
                for row in rows {
                    // Only this task publishes, so nothing moved `published` meanwhile.
                    *published = row.stream_position;
                    if let Some(event) = StreamEvent::from_row(row) {
                        let _ = self.sender.send(Broadcast::Event(Arc::new(event)));
                    }
                }
            }
            if count < PUBLISH_BATCH {
                return Ok(());
            }
        }
    }

    /// Opens a stream for the caller, resuming after `after` when given.
    ///
    /// The receiver is taken together with the published position, under the
    /// same lock as broadcasting: events up to that position come from the
    /// database (when resuming), later ones from the receiver, each once.
    ///
    /// Errors: 401 when nobody is logged in.
    pub async fn subscribe(&self, caller: &Caller, after: Option<i64>) -> Result<Subscription, AppError> {
        let user = caller.user()?.clone();
        let (receiver, upto) = {
            let published = self.published.lock().expect("hub lock");
            (self.sender.subscribe(), *published)
        };
        let mut backlog = Vec::new();
        let ready = match after {
            None => {
                // Start after everything committed before this moment, even
                // what this instance has not published yet (it will come
                // through the receiver and be skipped).
                sequence(&self.pool).await?;
                LiveReady { position: upto.max(highest_position(&self.pool).await?), reset: false }
            }
            Some(after) if after >= upto => {
                // A client ahead of this instance (it came from a faster one)
                // or from another database: ahead is fine, the future is not.
                if after > highest_position(&self.pool).await? {
                    LiveReady { position: upto, reset: true }
                } else {
                    LiveReady { position: after, reset: false }
                }
            }
            Some(after) => {
                let rows = select_stream!(
                    " where e.stream_position > $1 and e.stream_position <= $2
                       and ($3 or (t.requester_id = $4 and e.audience = 'everyone'))
                     order by e.stream_position limit $5",
                    after.max(0),
                    upto,
                    user.role.is_staff(),
                    user.id,
                    LIVE_REPLAY_MAX + 1,
                )
                .fetch_all(&self.pool)
                .await?;
                if rows.len() as i64 > LIVE_REPLAY_MAX {
                    LiveReady { position: upto, reset: true }
                } else {
                    backlog = rows.into_iter().filter_map(StreamEvent::from_row).collect();
                    LiveReady { position: after.max(0), reset: false }
                }
            }
        };
        let position = ready.position.max(backlog.last().map_or(0, |event| event.position));
        Ok(Subscription { user, ready: Some(ready), backlog: backlog.into(), receiver, position })
    }
}

/// The highest stream position given so far (0 when none).
async fn highest_position(pool: &PgPool) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar!(r#"select coalesce(max(stream_position), 0) as "position!" from ticket_events"#)
        .fetch_one(pool)
        .await?)
}

/// Numbers the committed events that have no stream position yet, after the
/// highest one, in event id order, in one transaction under
/// [`SEQUENCER_LOCK`]; returns how many it numbered. Safe to run from any
/// number of instances at once.
pub async fn sequence(pool: &PgPool) -> Result<u64, AppError> {
    let mut numbered = 0;
    loop {
        let result = transaction::run(pool, |transaction| {
            Box::pin(async {
                sqlx::query!("select pg_advisory_xact_lock($1)", SEQUENCER_LOCK).execute(&mut **transaction).await?;
                Ok(sqlx::query!(
                    "with pending as (
                        select id, row_number() over (order by id) as rank
                        from ticket_events where stream_position is null order by id limit $1
                    ), highest as (
                        select coalesce(max(stream_position), 0) as position from ticket_events
                    )
                    update ticket_events e set stream_position = highest.position + pending.rank
                    from pending, highest where e.id = pending.id",
                    SEQUENCE_BATCH,
                )
                .execute(&mut **transaction)
                .await?)
            })
        })
        .await?;
        numbered += result.rows_affected();
        if (result.rows_affected() as i64) < SEQUENCE_BATCH {
            return Ok(numbered);
        }
    }
}

/// One client's stream: first [`LiveReady`], then the replayed events, then
/// live messages the user may see. Ends when the user's access changes, the
/// server stops, or the client fell too far behind (it resumes from its last
/// position).
pub struct Subscription {
    user: User,
    ready: Option<LiveReady>,
    backlog: std::collections::VecDeque<StreamEvent>,
    receiver: broadcast::Receiver<Broadcast>,
    /// The last position delivered or declared by `ready`.
    position: i64,
}

/// A message of a [`Subscription`], ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveMessage {
    /// [`LiveReady`] JSON and its position.
    Ready { position: i64, json: String },
    /// [`crate::domain::LiveTicketEvent`] JSON and its position.
    Ticket { position: i64, json: String },
    /// [`LiveActivity`] JSON.
    Activity { json: String },
}

impl Subscription {
    /// The next message, or `None` when the stream ends.
    pub async fn next(&mut self) -> Option<LiveMessage> {
        if let Some(ready) = self.ready.take() {
            let json = serde_json::to_string(&ready).ok()?;
            return Some(LiveMessage::Ready { position: ready.position, json });
        }
        if let Some(event) = self.backlog.pop_front() {
            return Some(LiveMessage::Ticket { position: event.position, json: event.json_for(&self.user) });
        }
        loop {
            match self.receiver.recv().await {
                Ok(Broadcast::Event(event)) => {
                    if event.position <= self.position {
                        continue;
                    }
                    self.position = event.position;
                    if event.visible_to(&self.user) {
                        return Some(LiveMessage::Ticket {
                            position: event.position,
                            json: event.json_for(&self.user),
                        });
                    }
                }
                Ok(Broadcast::Activity(notice)) => {
                    if let Some(activity) = self.activity_for(&notice) {
                        return Some(LiveMessage::Activity { json: serde_json::to_string(&activity).ok()? });
                    }
                }
                Ok(Broadcast::AccountChanged(user_id)) if user_id == self.user.id => return None,
                Ok(Broadcast::AccountChanged(_)) => {}
                Ok(Broadcast::Shutdown) | Err(broadcast::error::RecvError::Closed) => return None,
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::info!(missed, user = self.user.id, "live updates: slow subscriber, closing its stream");
                    return None;
                }
            }
        }
    }

    /// What `notice` shows this user, if anything: never their own activity;
    /// agents and admins see everyone on any ticket; a requester sees others
    /// typing a reply on their own tickets, not internal notes nor who is viewing.
    fn activity_for(&self, notice: &ActivityNotice) -> Option<LiveActivity> {
        if notice.user.id == self.user.id {
            return None;
        }
        let visible = self.user.role.is_staff()
            || (notice.requester_id == self.user.id
                && !notice.internal
                && matches!(notice.activity, Activity::Typing | Activity::Stopped));
        visible.then(|| LiveActivity {
            ticket_id: notice.ticket_id,
            user: notice.user.clone(),
            activity: notice.activity,
            internal: notice.internal,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Role;

    fn row(action: &str, data: Value, audience: Audience) -> StreamRow {
        StreamRow {
            stream_position: 8,
            id: 21,
            ticket_id: 5,
            action: action.into(),
            actor_id: Some(2),
            actor_username: Some("alex".into()),
            data,
            audience,
            created_at: "2026-11-30T10:00:00Z".parse().unwrap(),
            requester_id: 3,
            assignee_id: Some(2),
            prefix: "SUP".into(),
            number: 42,
        }
    }

    fn user(id: i64, role: Role) -> User {
        User {
            language: None,
            time_zone: None,
            id,
            username: format!("user{id}"),
            email: format!("user{id}@example.test"),
            role,
            discord_username: None,
            discord_id: None,
            created_at: Utc::now(),
        }
    }

    #[test]
    fn stream_events_keep_the_wire_shape_and_their_audience() {
        let event = StreamEvent::from_row(row("replied", serde_json::json!({"message_id": 4}), Audience::Everyone))
            .expect("a reply reads");
        let json: Value = serde_json::from_str(&event.json_for(&user(3, Role::Requester))).unwrap();
        assert_eq!(json["action"], "replied");
        assert_eq!(json["data"], serde_json::json!({"message_id": 4}));
        assert_eq!(json["reference"], "SUP-0042");
        assert_eq!(json["mine"], true);
        let parsed: crate::domain::LiveTicketEvent = serde_json::from_value(json).unwrap();
        assert_eq!(parsed.change, TicketChange::Replied { message_id: 4 });

        assert!(event.visible_to(&user(3, Role::Requester)), "the requester sees public events of their ticket");
        assert!(!event.visible_to(&user(9, Role::Requester)), "nobody else's");
        assert!(event.visible_to(&user(9, Role::Agent)));

        let note = StreamEvent::from_row(row("note_added", serde_json::json!({"message_id": 5}), Audience::Staff))
            .expect("a note reads");
        assert!(!note.visible_to(&user(3, Role::Requester)), "requesters never see internal notes");
        assert!(note.visible_to(&user(9, Role::Agent)) && note.visible_to(&user(1, Role::Admin)));
    }

    #[test]
    fn unreadable_stored_events_are_skipped() {
        assert!(StreamEvent::from_row(row("replied", serde_json::json!({}), Audience::Everyone)).is_none());
        // An escalation reaches the requester without the reason staff gave.
        let escalated = StreamEvent::from_row(row(
            "escalated",
            serde_json::json!({"from": "open", "reason": "Sensitive application"}),
            Audience::Everyone,
        ))
        .unwrap();
        let for_requester: Value = serde_json::from_str(&escalated.json_for(&user(3, Role::Requester))).unwrap();
        assert_eq!(for_requester["data"], serde_json::json!({"from": "open"}));
        let for_agent: Value = serde_json::from_str(&escalated.json_for(&user(9, Role::Agent))).unwrap();
        assert_eq!(for_agent["data"]["reason"], "Sensitive application");
        assert!(StreamEvent::from_row(row("rated", serde_json::json!({"stars": 5}), Audience::Everyone)).is_none());
    }
}
