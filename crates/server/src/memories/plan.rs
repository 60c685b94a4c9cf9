//! From an understood query to the videos that match and their best segments, and from those
//! to the clips of a memory.

use super::understand::search_query;
use crate::state::AppState;
use futures::future::try_join_all;
use sightline_core::PersonId;
use sightline_core::media::{MediaKind, MediaStatus};
use sightline_core::memory::{
    Candidate, InterestTrack, ScoreWeights, Segment, SegmentOptions, SelectOptions, Selection,
    best_segments_of_scores, second_scores, select_clips,
};
use sightline_core::query::Understood;
use sightline_core::{MediaId, UserId};
use sightline_store::library::Appearance;
use sightline_store::model::Media;

/// How many search hits a memory or a video search looks at.
pub const MAX_HITS: usize = 500;

/// A matching item and, for a video, its best segments for this query.
pub struct VideoMatch {
    pub media: Media,
    /// 0..1, from the search ranking.
    pub relevance: f32,
    pub segments: Vec<Segment>,
}

/// What a memory can be made of: ready videos matching the query, best first, with their
/// segments (windows where the named people are in view when the user marked time ranges, and
/// the most interesting seconds), and matching photos. Videos too short for a segment are left
/// out.
pub async fn memory_matches(
    state: &AppState,
    user: UserId,
    understood: &Understood,
    required_words: &[String],
) -> anyhow::Result<Vec<VideoMatch>> {
    let kinds = [MediaKind::Video, MediaKind::Photo];
    let mut matches = matching_media(state, user, understood, &kinds, required_words).await?;
    matches.retain(|m| m.media.kind == MediaKind::Photo || !m.segments.is_empty());
    Ok(matches)
}

/// How good a photo is as a still, for want of a per-photo score.
const PHOTO_QUALITY: f32 = 0.5;

/// Ready items of these kinds matching the query, best first; videos with their segments.
/// `required_words` (see `understand::proper_nouns`): at least one must be in an item's words.
pub async fn matching_media(
    state: &AppState,
    user: UserId,
    understood: &Understood,
    kinds: &[MediaKind],
    required_words: &[String],
) -> anyhow::Result<Vec<VideoMatch>> {
    // Kinds are filtered here, not in the index: there, any filter turns words from required
    // into ranking-only, and "videos of dogs" must still require dogs.
    let mut query = search_query(user, understood, Vec::new());
    query.limit = MAX_HITS;
    let page = state.search.search(&query).await?;
    let with_words: Option<std::collections::HashSet<MediaId>> = if required_words.is_empty() {
        None
    } else {
        // Words alone are required by the index: the items that have them.
        let mut words_only = sightline_search::SearchQuery::for_user(user);
        words_only.text = required_words.to_vec();
        words_only.limit = sightline_search::model::MAX_LIMIT;
        let found = state.search.search(&words_only).await?;
        Some(found.hits.into_iter().map(|h| h.media).collect())
    };
    let top_score = page.hits.iter().map(|h| h.score).fold(0.0f32, f32::max);
    let videos = page.hits.into_iter().filter(|h| {
        kinds.contains(&h.kind) && with_words.as_ref().is_none_or(|ids| ids.contains(&h.media))
    });
    let loaded = try_join_all(videos.map(|hit| async move {
        let library = &state.backends.library;
        let (media, appearances, annotations) = tokio::try_join!(
            state.backends.metadata.media(user, hit.media),
            library.appearances_in(user, hit.media),
            library.annotations(user, hit.media),
        )?;
        anyhow::Ok(media.map(|m| (m, hit.score, appearances, annotations)))
    }))
    .await?;

    let named: Vec<PersonId> = understood.people_all.iter().map(|p| p.person).collect();
    let mut matches = Vec::new();
    for (media, score, appearances, annotations) in loaded.into_iter().flatten() {
        let is_video = media.kind == MediaKind::Video;
        if media.status != MediaStatus::Ready || (is_video && media.rendition_key.is_none()) {
            continue;
        }
        // The index filters one "any of" group; the others are checked here.
        let groups_met = understood.people_any.iter().all(|group| {
            group
                .members
                .iter()
                .any(|m| appearances.iter().any(|a| a.person_id == *m))
        });
        if !groups_met {
            continue;
        }
        let track: Option<InterestTrack> = annotations
            .and_then(|a| a.interest)
            .and_then(|json| serde_json::from_str(&json).ok());
        let duration = media
            .facts
            .as_ref()
            .and_then(|f| f.duration_secs)
            .unwrap_or(0.0);
        let mut people_of_interest = named.clone();
        for group in &understood.people_any {
            people_of_interest.extend(&group.members);
        }
        let segments = if is_video {
            video_segments(track.as_ref(), duration, &appearances, &people_of_interest)
        } else {
            Vec::new()
        };
        let relevance = if top_score > 0.0 {
            score / top_score
        } else {
            1.0
        };
        matches.push(VideoMatch {
            media,
            relevance: relevance.clamp(0.0, 1.0),
            segments,
        });
    }
    Ok(matches)
}

