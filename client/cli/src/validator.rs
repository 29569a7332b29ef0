//! `din validator …`: a node operator joins the validator set, leaves it, and sees it.
//!
//! Joining takes three transactions from the operator's account: a validator bond
//! (`Staking::bond`), the node's session keys (`Session::set_keys`, with a proof that the
//! account holds them) and the candidacy (`Validators::validate`). The set of the session
//! after next includes the candidate if its bond ranks among the largest.

use clap::Subcommand;
use din_chain::{types::Role, AccountId32, SessionKeysWithProof, ValidatorSet};
use polkadot_sdk::sp_core::{
	crypto::Pair as _, ed25519, proof_of_possession::ProofOfPossessionGenerator, sr25519,
};

use crate::common::{format_amount, parse_amount, ChainArgs, SignerArgs};

/// The `din validator` subcommands.
#[derive(Debug, Subcommand)]
pub enum ValidatorCommand {
	/// Register the node's session keys and stand as a candidate with the signer's unlocked
	/// validator bond: the node authors from the session after next.
	Join {
		/// Bond this much more for the validator role first, in DIN (the candidacy locks the
		/// whole unlocked validator bond, which must reach the chain's minimum).
		#[arg(long, value_parser = parse_amount)]
		bond: Option<u128>,
		/// Derive the session keys from this secret URI (BABE sr25519, GRANDPA ed25519)
		/// instead of asking the node at --url for new ones; the node must hold the same keys
		/// already (`din-node key insert`, or a dev flag such as `--eve`).
		#[arg(long)]
		session_seed: Option<String>,
		#[command(flatten)]
		signer: SignerArgs,
		#[command(flatten)]
		chain: ChainArgs,
	},
	/// Stop standing: the signer leaves the set two sessions later, and its bond is released
	/// once it is in no set (then `din stake unbond validator …`).
	Chill {
		#[command(flatten)]
		signer: SignerArgs,
		#[command(flatten)]
		chain: ChainArgs,
	},
	/// Show the session's validators, the planned set, the invulnerables and the candidates.
	Status {
		#[command(flatten)]
		chain: ChainArgs,
		/// Print JSON.
		#[arg(long)]
		json: bool,
	},
}

pub async fn run(command: ValidatorCommand) -> anyhow::Result<()> {
	match command {
		ValidatorCommand::Join { bond, session_seed, signer, chain } => {
			let signer = signer.signer()?;
			let who = signer.account_id();
			let chain = chain.connect().await?;
			if let Some(amount) = bond {
				chain.bond(&signer, Role::Validator, amount).await?;
				println!("bonded {} as a validator", format_amount(amount));
			}
			let keys = match session_seed {
				Some(seed) => session_keys_from_seed(&seed, &who)?,
				None => chain.rotate_session_keys(&who).await?,
			};
			chain.set_session_keys(&signer, &keys).await?;
			println!("registered session keys 0x{}", hex::encode(&keys.keys));
			chain.validate(&signer).await?;
			let set = chain.validator_set().await?;
			let bond = set.candidates.iter().find(|(c, _)| c == &who).map(|(_, b)| *b);
			println!(
				"{who} stands with {}; it can validate from session {}",
				format_amount(bond.unwrap_or_default()),
				set.session + 2
			);
		},
		ValidatorCommand::Chill { signer, chain } => {
			let signer = signer.signer()?;
			let chain = chain.connect().await?;
			chain.chill(&signer).await?;
			let session = chain.validator_set().await?.session;
			println!(
				"{} no longer stands; it leaves the set by session {}",
				signer.account_id(),
				session + 2
			);
		},
		ValidatorCommand::Status { chain, json } => {
			let set = chain.connect().await?.validator_set().await?;
			if json {
				println!("{}", status_json(&set));
			} else {
				print_status(&set);
			}
		},
	}
	Ok(())
}

