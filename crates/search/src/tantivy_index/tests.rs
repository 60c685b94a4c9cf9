use super::*;
use crate::testsuite::{doc, search_index_suite};
use std::fs;

fn small() -> TantivyConfig {
    TantivyConfig {
        writer_heap_bytes: 20_000_000,
        writer_threads: 1,
    }
}

#[tokio::test]
async fn passes_the_suite() {
    let dir = tempfile::tempdir().unwrap();
    let index = TantivyIndex::open(dir.path(), &small()).unwrap();
    assert!(index.was_created());
    search_index_suite(&index).await;
}

#[tokio::test]
async fn reopens_what_was_committed() {
    let dir = tempfile::tempdir().unwrap();
    let user = UserId::new_random();
    let kept = doc(user, 1, "persisted words");
    {
        let index = TantivyIndex::open(dir.path(), &small()).unwrap();
        index.upsert(vec![kept.clone()]).await.unwrap();
        index.commit().await.unwrap();
        index
            .upsert(vec![doc(user, 2, "never committed")])
            .await
            .unwrap();
    }
    let index = TantivyIndex::open(dir.path(), &small()).unwrap();
    assert!(!index.was_created());
    let mut query = SearchQuery::for_user(user);
    let page = index.search(&query).await.unwrap();
    assert_eq!(
        page.hits.iter().map(|h| h.media).collect::<Vec<_>>(),
        vec![kept.media]
    );
    query.text = vec!["persisted".into()];
    assert_eq!(index.search(&query).await.unwrap().total, 1);
}

#[tokio::test]
async fn one_writer_per_directory() {
    let dir = tempfile::tempdir().unwrap();
    let _first = TantivyIndex::open(dir.path(), &small()).unwrap();
    assert!(matches!(
        TantivyIndex::open(dir.path(), &small()),
        Err(SearchError::Locked(_))
    ));
}

#[tokio::test]
async fn refuses_foreign_directories_and_replaces_outdated_indexes() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    assert!(matches!(
        TantivyIndex::open(dir.path(), &small()),
        Err(SearchError::NotAnIndex(_))
    ));
    assert!(dir.path().join("notes.txt").exists());

    let index_dir = dir.path().join("index");
    let user = UserId::new_random();
    {
        let index = TantivyIndex::open(&index_dir, &small()).unwrap();
        index
            .upsert(vec![doc(user, 1, "old format")])
            .await
            .unwrap();
        index.commit().await.unwrap();
    }
    fs::write(index_dir.join("sightline-search-format"), "0").unwrap();
    let index = TantivyIndex::open(&index_dir, &small()).unwrap();
    assert!(
        index.was_created(),
        "an outdated index is recreated for a rebuild"
    );
    assert_eq!(index.num_docs(), 0);
}

#[tokio::test]
async fn merging_segments_keeps_every_document() {
    let dir = tempfile::tempdir().unwrap();
    let index = TantivyIndex::open(dir.path(), &small()).unwrap();
    let user = UserId::new_random();
    for day in 1..=4 {
        index.upsert(vec![doc(user, day, "batch")]).await.unwrap();
        index.commit().await.unwrap();
    }
    index.delete(user, MediaId::new_random()).await.unwrap();
    index
        .upsert(vec![doc(user, 5, "staged before the merge")])
        .await
        .unwrap();
    index.merge_segments().await.unwrap();
    assert_eq!(index.segment_count(), 1);
    assert_eq!(
        index
            .search(&SearchQuery::for_user(user))
            .await
            .unwrap()
            .total,
        5
    );
    index.upsert(vec![doc(user, 6, "after")]).await.unwrap();
    index.commit().await.unwrap();
    assert_eq!(index.num_docs(), 6);
}
