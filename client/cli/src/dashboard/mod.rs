//! `din dashboard`: a web page of a node's tasks, live, and a browser wallet's way to fund
//! a crowdfunded task (docs/dashboard.md).
//!
//! The page (`client/cli/dashboard/`: HTML, plain JavaScript, CSS) is embedded in the
//! binary and reads everything from the JSON API here, which answers with the code behind
//! `din task status --json` and `din task watch --json-lines`: the browser shows the
//! numbers the CLI prints, and decodes no chain data itself. Reads are at the latest
//! finalized block; events come from the [`journal`].

use std::net::{Ipv4Addr, SocketAddr};
use std::str::FromStr;
use std::sync::{Arc, RwLock};

use anyhow::Context;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use clap::Args;
use din_chain::types::{Role, TaskInfo};
use din_chain::{AccountId32, Chain, Denomination};
use serde_json::{json, Value};

use crate::common::{denomination_json, format_amount, ChainArgs};
use crate::task::status::{
	aggregation_name, describe_model, scoring_name, summary_json, TaskStatus,
};

mod journal;

use journal::Journal;

/// The most tasks the overview and the account lists read, newest first: each costs a few
/// storage reads per poll.
const MAX_TASKS_SHOWN: u32 = 100;

/// `din dashboard`.
#[derive(Debug, Args)]
pub struct DashboardArgs {
	/// Serve the dashboard on this TCP port.
	#[arg(long, default_value_t = 8090)]
	pub port: u16,
	/// Listen on every interface, not only on loopback.
	#[arg(long)]
	pub external: bool,
	/// Read the events of this many finalized blocks before the head at start, so that a
	/// task already running shows its past rounds (within the node's state pruning: 256
	/// blocks by default, any number on an archive node).
	#[arg(long, default_value_t = 200)]
	pub history_blocks: u64,
	#[command(flatten)]
	pub chain: ChainArgs,
}

/// What every request reads.
struct Dashboard {
	chain: Chain,
	journal: Arc<RwLock<Journal>>,
}

pub async fn run(args: DashboardArgs) -> anyhow::Result<()> {
	let chain = args.chain.connect().await?;
	let (head, _) = chain.finalized_head().await?;
	let journal =
		Arc::new(RwLock::new(Journal::starting_at(head.saturating_sub(args.history_blocks))));
	tokio::spawn(journal::follow(chain.clone(), journal.clone()));
	let ip = if args.external { Ipv4Addr::UNSPECIFIED } else { Ipv4Addr::LOCALHOST };
	let address = SocketAddr::from((ip, args.port));
	let listener = tokio::net::TcpListener::bind(address)
		.await
		.with_context(|| format!("binding the dashboard to {address}"))?;
	tracing::info!(target: "din", "dashboard of {} on http://{address}/", args.chain.url);
	axum::serve(listener, router(Arc::new(Dashboard { chain, journal }))).await?;
	Ok(())
}

fn router(dashboard: Arc<Dashboard>) -> Router {
	Router::new()
		.route("/", get(|| async { asset("text/html; charset=utf-8", INDEX_HTML) }))
		.route("/app.js", get(|| async { asset("text/javascript; charset=utf-8", APP_JS) }))
		.route("/style.css", get(|| async { asset("text/css; charset=utf-8", STYLE_CSS) }))
		.route("/api/overview", get(overview))
		.route("/api/tasks/{task}", get(task))
		.route("/api/accounts", get(accounts))
		.route("/api/accounts/{account}", get(account))
		.route("/api/validators", get(validators))
		.route("/api/evm", get(evm))
		.route("/api/spec", post(spec))
		.with_state(dashboard)
}

const INDEX_HTML: &str = include_str!("../../dashboard/index.html");
const APP_JS: &str = include_str!("../../dashboard/app.js");
const STYLE_CSS: &str = include_str!("../../dashboard/style.css");

/// The page's scripts and styles come only from here and it fetches only from here (an
/// injected wallet talks to its own node): chain data shown on it cannot load anything.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
	style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
	frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

fn asset(content_type: &'static str, body: &'static str) -> Response {
	let mut response = body.into_response();
	let headers = response.headers_mut();
	headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
	headers
		.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
	headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
	response
}

/// An API answer: JSON, or an error status with `{"error": …}`.
enum Answer {
	Json(Value),
	NotFound(String),
	BadRequest(String),
	Failed(anyhow::Error),
}

