//! Who may upload through the gateway, and how much.
//!
//! An upload is stored, pinned and announced, so an open `POST /artifact` would let anyone
//! who reaches the gateway fill its disk and make it provide whatever they like. Uploads
//! are therefore signed ([`din_primitives::upload`]: the account, the CID, the size and an
//! expiry, under the account's key), and the gateway takes one only when:
//!
//! 1. the signature is the account's over that CID, size and expiry, and the expiry is near;
//! 2. its [`UploadAuthorizer`] admits the account (a fixed list, [`AllowedAccounts`], or the
//!    chain's evaluator pool, which `din store serve` checks);
//! 3. the body is the signed size and hashes to the signed CID;
//! 4. the account's quota for the current window has room for it ([`Quotas`]). Content the
//!    gateway already holds pinned is not charged, so replaying a signed request (possible
//!    until its expiry) cannot spend its signer's quota.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::time::Instant;

pub use din_primitives::AccountId;

/// Decides whether an account, whose signature the gateway has checked, may upload.
pub trait UploadAuthorizer: Send + Sync + 'static {
	/// `Ok` to admit `account`; otherwise why not.
	fn authorize<'a>(&'a self, account: &'a AccountId) -> BoxFuture<'a, Result<(), Refusal>>;
}

/// Why an authorizer refused an account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
	/// The account may not upload here (403).
	NotAuthorized(String),
	/// The authorizer could not decide now, e.g. the chain is unreachable (503).
	Unavailable(String),
}

/// A fixed set of accounts: the operator's own evaluator keys.
#[derive(Clone, Debug, Default)]
pub struct AllowedAccounts(pub BTreeSet<AccountId>);

impl UploadAuthorizer for AllowedAccounts {
	fn authorize<'a>(&'a self, account: &'a AccountId) -> BoxFuture<'a, Result<(), Refusal>> {
		let admitted = self.0.contains(account);
		Box::pin(async move {
			if admitted {
				Ok(())
			} else {
				Err(Refusal::NotAuthorized(format!("{account} is not an allowed uploader")))
			}
		})
	}
}

/// The gateway's upload settings; see the [module docs](self).
#[derive(Clone)]
pub struct UploadConfig {
	/// Largest body taken, in bytes (413 beyond, before it is read).
	pub max_bytes: usize,
	/// Which signed accounts may upload.
	pub authorizer: Arc<dyn UploadAuthorizer>,
	/// Bytes one account may store per `quota_window` (429 beyond).
	pub quota_bytes: u64,
	/// The quota's window.
	pub quota_window: Duration,
}

impl UploadConfig {
	/// Uploads of at most `max_bytes` from the accounts `authorizer` admits, each account
	/// storing at most 256 MiB an hour: a worker uploads one aggregate per subgroup and
	/// round, megabytes at most.
	pub fn new(max_bytes: usize, authorizer: Arc<dyn UploadAuthorizer>) -> Self {
		UploadConfig {
			max_bytes,
			authorizer,
			quota_bytes: 256 << 20,
			quota_window: Duration::from_secs(3600),
		}
	}
}

impl fmt::Debug for UploadConfig {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		f.debug_struct("UploadConfig")
			.field("max_bytes", &self.max_bytes)
			.field("quota_bytes", &self.quota_bytes)
			.field("quota_window", &self.quota_window)
			.finish_non_exhaustive()
	}
}

/// Bytes stored per account in fixed windows. Only admitted accounts get an entry, so the
/// map is as large as the set of accounts the authorizer admits.
pub(crate) struct Quotas {
	bytes: u64,
	window: Duration,
	used: Mutex<HashMap<AccountId, (Instant, u64)>>,
}

impl Quotas {
	pub(crate) fn new(bytes: u64, window: Duration) -> Self {
		Quotas { bytes, window, used: Mutex::new(HashMap::new()) }
	}

	/// Charges `bytes` to `account` at `now`, or the time until its window ends if they do
	/// not fit.
	pub(crate) fn charge(
		&self,
		account: &AccountId,
		bytes: u64,
		now: Instant,
	) -> Result<(), Duration> {
		let mut used = self.used.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
		let (started, spent) = used.entry(account.clone()).or_insert((now, 0));
		if now.duration_since(*started) >= self.window {
			(*started, *spent) = (now, 0);
		}
		if spent.saturating_add(bytes) > self.bytes {
			return Err(self.window.saturating_sub(now.duration_since(*started)));
		}
		*spent += bytes;
		Ok(())
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn account(n: u8) -> AccountId {
		AccountId::new([n; 32])
	}

	#[test]
	fn an_account_past_its_quota_waits_for_the_next_window_while_another_uploads() {
		let quotas = Quotas::new(100, Duration::from_secs(60));
		let t0 = Instant::now();
		assert_eq!(quotas.charge(&account(1), 60, t0), Ok(()));
		assert_eq!(quotas.charge(&account(1), 40, t0), Ok(()));
		let later = t0 + Duration::from_secs(20);
		assert_eq!(quotas.charge(&account(1), 1, later), Err(Duration::from_secs(40)));
		assert_eq!(quotas.charge(&account(2), 100, later), Ok(()), "another account's quota");
		let next_window = t0 + Duration::from_secs(60);
		assert_eq!(quotas.charge(&account(1), 100, next_window), Ok(()));
	}

	#[tokio::test]
	async fn only_listed_accounts_are_allowed() {
		let allowed = AllowedAccounts([account(1)].into_iter().collect());
		assert_eq!(allowed.authorize(&account(1)).await, Ok(()));
		assert!(matches!(allowed.authorize(&account(2)).await, Err(Refusal::NotAuthorized(_))));
	}
}
