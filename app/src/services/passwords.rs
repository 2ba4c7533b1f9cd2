//! Password hashing with argon2id, off the async runtime, on a few dedicated threads.

use crate::error::AppError;
use crate::t;
use argon2::{
    Algorithm, Argon2, Block, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version,
    password_hash::{self, Decimal, Ident, Output, ParamsString, Salt, SaltString, rand_core::OsRng},
};
use std::cell::RefCell;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// argon2id with OWASP's Password Storage Cheat Sheet parameters:
/// 19 MiB of memory (19,456 KiB), 2 iterations, 1 lane.
fn hasher() -> ReusedMemory {
    let params = Params::new(19_456, 2, 1, None).expect("static argon2 parameters are valid");
    ReusedMemory { algorithm: Algorithm::Argon2id, version: Version::V0x13, params }
}

thread_local! {
    /// This thread's argon2 working memory (19 MiB with our parameters),
    /// kept from one hash to the next.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// argon2 that computes in the thread's [`MEMORY`] instead of allocating
/// (and freeing) its 19 MiB for every hash: the same hashes, byte for byte,
/// as `Argon2::hash_password`, and `verify_password` comes with the trait
/// (constant-time comparison). Allocating per hash left glibc holding
/// hundreds of MiB of fragmented heap after a log-in burst (issue 5's
/// benchmark: 520 MiB peak RSS); allocating nothing also spares the page
/// faults of fresh memory.
struct ReusedMemory {
    algorithm: Algorithm,
    version: Version,
    params: Params,
}

impl PasswordHasher for ReusedMemory {
    type Params = Params;

    fn hash_password<'a>(&self, password: &[u8], salt: impl Into<Salt<'a>>) -> password_hash::Result<PasswordHash<'a>> {
        let salt = salt.into();
        let mut salt_buffer = [0u8; 64];
        let salt_bytes = salt.decode_b64(&mut salt_buffer)?;
        let argon2 = Argon2::new(self.algorithm, self.version, self.params.clone());
        let blocks = self.params.block_count();
        let output = Output::init_with(self.params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN), |out| {
            MEMORY.with_borrow_mut(|memory| {
                if memory.len() < blocks {
                    memory.resize(blocks, Block::default());
                }
                argon2.hash_password_into_with_memory(password, salt_bytes, out, &mut memory[..blocks])
            })?;
            Ok(())
        })?;
        Ok(PasswordHash {
            algorithm: self.algorithm.ident(),
            version: Some(self.version.into()),
            params: ParamsString::try_from(&self.params)?,
            salt: Some(salt),
            hash: Some(output),
        })
    }

    fn hash_password_customized<'a>(
        &self,
        password: &[u8],
        algorithm: Option<Ident<'a>>,
        version: Option<Decimal>,
        params: Params,
        salt: impl Into<Salt<'a>>,
    ) -> password_hash::Result<PasswordHash<'a>> {
        let algorithm = algorithm.map(Algorithm::try_from).transpose()?.unwrap_or_default();
        let version = version.map(Version::try_from).transpose()?.unwrap_or_default();
        ReusedMemory { algorithm, version, params }.hash_password(password, salt)
    }
}

/// The threads that hash, one per core: a burst of log-ins queues here
/// instead of taking every core from other requests, and the memory hashing
/// needs is one [`MEMORY`] per thread (19 MiB each), reused.
static HASHING: LazyLock<rayon::ThreadPool> = LazyLock::new(|| {
    rayon::ThreadPoolBuilder::new()
        .num_threads(std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get))
        .thread_name(|index| format!("password-hashing-{index}"))
        .build()
        .expect("starting the password hashing threads")
});

/// How many hashing tasks may be queued or running at once by default: 64
/// (at most 64 × a password's bytes of memory, and about 64 × 25 ms ÷
/// cores of waiting at the back of the queue).
pub const DEFAULT_QUEUE: usize = 64;

/// The hashing tasks queued or running now.
static QUEUED: AtomicUsize = AtomicUsize::new(0);

/// Counts one task in [`QUEUED`] while it lives.
struct QueueSlot;

