//! The one runner of service transactions (issue 20, item 11),
//! `app::services::transaction::run`, against real PostgreSQL: a body that
//! PostgreSQL aborts for a deadlock or a serialization failure runs again and
//! commits once; any other error is returned at once; retries are bounded.
//! The collisions are real ones between two connections, ordered with
//! barriers.

use app::error::AppError;
use app::services::transaction;
use sqlx::PgPool;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use tokio::sync::Barrier;

/// A table `pair` with rows 1 and 2, both 0.
async fn two_rows(pool: &PgPool) {
    sqlx::query("create table pair (id int primary key, value int not null)").execute(pool).await.unwrap();
    sqlx::query("insert into pair values (1, 0), (2, 0)").execute(pool).await.unwrap();
}

async fn values(pool: &PgPool) -> Vec<(i32, i32)> {
    sqlx::query_as("select id, value from pair order by id").fetch_all(pool).await.unwrap()
}

/// One of two changes that each lock their first row, wait until the other
/// holds its own, then lock the other's: a deadlock, which PostgreSQL ends
/// by aborting one of them (40P01). Returns the change's run count.
async fn add_to_both_rows(
    pool: &PgPool,
    first: i32,
    amount: i32,
    both_hold_one: &Barrier,
    sqlstates: &Mutex<Vec<String>>,
) -> Result<u32, AppError> {
    let runs = AtomicU32::new(0);
    transaction::run(pool, |transaction| {
        Box::pin(async {
            let run = runs.fetch_add(1, Ordering::SeqCst) + 1;
            // Detect the deadlock soon (the default is 1 s).
            sqlx::query("set local deadlock_timeout = '20ms'").execute(&mut **transaction).await?;
            let update = "update pair set value = value + $1 where id = $2";
            sqlx::query(update).bind(amount).bind(first).execute(&mut **transaction).await?;
            if run == 1 {
                both_hold_one.wait().await;
            }
            let second = sqlx::query(update).bind(amount).bind(3 - first).execute(&mut **transaction).await;
            if let Err(sqlx::Error::Database(error)) = &second {
                sqlstates.lock().unwrap().push(error.code().unwrap_or_default().into_owned());
            }
            second?;
            Ok(run)
        })
    })
    .await?;
    Ok(runs.load(Ordering::SeqCst))
}

/// Two changes deadlock on a fresh pair of rows: the one PostgreSQL aborts
/// runs again; both commit exactly once (each row got 1 + 10), and the
/// bodies ran three times in all.
#[sqlx::test(migrations = false)]
async fn a_deadlocked_transaction_runs_again_and_commits_once(pool: PgPool) {
    two_rows(&pool).await;
    let both_hold_one = Barrier::new(2);
    let sqlstates = Mutex::new(Vec::new());
    let (first, second) = tokio::join!(
        add_to_both_rows(&pool, 1, 1, &both_hold_one, &sqlstates),
        add_to_both_rows(&pool, 2, 10, &both_hold_one, &sqlstates),
    );
    let (first, second) = (first.expect("first change"), second.expect("second change"));
    assert_eq!(*sqlstates.lock().unwrap(), ["40P01"], "one deadlock, seen by one change");
    assert_eq!(first + second, 3, "the aborted change ran twice, the other once");
    assert_eq!(values(&pool).await, [(1, 11), (2, 11)], "each change committed once");
}

/// Two serializable transactions read what the other writes (write skew):
/// the runner's commits second, so PostgreSQL refuses its commit (40001);
/// it runs again, now seeing the other's row, and commits once.
#[sqlx::test(migrations = false)]
async fn a_serialization_failure_at_commit_runs_the_body_again(pool: PgPool) {
    sqlx::query("create table shift (doctor text not null, on_call bool not null)").execute(&pool).await.unwrap();
    let (written, other_committed) = (Barrier::new(2), Barrier::new(2));
    let other = async {
        let mut transaction = pool.begin().await.unwrap();
        sqlx::query("set transaction isolation level serializable").execute(&mut *transaction).await.unwrap();
        written.wait().await;
        sqlx::query("select count(*) from shift where doctor = 'alice'").execute(&mut *transaction).await.unwrap();
        sqlx::query("insert into shift values ('bob', true)").execute(&mut *transaction).await.unwrap();
        transaction.commit().await.unwrap();
        other_committed.wait().await;
    };
    let (runs, completed) = (AtomicU32::new(0), AtomicU32::new(0));
    let runner = transaction::run(&pool, |transaction| {
        Box::pin(async {
            let run = runs.fetch_add(1, Ordering::SeqCst) + 1;
            sqlx::query("set transaction isolation level serializable").execute(&mut **transaction).await?;
            let bob: i64 = sqlx::query_scalar("select count(*) from shift where doctor = 'bob'")
                .fetch_one(&mut **transaction)
                .await?;
            sqlx::query("insert into shift values ('alice', true)").execute(&mut **transaction).await?;
            if run == 1 {
                written.wait().await;
                other_committed.wait().await;
            }
            completed.fetch_add(1, Ordering::SeqCst);
            Ok(bob)
        })
    });
    let ((), seen) = tokio::join!(other, runner);
    assert_eq!(seen.expect("the runner's change"), 1, "the second run saw the other's row");
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    assert_eq!(completed.load(Ordering::SeqCst), 2, "the first run's body had finished: its commit failed");
    let rows: Vec<(String,)> =
        sqlx::query_as("select doctor from shift order by doctor").fetch_all(&pool).await.unwrap();
    assert_eq!(rows, [("alice".to_string(),), ("bob".to_string(),)], "one row each: committed once");
}

/// An error other than a conflict (here a unique violation, 23505) is
/// returned after one run, and the run's writes are rolled back.
#[sqlx::test(migrations = false)]
async fn other_errors_are_not_retried_and_roll_back(pool: PgPool) {
    two_rows(&pool).await;
    let runs = AtomicU32::new(0);
    let result: Result<(), AppError> = transaction::run(&pool, |transaction| {
        Box::pin(async {
            runs.fetch_add(1, Ordering::SeqCst);
            sqlx::query("update pair set value = 5 where id = 2").execute(&mut **transaction).await?;
            sqlx::query("insert into pair values (1, 0)").execute(&mut **transaction).await?;
            Ok(())
        })
    })
    .await;
    let error = result.expect_err("a duplicate key");
    assert_eq!(error.sqlstate().as_deref(), Some("23505"));
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(values(&pool).await, [(1, 0), (2, 0)], "nothing of the run stays");

    let runs = AtomicU32::new(0);
    let result: Result<(), AppError> = transaction::run(&pool, |_| {
        Box::pin(async {
            runs.fetch_add(1, Ordering::SeqCst);
            Err(AppError::field("subject", "is required"))
        })
    })
    .await;
    assert_eq!(result.expect_err("a validation error").status(), 422);
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

/// A body that keeps failing with 40001 runs `ATTEMPTS` times, then its
/// error is returned.
#[sqlx::test(migrations = false)]
async fn retries_are_bounded(pool: PgPool) {
    let runs = AtomicU32::new(0);
    let result: Result<(), AppError> = transaction::run(&pool, |transaction| {
        Box::pin(async {
            runs.fetch_add(1, Ordering::SeqCst);
            sqlx::query("do $$ begin raise exception 'conflict' using errcode = 'serialization_failure'; end $$")
                .execute(&mut **transaction)
                .await?;
            Ok(())
        })
    })
    .await;
    assert_eq!(result.expect_err("still failing").sqlstate().as_deref(), Some("40001"));
    assert_eq!(runs.load(Ordering::SeqCst), transaction::ATTEMPTS);
}
