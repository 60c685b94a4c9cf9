#!/usr/bin/env python3
"""OpenCV's MOG2 on raw grey frames, as the baseline of `sightline bench motion`.

Reads WIDTH x HEIGHT grey frames (the same bytes the Rust detector gets), runs MOG2 with the
doorbell write-up's parameters (varThreshold 16, no shadows), a 3x3 opening, and calls a frame
"motion" when one contour covers at least MIN_AREA pixels. Prints one JSON object: the per-frame
decisions and the seconds spent in that per-frame work (reading the file excluded).

Needs: pip install opencv-python-headless
"""
import argparse
import json
import sys
import time

try:
    import cv2
    import numpy as np
except ImportError:
    sys.exit("OpenCV is missing: pip install opencv-python-headless")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("frames")
    parser.add_argument("--width", type=int, required=True)
    parser.add_argument("--height", type=int, required=True)
    parser.add_argument("--min-area", type=int, required=True)
    parser.add_argument("--scene-frames", type=int, required=True,
                        help="frames per scene: the model starts afresh at each scene")
    args = parser.parse_args()
    size = args.width * args.height
    data = np.fromfile(args.frames, dtype=np.uint8)
    if data.size % size:
        sys.exit(f"{args.frames} is not a whole number of {args.width}x{args.height} frames")
    frames = data.reshape(-1, args.height, args.width)
    cv2.setNumThreads(1)
    kernel = np.ones((3, 3), np.uint8)
    decisions = []
    spent = 0.0
    model = None
    for i, frame in enumerate(frames):
        started = time.perf_counter()
        if i % args.scene_frames == 0:
            model = cv2.createBackgroundSubtractorMOG2(history=500, varThreshold=16,
                                                       detectShadows=False)
        mask = model.apply(frame)
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        moving = any(cv2.contourArea(c) >= args.min_area for c in contours)
        spent += time.perf_counter() - started
        decisions.append(1 if moving else 0)
    json.dump({"decisions": decisions, "seconds": spent, "opencv": cv2.__version__}, sys.stdout)


if __name__ == "__main__":
    main()