/// Session keys derived from `seed` (BABE from its sr25519 key, GRANDPA from its ed25519
/// key) with their proofs of possession for `owner`, as the node's
/// `author_rotateKeysWithOwner` makes them.
pub fn session_keys_from_seed(
	seed: &str,
	owner: &AccountId32,
) -> anyhow::Result<SessionKeysWithProof> {
	let invalid = |e| anyhow::anyhow!("--session-seed is not a valid secret URI: {e:?}");
	let mut babe = sr25519::Pair::from_string(seed, None).map_err(invalid)?;
	let mut grandpa = ed25519::Pair::from_string(seed, None).map_err(invalid)?;
	// The owner the runtime checks the proofs against: the account's SCALE encoding.
	let owner = owner.0;
	let keys = [babe.public().0.as_slice(), grandpa.public().0.as_slice()].concat();
	let proof = [
		babe.generate_proof_of_possession(&owner).0.as_slice(),
		grandpa.generate_proof_of_possession(&owner).0.as_slice(),
	]
	.concat();
	Ok(SessionKeysWithProof { keys, proof })
}

/// The set as `din validator status --json` and the dashboard's `/api/validators` give it.
pub(crate) fn status_json(set: &ValidatorSet) -> serde_json::Value {
	let accounts = |list: &[AccountId32]| list.iter().map(|a| a.to_string()).collect::<Vec<_>>();
	let bonds = |list: &[(AccountId32, u128)]| {
		list.iter()
			.map(
				|(a, bond)| serde_json::json!({ "account": a.to_string(), "bond": bond.to_string() }),
			)
			.collect::<Vec<_>>()
	};
	serde_json::json!({
		"session": set.session,
		"active": accounts(&set.active),
		"disabled": accounts(&set.disabled),
		"planned": accounts(&set.planned),
		"invulnerables": accounts(&set.invulnerables),
		"candidates": bonds(&set.candidates),
		"leaving": bonds(&set.leaving),
	})
}

fn print_status(set: &ValidatorSet) {
	println!("session {}", set.session);
	println!("active validators ({}):", set.active.len());
	for who in &set.active {
		let mut marks = Vec::new();
		if set.invulnerables.contains(who) {
			marks.push("invulnerable");
		}
		if set.disabled.contains(who) {
			marks.push("disabled");
		}
		if !set.planned.contains(who) {
			marks.push("leaving at the next session");
		}
		println!("  {who}  {}", marks.join(", "));
	}
	let joining: Vec<_> = set.planned.iter().filter(|who| !set.active.contains(who)).collect();
	if !joining.is_empty() {
		println!("joining at the next session:");
		for who in joining {
			println!("  {who}");
		}
	}
	println!("candidates ({}):", set.candidates.len());
	for (who, bond) in &set.candidates {
		println!("  {who}  {}", format_amount(*bond));
	}
	if !set.leaving.is_empty() {
		println!("leaving, bond still locked:");
		for (who, bond) in &set.leaving {
			println!("  {who}  {}", format_amount(*bond));
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use polkadot_sdk::sp_core::proof_of_possession::ProofOfPossessionVerifier;

	/// The keys are the seed's BABE and GRANDPA keys in `SessionKeys` order, and each proof
	/// holds for the owner and for no one else.
	#[test]
	fn keys_from_a_seed_carry_proofs_for_their_owner_only() {
		let eve = AccountId32([7; 32]);
		let generated = session_keys_from_seed("//Eve", &eve).expect("a dev seed");
		let babe = sr25519::Pair::from_string("//Eve", None).unwrap().public();
		let grandpa = ed25519::Pair::from_string("//Eve", None).unwrap().public();
		assert_eq!(generated.keys, [babe.0.as_slice(), grandpa.0.as_slice()].concat());
		let (babe_proof, grandpa_proof) = generated.proof.split_at(64);
		let babe_proof = sr25519::Signature::from_raw(babe_proof.try_into().unwrap());
		let grandpa_proof = ed25519::Signature::from_raw(grandpa_proof.try_into().unwrap());
		assert!(sr25519::Pair::verify_proof_of_possession(&eve.0, &babe_proof, &babe));
		assert!(ed25519::Pair::verify_proof_of_possession(&eve.0, &grandpa_proof, &grandpa));
		assert!(!sr25519::Pair::verify_proof_of_possession(&[8; 32], &babe_proof, &babe));
		assert!(!ed25519::Pair::verify_proof_of_possession(&[8; 32], &grandpa_proof, &grandpa));
	}

	#[test]
	fn a_malformed_session_seed_is_refused() {
		assert!(session_keys_from_seed("not a uri at all", &AccountId32([7; 32])).is_err());
	}
}
