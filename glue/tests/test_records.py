"""Kinesis record -> raw_records rows: de-aggregated, strict UTF-8, base64 for undecodable bytes."""
import base64
import json
import os
import unittest

from _path import FIXTURES
from runner.records import InputRow, decode_user_record, input_rows


class InputRows(unittest.TestCase):
    def test_one_row_per_user_record_of_an_aggregate(self):
        with open(os.path.join(FIXTURES, "kpl-records.json"), encoding="utf-8") as f:
            cases = json.load(f)["cases"]
        case = next(c for c in cases if c["name"].startswith("aggregate of three"))
        rows = input_rows(base64.b64decode(case["record"]["dataBase64"]), case["record"]["partitionKey"])
        self.assertEqual(len(rows), 3)
        self.assertEqual(json.loads(rows[1].data)["properties"]["名前"], "😀")
        self.assertTrue(all(r.data_base64 is None for r in rows))

    def test_undecodable_bytes_keep_their_exact_payload_in_base64(self):
        for raw in (b"\xff\xfe\x00", b"\xed\xa0\x80", b'{"a":"\xc3"}'):  # invalid, lone surrogate, truncated
            row = decode_user_record(raw)
            self.assertIsNone(row.data)
            self.assertEqual(base64.b64decode(row.data_base64), raw)

    def test_valid_text_is_kept_as_is(self):
        self.assertEqual(decode_user_record("  {\"x\": \"é\"}\n".encode("utf-8")), InputRow('  {"x": "é"}\n', None))
        self.assertEqual(decode_user_record(b""), InputRow("", None))

    def test_null_data_and_key_do_not_crash(self):
        self.assertEqual(input_rows(None, None), [InputRow("", None)])


if __name__ == "__main__":
    unittest.main()
