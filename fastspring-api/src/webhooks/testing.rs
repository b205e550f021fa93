//! Test support for [`ClaimStore`](super::ClaimStore) implementations (feature `testing`).

/// The conformance suite every [`ClaimStore`](super::ClaimStore) runs in its own tests.
///
/// Build the store with a [`ManualClock`](super::ManualClock) (so that leases can run out without
/// waiting), then call [`run`](conformance::run); a store with a backend that can fail also calls
/// [`store_errors_surface`](conformance::store_errors_surface) with a handle whose backend is gone. Each check panics with
/// what the contract says and what the store did.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use std::sync::Arc;
/// use fastspring_api::webhooks::{ManualClock, MemoryClaims, testing::conformance};
///
/// let clock = ManualClock::new();
/// let store = MemoryClaims::with_clock(1_000, Arc::new(clock.clone()));
/// conformance::run(&store, &clock).await;
/// # }
/// ```
///
/// The checks use event IDs that start with a random prefix, so one database can run
/// the suite more than once.
pub mod conformance {
    use std::time::Duration;

    use futures_util::future::join_all;

    use crate::webhooks::{Claim, ClaimStore, ClaimToken, ManualClock, Settled};

    /// The lease the checks take.
    pub const LEASE: Duration = Duration::from_secs(30);

    /// How many claims of one event the concurrency check makes at once.
    pub const CONCURRENT_CLAIMS: usize = 16;

    /// Runs every check of the suite against `store`, whose leases must be measured on
    /// `clock`.
    pub async fn run<S: ClaimStore>(store: &S, clock: &ManualClock) {
        let prefix = prefix();
        concurrent_claims_acquire_once(store, &prefix).await;
        completed_is_done(store, &prefix).await;
        released_is_claimable(store, &prefix).await;
        lease_expiry(store, clock, &prefix).await;
        foreign_token_refused(store, &prefix).await;
        events_are_independent(store, &prefix).await;
    }

    /// Of [`CONCURRENT_CLAIMS`] concurrent claims of one event exactly one is
    /// `Acquired`, the others `Busy`.
    pub async fn concurrent_claims_acquire_once<S: ClaimStore>(store: &S, prefix: &str) {
        let id = format!("{prefix}-concurrent");
        let claims = join_all((0..CONCURRENT_CLAIMS).map(|_| store.claim(&id, LEASE))).await;
        let claims: Vec<Claim> = claims.into_iter().map(expect_ok).collect();
        let acquired = claims
            .iter()
            .filter(|c| matches!(c, Claim::Acquired(_)))
            .count();
        let busy = claims.iter().filter(|c| **c == Claim::Busy).count();
        assert_eq!(
            (acquired, busy),
            (1, CONCURRENT_CLAIMS - 1),
            "{CONCURRENT_CLAIMS} concurrent claims of one event: exactly one must be Acquired and the rest Busy, got {claims:?}"
        );
    }

    /// A completed event is `Done` for every later claim; completing twice is `NotHeld`.
    pub async fn completed_is_done<S: ClaimStore>(store: &S, prefix: &str) {
        let id = format!("{prefix}-complete");
        let token = acquire(store, &id).await;
        assert_eq!(
            store.claim(&id, LEASE).await.map_err(err_text),
            Ok(Claim::Busy),
            "a held event must be Busy"
        );
        assert_eq!(
            expect_ok(store.complete(&token).await),
            Settled::Applied,
            "the holder's complete must apply"
        );
        assert_eq!(
            expect_ok(store.claim(&id, LEASE).await),
            Claim::Done,
            "a completed event must be Done"
        );
        assert_eq!(
            expect_ok(store.complete(&token).await),
            Settled::NotHeld,
            "a second complete with the same token must be NotHeld"
        );
        assert_eq!(
            expect_ok(store.release(&token).await),
            Settled::NotHeld,
            "releasing a completed claim must be NotHeld"
        );
        assert_eq!(expect_ok(store.claim(&id, LEASE).await), Claim::Done);
    }

    /// A released event is acquired again at once, with a new token; the released
    /// token no longer settles anything.
    pub async fn released_is_claimable<S: ClaimStore>(store: &S, prefix: &str) {
        let id = format!("{prefix}-release");
        let first = acquire(store, &id).await;
        assert_eq!(expect_ok(store.release(&first).await), Settled::Applied);
        let second = acquire(store, &id).await;
        assert_ne!(first, second, "a new claim must get a new token");
        assert_eq!(
            expect_ok(store.complete(&first).await),
            Settled::NotHeld,
            "a released token must not complete the new claim"
        );
        assert_eq!(expect_ok(store.complete(&second).await), Settled::Applied);
        assert_eq!(expect_ok(store.claim(&id, LEASE).await), Claim::Done);
    }

