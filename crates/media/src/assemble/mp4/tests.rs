use super::Mp4Error;
use super::read::{read_movie, top_level_boxes};
use super::write::{Edit, OutSample, OutTrack, write_mp4};
use std::path::Path;

fn sample_entry(codec: &[u8; 4], fixed: usize, child: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut e = Vec::new();
    e.extend_from_slice(&((8 + fixed + 8 + body.len()) as u32).to_be_bytes());
    e.extend_from_slice(codec);
    let mut fields = vec![0u8; fixed];
    if codec == b"avc1" {
        fields[24..26].copy_from_slice(&640u16.to_be_bytes());
        fields[26..28].copy_from_slice(&360u16.to_be_bytes());
    }
    e.extend_from_slice(&fields);
    e.extend_from_slice(&((8 + body.len()) as u32).to_be_bytes());
    e.extend_from_slice(child);
    e.extend_from_slice(body);
    e
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).expect("write source");
}

#[test]
fn written_files_read_back_sample_for_sample() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = (dir.path().join("a.bin"), dir.path().join("b.bin"));
    let a_bytes: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
    let b_bytes: Vec<u8> = (0..5000u32).map(|i| (i % 13) as u8 + 100).collect();
    write(&a, &a_bytes);
    write(&b, &b_bytes);
    // 75 video frames (2.5 s, three chunks) alternating sources, keyframe every 30.
    let video_samples: Vec<OutSample> = (0..75u32)
        .map(|i| OutSample {
            source: (i % 2) as usize,
            offset: u64::from(i * 40),
            size: 30 + i % 7,
            duration: 512,
            sync: i % 30 == 0,
        })
        .collect();
    let audio_samples: Vec<OutSample> = (0..120u32)
        .map(|i| OutSample {
            source: 1,
            offset: u64::from(i * 10),
            size: 10,
            duration: 1024,
            sync: true,
        })
        .collect();
    let video = OutTrack {
        handler: *b"vide",
        timescale: 15360,
        sample_entry: sample_entry(b"avc1", 78, b"avcC", &[1, 100, 0, 41, 0xff]),
        picture: Some((640, 360)),
        samples: video_samples.clone(),
        edit: None,
    };
    let audio = OutTrack {
        handler: *b"soun",
        timescale: 48000,
        sample_entry: sample_entry(b"mp4a", 28, b"esds", &[0; 20]),
        picture: None,
        samples: audio_samples.clone(),
        edit: Some(Edit {
            media_time: 1024,
            duration: 120_000,
        }),
    };
    let out = dir.path().join("out.mp4");
    let size = write_mp4(
        &out,
        &[a.clone(), b.clone()],
        &[video.clone(), audio.clone()],
    )
    .expect("write");
    let bytes = std::fs::read(&out).expect("read output");
    assert_eq!(size, bytes.len() as u64);
    assert_eq!(
        top_level_boxes(&out).expect("boxes"),
        vec![*b"ftyp", *b"moov", *b"mdat"]
    );

    let movie = read_movie(&out).expect("reads back");
    let v = movie.track(b"vide").expect("video");
    assert_eq!(v.timescale, 15360);
    assert_eq!(v.sample_entry, video.sample_entry);
    assert_eq!(v.picture_size(), Some((640, 360)));
    assert_eq!(
        v.sample_entry_child(b"avcC"),
        Some(&[1u8, 100, 0, 41, 0xff][..])
    );
    assert_eq!(v.edit_media_time, None);
    let s = movie.track(b"soun").expect("audio");
    assert_eq!(s.edit_media_time, Some(1024));
    for (track, written, sources) in [
        (v, &video_samples, [&a_bytes, &b_bytes]),
        (s, &audio_samples, [&a_bytes, &b_bytes]),
    ] {
        assert_eq!(track.samples.len(), written.len());
        for (read, w) in track.samples.iter().zip(written.iter()) {
            assert_eq!(
                (read.size, read.duration, read.sync),
                (w.size, w.duration, w.sync)
            );
            let at = read.offset as usize;
            let expected = &sources[w.source][w.offset as usize..][..w.size as usize];
            assert_eq!(&bytes[at..at + w.size as usize], expected);
        }
    }
}

#[test]
fn files_that_are_not_mp4_are_refused_with_a_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let reason = |bytes: &[u8]| {
        let path = dir.path().join("x");
        write(&path, bytes);
        match read_movie(&path) {
            Err(Mp4Error::Malformed(reason)) => reason,
            other => panic!("expected a refusal, got {other:?}"),
        }
    };
    assert!(reason(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00").contains("not an MP4"));
    // A box that claims more bytes than the file has.
    assert!(reason(b"\x00\x00\x10\x00ftypisom").contains("past the end"));
    // Only an ftyp: no moov.
    assert!(reason(b"\x00\x00\x00\x0cftypisom").contains("no moov"));
    // A moov whose track table claims a billion entries in a few bytes.
    let mut moov = b"\x00\x00\x00\x0cftypisom".to_vec();
    let stsz = b"\x00\x00\x00\x14stsz\x00\x00\x00\x00\x00\x00\x00\x00\x3b\x9a\xca\x00";
    let nest = |kind: &[u8; 4], body: &[u8]| {
        let mut b = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(kind);
        b.extend_from_slice(body);
        b
    };
    let mdhd = nest(
        b"mdhd",
        &[
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x3c, 0, 0, 0, 0, 0,
        ],
    );
    let hdlr = nest(b"hdlr", b"\0\0\0\0\0\0\0\0vide");
    let stsd = nest(
        b"stsd",
        &[0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 8, b'a', b'v', b'c', b'1'],
    );
    let stbl = nest(b"stbl", &[stsd, stsz.to_vec()].concat());
    let minf = nest(b"minf", &stbl);
    let mdia = nest(b"mdia", &[mdhd, hdlr, minf].concat());
    moov.extend(nest(b"moov", &nest(b"trak", &mdia)));
    assert!(reason(&moov).contains("too many samples") || reason(&moov).contains("claims more"));
}

#[test]
fn aac_configurations_are_read_from_esds_without_bit_rates() {
    // As ffmpeg writes it: ES descriptor, decoder config (AAC, 128 kb/s), AudioSpecificConfig
    // LC / 48 kHz / stereo, SL config.
    let esds = |bitrate: u8| {
        let mut body = vec![0, 0, 0, 0, 0x03, 0x19, 0x00, 0x01, 0x00];
        body.extend([
            0x04, 0x11, 0x40, 0x15, 0, 0, 0, 0, 1, bitrate, 0, 0, 1, bitrate, 0,
        ]);
        body.extend([0x05, 0x02, 0x11, 0x90, 0x06, 0x01, 0x02]);
        body
    };
    let track = |entry: Vec<u8>| super::read::Track {
        handler: *b"soun",
        timescale: 48_000,
        sample_entry: entry,
        samples: Vec::new(),
        edit_media_time: None,
        has_composition_offsets: false,
    };
    let a = track(sample_entry(b"mp4a", 28, b"esds", &esds(0xf4)));
    let b = track(sample_entry(b"mp4a", 28, b"esds", &esds(0x20)));
    assert_eq!(a.aac_config(), Some(vec![0x40, 0x11, 0x90]));
    assert_eq!(a.aac_config(), b.aac_config());
    let mut cut = esds(0xf4);
    cut.truncate(20);
    assert_eq!(
        track(sample_entry(b"mp4a", 28, b"esds", &cut)).aac_config(),
        None
    );
    assert_eq!(
        track(sample_entry(b"avc1", 78, b"avcC", &[1, 2])).aac_config(),
        None
    );
}
