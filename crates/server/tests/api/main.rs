//! End-to-end API tests against a spawned server (random port, fresh data directory each).

mod auth;
mod channel;
mod devices;
mod doorbell_events;
mod helpers;
mod media;
mod memories;
mod processing;
mod sync;
mod uploads;