impl IntoResponse for Answer {
	fn into_response(self) -> Response {
		let (status, body) = match self {
			Answer::Json(value) => (StatusCode::OK, value),
			Answer::NotFound(why) => (StatusCode::NOT_FOUND, json!({ "error": why })),
			Answer::BadRequest(why) => (StatusCode::BAD_REQUEST, json!({ "error": why })),
			Answer::Failed(error) => {
				(StatusCode::BAD_GATEWAY, json!({ "error": format!("{error:#}") }))
			},
		};
		let mut response = (status, body.to_string()).into_response();
		let headers = response.headers_mut();
		headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
		headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
		response
	}
}

impl<E: Into<anyhow::Error>> From<E> for Answer {
	fn from(error: E) -> Self {
		Answer::Failed(error.into())
	}
}

/// A handler's result: `?` turns any error into a 502 (the node failed us).
type Reply = Result<Answer, Answer>;

/// The tasks the chain holds, newest first, at most [`MAX_TASKS_SHOWN`].
async fn recent_tasks(chain: &Chain) -> anyhow::Result<Vec<(u32, TaskInfo)>> {
	let next = chain.next_task_id().await?;
	let mut tasks = Vec::new();
	for id in (next.saturating_sub(MAX_TASKS_SHOWN)..next).rev() {
		if let Some(info) = chain.task(id).await? {
			tasks.push((id, info));
		}
	}
	Ok(tasks)
}

async fn overview(State(dashboard): State<Arc<Dashboard>>) -> Reply {
	let chain = &dashboard.chain;
	let (finalized, _) = chain.finalized_head().await?;
	let mut rows = Vec::new();
	for (task, info) in recent_tasks(chain).await? {
		let unit = chain.denomination(&info.spec.reward.asset).await?;
		let participants = chain.participants(task).await?.len();
		rows.push(summary_json(task, &info, &unit, participants));
	}
	Ok(Answer::Json(json!({
		"finalized": finalized,
		"native": denomination_json(&Denomination::native()),
		"tasks": rows,
	})))
}

async fn task(State(dashboard): State<Arc<Dashboard>>, Path(task): Path<u32>) -> Reply {
	if dashboard.chain.task(task).await?.is_none() {
		return Err(Answer::NotFound(format!(
			"task {task} does not exist (never created, or ended and pruned)"
		)));
	}
	let status = TaskStatus::read(&dashboard.chain, task).await?;
	let journal = journal::read(&dashboard.journal);
	Ok(Answer::Json(json!({
		"status": status.json(),
		"events": journal.events(task),
		"history_from": journal.from,
	})))
}

/// A bond as the dashboard shows it (native amounts).
fn bond_json(ledger: Option<din_chain::types::Ledger>) -> Value {
	match ledger {
		Some(ledger) => json!({
			"active": ledger.active.to_string(),
			"locked": ledger.locked.to_string(),
			"unlocking": ledger.unlocking.0.len(),
		}),
		None => Value::Null,
	}
}

async fn accounts(State(dashboard): State<Arc<Dashboard>>) -> Reply {
	let chain = &dashboard.chain;
	let mut participants = std::collections::BTreeMap::<AccountId32, Vec<u32>>::new();
	for (task, _) in recent_tasks(chain).await? {
		for who in chain.participants(task).await? {
			participants.entry(who).or_default().push(task);
		}
	}
	let mut listed = Vec::new();
	for (who, tasks) in participants {
		listed.push(json!({
			"account": who.to_string(),
			"bond": bond_json(chain.ledger(&who, Role::Participant).await?),
			"reputation": chain.reputation(&who, Role::Participant).await?,
			"tasks": tasks,
		}));
	}
	let mut evaluators = Vec::new();
	for who in chain.evaluator_pool().await? {
		evaluators.push(json!({
			"account": who.to_string(),
			"bond": bond_json(chain.ledger(&who, Role::Evaluator).await?),
			"reputation": chain.reputation(&who, Role::Evaluator).await?,
			"tasks": [],
		}));
	}
	Ok(Answer::Json(json!({ "evaluators": evaluators, "participants": listed })))
}

/// The session's validators, the planned set and everyone standing, as `din validator
/// status --json` prints them.
async fn validators(State(dashboard): State<Arc<Dashboard>>) -> Reply {
	let set = dashboard.chain.validator_set().await?;
	Ok(Answer::Json(crate::validator::status_json(&set)))
}