impl Drop for QueueSlot {
    fn drop(&mut self) {
        QUEUED.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Runs `work` on one of the hashing threads and waits for its result, when
/// fewer than `limit` tasks are queued or running.
///
/// Errors: [`HashingError::Full`] beyond `limit`; [`HashingError::Failed`]
/// when the work panicked (its result never came back).
async fn hashing<T: Send + 'static>(
    limit: usize,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, HashingError> {
    if QUEUED.fetch_add(1, Ordering::AcqRel) >= limit {
        QUEUED.fetch_sub(1, Ordering::AcqRel);
        return Err(HashingError::Full);
    }
    let slot = QueueSlot;
    let (sender, receiver) = tokio::sync::oneshot::channel();
    HASHING.spawn(move || {
        let _slot = slot;
        let _ = sender.send(work());
    });
    receiver.await.map_err(|_| HashingError::Failed)
}

/// Why a hashing task gave no result.
#[derive(Debug)]
enum HashingError {
    /// The queue was full; nothing ran.
    Full,
    /// The task panicked.
    Failed,
}

impl std::fmt::Display for HashingError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(match self {
            HashingError::Full => "the password hashing queue is full",
            HashingError::Failed => "the password hashing task ended without a result",
        })
    }
}

impl From<HashingError> for AppError {
    fn from(error: HashingError) -> Self {
        match error {
            HashingError::Full => {
                AppError::Unavailable { message: t!(errors.password_queue_full).into(), retry_after_seconds: 1 }
            }
            HashingError::Failed => AppError::internal_because("password hashing task failed", error),
        }
    }
}

impl std::error::Error for HashingError {}

/// A hash of a random password, verified against when the login names no user,
/// so an unknown user and a wrong password take about the same time.
static DECOY_HASH: LazyLock<String> = LazyLock::new(|| {
    let salt = SaltString::generate(&mut OsRng);
    hasher().hash_password(salt.as_str().as_bytes(), &salt).expect("hashing a decoy password").to_string()
});

/// Hashes `password` into a PHC string (salt inside), on one of the hashing
/// threads (one per core), queued behind at most [`DEFAULT_QUEUE`] others.
///
/// Errors: [`AppError::Unavailable`] (503, retry after 1 s) when the queue
/// is full; [`AppError::Internal`] if hashing fails or the thread panics.
pub async fn hash(password: String) -> Result<String, AppError> {
    hashing(DEFAULT_QUEUE, move || {
        let salt = SaltString::generate(&mut OsRng);
        hasher().hash_password(password.as_bytes(), &salt).map(|hash| hash.to_string())
    })
    .await?
    .map_err(|error| AppError::internal_because("password hashing failed", error))
}

/// Checks `password` against a stored PHC string, or against a decoy when
/// `stored` is `None`; returns `false` in the decoy case. Runs on one of the
/// hashing threads (one per core), when fewer than `queue` checks and
/// hashes are queued or running (`Settings::password_queue`).
///
/// Errors: [`AppError::Unavailable`] (503, retry after 1 s) when the queue
/// is full; [`AppError::Internal`] if the thread panics.
pub async fn verify(password: String, stored: Option<String>, queue: usize) -> Result<bool, AppError> {
    hashing(queue, move || {
        let known = stored.is_some();
        let phc = stored.unwrap_or_else(|| DECOY_HASH.clone());
        let matches = PasswordHash::new(&phc)
            .map(|parsed| hasher().verify_password(password.as_bytes(), &parsed).is_ok())
            .unwrap_or(false);
        known && matches
    })
    .await
    .map_err(AppError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reusing hasher gives exactly the hashes of the argon2 crate's own,
    /// and hashes made either way verify either way, also when one thread's
    /// memory is reused across hashes of different parameters.
    #[test]
    fn reused_memory_hashes_like_argon2() {
        let salt = SaltString::from_b64("c29tZXNhbHRmb3J0ZXN0cw").unwrap();
        let small = Params::new(1_024, 2, 1, None).unwrap();
        for params in [small.clone(), Params::new(19_456, 2, 1, None).unwrap(), small] {
            let ours = ReusedMemory { algorithm: Algorithm::Argon2id, version: Version::V0x13, params: params.clone() }
                .hash_password(b"correct horse", &salt)
                .unwrap()
                .to_string();
            let theirs = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
                .hash_password(b"correct horse", &salt)
                .unwrap()
                .to_string();
            assert_eq!(ours, theirs);
            let parsed = PasswordHash::new(&theirs).unwrap();
            assert!(hasher().verify_password(b"correct horse", &parsed).is_ok());
            assert!(hasher().verify_password(b"wrong horse", &parsed).is_err());
        }
    }
}
