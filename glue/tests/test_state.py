"""Which state version a batch reads, replays included."""
import unittest

from _path import GLUE_DIR  # noqa: F401  (sys.path)
from runner.state import (
    StateError,
    StatePointer,
    decode_live_segments,
    decode_pointer,
    encode_live_segments,
    live_segments_key,
    next_live_segments,
    parse_segment_dir,
    segment_prefix_for,
    stale_segments,
    encode_pointer,
    next_pointer,
    parse_version_dir,
    pointer_key,
    stale_versions,
    state_prefix_for,
    state_to_read,
)


class StateVersions(unittest.TestCase):
    def test_first_batch_reads_empty_state(self):
        self.assertIsNone(state_to_read(None, 0))

    def test_next_batch_reads_the_last_committed_state(self):
        self.assertEqual(state_to_read(StatePointer(41, 40), 42), 41)
        # Empty batches write nothing: batch ids may jump.
        self.assertEqual(state_to_read(StatePointer(41, 40), 57), 41)

    def test_a_replay_after_commit_reads_what_the_first_attempt_read(self):
        self.assertEqual(state_to_read(StatePointer(42, 41), 42), 41)
        self.assertIsNone(state_to_read(StatePointer(0, None), 0))

    def test_a_reset_checkpoint_is_refused_with_instructions(self):
        with self.assertRaises(StateError) as raised:
            state_to_read(StatePointer(900, 899), 0)
        self.assertIn("checkpoint was reset", str(raised.exception))

    def test_a_run_of_batches_with_a_replay(self):
        pointer = None
        reads = []
        for batch in (0, 1, 2, 2, 3):  # batch 2 replayed after committing its state
            read = state_to_read(pointer, batch)
            reads.append(read)
            pointer = next_pointer(batch, read)
        self.assertEqual(reads, [None, 0, 1, 1, 2])
        self.assertEqual(pointer, StatePointer(3, 2))

    def test_stale_versions_keep_the_pointer_and_what_it_read(self):
        self.assertEqual(stale_versions([0, 1, 2, 3, 3], StatePointer(3, 2)), [0, 1])
        self.assertEqual(stale_versions([0], StatePointer(0, None)), [])

    def test_pointer_round_trip_and_validation(self):
        pointer = StatePointer(7, 5)
        self.assertEqual(decode_pointer(encode_pointer(pointer)), pointer)
        self.assertIsNone(decode_pointer(None))
        for bad in (b'{"batchId":-1,"previous":null}', b'{"batchId":3,"previous":3}', b'{"previous":1}'):
            with self.assertRaises(StateError):
                decode_pointer(bad)

    def test_keys(self):
        self.assertEqual(pointer_key("glue/state/c/"), "glue/state/c/pointer.json")
        self.assertEqual(state_prefix_for("glue/state/c/", "dedup", 9), "glue/state/c/state/dedup/batch=0000000009/")
        self.assertEqual(parse_version_dir("batch=0000000009/"), 9)
        self.assertIsNone(parse_version_dir("pointer.json"))


class Segments(unittest.TestCase):
    def test_a_batch_adds_its_segment_and_drops_whole_segments_below_live_from(self):
        read = {"dedup": [(3, 300), (4, 450), (5, 500)], "aggregates": [(4, 40)]}
        live = next_live_segments(read, 6, {"dedup": (600, 450), "aggregates": (None, None)})
        self.assertEqual(live, {"dedup": [(4, 450), (5, 500), (6, 600)], "aggregates": [(4, 40)]})
        # A segment that is out of the window already is not kept; an empty batch adds none.
        self.assertEqual(next_live_segments({}, 7, {"dedup": (100, 450)}), {"dedup": []})
        self.assertEqual(next_live_segments({"dedup": [(1, 5)]}, 2, {"dedup": (None, None)}), {"dedup": [(1, 5)]})

    def test_what_is_kept_on_store(self):
        wrote = {"dedup": [(5, 1), (6, 1)]}
        read = {"dedup": [(4, 1), (5, 1)]}
        # 4 stays for a replay of 6 (it reads 4 and 5); 7 belongs to a later batch; 1-3 are nobody's.
        self.assertEqual(stale_segments([1, 2, 3, 4, 5, 6, 7], [wrote, read], 6), [1, 2, 3])

    def test_live_list_round_trip_and_validation(self):
        live = {"dedup": [(4, 1700000000000000), (5, 1700000000100000)], "aggregates": []}
        self.assertEqual(decode_live_segments(encode_live_segments(5, live), 5), live)
        with self.assertRaises(StateError):
            decode_live_segments(None, 5)
        with self.assertRaises(StateError):
            decode_live_segments(encode_live_segments(4, live), 5)
        with self.assertRaises(StateError):
            decode_live_segments(b'{"batchId":5,"segments":{"dedup":[[1,"x"]]}}', 5)

    def test_segment_keys(self):
        self.assertEqual(segment_prefix_for("glue/state/c/", "dedup", 9), "glue/state/c/state/dedup/segment=0000000009/")
        self.assertEqual(live_segments_key("glue/state/c/", 9), "glue/state/c/live-segments/batch=0000000009.json")
        self.assertEqual(parse_segment_dir("segment=0000000009"), 9)
        self.assertIsNone(parse_segment_dir("batch=0000000009"))


if __name__ == "__main__":
    unittest.main()
