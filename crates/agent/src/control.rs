//! The local control API (loopback by default): the companion app's text path and the
//! `sightline agent status` / `command` subcommands talk to the agent through it.
//!
//! - `POST /command {"text": "take a picture"}` → what the command did;
//! - `GET /status` → battery, queue, storage, connectivity, recording;
//! - `POST /sync` → upload everything waiting now;
//! - `POST /battery {"level_percent": 15, "charging": false}` → sets a simulated battery;
//! - doorbell: `POST /trigger {"input": "pir" | "button"}` (a simulated sensor or press) and
//!   `GET /events` (the newest events and where each stands); `POST /light {"lux": 0.05}` sets
//!   a simulated ambient-light reading; `GET /recordings` says what 24/7 footage is kept and
//!   `POST /recordings/export {"start": …, "end": …}` uploads a stretch of it as a clip.

use crate::doorbell::input::Trigger;
use crate::runtime::{Agent, AgentError, OutcomeKind};
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use std::net::SocketAddr;

#[derive(Deserialize)]
struct BatteryRequest {
    level_percent: f32,
    #[serde(default)]
    charging: bool,
}

#[derive(Deserialize)]
struct ExportRequest {
    start: chrono::DateTime<chrono::Utc>,
    end: chrono::DateTime<chrono::Utc>,
}

#[derive(Deserialize)]
struct LightRequest {
    lux: f64,
}

#[derive(Deserialize)]
struct TriggerRequest {
    input: Trigger,
}

#[derive(Deserialize)]
struct CommandRequest {
    text: String,
}

/// Longest command text accepted: a spoken sentence, not a document.
const MAX_COMMAND_CHARS: usize = 1000;

pub fn router(agent: Agent) -> Router {
    Router::new()
        .route("/command", post(command))
        .route("/status", get(status))
        .route("/sync", post(sync))
        .route("/battery", post(battery))
        .route("/trigger", post(trigger))
        .route("/light", post(light))
        .route("/recordings", get(recordings))
        .route("/recordings/export", post(export))
        .route("/events", get(events))
        .with_state(agent)
}

/// Binds the control API; the returned address has the real port when `addr` asked for 0.
pub async fn serve(agent: Agent, addr: SocketAddr) -> Result<SocketAddr, AgentError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| AgentError::Listen { addr, source })?;
    let local = listener
        .local_addr()
        .map_err(|source| AgentError::Listen { addr, source })?;
    tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, router(agent)).await {
            tracing::error!(error = %err, "control API stopped");
        }
    });
    Ok(local)
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({"error": {"message": message.into()}}))).into_response()
}

async fn command(
    State(agent): State<Agent>,
    body: Result<Json<CommandRequest>, JsonRejection>,
) -> Response {
    let Json(request) = match body {
        Ok(body) => body,
        Err(rejection) => return error(StatusCode::BAD_REQUEST, rejection.body_text()),
    };
    if request.text.chars().count() > MAX_COMMAND_CHARS {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("a command has at most {MAX_COMMAND_CHARS} characters"),
        );
    }
    let outcome = agent.handle_text(&request.text, "text").await;
    let status = match outcome.kind {
        OutcomeKind::Done => StatusCode::OK,
        OutcomeKind::NotUnderstood => StatusCode::UNPROCESSABLE_ENTITY,
        OutcomeKind::Refused => StatusCode::CONFLICT,
        OutcomeKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
    };
    (status, Json(outcome)).into_response()
}

async fn status(State(agent): State<Agent>) -> Response {
    match agent.status().await {
        Ok(status) => Json(status).into_response(),
        Err(err) => error(StatusCode::INTERNAL_SERVER_ERROR, err.to_string()),
    }
}

async fn sync(State(agent): State<Agent>) -> Response {
    match agent.queue().trigger().await {
        Ok(()) => Json(json!({"status": "sync_started"})).into_response(),
        Err(err) => error(StatusCode::INTERNAL_SERVER_ERROR, err.to_string()),
    }
}

async fn battery(
    State(agent): State<Agent>,
    body: Result<Json<BatteryRequest>, JsonRejection>,
) -> Handled {
    let request = body_of(body)?;
    match agent
        .power()
        .set_simulated_level(request.level_percent, request.charging)
    {
        Ok(()) => Ok(Json(agent.power().state()).into_response()),
        Err(message) => Err(refuse(StatusCode::CONFLICT, message)),
    }
}

/// A request refused before it did anything: the error response, boxed (it is large).
struct Refusal(Box<Response>);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        *self.0
    }
}

type Handled = Result<Response, Refusal>;

fn refuse(status: StatusCode, message: impl Into<String>) -> Refusal {
    Refusal(Box::new(error(status, message)))
}

fn body_of<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, Refusal> {
    body.map(|Json(request)| request)
        .map_err(|rejection| refuse(StatusCode::BAD_REQUEST, rejection.body_text()))
}

fn doorbell(agent: &Agent) -> Result<&crate::doorbell::Doorbell, Refusal> {
    agent.doorbell().ok_or_else(|| {
        refuse(
            StatusCode::CONFLICT,
            "this agent runs the glasses profile: triggers and events are the doorbell's",
        )
    })
}

async fn trigger(
    State(agent): State<Agent>,
    body: Result<Json<TriggerRequest>, JsonRejection>,
) -> Handled {
    let request = body_of(body)?;
    doorbell(&agent)?.trigger(request.input).await;
    let answer = Json(json!({"triggered": request.input}));
    Ok((StatusCode::ACCEPTED, answer).into_response())
}

async fn recordings(State(agent): State<Agent>) -> Handled {
    let doorbell = doorbell(&agent)?;
    Ok(Json(json!({
        "recording_mode": doorbell.recording(),
        "continuous": doorbell.continuous(),
    }))
    .into_response())
}

async fn export(
    State(agent): State<Agent>,
    body: Result<Json<ExportRequest>, JsonRejection>,
) -> Handled {
    let request = body_of(body)?;
    match doorbell(&agent)?.export(request.start, request.end).await {
        Ok(media_id) => {
            let answer = Json(json!({"media_id": media_id, "status": "uploading"}));
            Ok((StatusCode::ACCEPTED, answer).into_response())
        }
        Err(crate::doorbell::ExportError::Refused(message)) => {
            Err(refuse(StatusCode::UNPROCESSABLE_ENTITY, message))
        }
        Err(err) => Err(refuse(StatusCode::INTERNAL_SERVER_ERROR, err.to_string())),
    }
}

async fn events(State(agent): State<Agent>) -> Handled {
    match doorbell(&agent)?.recent_events(50).await {
        Ok(events) => Ok(Json(json!({ "events": events })).into_response()),
        Err(err) => Err(refuse(StatusCode::INTERNAL_SERVER_ERROR, err.to_string())),
    }
}

async fn light(
    State(agent): State<Agent>,
    body: Result<Json<LightRequest>, JsonRejection>,
) -> Handled {
    let request = body_of(body)?;
    match doorbell(&agent)?.night().set_simulated_lux(request.lux) {
        Ok(()) => Ok(Json(json!({"lux": request.lux})).into_response()),
        Err(message) => Err(refuse(StatusCode::CONFLICT, message)),
    }
}
