//! The load generators' shared parts: accounts that count their own nonces, signing and
//! sending many transactions at once, and a follower of the node's best blocks
//! ([`follow`]). Two binaries use them: `din-load` (`scripts/bench/load.sh`, the block
//! budget under load) and `din-scale` (`scripts/bench/scale.sh`, the DIN paper's task).

pub mod follow;

use anyhow::{Context, Result};
use din_chain::{din, AccountId32, Chain, SignedTransaction, Signer, H256};
use futures::{stream, StreamExt, TryStreamExt};
use subxt::transactions::Payload;

/// An account the run signs for, with the nonce of its next transaction.
pub struct Account {
	pub signer: Signer,
	pub id: AccountId32,
	pub nonce: u64,
}

impl Account {
	pub fn new(uri: &str) -> Result<Account> {
		let signer = Signer::from_uri(uri)?;
		Ok(Account { id: signer.account_id(), signer, nonce: 0 })
	}

	pub fn next_nonce(&mut self) -> u64 {
		self.nonce += 1;
		self.nonce - 1
	}
}

/// A progress line on stderr, with the seconds since `started`.
pub fn log(started: &std::time::Instant, what: &str) {
	eprintln!("[{:>5.1}s] {what}", started.elapsed().as_secs_f64());
}

/// `Balances::transfer_keep_alive` of `amount` to `dest`.
pub fn transfer(dest: AccountId32, amount: u128) -> impl Payload {
	din::tx()
		.balances()
		.transfer_keep_alive(subxt::utils::MultiAddress::Id(dest), amount)
}

/// Signs each call with its account's next nonce.
pub async fn sign_all<C: Payload>(
	chain: &Chain,
	calls: Vec<(C, &mut Account)>,
) -> Result<Vec<SignedTransaction>> {
	let jobs = calls
		.into_iter()
		.map(|(call, a)| {
			let nonce = a.next_nonce();
			// The account is only read from here on, for as long as the calls are signed.
			let a: &Account = a;
			(call, &a.signer, nonce)
		})
		.collect();
	sign(chain, jobs).await
}

/// Signs each call with its signer at its nonce, many at once.
pub async fn sign<C: Payload>(
	chain: &Chain,
	jobs: Vec<(C, &Signer, u64)>,
) -> Result<Vec<SignedTransaction>> {
	stream::iter(jobs)
		.map(
			|(call, signer, nonce)| async move { chain.sign_with_nonce(&call, signer, nonce).await },
		)
		.buffered(32)
		.try_collect()
		.await
		.map_err(Into::into)
}

/// Hands every transaction to the node's pool, many at once; their hashes in order.
pub async fn send(chain: &Chain, txs: Vec<SignedTransaction>) -> Result<Vec<H256>> {
	stream::iter(txs)
		.map(|tx| async move { chain.send_signed(&tx).await })
		.buffered(64)
		.try_collect()
		.await
		.context("submit a transaction")
}
