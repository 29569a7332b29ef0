//! JSON-RPC 2.0 over one WebSocket: the transport under subxt.
//!
//! subxt's own WebSocket client sits behind its `jsonrpsee` feature, which would switch on
//! more jsonrpsee features under the whole polkadot-sdk build (see the crate docs,
//! "Transport"). This client is the small replacement: [`WsClient`] implements subxt's
//! [`RpcClientT`], so subxt's legacy backend runs on it unchanged.
//!
//! Shape: [`WsClient::connect`] opens the socket and spawns one `EventLoop` task that owns
//! it. Calls reach the loop as `Command`s carrying a oneshot reply; the loop keeps them
//! in `pending` by request id until the node answers. A subscription is registered under
//! its subscription id in the same step that answers the subscribe call, so no
//! notification can arrive before its stream exists. Dropping a subscription's stream
//! unsubscribes on the node. The connection closes when the client and all its
//! subscription streams are dropped; when the socket closes first, every pending call
//! fails and every subscription stream ends.

use futures::{SinkExt, Stream, StreamExt};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::{
	collections::HashMap,
	pin::Pin,
	task::{Context, Poll},
	time::Duration,
};
use subxt::rpcs::{
	client::{RawRpcFuture, RawRpcSubscription, RpcClientT},
	Error as RpcError, UserError,
};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::{
	tungstenite::{self, Message},
	MaybeTlsStream, WebSocketStream,
};

/// How long [`WsClient::connect`] waits for the WebSocket handshake.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one call (or subscribe) waits for the node's answer.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;
type Reply<T> = oneshot::Sender<Result<T, RpcError>>;

/// A transport failure (the node's own JSON-RPC errors are [`UserError`]s).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TransportError(String);

fn transport(msg: impl Into<String>) -> RpcError {
	RpcError::Client(Box::new(TransportError(msg.into())))
}

/// A JSON-RPC client over one WebSocket connection (`ws://` or `wss://`).
///
/// Cheap to share behind subxt's `RpcClient`; the connection lives as long as this value
/// (or a subscription stream taken from it).
#[derive(Debug)]
pub struct WsClient {
	commands: mpsc::UnboundedSender<Command>,
}

impl WsClient {
	/// Connects to `url` and spawns the connection's event loop on the current tokio
	/// runtime.
	pub async fn connect(url: &str) -> Result<WsClient, RpcError> {
		let runtime = tokio::runtime::Handle::try_current()
			.map_err(|_| transport("din-chain's client must run inside a tokio runtime"))?;
		let (socket, _) =
			tokio::time::timeout(CONNECT_TIMEOUT, tokio_tungstenite::connect_async(url))
				.await
				.map_err(|_| {
					transport(format!("timed out after {CONNECT_TIMEOUT:?} connecting to {url}"))
				})?
				.map_err(|e| transport(format!("cannot connect to {url}: {e}")))?;
		let (commands, receiver) = mpsc::unbounded_channel();
		let event_loop = EventLoop {
			socket,
			commands: receiver,
			handle: commands.downgrade(),
			next_id: 0,
			pending: HashMap::new(),
			subscriptions: HashMap::new(),
		};
		runtime.spawn(event_loop.run());
		Ok(WsClient { commands })
	}

	async fn call<T>(
		&self,
		what: &str,
		command: impl FnOnce(Reply<T>) -> Command,
	) -> Result<T, RpcError> {
		let (reply, answer) = oneshot::channel();
		self.commands
			.send(command(reply))
			.map_err(|_| transport("the connection is closed"))?;
		match tokio::time::timeout(REQUEST_TIMEOUT, answer).await {
			Err(_) => Err(transport(format!("no answer to {what} within {REQUEST_TIMEOUT:?}"))),
			Ok(Err(_)) => {
				Err(transport(format!("the connection closed before {what} was answered")))
			},
			Ok(Ok(result)) => result,
		}
	}
}

impl RpcClientT for WsClient {
	fn request_raw<'a>(
		&'a self,
		method: &'a str,
		params: Option<Box<RawValue>>,
	) -> RawRpcFuture<'a, Box<RawValue>> {
		Box::pin(self.call(method, |reply| Command::Request {
			method: method.into(),
			params,
			reply,
		}))
	}

	fn subscribe_raw<'a>(
		&'a self,
		sub: &'a str,
		params: Option<Box<RawValue>>,
		unsub: &'a str,
	) -> RawRpcFuture<'a, RawRpcSubscription> {
		Box::pin(self.call(sub, |reply| Command::Subscribe {
			method: sub.into(),
			params,
			unsubscribe: unsub.into(),
			reply,
		}))
	}
}

/// What a [`WsClient`] asks of its event loop.
enum Command {
	Request {
		method: String,
		params: Option<Box<RawValue>>,
		reply: Reply<Box<RawValue>>,
	},
	Subscribe {
		method: String,
		params: Option<Box<RawValue>>,
		unsubscribe: String,
		reply: Reply<RawRpcSubscription>,
	},
	/// A subscription's stream was dropped.
	Unsubscribe {
		id: String,
	},
}

