//! `din stake …`: the bonds behind a participant's, an evaluator's or a validator's duties.

use clap::{Subcommand, ValueEnum};
use din_chain::types::Role;

use crate::common::{format_amount, parse_amount, ChainArgs, SignerArgs};

/// A staking role.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum RoleArg {
	Participant,
	Evaluator,
	Validator,
}

impl From<RoleArg> for Role {
	fn from(role: RoleArg) -> Role {
		match role {
			RoleArg::Participant => Role::Participant,
			RoleArg::Evaluator => Role::Evaluator,
			RoleArg::Validator => Role::Validator,
		}
	}
}

/// The `din stake` subcommands.
#[derive(Debug, Subcommand)]
pub enum StakeCommand {
	/// Hold AMOUNT more for ROLE (a first bond must reach the role's chain minimum).
	Bond {
		/// The role the bond is for.
		role: RoleArg,
		/// How much more to hold, in DIN (decimals allowed, e.g. 12.5).
		#[arg(value_parser = parse_amount)]
		amount: u128,
		#[command(flatten)]
		signer: SignerArgs,
		#[command(flatten)]
		chain: ChainArgs,
	},
	/// Start unbonding AMOUNT of ROLE (withdrawable after the unbonding period).
	Unbond {
		/// The role whose bond shrinks.
		role: RoleArg,
		/// How much to unbond, in DIN (decimals allowed).
		#[arg(value_parser = parse_amount)]
		amount: u128,
		#[command(flatten)]
		signer: SignerArgs,
		#[command(flatten)]
		chain: ChainArgs,
	},
	/// Release every matured unbonding chunk of ROLE.
	Withdraw {
		/// The role whose matured chunks are released.
		role: RoleArg,
		#[command(flatten)]
		signer: SignerArgs,
		#[command(flatten)]
		chain: ChainArgs,
	},
	/// Show the signer's balance, bonds, reputation and recorded store peer.
	Show {
		#[command(flatten)]
		signer: SignerArgs,
		#[command(flatten)]
		chain: ChainArgs,
		/// Print JSON.
		#[arg(long)]
		json: bool,
	},
}

pub async fn run(command: StakeCommand) -> anyhow::Result<()> {
	match command {
		StakeCommand::Bond { role, amount, signer, chain } => {
			let signer = signer.signer()?;
			chain.connect().await?.bond(&signer, role.into(), amount).await?;
			println!("bonded {} as {role:?}", format_amount(amount));
		},
		StakeCommand::Unbond { role, amount, signer, chain } => {
			let signer = signer.signer()?;
			chain.connect().await?.unbond(&signer, role.into(), amount).await?;
			println!("unbonding {} of {role:?}", format_amount(amount));
		},
		StakeCommand::Withdraw { role, signer, chain } => {
			let signer = signer.signer()?;
			chain.connect().await?.withdraw_unbonded(&signer, role.into()).await?;
			println!("withdrew the matured {role:?} unbonding");
		},
		StakeCommand::Show { signer, chain, json } => {
			let who = signer.signer()?.account_id();
			let chain = chain.connect().await?;
			let balance = chain.balance(&who).await?;
			let mut bonds = Vec::new();
			for role in [RoleArg::Participant, RoleArg::Evaluator, RoleArg::Validator] {
				let ledger = chain.ledger(&who, role.into()).await?;
				let (active, locked, unlocking) = ledger
					.map(|l| {
						(l.active, l.locked, l.unlocking.0.iter().map(|c| c.value).sum::<u128>())
					})
					.unwrap_or_default();
				let reputation = chain.reputation(&who, role.into()).await?;
				bonds.push((role, active, locked, unlocking, reputation));
			}
			// What evaluators dial for this account's updates; the chain does not parse it.
			let store_peer = chain.store_peer(&who).await?.map(|bytes| {
				din_store::Multiaddr::try_from(bytes.clone())
					.map(|address| address.to_string())
					.unwrap_or_else(|_| format!("0x{} (not a multiaddr)", hex::encode(&bytes)))
			});
			if json {
				let roles: serde_json::Map<String, serde_json::Value> = bonds
                    .iter()
                    .map(|(role, active, locked, unlocking, reputation)| {
                        (
                            format!("{role:?}").to_lowercase(),
                            serde_json::json!({ "active": active.to_string(), "locked": locked.to_string(), "unlocking": unlocking.to_string(), "reputation": reputation }),
                        )
                    })
                    .collect();
				println!(
					"{}",
					serde_json::json!({
						"address": who.to_string(),
						"free": balance.free.to_string(),
						"reserved": balance.reserved.to_string(),
						"bonds": roles,
						"store_peer": store_peer,
					})
				);
			} else {
				println!("{who}");
				println!(
					"  free {}  on hold {}",
					format_amount(balance.free),
					format_amount(balance.reserved)
				);
				for (role, active, locked, unlocking, reputation) in bonds {
					println!(
						"  {:<12} active {}  locked {}  unbonding {}  reputation {reputation}",
						format!("{role:?}"),
						format_amount(active),
						format_amount(locked),
						format_amount(unlocking)
					);
				}
				println!("  store peer   {}", store_peer.as_deref().unwrap_or("none recorded"));
			}
		},
	}
	Ok(())
}
