"""KPL de-aggregation against records produced by the TypeScript encoder (fixtures/kpl-records.json)."""
import base64
import hashlib
import json
import os
import unittest

from _path import FIXTURES
from runner.kpl import KPL_MAGIC, UserRecord, deaggregate, is_aggregated


def _load():
    with open(os.path.join(FIXTURES, "kpl-records.json"), encoding="utf-8") as f:
        return json.load(f)["cases"]


def _record(r):
    return UserRecord(r["partitionKey"], base64.b64decode(r["dataBase64"]), r.get("explicitHashKey"))


class DeaggregateFixtures(unittest.TestCase):
    def test_every_fixture_matches_the_typescript_decoder(self):
        cases = _load()
        self.assertGreaterEqual(len(cases), 10)
        for case in cases:
            with self.subTest(case["name"]):
                record = _record(case["record"])
                got = deaggregate(record.data, record.partition_key, record.explicit_hash_key)
                self.assertEqual(got, [_record(r) for r in case["expected"]])

    def test_aggregates_hold_the_canonical_json_events(self):
        multi = [c for c in _load() if len(c["expected"]) > 1]
        self.assertTrue(multi)
        for case in multi:
            for user_record in case["expected"]:
                body = json.loads(base64.b64decode(user_record["dataBase64"]).decode("utf-8"))
                self.assertEqual(body["kind"], "event")

    def test_is_aggregated_requires_magic_and_digest(self):
        body = b"\x0a\x01k"
        self.assertTrue(is_aggregated(KPL_MAGIC + body + hashlib.md5(body).digest()))
        self.assertFalse(is_aggregated(KPL_MAGIC + body + b"\x00" * 16))
        self.assertFalse(is_aggregated(b"{}" + body + hashlib.md5(body).digest()))
        self.assertFalse(is_aggregated(KPL_MAGIC))

    def test_accepts_bytearray_and_memoryview(self):
        case = next(c for c in _load() if len(c["expected"]) == 3)
        record = _record(case["record"])
        expected = [_record(r) for r in case["expected"]]
        self.assertEqual(deaggregate(bytearray(record.data), record.partition_key, record.explicit_hash_key), expected)
        self.assertEqual(deaggregate(memoryview(record.data), record.partition_key, record.explicit_hash_key), expected)

    def test_never_raises_on_random_bytes_after_a_valid_header(self):
        # Deterministic pseudo-random bodies wrapped with a correct MD5: decode or pass through, never raise.
        seed = 12345
        for n in range(300):
            seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
            body = bytes(((seed >> (i % 24)) + i * 31) & 0xFF for i in range(n % 64))
            data = KPL_MAGIC + body + hashlib.md5(body).digest()
            out = deaggregate(data, "pk")
            self.assertIsInstance(out, list)
            for r in out:
                self.assertIsInstance(r.data, bytes)


if __name__ == "__main__":
    unittest.main()
