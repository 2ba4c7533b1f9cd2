//! Notifications (issue 6) against real servers on loopback: a real SMTP
//! server (Python's aiosmtpd, writing a maildir) receives the mails, which are
//! parsed here; a local HTTP server stands in for Discord.

mod common;

use app::domain::{NotificationKind, Role};
use app::services::notifications::{MailSettings, SmtpTls, WebhookInput, Worker, WorkerHandle, WorkerOptions};
use app::services::{Caller, Settings, notifications};
use axum::{Router, extract::State, http::StatusCode, response::IntoResponse, routing::post};
use common::TestApp;
use mail_parser::{Message, MessageParser};
use serde_json::{Value, json};
use sqlx::PgPool;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long any condition may take before a test fails.
const DEADLINE: Duration = Duration::from_secs(30);

/// Polls `condition` until it holds, failing the test after [`DEADLINE`].
async fn wait_until<F, Fut>(what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !condition().await {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A Python with aiosmtpd: `python3` on PATH or Debian's `/usr/bin/python3`
/// (`apt-get install python3-aiosmtpd`; scripts/test installs it).
fn python_with_aiosmtpd() -> String {
    for python in ["python3", "/usr/bin/python3"] {
        let found = Command::new(python)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if found {
            return python.into();
        }
    }
    panic!("no python3 with aiosmtpd: apt-get install python3-aiosmtpd");
}

/// A free loopback port (bound, then released).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("address").port()
}

/// A real SMTP server (aiosmtpd) storing every message in a maildir.
struct SmtpServer {
    child: Child,
    maildir: PathBuf,
}

impl SmtpServer {
    /// Starts aiosmtpd on 127.0.0.1:`port`, writing into `maildir`, and waits until it accepts connections.
    fn start(port: u16, maildir: &Path) -> SmtpServer {
        let child = Command::new(python_with_aiosmtpd())
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(start.elapsed() < DEADLINE, "aiosmtpd did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        SmtpServer { child, maildir: maildir.to_path_buf() }
    }

    /// Every message received so far, raw.
    fn messages(&self) -> Vec<Vec<u8>> {
        read_maildir(&self.maildir)
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The maildir's messages in arrival order: Python's Maildir names files
/// `<time>.M<µs>P<pid>Q<counter>.<host>`, the counter growing per message.
fn read_maildir(maildir: &Path) -> Vec<Vec<u8>> {
    let mut messages = Vec::new();
    for folder in ["new", "cur"] {
        let Ok(entries) = std::fs::read_dir(maildir.join(folder)) else { continue };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            let counter: u64 = name
                .split_once('Q')
                .and_then(|(_, rest)| rest.split('.').next())
                .and_then(|counter| counter.parse().ok())
                .unwrap_or(u64::MAX);
            messages.push((counter, std::fs::read(entry.path()).expect("read mail")));
        }
    }
    messages.sort_by_key(|(counter, _)| *counter);
    messages.into_iter().map(|(_, message)| message).collect()
}

/// A fresh maildir (with its `tmp`, `new` and `cur` folders) in the temporary directory.
fn temporary_directory(name: &str) -> PathBuf {
    let directory = std::env::temp_dir().join(format!("guichet-{name}-{}-{}", std::process::id(), rand_suffix()));
    for folder in ["tmp", "new", "cur"] {
        std::fs::create_dir_all(directory.join(folder)).expect("maildir");
    }
    directory
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_nanos()
}

fn mail_settings(port: u16) -> MailSettings {
    MailSettings {
        host: "127.0.0.1".into(),
        port,
        tls: SmtpTls::None,
        username: None,
        password: None,
        from: "Guichet Support <support@guichet.test>".parse().expect("from"),
    }
}

fn fast_options() -> WorkerOptions {
    WorkerOptions {
        poll_interval: Duration::from_millis(200),
        retry_base: Duration::from_millis(200),
        retry_cap: Duration::from_secs(1),
        lease: Duration::from_secs(60),
        batch: 20,
        timeout: Duration::from_secs(5),
    }
}

/// The app with mail going to 127.0.0.1:`smtp_port`, and one worker.
async fn spawn_app(pool: PgPool, smtp_port: u16) -> (TestApp, Arc<Settings>, WorkerHandle) {
    let settings = Settings { mail: Some(mail_settings(smtp_port)), ..Settings::default() };
    let settings = Arc::new(Settings { public_url: "http://help.guichet.test".into(), ..settings });
    let app = TestApp::spawn_with(pool.clone(), (*settings).clone()).await;
    let worker = Worker::spawn(pool, settings.clone(), fast_options()).expect("worker");
    (app, settings, worker)
}

async fn create_ticket(app: &TestApp, client: &reqwest::Client, subject: &str) -> String {
    let (status, body) = app
        .post(
            client,
            "/tickets",
            json!({"queue": "support", "category": "technical_issue", "priority": "high",
                   "subject": subject, "description": format!("Description of {subject}.")}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");
    body["ticket"]["reference"].as_str().expect("reference").to_string()
}

async fn outbox_counts(pool: &PgPool) -> (i64, i64, i64) {
    sqlx::query_as(
        "select count(*) filter (where status = 'pending'), count(*) filter (where status = 'sent'),
            count(*) filter (where status = 'failed') from outbox",
    )
    .fetch_one(pool)
    .await
    .expect("outbox counts")
}

fn header_text(message: &Message, name: &str) -> String {
    message.header_raw(name).map(|value| value.trim().to_string()).unwrap_or_default()
}

fn recipient(message: &Message) -> String {
    message.to().and_then(|to| to.first()).and_then(|address| address.address()).unwrap_or_default().to_string()
}

#[sqlx::test]
async fn each_step_of_a_ticket_mails_the_right_people_once_threaded(pool: PgPool) {
    let port = free_port();
    let smtp = SmtpServer::start(port, &temporary_directory("smtp"));
    let (app, _settings, _worker) = spawn_app(pool.clone(), port).await;
    app.create_user("chloe", Role::Requester).await;
    let alice = app.create_user("alice", Role::Agent).await;
    app.create_user("bruno", Role::Agent).await;
    app.create_user("root", Role::Admin).await;
    let chloe_client = app.logged_in("chloe").await;
    let alice_client = app.logged_in("alice").await;
    let root_client = app.logged_in("root").await;

    let reference = create_ticket(&app, &chloe_client, "VPN down").await;
    assert_eq!(reference, "SUP-0001");
    let (status, _) = app.post(&root_client, "/tickets/SUP-0001/assign", json!({"agent_id": alice.id})).await;
    assert_eq!(status, 200);
    let (status, _) = app.post(&alice_client, "/tickets/SUP-0001/messages", json!({"body": "Try restarting."})).await;
    assert_eq!(status, 201);
    let (status, _) = app
        .post(
            &alice_client,
            "/tickets/SUP-0001/messages",
            json!({"body": "SECRET-NOTE: the requester is on the old VPN client", "kind": "internal_note"}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) = app.post(&chloe_client, "/tickets/SUP-0001/messages", json!({"body": "Still down."})).await;
    assert_eq!(status, 201);
    let (status, _) =
        app.post(&alice_client, "/tickets/SUP-0001/escalate", json!({"reason": "ESCALATION-REASON network"})).await;
    assert_eq!(status, 200);
    let (status, _) = app.put(&alice_client, "/tickets/SUP-0001/status", json!({"status": "resolved"})).await;
    assert_eq!(status, 200);
    let (status, _) = app.put(&root_client, "/tickets/SUP-0001/status", json!({"status": "closed"})).await;
    assert_eq!(status, 200);
    // An unassigned ticket: the requester's reply goes to every agent.
    create_ticket(&app, &chloe_client, "Printer jam").await;
    let (status, _) = app.post(&chloe_client, "/tickets/SUP-0002/messages", json!({"body": "Any news?"})).await;
    assert_eq!(status, 201);

    // chloe: receipt, reply, resolved, closed, receipt 2; alice: assigned,
    // reply, reply on 2; bruno: reply on 2; root: escalated.
    let expected = 10;
    wait_until("every mail", || async { smtp.messages().len() >= expected }).await;
    wait_until("the outbox settled", || async { outbox_counts(&pool).await == (0, expected as i64, 0) }).await;
    let raw = smtp.messages();
    assert_eq!(raw.len(), expected, "each mail arrives once");
    let parser = MessageParser::default();
    let mut messages: Vec<Message> = raw.iter().map(|bytes| parser.parse(bytes).expect("parse mail")).collect();
    // In outbox order (a retried mail may arrive late): Message-IDs are
    // <guichet.{ticket}.{time}.{outbox id}@...>, the receipt without an outbox id.
    messages.sort_by_key(|message| {
        let id = message.message_id().unwrap_or_default();
        let local = id.split('@').next().unwrap_or_default();
        let parts: Vec<&str> = local.split('.').collect();
        parts.get(3).and_then(|outbox| outbox.parse::<i64>().ok()).unwrap_or(0)
    });

    for message in &messages {
        let text = message.body_text(0).expect("text part").to_string();
        let html = message.body_html(0).expect("html part").to_string();
        assert_ne!(text, html);
        assert!(message.subject().unwrap_or_default().contains("[SUP-000"), "{:?}", message.subject());
        assert_eq!(header_text(message, "Auto-Submitted"), "auto-generated");
        assert!(
            message.from().and_then(|from| from.first()).and_then(|from| from.address())
                == Some("support@guichet.test")
        );
        assert!(text.contains("http://help.guichet.test/tickets/SUP-000"), "{text}");
        assert!(html.contains("href=\"http://help.guichet.test/tickets/SUP-000"), "{html}");
        assert!(!text.contains("SECRET-NOTE") && !html.contains("SECRET-NOTE"), "an internal note leaked");
        if recipient(message) != "root@example.test" {
            assert!(!text.contains("ESCALATION-REASON"), "the escalation reason reached {}", recipient(message));
        }
    }

    // The requester's thread on SUP-0001: receipt, reply, resolved, closed, chained.
    let chloe: Vec<&Message> = messages
        .iter()
        .filter(|message| {
            recipient(message) == "chloe@example.test" && message.subject().unwrap_or_default().contains("SUP-0001")
        })
        .collect();
    assert_eq!(chloe.len(), 4);
    assert_eq!(chloe[0].subject(), Some("[SUP-0001] VPN down"));
    assert!(chloe[0].in_reply_to().as_text().is_none());
    let root_id = chloe[0].message_id().expect("message id").to_string();
    assert!(chloe[1].body_text(0).expect("text").contains("Try restarting."));
    let resolved = chloe[2].body_text(0).expect("text").to_string();
    assert!(resolved.contains("rate the help"), "{resolved}");
    assert!(chloe[3].body_text(0).expect("text").contains("is closed"));
    for pair in chloe.windows(2) {
        let parent = pair[0].message_id().expect("parent id");
        assert_eq!(pair[1].subject(), Some("Re: [SUP-0001] VPN down"));
        assert_eq!(pair[1].in_reply_to().as_text(), Some(parent));
        let references: Vec<String> = match pair[1].references() {
            mail_parser::HeaderValue::TextList(list) => list.iter().map(|text| text.to_string()).collect(),
            mail_parser::HeaderValue::Text(text) => vec![text.to_string()],
            other => panic!("references: {other:?}"),
        };
        assert_eq!(references.first(), Some(&root_id));
        assert_eq!(references.last().map(String::as_str), Some(parent));
    }
    let ids: std::collections::HashSet<&str> = messages.iter().filter_map(|message| message.message_id()).collect();
    assert_eq!(ids.len(), expected, "Message-IDs are unique");

    // alice: assigned (from root), chloe's reply on SUP-0001, chloe's reply on the unassigned SUP-0002.
    let to_alice: Vec<&Message> =
        messages.iter().filter(|message| recipient(message) == "alice@example.test").collect();
    assert_eq!(to_alice.len(), 3);
    assert!(to_alice[0].body_text(0).expect("text").contains("assigned ticket SUP-0001"));
    assert!(to_alice[1].body_text(0).expect("text").contains("Still down."));
    assert!(to_alice[2].body_text(0).expect("text").contains("Any news?"));
    let to_bruno: Vec<&Message> =
        messages.iter().filter(|message| recipient(message) == "bruno@example.test").collect();
    assert_eq!(to_bruno.len(), 1);
    let to_root: Vec<&Message> = messages.iter().filter(|message| recipient(message) == "root@example.test").collect();
    assert_eq!(to_root.len(), 1);
    assert!(to_root[0].body_text(0).expect("text").contains("ESCALATION-REASON network"));
}

#[sqlx::test]
async fn mail_waits_while_smtp_is_down_and_arrives_when_it_is_back(pool: PgPool) {
    let port = free_port();
    let (app, _settings, _worker) = spawn_app(pool.clone(), port).await;
    app.create_user("chloe", Role::Requester).await;
    let chloe = app.logged_in("chloe").await;
    // SMTP is down: the change still succeeds.
    create_ticket(&app, &chloe, "Mail server hiccup").await;
    wait_until("a failed attempt", || async {
        let row: (i32, Option<String>, String) =
            sqlx::query_as("select attempts, last_error, status::text from outbox")
                .fetch_one(&pool)
                .await
                .expect("row");
        row.0 >= 2 && row.1.is_some() && row.2 == "pending"
    })
    .await;
    let smtp = SmtpServer::start(port, &temporary_directory("smtp-late"));
    wait_until("the mail after SMTP came back", || async { smtp.messages().len() == 1 }).await;
    wait_until("the row sent", || async { outbox_counts(&pool).await == (0, 1, 0) }).await;
    let message = MessageParser::default().parse(&smtp.messages()[0]).expect("parse").subject().map(str::to_string);
    assert_eq!(message.as_deref(), Some("[SUP-0001] Mail server hiccup"));
}

#[sqlx::test]
async fn two_workers_never_send_the_same_row_twice(pool: PgPool) {
    let port = free_port();
    let smtp = SmtpServer::start(port, &temporary_directory("smtp-two"));
    // No worker yet: rows pile up in the outbox.
    let settings = Arc::new(Settings { mail: Some(mail_settings(port)), ..Settings::default() });
    let app = TestApp::spawn_with(pool.clone(), (*settings).clone()).await;
    app.create_user("chloe", Role::Requester).await;
    let chloe = app.logged_in("chloe").await;
    let tickets = 30;
    for number in 0..tickets {
        create_ticket(&app, &chloe, &format!("Ticket {number}")).await;
    }
    assert_eq!(outbox_counts(&pool).await, (tickets, 0, 0));
    let options = WorkerOptions { batch: 2, ..fast_options() };
    let first = Worker::spawn(pool.clone(), settings.clone(), options.clone()).expect("worker");
    let second = Worker::spawn(pool.clone(), settings.clone(), options).expect("worker");
    wait_until("every row sent", || async { outbox_counts(&pool).await == (0, tickets, 0) }).await;
    wait_until("every mail", || async { smtp.messages().len() as i64 >= tickets }).await;
    first.stop();
    second.stop();
    let parser = MessageParser::default();
    let raw = smtp.messages();
    let ids: std::collections::HashSet<String> =
        raw.iter().map(|bytes| parser.parse(bytes).expect("parse").message_id().expect("id").to_string()).collect();
    assert_eq!(raw.len() as i64, tickets, "no row was sent twice");
    assert_eq!(ids.len() as i64, tickets);
    let attempts: i64 =
        sqlx::query_scalar("select sum(attempts)::bigint from outbox").fetch_one(&pool).await.expect("attempts");
    assert_eq!(attempts, tickets, "one attempt per row");
}

/// The Discord stand-in: records every request; answers the first with a 429.
#[derive(Clone, Default)]
struct DiscordStandIn {
    requests: Arc<Mutex<Vec<(Instant, Value)>>>,
}

async fn discord_webhook(State(stand_in): State<DiscordStandIn>, body: axum::Json<Value>) -> impl IntoResponse {
    let mut requests = stand_in.requests.lock().expect("lock");
    requests.push((Instant::now(), body.0));
    if requests.len() == 1 {
        (
            StatusCode::TOO_MANY_REQUESTS,
            axum::Json(json!({"message": "You are being rate limited.", "retry_after": 0.8, "global": false})),
        )
            .into_response()
    } else {
        StatusCode::NO_CONTENT.into_response()
    }
}

async fn start_discord() -> (SocketAddr, DiscordStandIn) {
    let stand_in = DiscordStandIn::default();
    let router = Router::new().route("/api/webhooks/{id}/{token}", post(discord_webhook)).with_state(stand_in.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, router).await.expect("serve") });
    (address, stand_in)
}

#[sqlx::test]
async fn discord_gets_an_embed_and_its_rate_limit_is_honoured(pool: PgPool) {
    let (discord, stand_in) = start_discord().await;
    // No SMTP: emails stay pending; Discord goes out.
    let settings = Arc::new(Settings { public_url: "http://help.guichet.test".into(), ..Settings::default() });
    let app = TestApp::spawn_with(pool.clone(), (*settings).clone()).await;
    let _worker = Worker::spawn(pool.clone(), settings.clone(), fast_options()).expect("worker");
    let root = app.create_user("root", Role::Admin).await;
    app.create_user("chloe", Role::Requester).await;
    app.create_user("alice", Role::Agent).await;
    let admin = Caller { user: Some(root), address: None };
    let input = WebhookInput {
        queue: "support".into(),
        name: "#support".into(),
        url: format!("http://{discord}/api/webhooks/123/SECRET-TOKEN"),
        kinds: vec![NotificationKind::TicketCreated, NotificationKind::TicketEscalated],
        active: true,
    };
    let webhook = notifications::create_webhook(&pool, &admin, &input).await.expect("webhook");
    assert_eq!(webhook.url, format!("http://{discord}/api/webhooks/123/…"));
    let chloe = app.logged_in("chloe").await;
    let alice = app.logged_in("alice").await;
    create_ticket(&app, &chloe, "VPN down").await;
    let (status, _) = app.post(&alice, "/tickets/SUP-0001/escalate", json!({"reason": "Whole office"})).await;
    assert_eq!(status, 200);
    // A reply is not among this webhook's kinds.
    let (status, _) = app.post(&chloe, "/tickets/SUP-0001/messages", json!({"body": "Hello?"})).await;
    assert_eq!(status, 201);

    wait_until("both Discord messages", || async {
        let discord_sent: i64 =
            sqlx::query_scalar("select count(*) from outbox where channel = 'discord' and status = 'sent'")
                .fetch_one(&pool)
                .await
                .expect("count");
        discord_sent == 2
    })
    .await;
    let requests = stand_in.requests.lock().expect("lock").clone();
    assert_eq!(requests.len(), 3, "one 429, then the two messages");
    for (at, _) in &requests[1..] {
        assert!(*at - requests[0].0 >= Duration::from_millis(800), "retry_after was honoured");
    }
    let kind_of = |(_, body): &&(Instant, Value)| body["embeds"][0]["footer"]["text"].as_str().map(str::to_string);
    let find = |kind: &str| requests[1..].iter().find(|request| kind_of(request).as_deref() == Some(kind)).expect(kind);
    let (_, created) = find("ticket_created");
    let embed = &created["embeds"][0];
    assert_eq!(embed["title"], "[SUP-0001] VPN down");
    assert_eq!(embed["url"], "http://help.guichet.test/tickets/SUP-0001");
    assert_eq!(embed["color"], 0xF0A020);
    assert!(embed["description"].as_str().expect("description").contains("New ticket from chloe"));
    assert_eq!(embed["fields"][0], json!({"name": "Requester", "value": "chloe", "inline": true}));
    assert_eq!(embed["fields"][1]["value"], "high");
    assert_eq!(created["allowed_mentions"], json!({"parse": []}));
    let escalated = &find("ticket_escalated").1["embeds"][0];
    assert!(escalated["description"].as_str().expect("description").contains("Escalated by alice"));
    assert!(escalated["description"].as_str().expect("description").contains("Whole office"));
    // Without SMTP, emails wait in the outbox, visibly unsent, never attempted.
    let pending: Vec<(i32,)> =
        sqlx::query_as("select attempts from outbox where channel = 'email' and status = 'pending'")
            .fetch_all(&pool)
            .await
            .expect("pending");
    assert!(!pending.is_empty() && pending.iter().all(|(attempts,)| *attempts == 0));
    let errors: Vec<Option<String>> =
        sqlx::query_scalar("select last_error from outbox").fetch_all(&pool).await.expect("errors");
    assert!(errors.iter().flatten().all(|error| !error.contains("SECRET-TOKEN")));
}

#[sqlx::test]
async fn inbox_preferences_and_the_admin_outbox_over_the_api(pool: PgPool) {
    // No SMTP and no worker: rows stay pending.
    let app = TestApp::spawn(pool.clone()).await;
    let chloe_user = app.create_user("chloe", Role::Requester).await;
    app.create_user("alice", Role::Agent).await;
    app.create_user("root", Role::Admin).await;
    let chloe = app.logged_in("chloe").await;
    let alice = app.logged_in("alice").await;
    let root = app.logged_in("root").await;

    // chloe wants agent replies in the app only.
    let (status, body) = app
        .put(
            &chloe,
            "/notifications/preferences",
            json!({"preferences": [{"kind": "agent_replied", "email": false, "in_app": true}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let replied = body["preferences"].as_array().expect("list").iter().find(|p| p["kind"] == "agent_replied").cloned();
    assert_eq!(replied, Some(json!({"kind": "agent_replied", "email": false, "in_app": true})));
    // Each role is offered what it can receive: a requester is never assigned a ticket nor told of escalations.
    let kinds = |body: &Value| -> Vec<String> {
        body["preferences"].as_array().expect("list").iter().map(|p| p["kind"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(kinds(&body), ["ticket_created", "agent_replied", "ticket_resolved", "ticket_closed"]);
    let (_, agent_choices) = app.get(&alice, "/notifications/preferences").await;
    assert!(kinds(&agent_choices).contains(&"ticket_assigned".to_string()), "{agent_choices}");
    assert!(!kinds(&agent_choices).contains(&"ticket_escalated".to_string()), "{agent_choices}");
    let (status, body) =
        app.put(&chloe, "/notifications/preferences", json!({"preferences": [{"kind": "nope", "email": true}]})).await;
    assert_eq!(status, 422, "{body}");

    create_ticket(&app, &chloe, "VPN down").await;
    let (status, _) = app.post(&alice, "/tickets/SUP-0001/messages", json!({"body": "On it."})).await;
    assert_eq!(status, 201);
    let (status, _) =
        app.post(&alice, "/tickets/SUP-0001/messages", json!({"body": "x", "kind": "internal_note"})).await;
    assert_eq!(status, 201);
    let emails: Vec<String> = sqlx::query_scalar("select kind::text from outbox where user_id = $1 order by id")
        .bind(chloe_user.id)
        .fetch_all(&pool)
        .await
        .expect("emails");
    assert_eq!(emails, ["ticket_created"], "no email for the reply, by chloe's choice");

    // The bell: alice's reply; not chloe's own new ticket, never the note.
    let (status, body) = app.get(&chloe, "/notifications").await;
    assert_eq!(status, 200);
    assert_eq!(body["unread"], 1);
    let first = &body["notifications"][0];
    assert_eq!(first["kind"], "agent_replied");
    assert_eq!(first["reference"], "SUP-0001");
    assert_eq!(first["title"], "alice replied on SUP-0001: VPN down");
    // alice is notified of nothing she did herself; someone else's ids are left alone.
    let (_, body) = app.get(&alice, "/notifications").await;
    assert_eq!(body["unread"], 0);
    let (status, body) = app.post(&alice, "/notifications/read", json!({"ids": [first["id"]]})).await;
    assert_eq!((status.as_u16(), body["unread"].clone()), (200, json!(0)));
    let (_, body) = app.get(&chloe, "/notifications?unread=true").await;
    assert_eq!(body["notifications"].as_array().expect("list").len(), 1);
    let (status, body) = app.post(&chloe, "/notifications/read", json!({})).await;
    assert_eq!((status.as_u16(), body["unread"].clone()), (200, json!(0)));

    // Admins: the outbox and a retry of a failed row.
    let (status, _) = app.get(&chloe, "/admin/outbox").await;
    assert_eq!(status, 403);
    let (status, body) = app.get(&root, "/admin/outbox?status=pending").await;
    assert_eq!(status, 200);
    let pending = body["outbox"].as_array().expect("list");
    assert_eq!(pending[pending.len() - 1]["recipient"], "chloe@example.test");
    let id = pending[0]["id"].as_i64().expect("id");
    let (status, _) = app.post(&root, &format!("/admin/outbox/{id}/retry"), json!({})).await;
    assert_eq!(status, 409, "only failed rows are retried");
    sqlx::query("update outbox set status = 'failed', last_error = 'gave up' where id = $1")
        .bind(id)
        .execute(&pool)
        .await
        .expect("fail");
    let (_, body) = app.get(&root, "/admin/outbox?status=failed").await;
    assert_eq!(body["outbox"][0]["last_error"], "gave up");
    let (status, _) = app.post(&root, &format!("/admin/outbox/{id}/retry"), json!({})).await;
    assert_eq!(status, 204);
    let (_, body) = app.get(&root, "/admin/outbox?status=failed").await;
    assert_eq!(body["outbox"], json!([]));

    // Defaults (admins) apply to users without a choice of their own.
    let (status, _) = app
        .put(
            &root,
            "/admin/notifications/defaults",
            json!({"preferences": [{"kind": "ticket_created", "email": false, "in_app": false}]}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, body) = app.get(&alice, "/notifications/preferences").await;
    assert_eq!(body["preferences"][0], json!({"kind": "ticket_created", "email": false, "in_app": false}));

    // Webhooks: validated, URL masked.
    let (status, body) = app
        .post(
            &root,
            "/admin/webhooks",
            json!({"queue": "support", "name": "x", "url": "http://example.com/h", "kinds": []}),
        )
        .await;
    assert_eq!(status, 422);
    assert!(body["error"]["fields"]["url"].is_string() && body["error"]["fields"]["kinds"].is_string(), "{body}");
    let (status, body) = app
        .post(
            &root,
            "/admin/webhooks",
            json!({"queue": "support", "name": "#support", "url": "https://discord.com/api/webhooks/1/TOKEN",
                   "kinds": ["ticket_created", "ticket_escalated"]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["webhook"]["url"], "https://discord.com/api/webhooks/1/…");
    let (_, body) = app.get(&root, "/admin/webhooks").await;
    assert!(!body.to_string().contains("TOKEN"));
    let (status, _) = app.get(&alice, "/admin/webhooks").await;
    assert_eq!(status, 403);
}
