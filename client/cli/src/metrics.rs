//! Prometheus metrics of the daemons: what a participant or an evaluator has done and what
//! failed, served as `GET /metrics` in the text exposition format on `--prometheus-port`
//! (loopback unless `--prometheus-external`), the flags and format of a node's own
//! endpoint, so that one Prometheus scrapes validators and daemons alike.
//!
//! Every metric is named `din_…`; counters end in `_total`, durations are histograms in
//! seconds. A daemon registers all of them, so that an unlabelled counter reads zero, not
//! nothing, before the daemon's first duty; a labelled one appears with its first count.

use std::net::{Ipv4Addr, SocketAddr};

use anyhow::Context;
use axum::http::header;
use axum::routing::get;
use axum::Router;
use clap::Args;
use din_fl::duty::Rejection;
use din_store::Store;
use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{
	Encoder, Histogram, HistogramOpts, IntCounter, IntCounterVec, Opts, Registry, TextEncoder,
};

/// Where a daemon serves its metrics.
#[derive(Debug, Clone, Args)]
pub struct MetricsArgs {
	/// Serve Prometheus metrics on this TCP port (`GET /metrics`); none without it.
	#[arg(long)]
	pub prometheus_port: Option<u16>,
	/// Listen for Prometheus on every interface, not only on loopback.
	#[arg(long, requires = "prometheus_port")]
	pub prometheus_external: bool,
}

impl MetricsArgs {
	/// Registers the daemon metrics, with those of its artifact store, and, with
	/// `--prometheus-port`, serves them until the process exits.
	pub async fn start(&self, store: &Store) -> anyhow::Result<Metrics> {
		let metrics = Metrics::new()?;
		metrics.registry.register(Box::new(StoreCollector::new(store.clone())?))?;
		if let Some(port) = self.prometheus_port {
			let ip =
				if self.prometheus_external { Ipv4Addr::UNSPECIFIED } else { Ipv4Addr::LOCALHOST };
			let address = SocketAddr::from((ip, port));
			let listener = tokio::net::TcpListener::bind(address)
				.await
				.with_context(|| format!("binding the Prometheus endpoint to {address}"))?;
			let registry = metrics.registry.clone();
			let app = Router::new().route(
				"/metrics",
				get(move || {
					let registry = registry.clone();
					async move { ([(header::CONTENT_TYPE, prometheus::TEXT_FORMAT)], render(&registry)) }
				}),
			);
			tracing::info!(target: "din", "Prometheus metrics on http://{address}/metrics");
			tokio::spawn(async move {
				if let Err(error) = axum::serve(listener, app).await {
					tracing::warn!(target: "din", "the Prometheus endpoint stopped: {error}");
				}
			});
		}
		Ok(metrics)
	}
}

/// The text exposition of every metric in `registry`.
fn render(registry: &Registry) -> String {
	let mut text = Vec::new();
	// Encoding our own well-formed families into memory cannot fail.
	let _ = TextEncoder::new().encode(&registry.gather(), &mut text);
	String::from_utf8(text).unwrap_or_default()
}

/// The daemons' metrics (cheap to clone: every metric is a shared handle).
#[derive(Clone)]
pub struct Metrics {
	registry: Registry,
	/// Participant: local updates trained.
	pub updates_trained: IntCounter,
	/// Participant: updates submitted on chain.
	pub updates_submitted: IntCounter,
	/// Participant: withheld updates published to the store once Training closed.
	pub updates_published: IntCounter,
	/// Participant: seconds of local training per update.
	pub training_seconds: Histogram,
	/// Evaluator: subgroup aggregates computed.
	pub aggregations: IntCounter,
	/// Evaluator: updates it rejected while aggregating, by cause.
	pub updates_rejected: IntCounterVec,
	/// Evaluator: commits and reveals it sent, by kind.
	pub votes: IntCounterVec,
	/// Evaluator: Groth16 score proofs made, and the seconds each took.
	pub proofs: IntCounter,
	pub proof_seconds: Histogram,
	/// Both: duties that failed and are retried at the next block, by duty.
	pub duty_failures: IntCounterVec,
}

impl Metrics {
	/// Every metric, registered on a registry of its own.
	pub fn new() -> anyhow::Result<Self> {
		let registry = Registry::new();
		let counter = |name: &str, help: &str| -> anyhow::Result<IntCounter> {
			let counter = IntCounter::new(name, help)?;
			registry.register(Box::new(counter.clone()))?;
			Ok(counter)
		};
		let labelled = |name: &str, help: &str, label: &str| -> anyhow::Result<IntCounterVec> {
			let counter = IntCounterVec::new(Opts::new(name, help), &[label])?;
			registry.register(Box::new(counter.clone()))?;
			Ok(counter)
		};
		let seconds = |name: &str, help: &str, buckets: Vec<f64>| -> anyhow::Result<Histogram> {
			let histogram = Histogram::with_opts(HistogramOpts::new(name, help).buckets(buckets))?;
			registry.register(Box::new(histogram.clone()))?;
			Ok(histogram)
		};
		let metrics = Self {
			updates_trained: counter("din_updates_trained_total", "Local updates trained")?,
			updates_submitted: counter(
				"din_updates_submitted_total",
				"Updates submitted on chain",
			)?,
			updates_published: counter(
				"din_updates_published_total",
				"Withheld updates published once Training closed",
			)?,
			training_seconds: seconds(
				"din_training_seconds",
				"Seconds of local training per update",
				prometheus::exponential_buckets(0.01, 4.0, 9)?,
			)?,
			aggregations: counter("din_aggregations_total", "Subgroup aggregates computed")?,
			updates_rejected: labelled(
				"din_updates_rejected_total",
				"Updates rejected while aggregating, by cause",
				"cause",
			)?,
			votes: labelled("din_votes_total", "Commits and reveals sent, by kind", "kind")?,
			proofs: counter("din_proofs_total", "Groth16 score proofs made")?,
			proof_seconds: seconds(
				"din_proof_seconds",
				"Seconds per Groth16 score proof",
				prometheus::exponential_buckets(0.5, 2.0, 9)?,
			)?,
			duty_failures: labelled(
				"din_duty_failures_total",
				"Duties that failed and are retried at the next block, by duty",
				"duty",
			)?,
			registry,
		};
		Ok(metrics)
	}

