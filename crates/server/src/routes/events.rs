//! `GET /events/stream`: the caller's events as Server-Sent Events (`memory.ready`,
//! `memory.failed`), so apps learn of a finished memory without polling.

use crate::auth::Caller;
use crate::state::AppState;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

pub async fn stream(
    State(state): State<AppState>,
    caller: Caller,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let receiver = state.hub.subscribe();
    let user = caller.user_id;
    let events = futures::stream::unfold(receiver, move |mut receiver| async move {
        loop {
            match receiver.recv().await {
                Ok(note) if note.user == user => {
                    let event = Event::default()
                        .event(note.kind)
                        .json_data(&note.data)
                        .unwrap_or_else(|_| Event::default().comment("unserialisable event"));
                    return Some((Ok(event), receiver));
                }
                Ok(_) => continue,
                // A slow reader missed some: say so, and carry on with the newest.
                Err(RecvError::Lagged(missed)) => {
                    let event = Event::default().event("lagged").data(missed.to_string());
                    return Some((Ok(event), receiver));
                }
                Err(RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
