"""Near-duplicate fingerprints: MinHash over character shingles, cut into LSH bands.

Character shingles work for Chinese (no word boundaries) and English alike. A MinHash of
NUM_PERM values estimates the Jaccard similarity of two reports' shingle sets; cut into BANDS
bands of ROWS values, two reports whose similarity is s share at least one band with
probability 1 - (1 - s^ROWS)^BANDS: about 0.2 at s = 0.3, 0.96 at s = 0.6, 1.0 at s = 0.8.
Each band is hashed to one 64-bit integer, which is what the index stores (a multikey index on
the list of band hashes finds every report sharing a band in one query).

A small numpy implementation rather than datasketch: the index lives in MongoDB, so only the
MinHash itself would come from the library, and this one is vectorised, deterministic across
processes and versions (blake2b of each shingle, fixed permutation seeds), and has no
dependencies beyond numpy.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

import numpy as np

NUM_PERM = 64
BANDS = 16
ROWS = NUM_PERM // BANDS
SHINGLE = 3
FINGERPRINT_VERSION = f"minhash-{NUM_PERM}x{SHINGLE}-b{BANDS}"

_MERSENNE = np.uint64((1 << 61) - 1)
_MAX_HASH = np.uint64((1 << 32) - 1)
_rng = np.random.RandomState(20261128)
_A = _rng.randint(1, 2**31 - 1, size=NUM_PERM, dtype=np.int64).astype(np.uint64)
_B = _rng.randint(0, 2**31 - 1, size=NUM_PERM, dtype=np.int64).astype(np.uint64)
_NOISE = re.compile(r"[\W_]+", re.UNICODE)


def normalise(text: str) -> str:
    """Case, width, punctuation and spacing do not make two reports different."""
    return _NOISE.sub("", unicodedata.normalize("NFKC", text).lower())


def shingles(text: str) -> set[str]:
    flat = normalise(text)
    if len(flat) <= SHINGLE:
        return {flat} if flat else set()
    return {flat[i : i + SHINGLE] for i in range(len(flat) - SHINGLE + 1)}


def _hash32(shingle: str, key: bytes) -> int:
    digest = hashlib.blake2b(shingle.encode(), digest_size=4, key=key).digest()
    return int.from_bytes(digest, "little")


def minhash(text: str, key: bytes = b"") -> np.ndarray:
    """NUM_PERM 32-bit values (uint64 array); equal values estimate the Jaccard similarity.

    The service keys the shingle hash with its linking secret: an unkeyed MinHash value can
    be matched against every possible three-character shingle, so a stored signature would
    give away pieces of the report. Signatures compare only under the same key."""
    values = np.fromiter((_hash32(s, key[:64]) for s in shingles(text)), dtype=np.uint64)
    if values.size == 0:
        return np.full(NUM_PERM, _MAX_HASH, dtype=np.uint64)
    permuted = (np.outer(values, _A) + _B) % _MERSENNE & _MAX_HASH
    result: np.ndarray = permuted.min(axis=0)
    return result


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.count_nonzero(a == b)) / NUM_PERM


def bands(signature: np.ndarray) -> list[int]:
    """One signed 64-bit hash per band (MongoDB stores int64), band number mixed in."""
    out = []
    for band in range(BANDS):
        chunk = signature[band * ROWS : (band + 1) * ROWS].astype("<u4").tobytes()
        digest = hashlib.blake2b(bytes([band]) + chunk, digest_size=8).digest()
        out.append(int.from_bytes(digest, "little", signed=True))
    return out


def to_bytes(signature: np.ndarray) -> bytes:
    return signature.astype("<u4").tobytes()


def from_bytes(raw: bytes) -> np.ndarray:
    return np.frombuffer(raw, dtype="<u4").astype(np.uint64)