	/// The metrics as Prometheus would scrape them.
	pub fn render(&self) -> String {
		render(&self.registry)
	}
}

/// The artifact store's network counts ([`din_store::NetworkStats`]), read at each scrape.
struct StoreCollector {
	store: Store,
	blocks_served: IntCounter,
	bytes_served: IntCounter,
	blocks_not_found: IntCounter,
	peers_banned: IntCounter,
}

impl StoreCollector {
	fn new(store: Store) -> anyhow::Result<Self> {
		Ok(Self {
			store,
			blocks_served: IntCounter::new(
				"din_store_blocks_served_total",
				"Blocks this process's store sent to peers",
			)?,
			bytes_served: IntCounter::new(
				"din_store_bytes_served_total",
				"Bytes of blocks this process's store sent to peers",
			)?,
			blocks_not_found: IntCounter::new(
				"din_store_blocks_not_found_total",
				"Block requests for blocks this process's store does not hold",
			)?,
			peers_banned: IntCounter::new(
				"din_store_peers_banned_total",
				"Peers banned for serving bytes that do not match their CID",
			)?,
		})
	}

	fn counters(&self) -> [&IntCounter; 4] {
		[&self.blocks_served, &self.bytes_served, &self.blocks_not_found, &self.peers_banned]
	}
}

impl Collector for StoreCollector {
	fn desc(&self) -> Vec<&Desc> {
		self.counters().into_iter().flat_map(|counter| counter.desc()).collect()
	}

	fn collect(&self) -> Vec<MetricFamily> {
		use std::sync::atomic::Ordering::Relaxed;
		let stats = self.store.network_stats();
		let counts = [
			stats.blocks_served.load(Relaxed),
			stats.bytes_served.load(Relaxed),
			stats.blocks_not_found.load(Relaxed),
			stats.peers_banned.load(Relaxed),
		];
		for (counter, count) in self.counters().into_iter().zip(counts) {
			// The store's counts only grow; the counter catches up with them.
			counter.inc_by(count.saturating_sub(counter.get()));
		}
		self.counters().into_iter().flat_map(|counter| counter.collect()).collect()
	}
}

/// The `cause` label of a rejected update: its kind, without the details that would make
/// one series per update.
pub fn cause(rejection: &Rejection) -> &'static str {
	match rejection {
		Rejection::Unavailable(_) => "unavailable",
		Rejection::Malformed(_) => "malformed",
		Rejection::NotOfTheModel(_) => "not_of_the_model",
		Rejection::SampleCountMismatch { .. } => "sample_count_mismatch",
		Rejection::CommitmentMismatch => "commitment_mismatch",
		Rejection::NotTheAuthor => "not_the_author",
		Rejection::TrainedNothing => "trained_nothing",
		Rejection::OverPrivacyBound { .. } => "over_privacy_bound",
		Rejection::NotMasked(_) => "not_masked",
		Rejection::WrongShare => "wrong_share",
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn every_metric_is_exposed_from_the_start_and_counts() {
		let metrics = Metrics::new().expect("metrics register");
		metrics.updates_submitted.inc();
		metrics
			.updates_rejected
			.with_label_values(&[cause(&Rejection::NotTheAuthor)])
			.inc();
		let text = metrics.render();
		assert!(text.contains("din_updates_submitted_total 1"), "{text}");
		assert!(text.contains("din_updates_trained_total 0"), "{text}");
		assert!(text.contains("din_updates_rejected_total{cause=\"not_the_author\"} 1"), "{text}");
		assert!(text.contains("din_proof_seconds_bucket"), "{text}");
	}

	#[tokio::test]
	async fn the_endpoint_serves_the_text_format_on_loopback() {
		let port = std::net::TcpListener::bind("127.0.0.1:0")
			.and_then(|l| l.local_addr())
			.expect("a free port")
			.port();
		let dir = tempfile::tempdir().expect("temp dir");
		let store = Store::start(din_store::StoreConfig::new(dir.path())).await.expect("store");
		let args = MetricsArgs { prometheus_port: Some(port), prometheus_external: false };
		let metrics = args.start(&store).await.expect("endpoint starts");
		metrics.proofs.inc();
		let response = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
			.await
			.expect("endpoint answers");
		assert_eq!(response.status(), 200);
		let text = response.text().await.expect("text body");
		assert!(text.contains("din_proofs_total 1"), "{text}");
		assert!(text.contains("din_store_bytes_served_total 0"), "{text}");
	}
}
