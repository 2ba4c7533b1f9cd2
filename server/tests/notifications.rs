//! Notifications (issue 6) against real servers on loopback: a real SMTP
//! server (Python's aiosmtpd, writing a maildir) receives the mails, which are
//! parsed here; a local HTTP server stands in for Discord.

use crate::common;

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
        lease_renewal: Duration::from_secs(20),
        batch: 20,
        timeout: Duration::from_secs(5),
    }
}

/// The app with mail going to 127.0.0.1:`smtp_port`, and one worker, on an
/// English-speaking desk (Discord messages are in the desk's language; the
/// tests read them in English).
async fn spawn_app(pool: PgPool, smtp_port: u16) -> (TestApp, Arc<Settings>, WorkerHandle) {
    let desk = app::i18n::Viewer { language: app::i18n::Language::en, time_zone: "Europe/Paris".into() };
    let settings = Settings { mail: Some(mail_settings(smtp_port)), desk, ..Settings::default() };
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

/// Issue 13: a French-speaking requester (who registered from a French
/// page) and an English-speaking agent on the same ticket each get every
/// mail, and their in-app notifications, in their own language, whoever
/// sends them.
#[sqlx::test]
async fn each_recipient_reads_mail_in_their_own_language(pool: PgPool) {
    let port = free_port();
    let smtp = SmtpServer::start(port, &temporary_directory("smtp-languages"));
    let (app, _settings, _worker) = spawn_app(pool.clone(), port).await;
    // The requester registers from a French page (Accept-Language: fr).
    let camille = app.browser();
    let response = camille
        .post(app.url("/api/v1/auth/register"))
        .header("accept-language", "fr-FR,fr;q=0.9")
        .json(&json!({"username": "camille", "email": "camille@example.test", "password": common::password_of("camille")}))
        .send()
        .await
        .expect("register");
    assert_eq!(response.status(), reqwest::StatusCode::CREATED);
    let camille = app.logged_in("camille").await;
    let alice = app.create_user_in("alice", Role::Agent, "en").await;
    let alice_client = app.logged_in("alice").await;

    // camille's client sends Accept-Language: en, yet her mail is French: the
    // recipient's language counts, not the sender's page.
    let reference = create_ticket(&app, &camille, "Commande bloquée").await;
    let (status, _) =
        app.post(&alice_client, &format!("/tickets/{reference}/assign"), json!({"agent_id": alice.id})).await;
    assert_eq!(status, 200);
    let (status, _) = app
        .post(&alice_client, &format!("/tickets/{reference}/messages"), json!({"body": "Which order number?"}))
        .await;
    assert_eq!(status, 201);
    let (status, _) =
        app.post(&camille, &format!("/tickets/{reference}/messages"), json!({"body": "La 2026-114."})).await;
    assert_eq!(status, 201);

    // camille: receipt and alice's reply; alice: camille's reply (not her own assignment).
    wait_until("every mail", || async { smtp.messages().len() >= 3 }).await;
    wait_until("the outbox settled", || async { outbox_counts(&pool).await == (0, 3, 0) }).await;
    let parser = MessageParser::default();
    let raw = smtp.messages();
    let messages: Vec<Message> = raw.iter().map(|bytes| parser.parse(bytes).expect("parse mail")).collect();
    let to = |address: &str| messages.iter().filter(|message| recipient(message) == address).collect::<Vec<_>>();
    let (to_camille, to_alice) = (to("camille@example.test"), to("alice@example.test"));
    assert_eq!((to_camille.len(), to_alice.len()), (2, 1));

    let receipt = to_camille.iter().find(|message| message.in_reply_to().as_text().is_none()).expect("the receipt");
    let text = receipt.body_text(0).expect("text").to_string();
    let html = receipt.body_html(0).expect("html").to_string();
    assert!(text.starts_with("Bonjour camille,"), "{text}");
    assert!(text.contains("Nous avons bien reçu votre ticket SUP-0001 « Commande bloquée »"), "{text}");
    assert!(text.contains("Ouvrir le ticket : http://help.guichet.test/tickets/SUP-0001"), "{text}");
    assert!(html.contains("<html lang=\"fr\">") && html.contains("Ouvrir SUP-0001"), "{html}");
    assert_eq!(receipt.subject(), Some("[SUP-0001] Commande bloquée"));
    let reply = to_camille.iter().find(|message| message.in_reply_to().as_text().is_some()).expect("the reply");
    assert_eq!(reply.subject(), Some("Re : [SUP-0001] Commande bloquée"));
    let text = reply.body_text(0).expect("text").to_string();
    assert!(text.contains("alice a répondu sur votre ticket SUP-0001"), "{text}");
    assert!(text.contains("Which order number?") && text.contains("merci de répondre sur la page du ticket"), "{text}");

    let text = to_alice[0].body_text(0).expect("text").to_string();
    let html = to_alice[0].body_html(0).expect("html").to_string();
    assert!(text.starts_with("Hello alice,"), "{text}");
    assert!(text.contains("camille replied on ticket SUP-0001 “Commande bloquée”:"), "{text}");
    assert!(text.contains("La 2026-114.") && text.contains("please answer on the ticket page"), "{text}");
    assert!(html.contains("<html lang=\"en\">"), "{html}");

    // The bell's lines too: camille's in French, alice's in English.
    let (_, inbox) = app.get(&camille, "/notifications").await;
    let titles: Vec<&str> =
        inbox["notifications"].as_array().unwrap().iter().filter_map(|line| line["title"].as_str()).collect();
    assert!(titles.contains(&"alice a répondu sur SUP-0001 : Commande bloquée"), "{titles:?}");
    let (_, inbox) = app.get(&alice_client, "/notifications").await;
    let titles: Vec<&str> =
        inbox["notifications"].as_array().unwrap().iter().filter_map(|line| line["title"].as_str()).collect();
    assert!(titles.contains(&"camille replied on SUP-0001: Commande bloquée"), "{titles:?}");
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
    // No SMTP: emails stay pending; Discord goes out, in the desk's language
    // (English here).
    let desk = app::i18n::Viewer { language: app::i18n::Language::en, time_zone: "Europe/Paris".into() };
    let settings = Arc::new(Settings {
        public_url: "http://help.guichet.test".into(),
        desk,
        webhook_allow_private: true,
        ..Settings::default()
    });
    let app = TestApp::spawn_with(pool.clone(), (*settings).clone()).await;
    let _worker = Worker::spawn(pool.clone(), settings.clone(), fast_options()).expect("worker");
    let root = app.create_user("root", Role::Admin).await;
    app.create_user("chloe", Role::Requester).await;
    app.create_user("alice", Role::Agent).await;
    let admin = Caller { user: Some(root), address: None, token_scope: None, two_factor_missing: false };
    let input = WebhookInput {
        queue: "support".into(),
        name: "#support".into(),
        url: format!("http://{discord}/api/webhooks/123/SECRET-TOKEN"),
        kinds: vec![NotificationKind::TicketCreated, NotificationKind::TicketEscalated],
        active: true,
    };
    let webhook = notifications::create_webhook(&pool, &settings, &admin, &input).await.expect("webhook");
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
    // The nonce names the outbox row: the rate-limited first attempt and its retry carry the same.
    let created_row: i64 =
        sqlx::query_scalar("select id from outbox where channel = 'discord' and kind = 'ticket_created'")
            .fetch_one(&pool)
            .await
            .expect("row");
    assert_eq!(created["nonce"], notifications::discord_nonce(created_row));
    assert_eq!(created["enforce_nonce"], true);
    let first_nonce = &requests[0].1["nonce"];
    assert!(requests[1..].iter().any(|(_, body)| &body["nonce"] == first_nonce), "a retry keeps its nonce");
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
    assert_eq!(kinds(&body), ["ticket_created", "agent_replied", "ticket_resolved", "ticket_closed", "error_detected"]);
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

#[sqlx::test]
async fn a_requester_reply_reaches_sixty_agents_once_each_threaded(pool: PgPool) {
    // No SMTP: the rows stay in the outbox, where this test reads them.
    let app = TestApp::spawn(pool.clone()).await;
    app.create_user("chloe", Role::Requester).await;
    let mut agents = Vec::new();
    for number in 0..60 {
        agents.push(app.create_user(&format!("agent{number:02}"), Role::Agent).await);
    }
    let chloe = app.logged_in("chloe").await;
    create_ticket(&app, &chloe, "Printer jam").await;
    let ticket_id: i64 =
        sqlx::query_scalar("select id from tickets where number = 1").fetch_one(&pool).await.expect("ticket");

    let mut first_mail = std::collections::HashMap::new();
    for (round, body) in ["Any news?", "Still jammed."].into_iter().enumerate() {
        let (status, reply) = app.post(&chloe, "/tickets/SUP-0001/messages", json!({"body": body})).await;
        assert_eq!(status, 201, "{reply}");
        let event_id: i64 = sqlx::query_scalar(
            "select id from ticket_events where ticket_id = $1 and action = 'replied' order by id desc limit 1",
        )
        .bind(ticket_id)
        .fetch_one(&pool)
        .await
        .expect("event");
        // The reply itself wrote one row for every agent, not 60 of each (issue 12)...
        let pending = |table: &'static str| {
            let pool = pool.clone();
            async move {
                sqlx::query_scalar::<_, i64>(&format!("select count(*) from {table} where event_id = $1"))
                    .bind(event_id)
                    .fetch_one(&pool)
                    .await
                    .expect("count")
            }
        };
        assert_eq!(
            (pending("notification_fan_outs").await, pending("notifications").await, pending("outbox").await),
            (1, 0, 0),
            "the reply's own transaction"
        );
        // ...which a worker's round expands, once, into each agent's rows.
        assert_eq!(notifications::expand_fan_outs(&pool, true).await.expect("expand"), 1);
        assert_eq!(notifications::expand_fan_outs(&pool, true).await.expect("expand again"), 0);
        assert_eq!(pending("notification_fan_outs").await, 0);
        let inbox: Vec<(i64, String, String)> =
            sqlx::query_as("select user_id, kind::text, title from notifications where event_id = $1 order by user_id")
                .bind(event_id)
                .fetch_all(&pool)
                .await
                .expect("inbox");
        let mails: Vec<(i64, i64, String, Value)> = sqlx::query_as(
            "select id, user_id, kind::text, payload from outbox where event_id = $1 and channel = 'email'
             order by user_id",
        )
        .bind(event_id)
        .fetch_all(&pool)
        .await
        .expect("mails");
        let agent_ids: Vec<i64> = agents.iter().map(|agent| agent.id).collect();
        assert_eq!(inbox.iter().map(|row| row.0).collect::<Vec<_>>(), agent_ids, "one inbox line per agent");
        assert_eq!(mails.iter().map(|row| row.1).collect::<Vec<_>>(), agent_ids, "one mail per agent");
        for (_, kind, title) in &inbox {
            assert_eq!(kind, "requester_replied");
            assert_eq!(title, "chloe replied on SUP-0001: Printer jam");
        }
        for ((outbox_id, user_id, kind, payload), agent) in mails.iter().zip(&agents) {
            assert_eq!(*user_id, agent.id);
            assert_eq!(kind, "requester_replied");
            let keys: Vec<&String> = payload.as_object().expect("object").keys().collect();
            assert_eq!(
                keys,
                [
                    "actor",
                    "body",
                    "in_reply_to",
                    // Issue 13: the recipient's language, rendered at send time.
                    "language",
                    "priority",
                    "reason",
                    "recipient",
                    "reference",
                    "root",
                    "subject",
                    "thread",
                    "to"
                ],
                "the worker's EmailPayload shape"
            );
            assert_eq!(payload["to"], format!("{}@example.test", agent.username), "{payload}");
            assert_eq!(payload["recipient"], agent.username.as_str());
            assert_eq!(payload["body"], body);
            assert_eq!(payload["actor"], "chloe");
            assert_eq!(payload["root"], false);
            assert!(payload["reason"].is_null());
            let thread = payload["thread"].as_str().expect("thread");
            assert!(thread.starts_with(&format!("guichet.{ticket_id}.")), "{payload}");
            if round == 0 {
                // The agents got no mail about this ticket before: a new branch of the thread.
                assert!(payload["in_reply_to"].is_null(), "{payload}");
                first_mail.insert(agent.id, format!("{thread}.{outbox_id}"));
            } else {
                assert_eq!(payload["in_reply_to"], first_mail[&agent.id].as_str(), "the second mail follows the first");
            }
        }
    }
    // The requester hears nothing of their own replies.
    let to_chloe: i64 = sqlx::query_scalar(
        "select count(*) from outbox o join users u on u.id = o.user_id where u.username = 'chloe' and o.kind <> 'ticket_created'",
    )
    .fetch_one(&pool)
    .await
    .expect("count");
    assert_eq!(to_chloe, 0);
}

/// Four workers' expansion rounds at once; how many fan-outs they expanded in all.
async fn expansion_rounds(pool: &PgPool, with_email: bool) -> usize {
    let (first, second, third, fourth) = tokio::join!(
        notifications::expand_fan_outs(pool, with_email),
        notifications::expand_fan_outs(pool, with_email),
        notifications::expand_fan_outs(pool, with_email),
        notifications::expand_fan_outs(pool, with_email),
    );
    [first, second, third, fourth].into_iter().map(|round| round.expect("round")).sum()
}

#[sqlx::test]
async fn workers_expand_each_fan_out_once_at_the_time_of_its_change(pool: PgPool) {
    // No SMTP and no running worker: this test runs the expansion rounds.
    let app = TestApp::spawn(pool.clone()).await;
    app.create_user("chloe", Role::Requester).await;
    let mut agents = Vec::new();
    for number in 0..5 {
        agents.push(app.create_user(&format!("agent{number}"), Role::Agent).await);
    }
    let chloe = app.logged_in("chloe").await;
    for number in 1..=8 {
        let reference = create_ticket(&app, &chloe, &format!("Ticket {number}")).await;
        let (status, body) =
            app.post(&chloe, &format!("/tickets/{reference}/messages"), json!({"body": "Any news?"})).await;
        assert_eq!(status, 201, "{body}");
    }
    // Four workers' rounds at once, none able to send mail: each fan-out's
    // inbox lines are written by exactly one, and its mail waits.
    let counts = |agent_id: i64| {
        let pool = pool.clone();
        async move {
            sqlx::query_as::<_, (i64, i64, i64, i64)>(
                "select count(*), count(distinct event_id),
                    (select count(*) from outbox where user_id = $1 and kind = 'requester_replied'),
                    (select count(*) from notification_fan_outs)
                 from notifications where user_id = $1 and kind = 'requester_replied'",
            )
            .bind(agent_id)
            .fetch_one(&pool)
            .await
            .expect("counts")
        }
    };
    assert_eq!(expansion_rounds(&pool, false).await, 8);
    assert_eq!(expansion_rounds(&pool, false).await, 0, "nothing more to do without mail");
    for agent in &agents {
        assert_eq!(counts(agent.id).await, (8, 8, 0, 8), "{}", agent.username);
    }
    // Once mail can be sent, the mail follows, and the inbox lines are not written again.
    assert_eq!(expansion_rounds(&pool, true).await, 8);
    for agent in &agents {
        assert_eq!(counts(agent.id).await, (8, 8, 8, 0), "{}", agent.username);
    }
    // An inbox line written later still carries the time of its change.
    let late: i64 = sqlx::query_scalar(
        "select count(*) from notifications n join ticket_events e on e.id = n.event_id where n.created_at <> e.created_at",
    )
    .fetch_one(&pool)
    .await
    .expect("times");
    assert_eq!(late, 0);
}

// ---------------------------------------------------------------------------
// Outgoing requests cannot be aimed inside (issue 20, item 7)
// ---------------------------------------------------------------------------

/// The worker's settings: no SMTP; `allow_private` lets webhooks reach the
/// loopback stand-ins (`GUICHET_WEBHOOK_ALLOW_PRIVATE=1`).
fn worker_settings(allow_private: bool) -> Arc<Settings> {
    Arc::new(Settings {
        public_url: "http://help.guichet.test".into(),
        webhook_allow_private: allow_private,
        ..Settings::default()
    })
}

/// An app (private destinations allowed, as the stand-ins need) whose support
/// queue has one webhook per URL announcing new tickets, and one new ticket:
/// one pending Discord outbox row per webhook, no worker running.
async fn discord_rows(pool: &PgPool, urls: &[String]) -> TestApp {
    let settings = worker_settings(true);
    let app = TestApp::spawn_with(pool.clone(), (*settings).clone()).await;
    let root = app.create_user("root", Role::Admin).await;
    app.create_user("chloe", Role::Requester).await;
    let admin = Caller { user: Some(root), address: None, token_scope: None, two_factor_missing: false };
    for (number, url) in urls.iter().enumerate() {
        let input = WebhookInput {
            queue: "support".into(),
            name: format!("#hook{number}"),
            url: url.clone(),
            kinds: vec![NotificationKind::TicketCreated],
            active: true,
        };
        notifications::create_webhook(pool, &settings, &admin, &input).await.expect("webhook");
    }
    let chloe = app.logged_in("chloe").await;
    create_ticket(&app, &chloe, "VPN down").await;
    app
}

/// `(webhook name, status, last_error)` of every Discord row, by webhook name.
async fn discord_outcomes(pool: &PgPool) -> Vec<(String, String, Option<String>)> {
    sqlx::query_as(
        "select w.name, o.status::text, o.last_error from outbox o join discord_webhooks w on w.id = o.webhook_id
         order by w.name",
    )
    .fetch_all(pool)
    .await
    .expect("outcomes")
}

#[sqlx::test]
async fn webhook_urls_aimed_inside_are_refused_when_saved(pool: PgPool) {
    // GUICHET_WEBHOOK_ALLOW_PRIVATE is off, as in production.
    let app = TestApp::spawn(pool.clone()).await;
    app.create_user("root", Role::Admin).await;
    let root = app.logged_in("root").await;
    let inside = "not a public address";
    let userinfo = "must not contain a user name or password";
    let cases = [
        // The bypass of issue 20: before the @ is a user name and password; the host is 127.0.0.2.
        ("http://127.0.0.1:x@127.0.0.2:3491/api/webhooks/1/t", "must be an https:// URL"),
        ("https://127.0.0.1:x@127.0.0.2:3491/api/webhooks/1/t", userinfo),
        ("https://discord.com@127.0.0.1/api/webhooks/1/t", userinfo),
        ("https://127.0.0.1:3491/api/webhooks/1/t", inside),
        ("https://127.1/api/webhooks/1/t", inside),
        ("https://0x7f.1/api/webhooks/1/t", inside),
        ("https://10.1.2.3/api/webhooks/1/t", inside),
        ("https://100.64.0.1/api/webhooks/1/t", inside),
        ("https://169.254.169.254/latest/meta-data/", inside),
        ("https://192.168.1.1/api/webhooks/1/t", inside),
        ("https://[::1]:3491/api/webhooks/1/t", inside),
        ("https://[::ffff:127.0.0.1]:3491/api/webhooks/1/t", inside),
        ("https://[fd00::1]/api/webhooks/1/t", inside),
        ("https://[fe80::1]/api/webhooks/1/t", inside),
        // A name is judged by what it resolves to (localhost: /etc/hosts, no DNS server needed).
        ("https://localhost:3491/api/webhooks/1/t", inside),
        ("http://localhost:3491/api/webhooks/1/t", "must be an https:// URL"),
    ];
    for (url, reason) in cases {
        let (status, body) = app
            .post(
                &root,
                "/admin/webhooks",
                json!({"queue": "support", "name": "#inside", "url": url, "kinds": ["ticket_created"]}),
            )
            .await;
        assert_eq!(status, 422, "{url}: {body}");
        let field = body["error"]["fields"]["url"].as_str().unwrap_or_default();
        assert!(field.contains(reason), "{url}: {body}");
    }
    // The server function (the admin page's form) refuses the same way.
    let form = [("queue", "support"), ("name", "#inside"), ("url", "https://169.254.169.254/x")];
    let (status, body) = app.server_fn(&root, "create_discord_webhook", &form).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains(inside), "{body}");
    let (_, body) = app.get(&root, "/admin/webhooks").await;
    assert_eq!(body["webhooks"], json!([]), "nothing was saved");

    // A public webhook saves; changing its URL to one inside is refused and keeps the old one.
    let (status, body) = app
        .post(
            &root,
            "/admin/webhooks",
            json!({"queue": "support", "name": "#ok", "url": "https://162.159.135.232/api/webhooks/1/TOKEN",
                   "kinds": ["ticket_created"]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["webhook"]["id"].as_i64().expect("id");
    let (status, body) = app
        .put(
            &root,
            &format!("/admin/webhooks/{id}"),
            json!({"queue": "support", "name": "#ok", "url": "https://127.0.0.1/api/webhooks/1/t",
                   "kinds": ["ticket_created"], "active": true}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["fields"]["url"].as_str().unwrap_or_default().contains(inside), "{body}");
    let stored: String = sqlx::query_scalar("select url from discord_webhooks where id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await
        .expect("url");
    assert_eq!(stored, "https://162.159.135.232/api/webhooks/1/TOKEN");

    // With private destinations allowed (tests, stand-ins), loopback http:// saves, userinfo never does.
    let allowed = TestApp::spawn_with(pool.clone(), (*worker_settings(true)).clone()).await;
    let root = allowed.logged_in("root").await;
    let (status, body) = allowed
        .post(
            &root,
            "/admin/webhooks",
            json!({"queue": "support", "name": "#bypass", "url": "http://127.0.0.1:x@127.0.0.2:3491/api/webhooks/1/t",
                   "kinds": ["ticket_created"]}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["fields"]["url"].as_str().unwrap_or_default().contains(userinfo), "{body}");
    let (status, body) = allowed
        .post(
            &root,
            "/admin/webhooks",
            json!({"queue": "support", "name": "#stand-in", "url": "http://127.0.0.1:3491/api/webhooks/1/t",
                   "kinds": ["ticket_created"]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

#[sqlx::test]
async fn a_stored_webhook_url_aimed_inside_is_refused_at_delivery(pool: PgPool) {
    // Something listening inside: no delivery may even connect to it.
    let inside = TcpListener::bind("127.0.0.1:0").expect("bind");
    inside.set_nonblocking(true).expect("nonblocking");
    let port = inside.local_addr().expect("address").port();
    // Saved while private destinations were allowed (or before these rules).
    discord_rows(
        &pool,
        &[
            format!("https://127.0.0.1:{port}/api/webhooks/1/literal"),
            format!("https://localhost:{port}/api/webhooks/1/resolved"),
            format!("https://[::ffff:127.0.0.1]:{port}/api/webhooks/1/mapped"),
            format!("http://127.0.0.1:{port}/api/webhooks/1/plain"),
            format!("https://127.0.0.1:{port}/api/webhooks/1/userinfo"),
        ],
    )
    .await;
    // A URL with a user name and password, stored before the rules refused it.
    sqlx::query("update discord_webhooks set url = $1 where name = '#hook4'")
        .bind(format!("https://127.0.0.1:x@127.0.0.2:{port}/api/webhooks/1/userinfo"))
        .execute(&pool)
        .await
        .expect("store");
    // The worker runs without GUICHET_WEBHOOK_ALLOW_PRIVATE.
    let worker = Worker::new(pool.clone(), worker_settings(false), fast_options()).expect("worker");
    assert_eq!(worker.run_once().await.expect("round"), 5);

    let outcomes = discord_outcomes(&pool).await;
    let expected = [
        ("#hook0", "not a public address"),
        ("#hook1", "not a public address"),
        ("#hook2", "not a public address"),
        ("#hook3", "must be an https:// URL"),
        ("#hook4", "must not contain a user name or password"),
    ];
    assert_eq!(outcomes.len(), expected.len());
    for ((name, status, error), (expected_name, reason)) in outcomes.iter().zip(expected) {
        assert_eq!((name.as_str(), status.as_str()), (expected_name, "failed"), "{error:?}");
        let error = error.as_deref().unwrap_or_default();
        assert!(error.starts_with("the webhook URL is refused: ") && error.contains(reason), "{name}: {error}");
        let tokens = ["literal", "resolved", "mapped", "plain", "userinfo"];
        assert!(!tokens.iter().any(|token| error.contains(token)), "the URL (its token) is not recorded: {error}");
    }
    // Settled means every attempt is over: had one connected, its connection would be waiting here.
    match inside.accept() {
        Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("a delivery connected inside: {other:?}"),
    }
}

/// A stand-in whose webhook answers 307 to another of its paths, counting
/// the requests that reach that other path.
async fn start_redirecting_discord() -> (SocketAddr, Arc<Mutex<usize>>) {
    let followed = Arc::new(Mutex::new(0));
    let counter = followed.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let router = Router::new()
        .route(
            "/api/webhooks/{id}/{token}",
            post(move || async move {
                (StatusCode::TEMPORARY_REDIRECT, [(axum::http::header::LOCATION, format!("http://{address}/inside"))])
            }),
        )
        .route(
            "/inside",
            post(move || async move {
                *counter.lock().expect("lock") += 1;
                StatusCode::NO_CONTENT
            }),
        );
    tokio::spawn(async move { axum::serve(listener, router).await.expect("serve") });
    (address, followed)
}

#[sqlx::test]
async fn a_redirect_is_never_followed_and_fails_the_delivery(pool: PgPool) {
    let (discord, followed) = start_redirecting_discord().await;
    discord_rows(&pool, &[format!("http://{discord}/api/webhooks/1/t")]).await;
    // Even with private destinations allowed: a redirect's target was never checked.
    let worker = Worker::new(pool.clone(), worker_settings(true), fast_options()).expect("worker");
    assert_eq!(worker.run_once().await.expect("round"), 1);
    let outcomes = discord_outcomes(&pool).await;
    assert_eq!(outcomes.len(), 1);
    let (_, status, error) = &outcomes[0];
    assert_eq!(status, "failed");
    assert_eq!(error.as_deref(), Some("Discord answered 307 Temporary Redirect; redirects are not followed"));
    assert_eq!(*followed.lock().expect("lock"), 0, "the redirect was followed");
}

// ---------------------------------------------------------------------------
// Delivery says what it guarantees (issue 20, item 8)
// ---------------------------------------------------------------------------

/// A request held by [`start_held_discord`]: its body, and the answer to give.
struct HeldRequest {
    body: Value,
    answer: tokio::sync::oneshot::Sender<StatusCode>,
}

/// A Discord stand-in that hands every request to the test and answers it
/// only when the test says how.
async fn start_held_discord() -> (SocketAddr, tokio::sync::mpsc::UnboundedReceiver<HeldRequest>) {
    let (arrivals, arrived) = tokio::sync::mpsc::unbounded_channel();
    let router = Router::new().route(
        "/api/webhooks/{id}/{token}",
        post(move |body: axum::Json<Value>| {
            let arrivals = arrivals.clone();
            async move {
                let (answer, answered) = tokio::sync::oneshot::channel();
                let _ = arrivals.send(HeldRequest { body: body.0, answer });
                answered.await.unwrap_or(StatusCode::SERVICE_UNAVAILABLE)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, router).await.expect("serve") });
    (address, arrived)
}

async fn next_request(arrived: &mut tokio::sync::mpsc::UnboundedReceiver<HeldRequest>) -> HeldRequest {
    tokio::time::timeout(DEADLINE, arrived.recv()).await.expect("a request in time").expect("the stand-in runs")
}

/// The one Discord row: `(id, status, lease_token, claimed_until, sent_at, attempts)`.
type LeaseState =
    (i64, String, Option<i64>, Option<chrono::DateTime<chrono::Utc>>, Option<chrono::DateTime<chrono::Utc>>, i32);

async fn lease_state(pool: &PgPool) -> LeaseState {
    sqlx::query_as(
        "select id, status::text, lease_token, claimed_until, sent_at, attempts from outbox where channel = 'discord'",
    )
    .fetch_one(pool)
    .await
    .expect("the Discord row")
}

#[sqlx::test]
async fn the_lease_of_a_slow_send_is_renewed_until_it_is_sent(pool: PgPool) {
    let (discord, mut arrived) = start_held_discord().await;
    discord_rows(&pool, &[format!("http://{discord}/api/webhooks/1/t")]).await;
    let options = WorkerOptions { lease_renewal: Duration::from_millis(100), ..fast_options() };
    let worker = Arc::new(Worker::new(pool.clone(), worker_settings(true), options).expect("worker"));
    let round = tokio::spawn({
        let worker = worker.clone();
        async move { worker.run_once().await }
    });
    let request = next_request(&mut arrived).await;
    let (id, status, token, claimed_until, _, _) = lease_state(&pool).await;
    assert_eq!(status, "pending");
    assert!(token.is_some());
    let claimed_until = claimed_until.expect("leased while sending");
    assert_eq!(request.body["nonce"], notifications::discord_nonce(id));
    assert_eq!(request.body["enforce_nonce"], true);
    // The send is held until the lease has been seen renewed, by the same claim.
    wait_until("the lease renewed during the send", || async {
        let (_, _, renewed_token, renewed_until, _, _) = lease_state(&pool).await;
        renewed_token == token && renewed_until.is_some_and(|until| until > claimed_until)
    })
    .await;
    request.answer.send(StatusCode::NO_CONTENT).expect("answer");
    assert_eq!(round.await.expect("join").expect("round"), 1);
    let (_, status, token, claimed_until, sent_at, attempts) = lease_state(&pool).await;
    assert_eq!((status.as_str(), token, claimed_until, attempts), ("sent", None, None, 1));
    assert!(sent_at.is_some());
}

#[sqlx::test]
async fn a_worker_whose_lease_was_taken_over_leaves_the_row_to_the_new_holder(pool: PgPool) {
    let (discord, mut arrived) = start_held_discord().await;
    discord_rows(&pool, &[format!("http://{discord}/api/webhooks/1/t")]).await;
    // The first worker never renews during this test (as if stalled); the second takes over.
    let stalled = WorkerOptions { lease_renewal: Duration::from_secs(3600), ..fast_options() };
    let first = Arc::new(Worker::new(pool.clone(), worker_settings(true), stalled).expect("worker"));
    let second = Arc::new(Worker::new(pool.clone(), worker_settings(true), fast_options()).expect("worker"));
    let first_round = tokio::spawn({
        let first = first.clone();
        async move { first.run_once().await }
    });
    let first_request = next_request(&mut arrived).await;
    let (_, _, first_token, _, _, _) = lease_state(&pool).await;
    // The first lease runs out (its stored end moved into the past): the row is due to others.
    sqlx::query("update outbox set claimed_until = now() - interval '1 second' where channel = 'discord'")
        .execute(&pool)
        .await
        .expect("expire the lease");
    let second_round = tokio::spawn({
        let second = second.clone();
        async move { second.run_once().await }
    });
    let second_request = next_request(&mut arrived).await;
    let (_, status, second_token, second_until, _, attempts) = lease_state(&pool).await;
    assert_eq!((status.as_str(), attempts), ("pending", 2));
    assert_ne!(second_token, first_token, "a new claim, a new token");
    // The resend is recognisable: the same nonce.
    assert_eq!(second_request.body["nonce"], first_request.body["nonce"]);

    // The first send completes now: its "sent" mark must not touch the second worker's claim.
    first_request.answer.send(StatusCode::NO_CONTENT).expect("answer");
    assert_eq!(first_round.await.expect("join").expect("round"), 1);
    let (_, status, token, until, sent_at, _) = lease_state(&pool).await;
    assert_eq!((status.as_str(), token, until, sent_at), ("pending", second_token, second_until, None));

    // The second worker marks it sent, once.
    second_request.answer.send(StatusCode::NO_CONTENT).expect("answer");
    assert_eq!(second_round.await.expect("join").expect("round"), 1);
    let (_, status, token, until, sent_at, attempts) = lease_state(&pool).await;
    assert_eq!((status.as_str(), token, until, attempts), ("sent", None, None, 2));
    assert!(sent_at.is_some());
}

#[sqlx::test]
async fn a_worker_that_loses_its_lease_mid_send_abandons_it_and_records_nothing(pool: PgPool) {
    let (discord, mut arrived) = start_held_discord().await;
    discord_rows(&pool, &[format!("http://{discord}/api/webhooks/1/t")]).await;
    // A timeout longer than the test's deadline: only the lost lease can end this send.
    let options = WorkerOptions { lease_renewal: Duration::from_millis(100), timeout: DEADLINE * 4, ..fast_options() };
    let worker = Arc::new(Worker::new(pool.clone(), worker_settings(true), options).expect("worker"));
    let round = tokio::spawn({
        let worker = worker.clone();
        async move { worker.run_once().await }
    });
    let request = next_request(&mut arrived).await;
    // Another worker's claim, as its claim query writes it.
    sqlx::query(
        "update outbox set lease_token = 42, claimed_until = now() + interval '1 minute', attempts = attempts + 1
         where channel = 'discord'",
    )
    .execute(&pool)
    .await
    .expect("take over");
    let taken = lease_state(&pool).await;
    let finished = tokio::time::timeout(DEADLINE, round).await.expect("the send was abandoned");
    assert_eq!(finished.expect("join").expect("round"), 1);
    assert_eq!(lease_state(&pool).await, taken, "the new holder's state is untouched");
    drop(request);
}
