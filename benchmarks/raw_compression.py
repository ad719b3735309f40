"""Compression of raw profile answers: plain zstd against zstd with a trained dictionary.

Trains a dictionary on a sample of sandbox profile bodies, then compresses a different set
with and without it, and prints the ratios and speeds. Also the real 2022 answer from
../shared/real-samples, compressed alone (it has no siblings to learn from).

Run:  .venv/bin/python benchmarks/raw_compression.py --profiles 1000
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import zstandard

from sandbox.config import SandboxConfig
from sandbox.content import SandboxContent

REAL = (
    Path(__file__).resolve().parents[2] / "shared/real-samples/instagram/web_profile_info_2022.json"
)


def _ratio(raw: list[bytes], packed: list[bytes]) -> float:
    return sum(map(len, raw)) / sum(map(len, packed))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profiles", type=int, default=1000)
    parser.add_argument("--train", type=int, default=200, help="bodies to train on")
    parser.add_argument("--dict-size", type=int, default=112_640, help="dictionary bytes")
    parser.add_argument("--level", type=int, default=3)
    args = parser.parse_args(argv)

    content = SandboxContent(SandboxConfig(profiles=args.profiles + args.train, seed=13))
    names = content.public_usernames()
    bodies = [
        json.dumps(content.profile_response(name), separators=(",", ":")).encode() for name in names
    ]
    train, test = bodies[: args.train], bodies[args.train :]

    started = time.perf_counter()
    dictionary = zstandard.train_dictionary(args.dict_size, train)
    trained_in = time.perf_counter() - started

    plain = zstandard.ZstdCompressor(level=args.level)
    with_dict = zstandard.ZstdCompressor(level=args.level, dict_data=dictionary)
    started = time.perf_counter()
    packed_plain = [plain.compress(b) for b in test]
    plain_s = time.perf_counter() - started
    started = time.perf_counter()
    packed_dict = [with_dict.compress(b) for b in test]
    dict_s = time.perf_counter() - started
    mb = sum(map(len, test)) / 1e6

    print(f"bodies              {len(test)} sandbox answers, {mb:.1f} MB, level {args.level}")
    print(f"plain zstd          ratio {_ratio(test, packed_plain):.2f}  {mb / plain_s:.0f} MB/s")
    print(
        f"zstd + dictionary   ratio {_ratio(test, packed_dict):.2f}  {mb / dict_s:.0f} MB/s"
        f"  ({len(dictionary.as_bytes()) / 1024:.0f} KiB dictionary, trained on {len(train)}"
        f" bodies in {trained_in:.1f} s)"
    )
    if REAL.is_file():
        real = REAL.read_bytes()
        print(f"real 2022 answer    ratio {len(real) / len(plain.compress(real)):.2f} (plain)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