/// A call sent to the node, waiting for its answer.
enum Pending {
	Request(Reply<Box<RawValue>>),
	Subscribe {
		unsubscribe: String,
		reply: Reply<RawRpcSubscription>,
	},
	/// An unsubscribe we sent on our own; its answer is not awaited.
	Unsubscribe,
}

/// A live subscription: where its notifications go and how to end it.
struct Subscription {
	unsubscribe: String,
	notifications: mpsc::UnboundedSender<Box<RawValue>>,
}

/// Owns the socket; see the module docs.
struct EventLoop {
	socket: Socket,
	commands: mpsc::UnboundedReceiver<Command>,
	/// For the streams it hands out; weak, so that the loop ends once every client handle
	/// and stream is gone.
	handle: mpsc::WeakUnboundedSender<Command>,
	next_id: u64,
	pending: HashMap<u64, Pending>,
	subscriptions: HashMap<String, Subscription>,
}

impl EventLoop {
	async fn run(mut self) {
		let reason = loop {
			tokio::select! {
				command = self.commands.recv() => match command {
					Some(command) => if let Err(e) = self.on_command(command).await {
						break format!("cannot send: {e}");
					},
					// Every client handle is gone: close the connection.
					None => {
						let _ = self.socket.close(None).await;
						break "the client was dropped".to_string();
					},
				},
				frame = self.socket.next() => match frame {
					Some(Ok(Message::Text(text))) => if let Err(e) = self.on_frame(text.as_str()).await {
						break format!("cannot send: {e}");
					},
					Some(Ok(Message::Binary(bytes))) => match std::str::from_utf8(&bytes) {
						Ok(text) => if let Err(e) = self.on_frame(text).await {
							break format!("cannot send: {e}");
						},
						Err(_) => tracing::debug!(target: "din-chain", "ignoring a non-UTF-8 binary frame"),
					},
					// Pings are answered by tungstenite itself.
					Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {},
					Some(Ok(Message::Close(frame))) => break format!("the node closed the connection ({frame:?})"),
					Some(Err(e)) => break format!("connection error: {e}"),
					None => break "the connection ended".to_string(),
				},
			}
		};
		tracing::debug!(target: "din-chain", "JSON-RPC connection closed: {reason}");
		for (_, pending) in self.pending.drain() {
			match pending {
				Pending::Request(reply) => {
					let _ = reply.send(Err(transport(format!("connection closed: {reason}"))));
				},
				Pending::Subscribe { reply, .. } => {
					let _ = reply.send(Err(transport(format!("connection closed: {reason}"))));
				},
				Pending::Unsubscribe => {},
			}
		}
		// Dropping the senders ends every subscription stream.
		self.subscriptions.clear();
	}

	async fn on_command(&mut self, command: Command) -> Result<(), tungstenite::Error> {
		match command {
			Command::Request { method, params, reply } => {
				self.send(&method, params, Pending::Request(reply)).await
			},
			Command::Subscribe { method, params, unsubscribe, reply } => {
				self.send(&method, params, Pending::Subscribe { unsubscribe, reply }).await
			},
			Command::Unsubscribe { id } => self.unsubscribe(&id).await,
		}
	}

