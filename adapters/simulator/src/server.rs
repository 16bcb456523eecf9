//! The HTTP plumbing the simulators share: the listener, what every gateway simulator keeps
//! ([`Common`]), the fault middleware, the request log and the raw-request extractor.
//!
//! Connections are accepted through [`SimListener`], whose streams carry a kill switch
//! ([`Connection`]). Dropping a request "without an answer" sets the switch: the next read
//! or write on the socket fails, so the server closes the connection instead of writing the
//! response. That is how [`AfterHold::Drop`] and [`FaultKind::AcceptedThenTimeout`] look to
//! a client: the request was sent, and the connection closed with no status line.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};

use axum::Router;
use axum::body::Bytes;
use axum::extract::connect_info::Connected;
use axum::extract::{ConnectInfo, FromRequest, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::serve::{IncomingStream, Listener};
use chrono::{DateTime, TimeDelta, Utc};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::faults::{AfterHold, FaultKind, FaultState, Faults, RequestRecord};
use crate::poster::Poster;
use crate::tokens::TokenTtl;
use crate::{Clock, SimError, lock};

/// Largest request body read.
const BODY_LIMIT: usize = 1 << 20;

/// A TCP listener whose connections can be killed from a handler.
pub(crate) struct SimListener(TcpListener);

impl Listener for SimListener {
    type Io = SimIo;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (SimIo, SocketAddr) {
        loop {
            match self.0.accept().await {
                Ok((stream, addr)) => {
                    let io = SimIo { stream, killed: Arc::new(AtomicBool::new(false)) };
                    return (io, addr);
                }
                Err(error) => {
                    tracing::debug!(message = "Accept failed.", %error);
                    tokio::task::yield_now().await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

/// A TCP stream that fails every read and write once killed.
pub(crate) struct SimIo {
    stream: TcpStream,
    killed: Arc<AtomicBool>,
}

impl SimIo {
    fn check(&self) -> io::Result<()> {
        if self.killed.load(Ordering::SeqCst) {
            Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "connection dropped by the simulator",
            ))
        } else {
            Ok(())
        }
    }
}

impl AsyncRead for SimIo {
    fn poll_read(
        mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.check()?;
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for SimIo {
    fn poll_write(
        mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.check()?;
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.check()?;
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// The kill switch of the connection a request arrived on (an axum `ConnectInfo`).
#[derive(Clone)]
pub(crate) struct Connection(Arc<AtomicBool>);

impl Connection {
    /// Makes the connection fail instead of writing the pending response.
    fn kill(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

impl Connected<IncomingStream<'_, SimListener>> for Connection {
    fn connect_info(stream: IncomingStream<'_, SimListener>) -> Connection {
        Connection(stream.io().killed.clone())
    }
}

/// Stops the server task when dropped.
pub(crate) struct ServerGuard(JoinHandle<()>);

impl Drop for ServerGuard {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Binds `127.0.0.1:0` and serves `router` on a background task.
pub(crate) async fn serve(router: Router) -> Result<(SocketAddr, ServerGuard), SimError> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.map_err(SimError::Bind)?;
    let addr = listener.local_addr().map_err(SimError::Bind)?;
    let app = router.into_make_service_with_connect_info::<Connection>();
    let task = tokio::spawn(async move {
        if let Err(error) = axum::serve(SimListener(listener), app).await {
            tracing::warn!(message = "Simulator server stopped.", %error);
        }
    });
    Ok((addr, ServerGuard(task)))
}

/// What every gateway simulator (all but Shopify's) keeps besides its platform state: the
/// app it serves, how far request timestamps may drift, the token lifetimes, the clock, the
/// fault RNG, the request log and the request-id counter. (`pub` in this private module, for
/// the same reason as [`Simulated`].)
pub struct Common {
    /// The app's `app_key`.
    pub(crate) app_key: String,
    /// The app's `app_secret`, the signing key.
    pub(crate) app_secret: String,
    /// How far a request `timestamp` may be from the clock, either way.
    pub(crate) timestamp_tolerance: TimeDelta,
    /// Lifetimes of the tokens issued.
    pub(crate) ttl: TokenTtl,
    clock: Clock,
    faults: Mutex<FaultState>,
    log: Mutex<Vec<RequestRecord>>,
    next_request: AtomicU64,
    pub(crate) gate: Gate,
}

/// The hang switch: while it is on, every request waits at the door (counted in
/// `held`), neither processed nor answered, until it is switched off — a platform that
/// hangs for as long as a test wants, with no timer involved.
pub(crate) struct Gate {
    hanging: tokio::sync::watch::Sender<bool>,
    held: AtomicU64,
}

impl Gate {
    fn new() -> Gate {
        Gate { hanging: tokio::sync::watch::Sender::new(false), held: AtomicU64::new(0) }
    }

    pub(crate) fn hang(&self) {
        self.hanging.send_replace(true);
    }

    pub(crate) fn release(&self) {
        self.hanging.send_replace(false);
    }

    pub(crate) fn held(&self) -> usize {
        usize::try_from(self.held.load(Ordering::SeqCst)).unwrap_or(usize::MAX)
    }

    /// Waits while the switch is on.
    async fn pass(&self) {
        let mut open = self.hanging.subscribe();
        if !*open.borrow_and_update() {
            return;
        }
        self.held.fetch_add(1, Ordering::SeqCst);
        let _ = open.wait_for(|hanging| !*hanging).await;
        self.held.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The [`Common`] of a platform's `SimConfig` (a `Result`): every gateway simulator's
/// config has the fields `app_key`, `app_secret`, `clock`, `timestamp_tolerance`,
/// `access_token_ttl`, `refresh_token_ttl` and `faults`, under these names; they are moved
/// out of `$config`.
macro_rules! common_from {
    ($config:ident) => {
        $crate::server::Common::new(
            ($config.app_key, $config.app_secret),
            $config.clock,
            $config.timestamp_tolerance,
            $crate::tokens::TokenTtl::new($config.access_token_ttl, $config.refresh_token_ttl),
            $config.faults,
        )
    };
}
pub(crate) use common_from;

impl Common {
    /// `app` is the app's `(app_key, app_secret)`.
    pub(crate) fn new(
        app: (String, String), clock: Clock, timestamp_tolerance: TimeDelta, ttl: TokenTtl,
        faults: Faults,
    ) -> Result<Common, SimError> {
        let (app_key, app_secret) = app;
        Ok(Common {
            app_key,
            app_secret,
            timestamp_tolerance,
            ttl,
            clock,
            faults: Mutex::new(FaultState::new(faults)?),
            log: Mutex::new(Vec::new()),
            next_request: AtomicU64::new(1),
            gate: Gate::new(),
        })
    }

    /// The simulator's now.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// Replaces the fault knobs and reseeds the RNG.
    pub(crate) fn set_faults(&self, faults: Faults) -> Result<(), SimError> {
        *lock(&self.faults) = FaultState::new(faults)?;
        Ok(())
    }

    /// Every request received so far, in arrival order.
    pub(crate) fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.log).clone()
    }

    /// A request / log id in the platforms' style: UTC `yyyyMMddHHmmss` and a hex counter.
    pub(crate) fn request_id(&self) -> String {
        let counter = self.next_request.fetch_add(1, Ordering::Relaxed);
        format!("{}{counter:018X}", self.now().format("%Y%m%d%H%M%S"))
    }

    fn draw(&self) -> (Option<FaultKind>, Faults) {
        lock(&self.faults).draw()
    }

    fn record(&self, method: String, path: String, fault: Option<FaultKind>) {
        lock(&self.log).push(RequestRecord { method, path, fault });
    }
}

/// What the fault middleware and [`SimHandle`](crate::handle::SimHandle) need from a
/// gateway simulator's shared state. (`pub` in this private module, so that the public
/// handle can name it in its bounds without it being part of the crate's API.)
pub trait Simulated: FromConfig + Send + Sync + 'static {
    /// What goes between `http://127.0.0.1:{port}` and the API paths (Lazada's `/rest`).
    const BASE_PATH: &'static str = "";
    /// The routes, with the platform's answer to unknown paths and verbs as fallback.
    fn routes() -> Router<Arc<Self>>;
    /// The shared clock, faults and log.
    fn common(&self) -> &Common;
    /// The platform's answer to a server error.
    fn server_error_reply(&self, status: StatusCode) -> Response;
    /// The platform's answer to a rate-limited call.
    fn rate_limited_reply(&self, retry_after_secs: u32) -> Response;
}

/// A gateway simulator's shared state, made from its platform's `SimConfig`. (`pub` for the
/// same reason as [`Simulated`].)
pub trait FromConfig: Sized {
    /// The platform's `SimConfig`.
    type Config;
    /// The state a simulator starts with; refuses an inconsistent config.
    fn from_config(config: Self::Config) -> Result<Self, SimError>;
}

/// A gateway simulator that delivers webhooks (pushes). (`pub` for the same reason as
/// [`Simulated`].)
pub trait Delivers {
    /// Its delivery client, target URL and knobs.
    fn poster(&self) -> &Poster;
}

/// The platform's routes, behind the fault middleware, on its shared state.
pub(crate) fn router<S: Simulated>(shared: Arc<S>) -> Router {
    S::routes()
        .layer(middleware::from_fn_with_state(shared.clone(), fault_middleware::<S>))
        .with_state(shared)
}

/// Response extension set by a handler that changed state; only such responses are subject
/// to the accepted-then-* faults.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Accepted;

/// Marks `response` as the answer to a state change.
pub(crate) fn accepted(mut response: Response) -> Response {
    response.extensions_mut().insert(Accepted);
    response
}

/// Marks `response` as the answer to a state change when `changed`.
pub(crate) fn accepted_if(changed: bool, response: Response) -> Response {
    if changed { accepted(response) } else { response }
}

/// Applies one fault draw to every request (see [`crate::faults`]).
pub(crate) async fn fault_middleware<S: Simulated>(
    State(sim): State<Arc<S>>, ConnectInfo(connection): ConnectInfo<Connection>, request: Request,
    next: Next,
) -> Response {
    let common = sim.common();
    common.gate.pass().await;
    let (fault, knobs) = common.draw();
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    match fault {
        None => {
            common.record(method, path, None);
            next.run(request).await
        }
        Some(FaultKind::ServerError) => {
            common.record(method, path, fault);
            sim.server_error_reply(server_error_status(&knobs))
        }
        Some(FaultKind::RateLimited) => {
            common.record(method, path, fault);
            sim.rate_limited_reply(knobs.retry_after_secs)
        }
        Some(FaultKind::Timeout) => {
            common.record(method, path, fault);
            match knobs.after_hold {
                AfterHold::Answer => {
                    // Spawned so the late effect happens even if the client hangs up.
                    let late = tokio::spawn(async move {
                        tokio::time::sleep(knobs.hold).await;
                        next.run(request).await
                    });
                    match late.await {
                        Ok(response) => response,
                        Err(_) => sim.server_error_reply(StatusCode::INTERNAL_SERVER_ERROR),
                    }
                }
                AfterHold::Drop => {
                    tokio::time::sleep(knobs.hold).await;
                    drop_connection(&connection)
                }
            }
        }
        Some(kind @ (FaultKind::AcceptedThenServerError | FaultKind::AcceptedThenTimeout)) => {
            let response = next.run(request).await;
            if response.extensions().get::<Accepted>().is_none() {
                common.record(method, path, None);
                return response;
            }
            common.record(method, path, Some(kind));
            if kind == FaultKind::AcceptedThenServerError {
                sim.server_error_reply(server_error_status(&knobs))
            } else {
                tokio::time::sleep(knobs.hold).await;
                drop_connection(&connection)
            }
        }
    }
}

fn server_error_status(knobs: &Faults) -> StatusCode {
    StatusCode::from_u16(knobs.server_error_status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// Kills the connection; the returned response is never written.
fn drop_connection(connection: &Connection) -> Response {
    connection.kill();
    StatusCode::SERVICE_UNAVAILABLE.into_response()
}

/// A request exactly as received: the raw path, the decoded query pairs in order, the
/// headers and the body bytes.
pub(crate) struct Received {
    /// Path as sent (no host, no query).
    pub(crate) path: String,
    /// Decoded query pairs; `None` when the query string does not decode.
    pub(crate) query: Option<Vec<(String, String)>>,
    /// Headers.
    pub(crate) headers: HeaderMap,
    /// Body bytes.
    pub(crate) body: Bytes,
}

impl Received {
    /// The first value of query parameter `key`.
    pub(crate) fn param(&self, key: &str) -> Option<&str> {
        self.query.as_ref()?.iter().find(|(name, _)| name == key).map(|(_, value)| value.as_str())
    }

    /// The first value of query parameter `key`, unless it is empty.
    pub(crate) fn present(&self, key: &str) -> Option<&str> {
        self.param(key).filter(|value| !value.is_empty())
    }

    /// A header's value as text.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

impl<S: Send + Sync> FromRequest<S> for Received {
    type Rejection = Response;

    async fn from_request(request: Request, _state: &S) -> Result<Received, Response> {
        let (parts, body) = request.into_parts();
        let query = match parts.uri.query() {
            None => Some(Vec::new()),
            Some(_) => Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
                .ok()
                .map(|Query(pairs)| pairs),
        };
        let body = axum::body::to_bytes(body, BODY_LIMIT)
            .await
            .map_err(|_| (StatusCode::BAD_REQUEST, "unreadable body").into_response())?;
        Ok(Received { path: parts.uri.path().to_owned(), query, headers: parts.headers, body })
    }
}
