//! Shared helpers for the node's integration tests: real `din-node` processes on free
//! loopback ports, spoken to over JSON-RPC (HTTP), killed on every path.

#![allow(dead_code)]

use serde_json::{json, Value};
use std::{
	io::{Read, Write},
	net::{TcpListener, TcpStream},
	path::{Path, PathBuf},
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

/// The `din-node` binary Cargo built for these tests.
pub const NODE_BIN: &str = env!("CARGO_BIN_EXE_din-node");

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
	TcpListener::bind("127.0.0.1:0")
		.and_then(|l| l.local_addr())
		.map(|a| a.port())
		.expect("the OS hands out an ephemeral loopback port")
}

/// A running `din-node`; killed (and reaped) when dropped, so a failing assertion never
/// leaves a process behind.
pub struct Node {
	pub name: String,
	pub rpc_port: u16,
	pub p2p_port: u16,
	pub log: PathBuf,
	child: Child,
}

impl Node {
	/// Starts `din-node` with `args`, its own base path under `dir`, free ports, and its
	/// log in `dir/<name>.log`.
	pub fn start(name: &str, dir: &Path, args: &[&str]) -> Node {
		let rpc_port = free_port();
		let p2p_port = free_port();
		let prometheus_port = free_port();
		let log = dir.join(format!("{name}.log"));
		let log_file = std::fs::File::create(&log).expect("log file in a temp dir");
		let child = Command::new(NODE_BIN)
			.args(args)
			.args(["--base-path", dir.join(name).to_str().expect("utf-8 temp path")])
			.args(["--rpc-port", &rpc_port.to_string()])
			.args(["--prometheus-port", &prometheus_port.to_string()])
			.args(["--no-telemetry", "--no-mdns"])
			.args(["--listen-addr", &format!("/ip4/127.0.0.1/tcp/{p2p_port}")])
			.stdout(Stdio::null())
			.stderr(Stdio::from(log_file))
			.spawn()
			.expect("din-node starts");
		Node { name: name.into(), rpc_port, p2p_port, log, child }
	}

	/// One JSON-RPC call; `Err` when the node is not (yet) answering or returns an error.
	pub fn rpc(&self, method: &str, params: Value) -> Result<Value, String> {
		rpc_call(self.rpc_port, method, params)
	}

	/// Calls `method` until `check` accepts its result or `timeout` passes.
	pub fn wait_for<T>(
		&mut self,
		what: &str,
		timeout: Duration,
		mut check: impl FnMut(&Node) -> Option<T>,
	) -> T {
		let deadline = Instant::now() + timeout;
		loop {
			if let Some(v) = check(self) {
				return v;
			}
			if let Ok(Some(status)) = self.child.try_wait() {
				panic!(
					"{} exited ({status}) while waiting for {what}\n{}",
					self.name,
					self.log_tail()
				);
			}
			if Instant::now() > deadline {
				panic!(
					"{}: timed out after {timeout:?} waiting for {what}\n{}",
					self.name,
					self.log_tail()
				);
			}
			std::thread::sleep(Duration::from_millis(500));
		}
	}

	/// Number of the best block.
	pub fn best_number(&self) -> Option<u64> {
		let header = self.rpc("chain_getHeader", json!([])).ok()?;
		parse_number(&header)
	}

	/// Hash and number of the last finalized block.
	pub fn finalized(&self) -> Option<(String, u64)> {
		let hash = self.rpc("chain_getFinalizedHead", json!([])).ok()?;
		let header = self.rpc("chain_getHeader", json!([hash])).ok()?;
		Some((hash.as_str()?.to_string(), parse_number(&header)?))
	}

	/// The multiaddress other nodes use to dial this one.
	pub fn multiaddr(&mut self) -> String {
		let peer_id = self.wait_for("its peer id", Duration::from_secs(120), |n| {
			n.rpc("system_localPeerId", json!([])).ok()?.as_str().map(str::to_string)
		});
		format!("/ip4/127.0.0.1/tcp/{}/p2p/{peer_id}", self.p2p_port)
	}

	/// The last lines of this node's log, for failure messages.
	pub fn log_tail(&self) -> String {
		let text = std::fs::read_to_string(&self.log).unwrap_or_default();
		let lines: Vec<&str> = text.lines().collect();
		let from = lines.len().saturating_sub(40);
		format!("--- last lines of {} ---\n{}", self.log.display(), lines[from..].join("\n"))
	}
}

impl Drop for Node {
	fn drop(&mut self) {
		let _ = self.child.kill();
		let _ = self.child.wait();
	}
}

fn parse_number(header: &Value) -> Option<u64> {
	let hex = header.get("number")?.as_str()?;
	u64::from_str_radix(hex.trim_start_matches("0x"), 16).ok()
}

/// A JSON-RPC call over plain HTTP/1.1 on loopback (no client library needed).
pub fn rpc_call(port: u16, method: &str, params: Value) -> Result<Value, String> {
	let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params }).to_string();
	let mut stream =
		TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
	stream
		.set_read_timeout(Some(Duration::from_secs(30)))
		.map_err(|e| e.to_string())?;
	let request = format!(
		"POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
		 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
		body.len()
	);
	stream.write_all(request.as_bytes()).map_err(|e| format!("write: {e}"))?;
	let mut raw = Vec::new();
	stream.read_to_end(&mut raw).map_err(|e| format!("read: {e}"))?;
	let text = String::from_utf8_lossy(&raw);
	let (head, payload) = text.split_once("\r\n\r\n").ok_or("malformed HTTP response")?;
	let payload = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
		dechunk(payload)
	} else {
		payload.to_string()
	};
	let reply: Value = serde_json::from_str(&payload).map_err(|e| format!("json: {e}"))?;
	match reply.get("error") {
		Some(err) => Err(format!("rpc error: {err}")),
		None => Ok(reply.get("result").cloned().unwrap_or(Value::Null)),
	}
}

fn dechunk(mut body: &str) -> String {
	let mut out = String::new();
	while let Some((size, rest)) = body.split_once("\r\n") {
		let Ok(size) = usize::from_str_radix(size.trim(), 16) else { break };
		if size == 0 || rest.len() < size {
			break;
		}
		out.push_str(&rest[..size]);
		body = rest[size..].trim_start_matches("\r\n");
	}
	out
}