	/// Sends a call and remembers what to do with its answer.
	async fn send(
		&mut self,
		method: &str,
		params: Option<Box<RawValue>>,
		pending: Pending,
	) -> Result<(), tungstenite::Error> {
		let id = self.next_id;
		self.next_id += 1;
		let params = params.as_deref().map(RawValue::get).unwrap_or("[]");
		let method = serde_json::to_string(method).expect("a string serializes; qed");
		let request =
			format!(r#"{{"jsonrpc":"2.0","id":{id},"method":{method},"params":{params}}}"#);
		self.pending.insert(id, pending);
		let sent = self.socket.send(Message::Text(request.into())).await;
		if sent.is_err() {
			self.pending.remove(&id);
		}
		sent
	}

	async fn on_frame(&mut self, text: &str) -> Result<(), tungstenite::Error> {
		let frame: Frame = match serde_json::from_str(text) {
			Ok(frame) => frame,
			Err(e) => {
				tracing::debug!(target: "din-chain", "ignoring a malformed JSON-RPC frame: {e}");
				return Ok(());
			},
		};
		if let Some(notification) = frame.params {
			self.on_notification(notification).await?;
			return Ok(());
		}
		let id = frame.id.as_ref().and_then(serde_json::Value::as_u64);
		let Some(pending) = id.and_then(|id| self.pending.remove(&id)) else {
			tracing::debug!(target: "din-chain", "ignoring an answer to no pending call");
			return Ok(());
		};
		let result = match (frame.result, frame.error) {
			(_, Some(error)) => Err(RpcError::User(error)),
			(Some(result), None) => Ok(result),
			(None, None) => Err(transport("an answer with neither result nor error")),
		};
		match pending {
			Pending::Request(reply) => {
				let _ = reply.send(result);
			},
			Pending::Subscribe { unsubscribe, reply } => {
				let subscribed = result.and_then(|raw| {
					subscription_id(&raw)
						.ok_or_else(|| transport(format!("not a subscription id: {}", raw.get())))
				});
				match (subscribed, self.handle.upgrade()) {
					(Ok(id), Some(commands)) => {
						let (notifications, receiver) = mpsc::unbounded_channel();
						self.subscriptions
							.insert(id.clone(), Subscription { unsubscribe, notifications });
						let stream = Box::pin(Notifications { receiver, id: id.clone(), commands });
						let _ = reply.send(Ok(RawRpcSubscription { stream, id: Some(id) }));
					},
					// No client handle is left to use the subscription.
					(Ok(_), None) => {},
					(Err(e), _) => {
						let _ = reply.send(Err(e));
					},
				}
			},
			Pending::Unsubscribe => {},
		}
		Ok(())
	}

	async fn on_notification(
		&mut self,
		notification: Notification,
	) -> Result<(), tungstenite::Error> {
		let Some(id) = subscription_id_value(&notification.subscription) else { return Ok(()) };
		let Some(subscription) = self.subscriptions.get(&id) else { return Ok(()) };
		if subscription.notifications.send(notification.result).is_err() {
			// The stream is being dropped; its `Unsubscribe` may still be queued.
			self.unsubscribe(&id).await?;
		}
		Ok(())
	}

	/// Forgets subscription `id` and ends it on the node (once).
	async fn unsubscribe(&mut self, id: &str) -> Result<(), tungstenite::Error> {
		let Some(subscription) = self.subscriptions.remove(id) else { return Ok(()) };
		let params =
			serde_json::value::to_raw_value(&[id]).expect("a string array serializes; qed");
		self.send(&subscription.unsubscribe, Some(params), Pending::Unsubscribe).await
	}
}

/// One incoming JSON-RPC frame: an answer (`id` with `result` or `error`) or a
/// subscription notification (`params` with `subscription` and `result`).
#[derive(Deserialize)]
struct Frame {
	#[serde(default)]
	id: Option<serde_json::Value>,
	// Present-but-null must stay `Some(null)` (e.g. a missing storage value), so the raw
	// value is taken as is whenever the field exists.
	#[serde(default, deserialize_with = "present")]
	result: Option<Box<RawValue>>,
	#[serde(default)]
	error: Option<UserError>,
	#[serde(default)]
	params: Option<Notification>,
}

#[derive(Deserialize)]
struct Notification {
	subscription: serde_json::Value,
	result: Box<RawValue>,
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Box<RawValue>>, D::Error> {
	Box::<RawValue>::deserialize(d).map(Some)
}

/// Substrate hands out string subscription ids; numbers are accepted too.
fn subscription_id(raw: &RawValue) -> Option<String> {
	subscription_id_value(&serde_json::from_str(raw.get()).ok()?)
}

fn subscription_id_value(value: &serde_json::Value) -> Option<String> {
	match value {
		serde_json::Value::String(s) => Some(s.clone()),
		serde_json::Value::Number(n) => Some(n.to_string()),
		_ => None,
	}
}

/// The notifications of one subscription, as subxt wants them; unsubscribes when dropped.
struct Notifications {
	receiver: mpsc::UnboundedReceiver<Box<RawValue>>,
	id: String,
	commands: mpsc::UnboundedSender<Command>,
}

impl Stream for Notifications {
	type Item = Result<Box<RawValue>, RpcError>;

	fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
		self.receiver.poll_recv(cx).map(|item| item.map(Ok))
	}
}

impl Drop for Notifications {
	fn drop(&mut self) {
		// Fails only once the connection is gone, and then there is nothing to end.
		let _ = self.commands.send(Command::Unsubscribe { id: std::mem::take(&mut self.id) });
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn frames_keep_null_results_and_route_notifications() {
		let answer: Frame =
			serde_json::from_str(r#"{"jsonrpc":"2.0","id":7,"result":null}"#).unwrap();
		assert_eq!(answer.id.as_ref().and_then(serde_json::Value::as_u64), Some(7));
		assert_eq!(answer.result.as_deref().map(RawValue::get), Some("null"));
		assert!(answer.params.is_none());

		let error: Frame = serde_json::from_str(
			r#"{"jsonrpc":"2.0","id":1,"error":{"code":1010,"message":"Invalid Transaction",
				"data":"Inability to pay some fees"}}"#,
		)
		.unwrap();
		let error = error.error.expect("an error frame");
		assert_eq!((error.code, error.message.as_str()), (1010, "Invalid Transaction"));

		let notification: Frame = serde_json::from_str(
			r#"{"jsonrpc":"2.0","method":"chain_finalizedHead",
				"params":{"subscription":"abc","result":{"number":"0x1"}}}"#,
		)
		.unwrap();
		let notification = notification.params.expect("a notification");
		assert_eq!(subscription_id_value(&notification.subscription).as_deref(), Some("abc"));
		assert_eq!(notification.result.get(), r#"{"number":"0x1"}"#);
		assert_eq!(
			subscription_id(&RawValue::from_string("12".into()).unwrap()).as_deref(),
			Some("12")
		);
	}
}
