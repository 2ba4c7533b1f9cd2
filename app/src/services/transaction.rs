//! The one place service transactions run. A change that needs a
//! transaction gives its body to [`run`], which begins the transaction,
//! runs the body in it and commits; when PostgreSQL aborts it because of a
//! concurrent transaction (SQLSTATE `40001` serialization_failure or
//! `40P01` deadlock_detected, at a statement or at the commit), it rolls
//! back and runs the body again from the start, at most [`ATTEMPTS`] times
//! in all. PostgreSQL's manual asks for exactly this ("Serialization
//! Failure Handling", in "Concurrency Control"): such a transaction is to be
//! retried as a whole, including the decisions taken from what it read.
//!
//! A body must therefore be re-runnable: it reads what it decides on inside
//! the transaction, and does nothing outside the database that must happen
//! once (sending, logging an outcome): that comes after [`run`] returns.
//! Its live announcements and notifications are rows and `pg_notify`s of
//! the transaction itself, so an aborted attempt leaves none behind.

use crate::error::AppError;
use sqlx::{PgConnection, PgPool, Postgres};
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::time::Duration;

/// Runs of a body that [`run`] makes before it returns the error of a
/// transaction PostgreSQL keeps aborting for a conflict: 3 (the first and
/// two more). Deadlocks and serialization failures between a handful of
/// concurrent changes resolve in one more run; more than that means
/// sustained contention, better answered (500) than queued.
pub const ATTEMPTS: u32 = 3;

/// The most [`run`] waits before the second run: 20 ms; the waits are
/// random in `0..=` this, doubled for each further run (jitter, so that the
/// transactions that collided do not start again in step).
pub const BACKOFF: Duration = Duration::from_millis(20);

/// SQLSTATE codes of a transaction aborted because of a concurrent one,
/// which succeeds when run again: serialization_failure, deadlock_detected
/// (PostgreSQL manual, Appendix A).
const RETRYABLE: [&str; 2] = ["40001", "40P01"];

/// The open transaction a [`run`] body works in: dereferences to the
/// `PgConnection` running it (`&mut *transaction` for a query,
/// `transaction` for a `&mut PgConnection` parameter). The body cannot
/// commit or roll back: [`run`] does.
///
/// `'scope` is the lifetime of what the body borrows from the calling
/// function; it only ties the body's future to it.
pub struct Transaction<'scope> {
    inner: sqlx::Transaction<'static, Postgres>,
    scope: PhantomData<&'scope ()>,
}

impl std::ops::Deref for Transaction<'_> {
    type Target = PgConnection;

    fn deref(&self) -> &PgConnection {
        &self.inner
    }
}

impl std::ops::DerefMut for Transaction<'_> {
    fn deref_mut(&mut self) -> &mut PgConnection {
        &mut self.inner
    }
}

/// What a [`run`] body returns: its future, borrowing the transaction for `'run`.
pub type Body<'run, T> = Pin<Box<dyn Future<Output = Result<T, AppError>> + Send + 'run>>;

/// Runs `body` in a transaction of `pool` and commits it; returns the
/// body's value once committed. Written at a call site as
/// `transaction::run(pool, |transaction| Box::pin(async { ... }))`.
///
/// When the body or the commit fails with SQLSTATE `40001` or `40P01`, the
/// transaction is rolled back and, after a short random wait (see
/// [`BACKOFF`]), `body` runs again in a new one; the attempt is logged at
/// `warn` with its SQLSTATE. Any other error, or the same after
/// [`ATTEMPTS`] runs, rolls back and is returned as it is.
///
/// Errors: the body's own ([`AppError::Internal`] for the database's).
pub async fn run<'scope, T, F>(pool: &PgPool, mut body: F) -> Result<T, AppError>
where
    F: for<'run> FnMut(&'run mut Transaction<'scope>) -> Body<'run, T>,
{
    let mut attempt = 1;
    loop {
        let mut transaction = Transaction { inner: pool.begin().await?, scope: PhantomData };
        let error = match body(&mut transaction).await {
            Ok(value) => match transaction.inner.commit().await {
                Ok(()) => return Ok(value),
                // A failed COMMIT has ended the transaction already.
                Err(error) => AppError::from(error),
            },
            Err(error) => {
                if attempt < ATTEMPTS && retryable(&error).is_some() {
                    // Release its locks now, not when the connection is next used.
                    let _ = transaction.inner.rollback().await;
                }
                error
            }
        };
        let Some(sqlstate) = retryable(&error).filter(|_| attempt < ATTEMPTS) else {
            return Err(error);
        };
        tracing::warn!(sqlstate, attempt, "transaction aborted by a concurrent one; running it again");
        // Recovered from: not an error of the request.
        error.forget_cause();
        let most = BACKOFF.saturating_mul(1 << (attempt - 1)).as_millis() as u64;
        let wait = rand::Rng::gen_range(&mut rand::thread_rng(), 0..=most);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        attempt += 1;
    }
}

/// The SQLSTATE of `error` when it is one [`run`] runs a body again for.
fn retryable(error: &AppError) -> Option<&'static str> {
    let sqlstate = error.sqlstate()?;
    RETRYABLE.into_iter().find(|code| *code == sqlstate)
}
