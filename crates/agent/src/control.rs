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
    body: Result<Json<CommandRequest>, axum::extract::rejection::JsonRejection>,
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
    body: Result<Json<BatteryRequest>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Json(request) = match body {
        Ok(body) => body,
        Err(rejection) => return error(StatusCode::BAD_REQUEST, rejection.body_text()),
    };
    match agent
        .power()
        .set_simulated_level(request.level_percent, request.charging)
    {
        Ok(()) => Json(agent.power().state()).into_response(),
        Err(message) => error(StatusCode::CONFLICT, message),
    }
}

fn doorbell(agent: &Agent) -> Result<&crate::doorbell::Doorbell, Box<Response>> {
    agent.doorbell().ok_or_else(|| {
        Box::new(error(
            StatusCode::CONFLICT,
            "this agent runs the glasses profile: triggers and events are the doorbell's",
        ))
    })
}

async fn trigger(
    State(agent): State<Agent>,
    body: Result<Json<TriggerRequest>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Json(request) = match body {
        Ok(body) => body,
        Err(rejection) => return error(StatusCode::BAD_REQUEST, rejection.body_text()),
    };
    match doorbell(&agent) {
        Ok(doorbell) => {
            doorbell.trigger(request.input).await;
            (
                StatusCode::ACCEPTED,
                Json(json!({"triggered": request.input})),
            )
                .into_response()
        }
        Err(response) => *response,
    }
}

async fn events(State(agent): State<Agent>) -> Response {
    let doorbell = match doorbell(&agent) {
        Ok(doorbell) => doorbell,
        Err(response) => return *response,
    };
    match doorbell.recent_events(50).await {
        Ok(events) => Json(json!({ "events": events })).into_response(),
        Err(err) => error(StatusCode::INTERNAL_SERVER_ERROR, err.to_string()),
    }
}

async fn light(
    State(agent): State<Agent>,
    body: Result<Json<LightRequest>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Json(request) = match body {
        Ok(body) => body,
        Err(rejection) => return error(StatusCode::BAD_REQUEST, rejection.body_text()),
    };
    let doorbell = match doorbell(&agent) {
        Ok(doorbell) => doorbell,
        Err(response) => return *response,
    };
    match doorbell.night().set_simulated_lux(request.lux) {
        Ok(()) => Json(json!({"lux": request.lux})).into_response(),
        Err(message) => error(StatusCode::CONFLICT, message),
    }
}

async fn recordings(State(agent): State<Agent>) -> Response {
    match doorbell(&agent) {
        Ok(doorbell) => Json(json!({
            "recording_mode": doorbell.recording(),
            "continuous": doorbell.continuous(),
        }))
        .into_response(),
        Err(response) => *response,
    }
}

async fn export(
    State(agent): State<Agent>,
    body: Result<Json<ExportRequest>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Json(request) = match body {
        Ok(body) => body,
        Err(rejection) => return error(StatusCode::BAD_REQUEST, rejection.body_text()),
    };
    let doorbell = match doorbell(&agent) {
        Ok(doorbell) => doorbell,
        Err(response) => return *response,
    };
    match doorbell.export(request.start, request.end).await {
        Ok(media_id) => (
            StatusCode::ACCEPTED,
            Json(json!({"media_id": media_id, "status": "uploading"})),
        )
            .into_response(),
        Err(crate::doorbell::ExportError::Refused(message)) => {
            error(StatusCode::UNPROCESSABLE_ENTITY, message)
        }
        Err(err) => error(StatusCode::INTERNAL_SERVER_ERROR, err.to_string()),
    }
}