/// Whole seconds of a video.
fn whole_seconds(track: Option<&InterestTrack>, duration: f64) -> usize {
    track
        .map(|t| t.seconds.len())
        .unwrap_or_else(|| duration.max(0.0).floor() as usize)
}

/// The best segments of one video. When the query names people and the video has time ranges
/// for them, only seconds where at least one of them is in view count.
fn video_segments(
    track: Option<&InterestTrack>,
    duration: f64,
    appearances: &[Appearance],
    people: &[PersonId],
) -> Vec<Segment> {
    let seconds = whole_seconds(track, duration);
    let relevant: Vec<&Appearance> = appearances
        .iter()
        .filter(|a| people.contains(&a.person_id))
        .collect();
    let whole_item = relevant.iter().any(|a| a.start_secs.is_none());
    let ranged = !people.is_empty() && !relevant.is_empty() && !whole_item;
    // Share of the named people in view, per second.
    let presence: Vec<f32> = if people.is_empty() || relevant.is_empty() {
        Vec::new()
    } else {
        (0..seconds)
            .map(|i| {
                let (from, to) = (i as f64, i as f64 + 1.0);
                let seen = people
                    .iter()
                    .filter(|p| {
                        relevant.iter().any(|a| {
                            a.person_id == **p
                                && match (a.start_secs, a.end_secs) {
                                    (Some(s), Some(e)) => s < to && e > from,
                                    _ => true,
                                }
                        })
                    })
                    .count();
                seen as f32 / people.len() as f32
            })
            .collect()
    };
    let mut scores = match track {
        Some(t) => second_scores(&t.seconds, &presence, &ScoreWeights::default()),
        // Not analysed (yet): every second is as good as any other.
        None => vec![0.5; seconds],
    };
    if ranged {
        for (score, seen) in scores.iter_mut().zip(&presence) {
            if *seen == 0.0 {
                *score = 0.0;
            }
        }
    }
    best_segments_of_scores(&scores, &SegmentOptions::default())
}

/// The clips of a memory from the matches: ranked by relevance and quality, spread over days and
/// videos, capped at `max_duration_secs`, in time order; photos as stills when asked for.
pub fn choose_clips(
    matches: &[VideoMatch],
    max_duration_secs: u32,
    include_photos: bool,
) -> Selection {
    let mut candidates = Vec::new();
    for m in matches {
        if m.media.kind == MediaKind::Photo {
            candidates.push(Candidate {
                media_id: m.media.id,
                kind: MediaKind::Photo,
                captured_at: m.media.captured_at,
                start_secs: 0,
                end_secs: 0,
                relevance: m.relevance,
                quality: PHOTO_QUALITY,
            });
            continue;
        }
        candidates.extend(m.segments.iter().map(|s| Candidate {
            media_id: m.media.id,
            kind: MediaKind::Video,
            captured_at: m.media.captured_at + chrono::Duration::seconds(i64::from(s.start_secs)),
            start_secs: s.start_secs,
            end_secs: s.end_secs,
            relevance: m.relevance,
            quality: s.score,
        }));
    }
    select_clips(
        candidates,
        SelectOptions {
            max_duration_secs: f64::from(max_duration_secs),
            include_photos,
            ..SelectOptions::default()
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use sightline_core::MediaId;

    fn appearance(person: PersonId, span: Option<(f64, f64)>) -> Appearance {
        Appearance {
            id: 1,
            media_id: MediaId::new_random(),
            person_id: person,
            start_secs: span.map(|s| s.0),
            end_secs: span.map(|s| s.1),
            created_at: Utc::now(),
        }
    }

    #[test]
    fn unanalysed_video_still_gives_segments() {
        let segments = video_segments(None, 30.4, &[], &[]);
        assert!(!segments.is_empty());
        assert!(segments.iter().all(|s| s.end_secs <= 30));
    }

    #[test]
    fn named_people_with_ranges_confine_segments() {
        let anna = PersonId::new_random();
        let spans = [appearance(anna, Some((20.0, 28.0)))];
        let segments = video_segments(None, 40.0, &spans, &[anna]);
        assert!(!segments.is_empty());
        for s in &segments {
            assert!(s.start_secs >= 20 && s.end_secs <= 28, "{s:?}");
        }
    }

    #[test]
    fn whole_item_appearance_does_not_confine() {
        let anna = PersonId::new_random();
        let spans = [appearance(anna, None)];
        let segments = video_segments(None, 40.0, &spans, &[anna]);
        assert!(segments.iter().any(|s| s.start_secs < 20));
    }

    #[test]
    fn too_short_video_has_no_segment() {
        assert!(video_segments(None, 1.5, &[], &[]).is_empty());
    }
}