    /// A lease that ran out makes the event claimable once more, by exactly one
    /// claimant; the expired token can neither complete nor release.
    pub async fn lease_expiry<S: ClaimStore>(store: &S, clock: &ManualClock, prefix: &str) {
        let id = format!("{prefix}-lease");
        let crashed = acquire(store, &id).await;
        clock.advance(LEASE - Duration::from_secs(1));
        assert_eq!(
            expect_ok(store.claim(&id, LEASE).await),
            Claim::Busy,
            "an event must stay Busy until its lease runs out"
        );
        clock.advance(Duration::from_secs(2));
        let claims = join_all((0..CONCURRENT_CLAIMS).map(|_| store.claim(&id, LEASE))).await;
        let claims: Vec<Claim> = claims.into_iter().map(expect_ok).collect();
        let retried: Vec<&ClaimToken> = claims
            .iter()
            .filter_map(|c| match c {
                Claim::Acquired(token) => Some(token),
                _ => None,
            })
            .collect();
        assert_eq!(
            retried.len(),
            1,
            "after the lease ran out exactly one claim must be Acquired, got {claims:?}"
        );
        let retried = retried[0].clone();
        assert_ne!(retried, crashed);
        assert_eq!(
            expect_ok(store.complete(&crashed).await),
            Settled::NotHeld,
            "an expired token must not complete the retry's claim"
        );
        assert_eq!(
            expect_ok(store.release(&crashed).await),
            Settled::NotHeld,
            "an expired token must not release the retry's claim"
        );
        assert_eq!(expect_ok(store.claim(&id, LEASE).await), Claim::Busy);
        assert_eq!(expect_ok(store.complete(&retried).await), Settled::Applied);
        assert_eq!(expect_ok(store.claim(&id, LEASE).await), Claim::Done);
        clock.advance(LEASE * 4);
        assert_eq!(
            expect_ok(store.claim(&id, LEASE).await),
            Claim::Done,
            "a completed event must stay Done however much time passes"
        );
    }

    /// Tokens that are not the current holder's settle nothing: made up, for another
    /// event, or an expired holder's that lapsed while nobody claimed again.
    pub async fn foreign_token_refused<S: ClaimStore>(store: &S, prefix: &str) {
        let id = format!("{prefix}-foreign");
        let token = acquire(store, &id).await;
        let forged = ClaimToken::new(&id, format!("{}-forged", token.lease_id()));
        assert_eq!(expect_ok(store.complete(&forged).await), Settled::NotHeld);
        assert_eq!(expect_ok(store.release(&forged).await), Settled::NotHeld);
        let other_event = ClaimToken::new(format!("{prefix}-never-claimed"), token.lease_id());
        assert_eq!(
            expect_ok(store.complete(&other_event).await),
            Settled::NotHeld,
            "a token must not complete an event it did not claim"
        );
        assert!(
            expect_ok(store.claim(&format!("{prefix}-never-claimed"), LEASE).await).is_acquired(),
            "a refused foreign complete must leave the other event untouched"
        );
        assert_eq!(
            expect_ok(store.claim(&id, LEASE).await),
            Claim::Busy,
            "refused foreign tokens must leave the claim held"
        );
        assert_eq!(expect_ok(store.complete(&token).await), Settled::Applied);
    }

    /// Completing one event leaves another untouched.
    pub async fn events_are_independent<S: ClaimStore>(store: &S, prefix: &str) {
        let a = acquire(store, &format!("{prefix}-a")).await;
        let b = acquire(store, &format!("{prefix}-b")).await;
        assert_eq!(expect_ok(store.complete(&a).await), Settled::Applied);
        assert_eq!(
            expect_ok(store.claim(&format!("{prefix}-b"), LEASE).await),
            Claim::Busy
        );
        assert_eq!(expect_ok(store.release(&b).await), Settled::Applied);
        assert!(
            expect_ok(store.claim(&format!("{prefix}-b"), LEASE).await).is_acquired(),
            "a released event must be claimable whatever happened to others"
        );
    }

    /// A store whose backend is down (connection closed, database gone) answers every
    /// call with `Err`: never `Acquired`, `Busy` or `Done` made up.
    pub async fn store_errors_surface<S: ClaimStore>(failing: &S) {
        let id = format!("{}-down", prefix());
        let claim = failing.claim(&id, LEASE).await;
        assert!(
            claim.is_err(),
            "claim on a store that is down must fail, got {claim:?}"
        );
        let token = ClaimToken::new(&id, "1");
        let complete = failing.complete(&token).await;
        assert!(
            complete.is_err(),
            "complete on a store that is down must fail, got {complete:?}"
        );
        let release = failing.release(&token).await;
        assert!(
            release.is_err(),
            "release on a store that is down must fail, got {release:?}"
        );
    }

    async fn acquire<S: ClaimStore>(store: &S, id: &str) -> ClaimToken {
        match expect_ok(store.claim(id, LEASE).await) {
            Claim::Acquired(token) => token,
            other => panic!("the first claim of {id} must be Acquired, got {other:?}"),
        }
    }

    fn expect_ok<T, E: std::error::Error>(result: Result<T, E>) -> T {
        result.unwrap_or_else(|err| panic!("the store failed: {err}"))
    }

    fn err_text<E: std::error::Error>(err: E) -> String {
        err.to_string()
    }

    /// A prefix no earlier run used: time and process ID.
    fn prefix() -> String {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        format!("conf{}x{}", std::process::id(), nanos)
    }
}
