//! An event's clip: its ring segments joined by stream copy (no re-encode: cutting a 25 s clip
//! costs a file copy, not seconds of encoder time) into fragmented MP4, the recorder's format,
//! so a crash halfway leaves something [`crate::recorder::salvage`] can keep.

use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ClipError {
    #[error("the clip has no segments")]
    Empty,
    #[error("writing the segment list: {0}")]
    Io(#[from] std::io::Error),
    #[error("joining the segments failed: {0}")]
    Join(String),
}

/// The concat demuxer's list: one `file` line per segment, quoted as the format wants.
fn concat_list(segments: &[PathBuf]) -> String {
    segments
        .iter()
        .map(|p| {
            format!(
                "file '{}'\n",
                p.display().to_string().replace('\'', "'\\''")
            )
        })
        .collect()
}

/// Joins `segments` (in order) into `output`.
pub async fn join(segments: &[PathBuf], output: &Path) -> Result<(), ClipError> {
    if segments.is_empty() {
        return Err(ClipError::Empty);
    }
    let mut list = output.as_os_str().to_owned();
    list.push(".list");
    let list = PathBuf::from(list);
    tokio::fs::write(&list, concat_list(segments)).await?;
    let args = [
        "-nostdin".to_owned(),
        "-hide_banner".into(),
        "-loglevel".into(),
        "error".into(),
        "-y".into(),
        "-f".into(),
        "concat".into(),
        "-safe".into(),
        "0".into(),
        "-i".into(),
        format!("file:{}", list.display()),
        "-c".into(),
        "copy".into(),
        "-movflags".into(),
        "+frag_keyframe+empty_moov+default_base_moof".into(),
        "-f".into(),
        "mp4".into(),
        format!("file:{}", output.display()),
    ];
    let result = sightline_media::process::run_tool("ffmpeg", &args, Duration::from_secs(60)).await;
    let _ = tokio::fs::remove_file(&list).await;
    result
        .map(|_| ())
        .map_err(|e| ClipError::Join(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_paths_for_the_concat_list() {
        let list = concat_list(&["/ring/a.ts".into(), "/ring/it's.ts".into()]);
        assert_eq!(list, "file '/ring/a.ts'\nfile '/ring/it'\\''s.ts'\n");
    }

    #[tokio::test]
    async fn nothing_to_join_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            join(&[], &dir.path().join("x.mp4")).await,
            Err(ClipError::Empty)
        ));
    }
}