async fn account(State(dashboard): State<Arc<Dashboard>>, Path(account): Path<String>) -> Reply {
	let who = AccountId32::from_str(&account)
		.map_err(|e| Answer::BadRequest(format!("{account:?} is no SS58 address: {e}")))?;
	let chain = &dashboard.chain;
	let balance = chain.balance(&who).await?;
	let mut tasks = Vec::new();
	for (task, info) in recent_tasks(chain).await? {
		if info.owner == who {
			tasks.push(json!({ "task": task, "role": "owner" }));
		}
		if chain.participants(task).await?.contains(&who) {
			tasks.push(json!({ "task": task, "role": "participant" }));
		}
	}
	Ok(Answer::Json(json!({
		"account": who.to_string(),
		"balance": { "free": balance.free.to_string(), "reserved": balance.reserved.to_string() },
		"evaluator": {
			"bond": bond_json(chain.ledger(&who, Role::Evaluator).await?),
			"reputation": chain.reputation(&who, Role::Evaluator).await?,
			"in_pool": chain.evaluator_pool().await?.contains(&who),
		},
		"participant": {
			"bond": bond_json(chain.ledger(&who, Role::Participant).await?),
			"reputation": chain.reputation(&who, Role::Participant).await?,
		},
		"tasks": tasks,
	})))
}

/// The `TaskCrowdfund` functions the page calls, by Solidity signature.
const CROWDFUND_FUNCTIONS: [(&str, &str); 8] = [
	("goal", "goal()"),
	("raised", "raised()"),
	("launched", "launched()"),
	("task", "task()"),
	("token", "token()"),
	("spec", "spec()"),
	("contribute", "contribute()"),
	("launch", "launch()"),
];

/// A Solidity function's 4-byte selector: the first bytes of the Keccak-256 of its
/// signature, `0x`-hex.
fn selector(signature: &str) -> String {
	format!("0x{}", hex::encode(&sp_crypto_hashing::keccak_256(signature.as_bytes())[..4]))
}

async fn evm(State(dashboard): State<Arc<Dashboard>>) -> Reply {
	let ratio = dashboard.chain.native_to_eth_ratio().await?;
	let selectors: serde_json::Map<String, Value> = CROWDFUND_FUNCTIONS
		.iter()
		.map(|(name, signature)| (name.to_string(), json!(selector(signature))))
		.collect();
	Ok(Answer::Json(json!({
		"wei_per_native": ratio.to_string(),
		"native": denomination_json(&Denomination::native()),
		"crowdfund": selectors,
	})))
}

async fn spec(State(dashboard): State<Arc<Dashboard>>, body: String) -> Reply {
	let request: Value = serde_json::from_str(&body)
		.map_err(|e| Answer::BadRequest(format!("the body is no JSON: {e}")))?;
	let hex_spec = request["spec"]
		.as_str()
		.ok_or_else(|| Answer::BadRequest("no \"spec\" string in the body".into()))?;
	let bytes = hex::decode(hex_spec.trim_start_matches("0x"))
		.map_err(|e| Answer::BadRequest(format!("\"spec\" is no hex: {e}")))?;
	let chain = &dashboard.chain;
	let (spec, deposit) = chain.spec_and_deposit(&bytes).await.map_err(|e| match e {
		din_chain::Error::Rejected(why) => Answer::BadRequest(why),
		other => Answer::Failed(other.into()),
	})?;
	let ratio = chain.native_to_eth_ratio().await?;
	let unit = chain.denomination(&spec.reward.asset).await?;
	let model = din_fl::TaskModel::from_bytes(&spec.model.architecture.0)
		.map(|model| describe_model(&model))
		.map_err(|e| Answer::BadRequest(format!("the spec's model does not decode: {e}")))?;
	Ok(Answer::Json(json!({
		"rounds": spec.rounds,
		"model": model,
		"aggregation": aggregation_name(&spec.aggregation),
		"scoring": scoring_name(&spec.scoring),
		"reward_asset": denomination_json(&unit),
		"pool": spec.reward.amount.to_string(),
		"pool_formatted": unit.format(spec.reward.amount),
		"deposit": deposit.to_string(),
		"deposit_formatted": format_amount(deposit),
		"deposit_wei": (deposit.saturating_mul(u128::from(ratio))).to_string(),
	})))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn selectors_are_those_solidity_computes() {
		// Known selectors: ERC-20's `transfer(address,uint256)` and `totalSupply()`.
		assert_eq!(selector("transfer(address,uint256)"), "0xa9059cbb");
		assert_eq!(selector("totalSupply()"), "0x18160ddd");
	}
}
