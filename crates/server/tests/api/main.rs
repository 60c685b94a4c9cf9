//! End-to-end API tests against a spawned server (random port, fresh data directory each).

mod audio;
mod auth;
mod channel;
mod devices;
mod doorbell_events;
mod helpers;
mod media;
mod memories;
mod motion_settings;
mod notifications;
mod processing;
mod retention;
mod sync;
mod uploads;
