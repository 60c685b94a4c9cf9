//! The index schema and how a [`MediaDoc`] becomes a tantivy document. Ids are 16-byte terms;
//! everything a hit returns or a range reads is a fast field, so nothing is stored.

use crate::analysis::{
    WORDS_TOKENIZER, city_terms, normalize_country, normalize_labels, normalize_name,
};
use crate::model::{MediaDoc, to_micros};
use sightline_core::media::MediaKind;
use sightline_core::{MediaId, UserId};
use tantivy::TantivyDocument;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STRING, Schema, TextFieldIndexing, TextOptions,
};

pub(crate) const CAPTURED_AT: &str = "captured_at";
pub(crate) const MEDIA_HI: &str = "media_hi";
pub(crate) const MEDIA_LO: &str = "media_lo";
pub(crate) const KIND: &str = "kind";
pub(crate) const DURATION: &str = "duration_secs";

#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    /// The partition: every query requires it.
    pub user: Field,
    /// user ‖ media, the upsert and delete key; media ids come from clients, so they are only
    /// unique per user.
    pub key: Field,
    pub kind: Field,
    /// Microseconds since the epoch.
    pub captured_at: Field,
    pub duration: Field,
    pub media_hi: Field,
    pub media_lo: Field,
    pub people: Field,
    /// "name" and "name\u{1f}CC" (see `analysis::city_terms`).
    pub city: Field,
    pub region: Field,
    pub country: Field,
    pub place: Field,
    pub device: Field,
    pub things: Field,
    pub text: Field,
}

pub(crate) fn build_schema() -> (Schema, Fields) {
    let ranked = |tokenizer: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqs),
        )
    };
    let mut builder = Schema::builder();
    let fields = Fields {
        user: builder.add_bytes_field("user", INDEXED),
        key: builder.add_bytes_field("key", INDEXED),
        kind: builder.add_u64_field(KIND, INDEXED | FAST),
        captured_at: builder.add_i64_field(CAPTURED_AT, FAST),
        duration: builder.add_f64_field(DURATION, FAST),
        media_hi: builder.add_u64_field(MEDIA_HI, FAST),
        media_lo: builder.add_u64_field(MEDIA_LO, FAST),
        people: builder.add_bytes_field("people", INDEXED),
        city: builder.add_text_field("city", STRING),
        region: builder.add_text_field("region", STRING),
        country: builder.add_text_field("country", STRING),
        place: builder.add_bytes_field("place", INDEXED),
        device: builder.add_bytes_field("device", INDEXED),
        things: builder.add_text_field("things", ranked("raw")),
        text: builder.add_text_field("text", ranked(WORDS_TOKENIZER)),
    };
    (builder.build(), fields)
}

pub(crate) fn key_bytes(user: UserId, media: MediaId) -> [u8; 32] {
    let mut key = [0u8; 32];
    key[..16].copy_from_slice(user.0.as_bytes());
    key[16..].copy_from_slice(media.0.as_bytes());
    key
}

pub(crate) fn kind_code(kind: MediaKind) -> u64 {
    match kind {
        MediaKind::Photo => 0,
        MediaKind::Video => 1,
    }
}

pub(crate) fn kind_from_code(code: u64) -> MediaKind {
    if code == kind_code(MediaKind::Video) {
        MediaKind::Video
    } else {
        MediaKind::Photo
    }
}

pub(crate) fn media_halves(media: MediaId) -> (u64, u64) {
    let (hi, lo) = media.0.as_u64_pair();
    (hi, lo)
}

pub(crate) fn to_document(fields: &Fields, doc: &MediaDoc) -> TantivyDocument {
    let mut out = TantivyDocument::default();
    out.add_bytes(fields.user, doc.user.0.as_bytes());
    out.add_bytes(fields.key, &key_bytes(doc.user, doc.media));
    out.add_u64(fields.kind, kind_code(doc.kind));
    out.add_i64(fields.captured_at, to_micros(doc.captured_at));
    if let Some(duration) = doc.duration_secs.filter(|d| d.is_finite()) {
        out.add_f64(fields.duration, duration);
    }
    let (hi, lo) = media_halves(doc.media);
    out.add_u64(fields.media_hi, hi);
    out.add_u64(fields.media_lo, lo);
    for person in &doc.people {
        out.add_bytes(fields.people, person.0.as_bytes());
    }
    for city in doc.city.iter().chain(&doc.nearby_cities) {
        for term in city_terms(city, doc.country_code.as_deref()) {
            out.add_text(fields.city, term);
        }
    }
    if let Some(region) = doc.region.as_deref().and_then(normalize_name) {
        out.add_text(fields.region, region);
    }
    if let Some(country) = doc.country_code.as_deref().and_then(normalize_country) {
        out.add_text(fields.country, country);
    }
    for place in &doc.place_ids {
        out.add_bytes(fields.place, place.0.as_bytes());
    }
    if let Some(device) = doc.device_id {
        out.add_bytes(fields.device, device.0.as_bytes());
    }
    for thing in normalize_labels(&doc.things) {
        out.add_text(fields.things, thing);
    }
    out.add_text(fields.text, &doc.text);
    out
}
