//! Package delivered or removed: the package boxes of the first and last keyframes of one zone,
//! compared by overlap. COCO has no parcel class, so [`DoorbellClass::Package`] is whatever
//! stands in for one (suitcase, backpack, handbag, or a custom model's `package`); a package
//! seen as a backpack before and a suitcase after is the same package when the boxes overlap.

use crate::boxes::iou;
use crate::classes::DoorbellClass;
use crate::detector::Detected;
use sightline_core::motion::Polygon;
use std::collections::HashSet;

/// What happened to the packages between two frames of the same view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PackageChange {
    /// A package is there after that was not there before.
    Delivered,
    /// A package that was there before is gone.
    Removed,
}

/// Two package boxes overlapping at least this much (IoU) are the same package: a fixed camera
/// sees a parcel in the same place, and the detector's boxes jitter by far less.
pub const SAME_PACKAGE_IOU: f32 = 0.3;

/// `Delivered` when only new packages appear, `Removed` when only packages disappear, `None`
/// when nothing changed — or when both happen at once (a package moved, or one swapped for
/// another), which a pair of frames cannot tell apart from a detector mistake.
/// Both slices are the detections of the same zone (the caller crops or filters to it).
pub fn package_change(before: &[Detected], after: &[Detected]) -> Option<PackageChange> {
    let packages = |d: &[Detected]| -> Vec<[f32; 4]> {
        d.iter()
            .filter(|d| d.class == DoorbellClass::Package)
            .map(Detected::corners)
            .collect()
    };
    let (before, after) = (packages(before), packages(after));
    let unmatched = |boxes: &[[f32; 4]], others: &[[f32; 4]]| {
        boxes
            .iter()
            .filter(|b| !others.iter().any(|o| iou(**b, *o) >= SAME_PACKAGE_IOU))
            .count()
    };
    let appeared = unmatched(&after, &before);
    let vanished = unmatched(&before, &after);
    match (appeared > 0, vanished > 0) {
        (true, false) => Some(PackageChange::Delivered),
        (false, true) => Some(PackageChange::Removed),
        _ => None,
    }
}

/// [`package_change`] zone by zone: a box belongs to the zone holding its centre, a package
/// outside every zone does not count (the street beyond the porch), and a delivery in one zone
/// with a removal in another is as ambiguous as both in one. No zones: the whole frame.
pub fn package_change_in_zones(
    before: &[Detected],
    after: &[Detected],
    zones: &[Polygon],
) -> Option<PackageChange> {
    if zones.is_empty() {
        return package_change(before, after);
    }
    let within = |frame: &[Detected], zone: &Polygon| -> Vec<Detected> {
        frame
            .iter()
            .filter(|d| zone.contains(f64::from(d.x + d.w / 2.0), f64::from(d.y + d.h / 2.0)))
            .cloned()
            .collect()
    };
    let changes: HashSet<PackageChange> = zones
        .iter()
        .filter_map(|zone| package_change(&within(before, zone), &within(after, zone)))
        .collect();
    match changes.len() {
        1 => changes.into_iter().next(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn det(label: &str, x: f32, y: f32, w: f32, h: f32) -> Detected {
        Detected {
            label: label.to_owned(),
            class: DoorbellClass::from_label(label),
            confidence: 0.6,
            x,
            y,
            w,
            h,
        }
    }

    #[test]
    fn a_new_package_is_a_delivery() {
        let person = det("person", 0.4, 0.1, 0.2, 0.8);
        let parcel = det("suitcase", 0.5, 0.7, 0.1, 0.1);
        assert_eq!(
            package_change(&[], std::slice::from_ref(&parcel)),
            Some(PackageChange::Delivered)
        );
        // The courier in both frames does not matter.
        assert_eq!(
            package_change(
                std::slice::from_ref(&person),
                &[person.clone(), parcel.clone()]
            ),
            Some(PackageChange::Delivered)
        );
    }

    #[test]
    fn a_vanished_package_is_a_removal() {
        let parcel = det("backpack", 0.5, 0.7, 0.1, 0.1);
        assert_eq!(
            package_change(std::slice::from_ref(&parcel), &[]),
            Some(PackageChange::Removed)
        );
    }

    #[test]
    fn the_same_package_with_jitter_or_another_label_is_no_change() {
        let before = det("suitcase", 0.50, 0.70, 0.10, 0.10);
        let after = det("backpack", 0.51, 0.71, 0.10, 0.09);
        assert_eq!(package_change(&[before], &[after]), None);
        assert_eq!(package_change(&[], &[]), None);
        // Non-package objects never count.
        assert_eq!(package_change(&[], &[det("dog", 0.1, 0.1, 0.2, 0.2)]), None);
    }

    #[test]
    fn a_moved_package_is_ambiguous() {
        let here = det("suitcase", 0.1, 0.7, 0.1, 0.1);
        let there = det("suitcase", 0.7, 0.7, 0.1, 0.1);
        assert_eq!(
            package_change(std::slice::from_ref(&here), std::slice::from_ref(&there)),
            None
        );
        // A second parcel next to the first one is a delivery.
        assert_eq!(
            package_change(std::slice::from_ref(&here), &[here.clone(), there]),
            Some(PackageChange::Delivered)
        );
    }

    #[test]
    fn with_zones_only_packages_inside_them_count() {
        let porch = Polygon::rect(0.3, 0.5, 0.7, 1.0).unwrap();
        let street = Polygon::rect(0.0, 0.0, 1.0, 0.3).unwrap();
        let on_porch = det("suitcase", 0.45, 0.75, 0.1, 0.1);
        let on_street = det("backpack", 0.5, 0.1, 0.05, 0.1);
        let outside = det("suitcase", 0.05, 0.6, 0.1, 0.1);
        let zones = [porch.clone()];
        assert_eq!(
            package_change_in_zones(&[], std::slice::from_ref(&on_porch), &zones),
            Some(PackageChange::Delivered)
        );
        // A passer-by's backpack or a parcel outside the zones changes nothing.
        assert_eq!(
            package_change_in_zones(&[], &[on_street.clone(), outside], &zones),
            None
        );
        // Removed from the porch while someone carries a bag on the street.
        let both = [porch, street];
        assert_eq!(
            package_change_in_zones(std::slice::from_ref(&on_porch), &[], &both),
            Some(PackageChange::Removed)
        );
        // Delivered in one zone, gone from the other: ambiguous.
        assert_eq!(
            package_change_in_zones(
                std::slice::from_ref(&on_street),
                std::slice::from_ref(&on_porch),
                &both
            ),
            None
        );
        // Without zones, the whole frame.
        assert_eq!(
            package_change_in_zones(&[], std::slice::from_ref(&on_street), &[]),
            Some(PackageChange::Delivered)
        );
    }
}
